/* sm_json.c: jansson helpers tied to APR pools: ownership by pool cleanup, strict bounded
 * parsing of untrusted JSON (no duplicate keys, no NUL bytes, bounded size and nesting) with
 * error messages that never echo the input. */
#include "sm_json.h"

#include <string.h>

/* The largest JSON text accepted (discovery documents, JWKS, token and userinfo responses,
 * ID token claims all stay far below this). */
#define SM_JSON_MAX_LEN (1024 * 1024)
/* The deepest nesting of arrays/objects accepted (checked before jansson recurses). */
#define SM_JSON_MAX_DEPTH 64

static apr_status_t json_cleanup(void *data)
{
    json_decref((json_t *)data);
    return APR_SUCCESS;
}

json_t *sm_json_own(apr_pool_t *p, json_t *j)
{
    if (j) {
        apr_pool_cleanup_register(p, j, json_cleanup, apr_pool_cleanup_null);
    }
    return j;
}

/* True when the nesting of [ and { outside strings never exceeds SM_JSON_MAX_DEPTH. The scan
 * only bounds the recursion of the real parser; it does not validate. */
static bool depth_ok(const char *text, apr_size_t len)
{
    apr_size_t i;
    int depth = 0;
    bool in_str = false, esc = false;

    for (i = 0; i < len; i++) {
        char c = text[i];

        if (in_str) {
            if (esc) {
                esc = false;
            } else if (c == '\\') {
                esc = true;
            } else if (c == '"') {
                in_str = false;
            }
        } else if (c == '"') {
            in_str = true;
        } else if (c == '[' || c == '{') {
            if (++depth > SM_JSON_MAX_DEPTH) {
                return false;
            }
        } else if ((c == ']' || c == '}') && depth > 0) {
            depth--;
        }
    }
    return true;
}

/* A fixed description of a jansson error code (jansson's own text quotes the input). */
static const char *error_reason(const json_error_t *e)
{
    switch (json_error_code(e)) {
    case json_error_out_of_memory:
        return "out of memory";
    case json_error_stack_overflow:
        return "nesting too deep";
    case json_error_cannot_open_file:
        return "cannot read input";
    case json_error_invalid_argument:
        return "invalid argument";
    case json_error_invalid_utf8:
        return "invalid UTF-8";
    case json_error_premature_end_of_input:
        return "premature end of input";
    case json_error_end_of_input_expected:
        return "trailing data after the JSON value";
    case json_error_invalid_syntax:
        return "invalid syntax";
    case json_error_invalid_format:
        return "invalid format";
    case json_error_wrong_type:
        return "wrong type";
    case json_error_null_character:
        return "NUL character in a string";
    case json_error_null_value:
        return "null value";
    case json_error_null_byte_in_key:
        return "NUL byte in a key";
    case json_error_duplicate_key:
        return "duplicate key";
    case json_error_numeric_overflow:
        return "numeric overflow";
    case json_error_item_not_found:
        return "item not found";
    case json_error_index_out_of_range:
        return "index out of range";
    default:
        return "invalid JSON";
    }
}

json_t *sm_json_parse(apr_pool_t *p, const char *text, apr_size_t len, const char **err)
{
    json_t *j = NULL;
    json_error_t jerr;
    const char *reason = NULL;

    if (!text) {
        reason = "no JSON input";
        goto leave;
    }
    if (len > SM_JSON_MAX_LEN) {
        reason = apr_psprintf(p, "JSON too large (%" APR_SIZE_T_FMT " bytes, limit %d)", len,
                              SM_JSON_MAX_LEN);
        goto leave;
    }
    if (memchr(text, '\0', len)) {
        reason = "JSON contains a NUL byte";
        goto leave;
    }
    if (!depth_ok(text, len)) {
        reason = "JSON nested too deeply";
        goto leave;
    }
    j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!j) {
        /* position numbers are safe to log; jerr.text is not (it quotes the input) */
        reason =
            apr_psprintf(p, "invalid JSON: %s at offset %d", error_reason(&jerr), jerr.position);
        goto leave;
    }
    sm_json_own(p, j);

leave:
    if (err) {
        *err = reason;
    }
    return j;
}

const char *sm_json_str(apr_pool_t *p, const json_t *obj, const char *name)
{
    const json_t *v;
    const char *s;
    size_t n;

    if (!obj || !name || !json_is_object(obj)) {
        return NULL;
    }
    v = json_object_get(obj, name);
    if (!json_is_string(v)) {
        return NULL;
    }
    s = json_string_value(v);
    n = json_string_length(v);
    /* a string with an embedded NUL (possible in objects built in memory) would be truncated
     * silently as a C string: treat it as absent */
    if (memchr(s, '\0', n)) {
        return NULL;
    }
    return apr_pstrmemdup(p, s, n);
}

char *sm_json_dump(apr_pool_t *p, const json_t *j)
{
    const size_t flags = JSON_COMPACT | JSON_ENCODE_ANY;
    char *buf = NULL;
    size_t n;

    if (!j) {
        goto leave;
    }
    n = json_dumpb(j, NULL, 0, flags);
    if (n == 0) {
        goto leave;
    }
    buf = apr_palloc(p, n + 1);
    if (json_dumpb(j, buf, n, flags) != n) {
        buf = NULL;
        goto leave;
    }
    buf[n] = '\0';

leave:
    return buf;
}
