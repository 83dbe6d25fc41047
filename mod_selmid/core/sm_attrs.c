/* sm_attrs.c: rendering claim values for applications (text, sanitising, encodings) and the
 * names they are passed under. */
#include "sm_attrs.h"
#include "sm_crypto.h"
#include <stdlib.h>
#include <string.h>

/* A growing byte buffer in a pool. */
typedef struct buf_t {
    apr_array_header_t *a;
} buf_t;

static void buf_put(buf_t *b, const char *s, apr_size_t len)
{
    apr_size_t i;

    for (i = 0; i < len; i++)
        APR_ARRAY_PUSH(b->a, char) = s[i];
}

static void buf_putc(buf_t *b, char c)
{
    APR_ARRAY_PUSH(b->a, char) = c;
}

/* The text of a value: a string as is, anything else as compact JSON, null as nothing; ';'
 * escaped as "\;" when the value is an array element. */
static void put_value(buf_t *b, const json_t *v, bool in_array)
{
    char *dumped = NULL;
    const char *s;
    apr_size_t len, i;

    if (!v || json_is_null(v))
        goto leave;
    if (json_is_string(v)) {
        s = json_string_value(v);
        len = json_string_length(v);
    } else {
        dumped = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        if (!dumped)
            goto leave;
        s = dumped;
        len = strlen(s);
    }
    for (i = 0; i < len; i++) {
        if (in_array && s[i] == ';')
            buf_putc(b, '\\');
        buf_putc(b, s[i]);
    }
leave:
    free(dumped);
}

/* Decodes one UTF-8 character (RFC 3629: no overlongs, surrogates or values above U+10FFFF) at
 * s[0..len). Returns the bytes consumed (at least 1); *cp is -1 for an invalid sequence, in which
 * case the maximal valid prefix is consumed (one replacement character per broken sequence). */
static apr_size_t utf8_next(const unsigned char *s, apr_size_t len, long *cp)
{
    unsigned char c = s[0];
    apr_size_t need, i;
    unsigned char lo = 0x80, hi = 0xBF;
    long v;

    *cp = -1;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        need = 1;
        v = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        v = c & 0x0F;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        v = c & 0x07;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else {
        return 1;
    }
    for (i = 1; i <= need; i++) {
        if (i >= len || s[i] < lo || s[i] > hi)
            return i;
        v = (v << 6) | (s[i] & 0x3F);
        lo = 0x80;
        hi = 0xBF;
    }
    *cp = v;
    return need + 1;
}

static bool is_control(long cp)
{
    return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F);
}

/* Removes control characters, replaces invalid UTF-8, and applies enc. */
static char *sanitise(apr_pool_t *p, const char *in, apr_size_t len, sm_enc_e enc)
{
    static const char replacement[] = "\xEF\xBF\xBD";
    const unsigned char *s = (const unsigned char *)in;
    buf_t out = {apr_array_make(p, (int)(len + 1), 1)};
    bool non_ascii = false;
    apr_size_t i = 0;

    while (i < len) {
        long cp;
        apr_size_t n = utf8_next(s + i, len - i, &cp);

        if (cp < 0) {
            if (enc == SM_ENC_LATIN1) {
                buf_putc(&out, '?');
            } else {
                buf_put(&out, replacement, 3);
                non_ascii = true;
            }
        } else if (!is_control(cp)) {
            if (enc == SM_ENC_LATIN1) {
                buf_putc(&out, cp <= 0xFF ? (char)(unsigned char)cp : '?');
            } else {
                buf_put(&out, in + i, n);
                non_ascii = non_ascii || cp >= 0x80;
            }
        }
        i += n;
    }
    if (enc == SM_ENC_BASE64URL && non_ascii)
        return sm_b64url_encode(p, (const unsigned char *)out.a->elts, (apr_size_t)out.a->nelts);
    buf_putc(&out, '\0');
    return out.a->elts;
}

static char *render(apr_pool_t *p, const json_t *value, sm_enc_e enc, bool escape_single)
{
    buf_t text = {apr_array_make(p, 64, 1)};

    if (json_is_array(value)) {
        size_t i;
        for (i = 0; i < json_array_size(value); i++) {
            if (i > 0)
                buf_putc(&text, ';');
            put_value(&text, json_array_get(value, i), true);
        }
    } else {
        put_value(&text, value, escape_single);
    }
    return sanitise(p, text.a->elts, (apr_size_t)text.a->nelts, enc);
}

char *sm_attr_render(apr_pool_t *p, const json_t *value, sm_enc_e enc)
{
    return render(p, value, enc, false);
}

char *sm_attr_render_shib(apr_pool_t *p, const json_t *value, sm_enc_e enc)
{
    return render(p, value, enc, true);
}

static bool is_name_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

char *sm_attr_name(apr_pool_t *p, const char *prefix, const char *claim)
{
    char *name = apr_pstrcat(p, prefix ? prefix : "", claim ? claim : "", NULL);
    char *c;

    for (c = name; *c; c++)
        if (!is_name_char((unsigned char)*c))
            *c = '_';
    return name;
}

static char cgi_char(char c)
{
    if (c >= 'a' && c <= 'z')
        return (char)(c - 'a' + 'A');
    return c == '-' ? '_' : c;
}

char *sm_attr_cgi_name(apr_pool_t *p, const char *name)
{
    char *out = apr_pstrdup(p, name ? name : "");
    char *c;

    for (c = out; *c; c++)
        *c = cgi_char(*c);
    return out;
}

/* The normalisation used for the collision check: like cgi_char, but every character other than
 * a letter or digit counts as '_' (some gateways, PHP for one, also map '.' and ' ' to '_'). */
static char collide_char(char c)
{
    c = cgi_char(c);
    if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return c;
    return '_';
}

bool sm_attr_norm_match(const char *name, const char *pat, bool whole)
{
    for (; *pat; name++, pat++)
        if (!*name || collide_char(*name) != collide_char(*pat))
            return false;
    return !whole || !*name;
}

bool sm_attr_is_reserved(const char *name, const char *cgi_prefix)
{
    static const char *const fixed[] = {"REMOTE_USER", "AUTH_TYPE"};
    const char *forms[2];
    bool reserved = false;
    int f;
    apr_size_t i;

    if (!name || !*name)
        goto leave;
    forms[0] = name;
    /* A header such as "Http-Remote-User" normalises to HTTP_ + a reserved name: compare the
     * rest as well. */
    forms[1] = sm_attr_norm_match(name, "HTTP_", false) ? name + 5 : NULL;
    for (f = 0; f < 2 && !reserved; f++) {
        if (!forms[f])
            continue;
        if (cgi_prefix && *cgi_prefix && sm_attr_norm_match(forms[f], cgi_prefix, false))
            reserved = true;
        for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]) && !reserved; i++)
            if (sm_attr_norm_match(forms[f], fixed[i], true))
                reserved = true;
    }
leave:
    return reserved;
}
