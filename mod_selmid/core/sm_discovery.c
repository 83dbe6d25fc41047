/* sm_discovery.c: parsing and checking an OpenID Provider's discovery document (OpenID Connect
 * Discovery 1.0 section 3 and 4.3, RFC 9207). */
#include "sm_oidc.h"
#include "sm_json.h"

#include <string.h>
#include <strings.h>

/* The longest endpoint URL accepted. */
#define SM_DISCO_MAX_URL 2048

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool is_alnum(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Path and query characters of RFC 3986 (no fragment), percent escapes well formed. */
static bool path_query_ok(const char *s)
{
    for (; *s; s++) {
        if (*s == '%') {
            if (!is_hex(s[1]) || !is_hex(s[2])) {
                return false;
            }
            s += 2;
        } else if (!is_alnum(*s) && !strchr("-._~!$&'()*+,;=:@/?", *s)) {
            return false;
        }
    }
    return true;
}

/* host[:port] with a DNS name, an IPv4 literal or a bracketed IPv6 literal; no userinfo.
 * *loopback tells whether the host is 127.0.0.1, [::1] or localhost. */
static bool authority_ok(const char *a, apr_size_t len, bool *loopback)
{
    apr_size_t i = 0, host_len;
    const char *port;
    long pv = 0;

    if (len == 0) {
        return false;
    }
    if (a[0] == '[') {
        for (i = 1; i < len && a[i] != ']'; i++) {
            if (!is_hex(a[i]) && a[i] != ':' && a[i] != '.') {
                return false;
            }
        }
        if (i >= len || i == 1) {
            return false;
        }
        i++;
    } else {
        for (; i < len && a[i] != ':'; i++) {
            if (!is_alnum(a[i]) && a[i] != '-' && a[i] != '.') {
                return false;
            }
        }
        if (i == 0) {
            return false;
        }
    }
    host_len = i;
    *loopback = (host_len == 9 && strncmp(a, "127.0.0.1", 9) == 0) ||
                (host_len == 5 && strncmp(a, "[::1]", 5) == 0) ||
                (host_len == 9 && strncasecmp(a, "localhost", 9) == 0);
    if (i == len) {
        return true;
    }
    if (a[i] != ':' || i + 1 == len || len - i - 1 > 5) {
        return false;
    }
    for (port = a + i + 1; port < a + len; port++) {
        if (*port < '0' || *port > '9') {
            return false;
        }
        pv = pv * 10 + (*port - '0');
    }
    return pv >= 1 && pv <= 65535;
}

/* An absolute https URL, or http on a loopback host. NULL when acceptable, else a reason. */
static const char *endpoint_check(const char *url)
{
    apr_size_t len = strlen(url), alen;
    const char *auth, *end;
    bool https, loopback = false;

    if (len == 0 || len > SM_DISCO_MAX_URL) {
        return "empty or too long";
    }
    https = strncasecmp(url, "https://", 8) == 0;
    if (!https && strncasecmp(url, "http://", 7) != 0) {
        return "not an absolute http(s) URL";
    }
    auth = url + (https ? 8 : 7);
    end = auth + strcspn(auth, "/?#");
    alen = (apr_size_t)(end - auth);
    if (!authority_ok(auth, alen, &loopback)) {
        return "malformed host or port";
    }
    if (!path_query_ok(end)) {
        return "malformed path or query (or a fragment)";
    }
    if (!https && !loopback) {
        return "http on a host that is not a loopback address";
    }
    return NULL;
}

/* Copies the optional (required=false) or required URL member name into *out after checking. */
static const char *get_endpoint(apr_pool_t *p, const json_t *doc, const char *name, bool required,
                                const char **out)
{
    const json_t *v = json_object_get(doc, name);
    const char *why;

    *out = NULL;
    if (!v) {
        return required ? apr_psprintf(p, "%s missing", name) : NULL;
    }
    if (!json_is_string(v)) {
        return apr_psprintf(p, "%s is not a string", name);
    }
    if ((why = endpoint_check(json_string_value(v))) != NULL) {
        return apr_psprintf(p, "%s refused: %s", name, why);
    }
    *out = apr_pstrdup(p, json_string_value(v));
    return NULL;
}

static const char *check_response_types(const json_t *doc)
{
    const json_t *v = json_object_get(doc, "response_types_supported"), *t;
    apr_size_t i;

    if (!v) {
        return NULL;
    }
    if (!json_is_array(v)) {
        return "response_types_supported is not an array";
    }
    json_array_foreach(v, i, t)
    {
        if (json_is_string(t) && strcmp(json_string_value(t), "code") == 0) {
            return NULL;
        }
    }
    return "response_types_supported lacks \"code\"";
}

apr_status_t sm_oidc_parse_discovery(apr_pool_t *p, const char *body, apr_size_t len,
                                     const char *expected_issuer, sm_op_meta_t **out,
                                     const char **err)
{
    apr_status_t rv = APR_EINVAL;
    const json_t *doc, *v;
    const char *why = NULL, *jerr = NULL;
    sm_op_meta_t *m = apr_pcalloc(p, sizeof(*m));

    *out = NULL;
    doc = sm_json_parse(p, body, len, &jerr);
    if (!doc) {
        why = apr_pstrcat(p, "discovery document: ", jerr, NULL);
        goto leave;
    }
    if (!json_is_object(doc)) {
        why = "discovery document is not a JSON object";
        goto leave;
    }
    v = json_object_get(doc, "issuer");
    if (!json_is_string(v)) {
        why = "issuer missing";
        goto leave;
    }
    if (!expected_issuer || strcmp(json_string_value(v), expected_issuer) != 0) {
        why = "issuer differs from the configured issuer";
        goto leave;
    }
    m->issuer = apr_pstrdup(p, expected_issuer);
    if ((why = get_endpoint(p, doc, "authorization_endpoint", true, &m->authorization_endpoint)) ||
        (why = get_endpoint(p, doc, "token_endpoint", true, &m->token_endpoint)) ||
        (why = get_endpoint(p, doc, "jwks_uri", true, &m->jwks_uri)) ||
        (why = get_endpoint(p, doc, "userinfo_endpoint", false, &m->userinfo_endpoint)) ||
        (why = get_endpoint(p, doc, "end_session_endpoint", false, &m->end_session_endpoint)) ||
        (why = check_response_types(doc))) {
        goto leave;
    }
    m->iss_parameter_supported =
        json_is_true(json_object_get(doc, "authorization_response_iss_parameter_supported"));
    *out = m;
    rv = APR_SUCCESS;

leave:
    if (err) {
        *err = why;
    }
    return rv;
}
