/* sm_saml.c: claims from a SAML module's environment (values split as mod_shib joins them). */
#include "sm_saml.h"
#include "sm_json.h"
#include <stdlib.h>
#include <string.h>

json_t *sm_saml_split_values(const char *text)
{
    json_t *arr = NULL, *res = NULL, *one;
    char *buf = NULL;
    apr_size_t n = 0, len;
    const char *s;
    bool escaped = false, ok = true;

    if (!text)
        goto leave;
    len = strlen(text);
    if (!(buf = malloc(len + 1)) || !(arr = json_array()))
        goto leave;
    for (s = text;; s++) {
        if (*s == '\\' && s[1] == ';') {
            buf[n++] = ';';
            escaped = true;
            s++;
        } else if (*s == ';' || !*s) {
            one = json_stringn(buf, n);
            if (!one || json_array_append_new(arr, one) != 0)
                ok = false;
            n = 0;
            if (!*s)
                break;
        } else {
            buf[n++] = *s;
        }
    }
    if (!ok)
        goto leave;
    if (json_array_size(arr) == 1 && !escaped)
        res = json_incref(json_array_get(arr, 0));
    else
        res = json_incref(arr);
leave:
    json_decref(arr);
    free(buf);
    return res;
}

static bool digits(const char *s, int n, int *out)
{
    int i, v = 0;

    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

apr_status_t sm_saml_parse_instant(const char *text, apr_time_t *t)
{
    apr_time_exp_t x;
    int y, mo, d, h, mi, sec, usec = 0, scale = 100000;
    const char *s;
    apr_status_t rv = APR_EINVAL;

    memset(&x, 0, sizeof(x));
    if (!text || strlen(text) < 20 || text[4] != '-' || text[7] != '-' || text[10] != 'T' ||
        text[13] != ':' || text[16] != ':')
        goto leave;
    if (!digits(text, 4, &y) || !digits(text + 5, 2, &mo) || !digits(text + 8, 2, &d) ||
        !digits(text + 11, 2, &h) || !digits(text + 14, 2, &mi) || !digits(text + 17, 2, &sec))
        goto leave;
    s = text + 19;
    if (*s == '.') {
        for (s++; *s >= '0' && *s <= '9'; s++) {
            usec += scale * (*s - '0');
            scale /= 10;
        }
        if (s == text + 20)
            goto leave;
    }
    if (strcmp(s, "Z") != 0 || y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
        mi > 59 || sec > 60)
        goto leave;
    x.tm_year = y - 1900;
    x.tm_mon = mo - 1;
    x.tm_mday = d;
    x.tm_hour = h;
    x.tm_min = mi;
    x.tm_sec = sec;
    x.tm_usec = usec;
    if (apr_time_exp_gmt_get(t, &x) == APR_SUCCESS)
        rv = APR_SUCCESS;
leave:
    return rv;
}

static const char *nonempty(sm_saml_getenv_fn get, void *baton, const char *name)
{
    const char *v = get(baton, name);
    return v && *v ? v : NULL;
}

apr_status_t sm_saml_claims(apr_pool_t *p, sm_saml_getenv_fn get, void *baton,
                            const apr_array_header_t *attrs, const char *user, json_t **claims,
                            const char **why)
{
    static const char *const subject_ids[] = {"eppn", "subject-id", "pairwise-id", "persistent-id"};
    json_t *c = sm_json_own(p, json_object()), *acr;
    const char *idp, *instant, *cls, *sub = NULL;
    apr_time_t at;
    apr_status_t rv = APR_EINVAL;
    int i;

    *why = NULL;
    if (!c) {
        *why = "out of memory";
        goto leave;
    }
    if (!nonempty(get, baton, "Shib-Session-ID")) {
        *why = "no Shib-Session-ID in the environment (no SAML session)";
        goto leave;
    }
    if (!(idp = nonempty(get, baton, "Shib-Identity-Provider"))) {
        *why = "no Shib-Identity-Provider in the environment";
        goto leave;
    }
    for (i = 0; attrs && i < attrs->nelts; i++) {
        const char *name = APR_ARRAY_IDX(attrs, i, const char *);
        const char *v = nonempty(get, baton, name);
        json_t *j;
        if (!v)
            continue;
        if (!(j = sm_saml_split_values(v))) {
            *why = apr_psprintf(p, "attribute %s is not valid UTF-8", name);
            goto leave;
        }
        json_object_set_new(c, name, j);
    }
    if (user && *user) {
        sub = user;
    } else {
        for (i = 0; i < 4 && !sub; i++) {
            const char *v = nonempty(get, baton, subject_ids[i]);
            json_t *j = v ? sm_saml_split_values(v) : NULL;
            if (json_is_array(j))
                sub = json_string_value(json_array_get(j, 0));
            else if (j)
                sub = json_string_value(j);
            sub = sub && *sub ? apr_pstrdup(p, sub) : NULL;
            json_decref(j);
        }
    }
    if (!sub) {
        *why = "the SAML session has no user (REMOTE_USER) and none of eppn, subject-id, "
               "pairwise-id, persistent-id";
        goto leave;
    }
    if (json_object_set_new(c, "iss", json_string(idp)) != 0 ||
        json_object_set_new(c, "sub", json_string(sub)) != 0) {
        *why = "the identity provider or user is not valid UTF-8";
        goto leave;
    }
    if ((instant = nonempty(get, baton, "Shib-Authentication-Instant")) &&
        sm_saml_parse_instant(instant, &at) == APR_SUCCESS)
        json_object_set_new(c, "auth_time", json_integer((json_int_t)apr_time_sec(at)));
    if ((cls = nonempty(get, baton, "Shib-AuthnContext-Class")) && (acr = json_string(cls)))
        json_object_set_new(c, "acr", acr);
    *claims = c;
    rv = APR_SUCCESS;
leave:
    return rv;
}
