/* sm_authz.c: `Require selmid-claim NAME VALUE` and `Require selmid-claim NAME ~REGEX`.
 *
 * The argument string is the raw rest of the Require line (httpd does not split it):
 *   - NAME is the first whitespace-delimited word, limited to [A-Za-z0-9_.:-];
 *   - the value is everything after the whitespace that follows NAME, with trailing whitespace
 *     removed, so values may contain spaces;
 *   - a value wrapped in one pair of double quotes has the quotes removed and is always taken
 *     literally (this is also how to require a literal value that starts with '~');
 *   - otherwise a value starting with '~' is a POSIX extended regex (REG_NOSUB), compiled here.
 *     It is matched as the admin wrote it: unanchored patterns search anywhere in the value,
 *     so write ^...$ for a whole-value match.
 * Matching: a string claim; an array claim with a matching scalar element; numbers and booleans
 * compared by their JSON text (42, 1.5, true). Objects, null and nested arrays never match. */
#include "sm_authz.h"
#include <apr_lib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SM_CLAIM_NAME_MAX 256

static apr_status_t regex_cleanup(void *data)
{
    regfree((regex_t *)data);
    return APR_SUCCESS;
}

static bool claim_name_char(char c)
{
    return apr_isalnum(c) || c == '_' || c == '.' || c == ':' || c == '-';
}

const char *sm_claim_rule_parse(apr_pool_t *p, const char *args, sm_claim_rule_t **out)
{
    const char *s = args ? args : "";
    const char *name_end, *val, *val_end;
    const char *err = NULL;
    sm_claim_rule_t *rule;
    bool quoted = false;
    int rc;

    *out = NULL;
    while (*s && apr_isspace(*s))
        s++;
    name_end = s;
    while (*name_end && !apr_isspace(*name_end))
        name_end++;
    if (name_end == s) {
        err = "selmid-claim: missing claim name (expected: NAME VALUE or NAME ~REGEX)";
        goto leave;
    }
    for (val = s; val < name_end; val++) {
        if (!claim_name_char(*val)) {
            err = apr_psprintf(p,
                               "selmid-claim: claim name '%s' may only contain A-Z a-z 0-9 _ . : -",
                               apr_pstrmemdup(p, s, (apr_size_t)(name_end - s)));
            goto leave;
        }
    }
    if (name_end - s > SM_CLAIM_NAME_MAX) {
        err = apr_psprintf(p, "selmid-claim: claim name longer than %d characters",
                           SM_CLAIM_NAME_MAX);
        goto leave;
    }

    val = name_end;
    while (*val && apr_isspace(*val))
        val++;
    val_end = val + strlen(val);
    while (val_end > val && apr_isspace(val_end[-1]))
        val_end--;
    if (val_end - val >= 2 && val[0] == '"' && val_end[-1] == '"') {
        quoted = true;
        val++;
        val_end--;
    }
    if (val_end == val && !quoted) {
        err = apr_psprintf(p, "selmid-claim: missing value for claim '%s'",
                           apr_pstrmemdup(p, s, (apr_size_t)(name_end - s)));
        goto leave;
    }

    rule = apr_pcalloc(p, sizeof(*rule));
    rule->claim = apr_pstrmemdup(p, s, (apr_size_t)(name_end - s));
    if (!quoted && val[0] == '~') {
        const char *pattern = apr_pstrmemdup(p, val + 1, (apr_size_t)(val_end - val - 1));
        regex_t *re;

        if (!*pattern) {
            err = apr_psprintf(p, "selmid-claim: missing regex after '~' for claim '%s'",
                               rule->claim);
            goto leave;
        }
        re = apr_pcalloc(p, sizeof(*re));
        rc = regcomp(re, pattern, REG_EXTENDED | REG_NOSUB);
        if (rc != 0) {
            char msg[256];

            regerror(rc, re, msg, sizeof(msg));
            err = apr_psprintf(p, "selmid-claim: invalid regex '%s' for claim '%s': %s", pattern,
                               rule->claim, msg);
            goto leave;
        }
        apr_pool_cleanup_register(p, re, regex_cleanup, apr_pool_cleanup_null);
        rule->re = re;
    } else {
        rule->value = apr_pstrmemdup(p, val, (apr_size_t)(val_end - val));
    }
    *out = rule;

leave:
    return err;
}

/* Compares one text (len bytes, may contain NUL when it comes from a JSON string). */
static bool text_matches(const sm_claim_rule_t *rule, const char *text, size_t len)
{
    if (rule->re) {
        /* regexec stops at a NUL: never let an embedded NUL hide the rest of the value */
        if (strlen(text) != len)
            return false;
        return regexec(rule->re, text, 0, NULL, 0) == 0;
    }
    return strlen(rule->value) == len && memcmp(rule->value, text, len) == 0;
}

static bool scalar_matches(const sm_claim_rule_t *rule, const json_t *v)
{
    char buf[64];
    char *dumped;
    bool ok = false;
    int n;

    switch (json_typeof(v)) {
    case JSON_STRING:
        ok = text_matches(rule, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        n = snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        ok = n > 0 && (size_t)n < sizeof(buf) && text_matches(rule, buf, (size_t)n);
        break;
    case JSON_REAL:
        /* 15 significant digits: 1.5 -> "1.5", 0.1 -> "0.1" (as the issuer most likely wrote) */
        dumped = json_dumps(v, JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
        if (dumped) {
            ok = text_matches(rule, dumped, strlen(dumped));
            free(dumped);
        }
        break;
    case JSON_TRUE:
        ok = text_matches(rule, "true", 4);
        break;
    case JSON_FALSE:
        ok = text_matches(rule, "false", 5);
        break;
    default: /* objects, arrays (nested), null */
        ok = false;
        break;
    }
    return ok;
}

bool sm_claim_rule_match(const sm_claim_rule_t *rule, const json_t *claims)
{
    const json_t *v = NULL;
    bool ok = false;
    size_t i;

    if (rule && rule->claim && (rule->re || rule->value) && json_is_object(claims))
        v = json_object_get(claims, rule->claim);
    if (v && json_is_array(v)) {
        for (i = 0; !ok && i < json_array_size(v); i++)
            ok = scalar_matches(rule, json_array_get(v, i));
    } else if (v) {
        ok = scalar_matches(rule, v);
    }
    return ok;
}
