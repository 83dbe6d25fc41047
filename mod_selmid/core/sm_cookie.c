/* sm_cookie.c: Cookie header parsing (hostile input) and Set-Cookie construction (RFC 6265). */
#include "sm_cookie.h"
#include <string.h>
#include <strings.h>

/* RFC 7230 tchar: the characters of a cookie name. */
static bool is_tchar(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* RFC 6265 cookie-octet: US-ASCII except CTLs, whitespace, DQUOTE, comma, semicolon, backslash. */
static bool is_cookie_octet(unsigned char c)
{
    return c == 0x21 || (c >= 0x23 && c <= 0x2B) || (c >= 0x2D && c <= 0x3A) ||
           (c >= 0x3C && c <= 0x5B) || (c >= 0x5D && c <= 0x7E);
}

static bool is_token(const char *s, apr_size_t len)
{
    apr_size_t i;

    if (len == 0)
        return false;
    for (i = 0; i < len; i++)
        if (!is_tchar((unsigned char)s[i]))
            return false;
    return true;
}

static bool is_cookie_value(const char *s, apr_size_t len)
{
    apr_size_t i;

    for (i = 0; i < len; i++)
        if (!is_cookie_octet((unsigned char)s[i]))
            return false;
    return true;
}

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* Parses one cookie-pair s[0..len) (already split at ';'). On success sets name/value spans
 * (the value without its quotes) and returns true; malformed pairs return false. */
static bool parse_pair(const char *s, apr_size_t len, const char **name, apr_size_t *name_len,
                       const char **value, apr_size_t *value_len)
{
    const char *eq, *v, *end = s + len;
    apr_size_t nl, vl;

    while (s < end && is_ows(*s))
        s++;
    while (end > s && is_ows(end[-1]))
        end--;
    eq = memchr(s, '=', (apr_size_t)(end - s));
    if (!eq)
        return false;
    nl = (apr_size_t)(eq - s);
    while (nl > 0 && is_ows(s[nl - 1]))
        nl--;
    v = eq + 1;
    while (v < end && is_ows(*v))
        v++;
    vl = (apr_size_t)(end - v);
    if (vl >= 1 && v[0] == '"') {
        if (vl < 2 || v[vl - 1] != '"')
            return false;
        v++;
        vl -= 2;
    }
    if (!is_token(s, nl) || !is_cookie_value(v, vl))
        return false;
    *name = s;
    *name_len = nl;
    *value = v;
    *value_len = vl;
    return true;
}

apr_array_header_t *sm_cookie_find(apr_pool_t *p, const char *header, const char *prefix,
                                   bool exact, int max)
{
    apr_array_header_t *found = apr_array_make(p, 4, sizeof(sm_cookie_t));
    const char *pos = header;
    apr_size_t plen;

    if (!prefix)
        prefix = "";
    plen = strlen(prefix);
    while (pos && *pos && found->nelts < max) {
        const char *semi = strchr(pos, ';');
        apr_size_t len = semi ? (apr_size_t)(semi - pos) : strlen(pos);
        const char *name, *value;
        apr_size_t nl, vl;

        if (parse_pair(pos, len, &name, &nl, &value, &vl) && nl >= plen &&
            memcmp(name, prefix, plen) == 0 && (!exact || nl == plen)) {
            sm_cookie_t *c = &APR_ARRAY_PUSH(found, sm_cookie_t);
            c->name = apr_pstrmemdup(p, name, nl);
            c->value = apr_pstrmemdup(p, value, vl);
        }
        pos = semi ? semi + 1 : NULL;
    }
    return found;
}

const char *sm_cookie_get(apr_pool_t *p, const char *header, const char *name)
{
    apr_array_header_t *found;

    if (!name || !*name)
        return NULL;
    found = sm_cookie_find(p, header, name, true, 1);
    return found->nelts ? APR_ARRAY_IDX(found, 0, sm_cookie_t).value : NULL;
}

/* RFC 6265 path-value: any CHAR except CTLs or ';'. */
static bool is_path_value(const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c >= 0x7f || c == ';')
            return false;
    }
    return true;
}

char *sm_cookie_make(apr_pool_t *p, const char *name, const char *value, const char *path,
                     long max_age, bool secure, const char *samesite)
{
    char *out = NULL;
    const char *ss = NULL, *age = "";

    if (!value)
        value = "";
    if (!path)
        path = "/";
    if (!name || !is_token(name, strlen(name)) || !is_cookie_value(value, strlen(value)) ||
        path[0] != '/' || !is_path_value(path))
        goto leave;
    if (samesite) {
        if (!strcasecmp(samesite, "Lax"))
            ss = "; SameSite=Lax";
        else if (!strcasecmp(samesite, "Strict"))
            ss = "; SameSite=Strict";
        else if (!strcasecmp(samesite, "None"))
            ss = "; SameSite=None";
        else
            goto leave;
    }
    if (max_age == 0)
        age = "; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT";
    else if (max_age > 0)
        age = apr_psprintf(p, "; Max-Age=%ld", max_age);
    out = apr_pstrcat(p, name, "=", value, "; Path=", path, age, "; HttpOnly",
                      secure ? "; Secure" : "", ss ? ss : "", NULL);
leave:
    return out;
}
