/* sm_url.c: local redirect-target validation, percent encoding, form parsing, HTML escaping. */
#include "sm_url.h"
#include <string.h>

#define TARGET_MAX_LEN 4096
/* How many layers of percent-encoding of a target are undone when looking for tricks. */
#define TARGET_DECODE_ROUNDS 4
/* The parameter limit used when the caller passes max_params <= 0. */
#define FORM_DEFAULT_MAX_PARAMS 100

static int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

/* RFC 3986 pchar without pct-encoded, plus "/" and "?" (allowed in path, query and fragment). */
static bool is_target_char(unsigned char c)
{
    return is_unreserved(c) || strchr("!$&'()*+,;=:@/?", c) != NULL;
}

/* One round of percent-decoding of buf[0..len) in place (valid escapes only, '+' untouched).
 * Returns the new length; *changed tells whether anything was decoded. */
static apr_size_t decode_round(unsigned char *buf, apr_size_t len, bool *changed)
{
    apr_size_t i, o = 0;

    *changed = false;
    for (i = 0; i < len; i++) {
        int hi, lo;
        if (buf[i] == '%' && i + 2 < len && (hi = hex_value(buf[i + 1])) >= 0 &&
            (lo = hex_value(buf[i + 2])) >= 0) {
            buf[o++] = (unsigned char)(hi * 16 + lo);
            i += 2;
            *changed = true;
        } else {
            buf[o++] = buf[i];
        }
    }
    return o;
}

/* A Unicode look-alike of '/' or '\' in UTF-8 at s (some servers and proxies normalise them):
 * U+2044, U+2215, U+2216, U+29F5, U+29F8, U+29F9, U+FE68, U+FF0F, U+FF3C. */
static bool is_slash_lookalike(const unsigned char *s, apr_size_t len)
{
    static const unsigned char seqs[][3] = {
        {0xE2, 0x81, 0x84}, {0xE2, 0x88, 0x95}, {0xE2, 0x88, 0x96},
        {0xE2, 0xA7, 0xB5}, {0xE2, 0xA7, 0xB8}, {0xE2, 0xA7, 0xB9},
        {0xEF, 0xB9, 0xA8}, {0xEF, 0xBC, 0x8F}, {0xEF, 0xBC, 0xBC},
    };
    apr_size_t i;

    if (len < 3)
        return false;
    for (i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++)
        if (memcmp(s, seqs[i], 3) == 0)
            return true;
    return false;
}

/* An overlong UTF-8 sequence (C0/C1 xx, E0 80..9F xx, F0 80..8F xx): never valid, and old
 * decoders turned "%C0%AF" into '/'. */
static bool is_overlong_utf8(const unsigned char *s, apr_size_t len)
{
    if (len < 2 || s[1] < 0x80 || s[1] > 0xBF)
        return false;
    return s[0] == 0xC0 || s[0] == 0xC1 || (s[0] == 0xE0 && s[1] <= 0x9F) ||
           (s[0] == 0xF0 && s[1] <= 0x8F);
}

/* A "." or ".." segment in the path part (up to '?' or '#') of s. */
static bool has_dot_segment(const unsigned char *s, apr_size_t len)
{
    apr_size_t i, seg = 0;

    for (i = 0; i <= len; i++) {
        if (i == len || s[i] == '/' || s[i] == '?' || s[i] == '#') {
            apr_size_t n = i - seg;
            if ((n == 1 && s[seg] == '.') || (n == 2 && s[seg] == '.' && s[seg + 1] == '.'))
                return true;
            if (i == len || s[i] != '/')
                break;
            seg = i + 1;
        }
    }
    return false;
}

/* Checks one (decoded) form of a target: what a browser, a proxy or a later decoding step could
 * turn into another origin. */
static const char *check_decoded_form(const unsigned char *s, apr_size_t len)
{
    apr_size_t i;

    if (len == 0 || s[0] != '/')
        return "not a local path";
    if (len > 1 && (s[1] == '/' || s[1] == '\\'))
        return "scheme-relative target";
    if (is_slash_lookalike(s + 1, len - 1))
        return "look-alike slash after the leading slash";
    for (i = 0; i < len; i++) {
        if (is_overlong_utf8(s + i, len - i))
            return "overlong UTF-8 encoding";
        if (s[i] < 0x20 || s[i] == 0x7f)
            return "encoded control character";
        if (s[i] == '\\')
            return "backslash";
    }
    if (has_dot_segment(s, len))
        return "dot segment in path";
    return NULL;
}

const char *sm_url_check_local_target(const char *target)
{
    const char *reason = NULL;
    unsigned char buf[TARGET_MAX_LEN];
    apr_size_t len, i;
    bool in_fragment = false, changed = true;
    int round;

    if (!target || !*target) {
        reason = "empty target";
        goto leave;
    }
    len = strnlen(target, TARGET_MAX_LEN + 1);
    if (len > TARGET_MAX_LEN) {
        reason = "target too long";
        goto leave;
    }
    if (target[0] != '/') {
        reason = "not a local path";
        goto leave;
    }
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)target[i];
        if (c == '\\') {
            reason = "backslash";
            goto leave;
        }
        if (c < 0x20 || c == 0x7f || c == ' ') {
            reason = "control or whitespace character";
            goto leave;
        }
        if (c >= 0x80) {
            reason = "non-ASCII character";
            goto leave;
        }
        if (c == '%') {
            if (i + 2 >= len || hex_value((unsigned char)target[i + 1]) < 0 ||
                hex_value((unsigned char)target[i + 2]) < 0) {
                reason = "malformed percent-escape";
                goto leave;
            }
            i += 2;
            continue;
        }
        if (c == '#') {
            if (in_fragment) {
                reason = "second '#'";
                goto leave;
            }
            in_fragment = true;
            continue;
        }
        if (!is_target_char(c)) {
            reason = "character not allowed in a URL";
            goto leave;
        }
    }
    memcpy(buf, target, len);
    reason = check_decoded_form(buf, len);
    for (round = 0; !reason && changed && round < TARGET_DECODE_ROUNDS; round++) {
        len = decode_round(buf, len, &changed);
        if (changed)
            reason = check_decoded_form(buf, len);
    }
    if (!reason && changed) {
        /* Still decodable after that many layers: nobody encodes a local path like this. */
        decode_round(buf, len, &changed);
        if (changed)
            reason = "too many layers of percent-encoding";
    }
leave:
    return reason;
}

char *sm_url_encode(apr_pool_t *p, const char *s)
{
    static const char digits[] = "0123456789ABCDEF";
    const unsigned char *in = (const unsigned char *)(s ? s : "");
    apr_size_t n = 0, i;
    char *out, *o;

    for (i = 0; in[i]; i++)
        n += is_unreserved(in[i]) ? 1 : 3;
    out = o = apr_palloc(p, n + 1);
    for (i = 0; in[i]; i++) {
        if (is_unreserved(in[i])) {
            *o++ = (char)in[i];
        } else {
            *o++ = '%';
            *o++ = digits[in[i] >> 4];
            *o++ = digits[in[i] & 15];
        }
    }
    *o = '\0';
    return out;
}

apr_status_t sm_url_decode(apr_pool_t *p, const char *s, apr_size_t len, char **out)
{
    apr_status_t rv = APR_EINVAL;
    const unsigned char *in = (const unsigned char *)s;
    char *buf, *o;
    apr_size_t i;

    *out = NULL;
    if (!s && len)
        goto leave;
    buf = o = apr_palloc(p, len + 1);
    for (i = 0; i < len; i++) {
        unsigned char c = in[i];
        if (c == '%') {
            int hi, lo;
            if (len - i < 3 || (hi = hex_value(in[i + 1])) < 0 || (lo = hex_value(in[i + 2])) < 0)
                goto leave;
            c = (unsigned char)(hi * 16 + lo);
            i += 2;
        } else if (c == '+') {
            c = ' ';
        }
        if (c == '\0')
            goto leave;
        *o++ = (char)c;
    }
    *o = '\0';
    *out = buf;
    rv = APR_SUCCESS;
leave:
    return rv;
}

apr_status_t sm_url_parse_form(apr_pool_t *p, const char *text, apr_size_t len, bool reject_dup,
                               int max_params, apr_table_t **out, const char **err)
{
    apr_status_t rv = APR_EINVAL;
    const char *reason = NULL, *end, *pos;
    apr_table_t *t;
    int count = 0;

    if (max_params <= 0)
        max_params = FORM_DEFAULT_MAX_PARAMS;
    t = apr_table_make(p, 8);
    *out = NULL;
    if (!text && len) {
        reason = "no form text";
        goto leave;
    }
    pos = text;
    end = text ? text + len : NULL;
    while (pos && pos < end) {
        const char *amp = memchr(pos, '&', (apr_size_t)(end - pos));
        const char *pair_end = amp ? amp : end;
        const char *eq = memchr(pos, '=', (apr_size_t)(pair_end - pos));
        char *name = NULL, *value = NULL;

        if (pair_end == pos) { /* empty pair: "a=1&&b=2", a leading or trailing '&' */
            pos = pair_end + 1;
            continue;
        }
        if (++count > max_params) {
            reason = "too many parameters";
            goto leave;
        }
        if ((eq ? eq : pair_end) == pos) {
            reason = "parameter without a name";
            goto leave;
        }
        if (sm_url_decode(p, pos, (apr_size_t)((eq ? eq : pair_end) - pos), &name) != APR_SUCCESS ||
            (eq &&
             sm_url_decode(p, eq + 1, (apr_size_t)(pair_end - eq - 1), &value) != APR_SUCCESS)) {
            reason = "malformed percent-escape or encoded NUL";
            goto leave;
        }
        if (!eq)
            value = apr_pstrdup(p, "");
        if (reject_dup && apr_table_get(t, name)) {
            reason = "duplicate parameter";
            goto leave;
        }
        apr_table_addn(t, name, value);
        pos = pair_end + 1;
    }
    *out = t;
    rv = APR_SUCCESS;
leave:
    if (err)
        *err = reason;
    return rv;
}

char *sm_html_escape(apr_pool_t *p, const char *s)
{
    apr_size_t n = 0, i;
    char *out, *o;

    if (!s)
        s = "";
    for (i = 0; s[i]; i++) {
        switch (s[i]) {
        case '&':
            n += 5;
            break;
        case '<':
        case '>':
            n += 4;
            break;
        case '"':
        case '\'':
            n += 6;
            break;
        default:
            n++;
        }
    }
    out = o = apr_palloc(p, n + 1);
    for (i = 0; s[i]; i++) {
        const char *rep = NULL;
        switch (s[i]) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        default:
            *o++ = s[i];
        }
        if (rep) {
            apr_size_t rl = strlen(rep);
            memcpy(o, rep, rl);
            o += rl;
        }
    }
    *o = '\0';
    return out;
}

char *sm_url_add_param(apr_pool_t *p, const char *url, const char *name, const char *value)
{
    const char *hash, *base, *frag, *sep;
    char *param;

    if (!url)
        url = "";
    hash = strchr(url, '#');
    base = hash ? apr_pstrmemdup(p, url, (apr_size_t)(hash - url)) : url;
    frag = hash ? hash : "";
    param = apr_pstrcat(p, sm_url_encode(p, name), "=", sm_url_encode(p, value), NULL);
    if (!strchr(base, '?'))
        sep = "?";
    else if (base[strlen(base) - 1] == '?' || base[strlen(base) - 1] == '&')
        sep = "";
    else
        sep = "&";
    return apr_pstrcat(p, base, sep, param, frag, NULL);
}
