/* fuzz_url.c: sm_url_check_local_target (an accepted target must be a plain local path, also
 * after percent-decoding) and encode/decode round trips. Aborts on a broken invariant. */
#include "sm_url.h"
#include <apr_general.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static apr_pool_t *root;

static bool is_scheme_relative(const char *s)
{
    return s[0] != '/' || s[1] == '/' || s[1] == '\\';
}

/* What an accepted target must never be or become. */
static void check_accepted(apr_pool_t *p, const char *target)
{
    const char *s = target;
    int round;

    if (strchr(target, '\\') || is_scheme_relative(target) || strlen(target) > 4096)
        abort();
    for (; *s; s++)
        if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
            abort();
    /* Decoding layer after layer (as a confused proxy or application might) never yields a
     * scheme-relative URL or a backslash or a control character. */
    s = target;
    for (round = 0; round < 4; round++) {
        char *dec;
        const char *c;
        if (sm_url_decode(p, s, strlen(s), &dec) != APR_SUCCESS)
            break;
        if (strchr(dec, '\\') || is_scheme_relative(dec))
            abort();
        for (c = dec; *c; c++)
            if ((unsigned char)*c < 0x20 || (unsigned char)*c == 0x7f)
                abort();
        s = dec;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    char *text, *enc, *dec = NULL, *html;
    const char *c;

    if (!root) {
        apr_initialize();
        apr_pool_create(&root, NULL);
    }
    apr_pool_create(&p, root);
    text = apr_pstrmemdup(p, (const char *)data, size); /* ends at the first NUL, if any */
    if (!sm_url_check_local_target(text))
        check_accepted(p, text);

    enc = sm_url_encode(p, text);
    for (c = enc; *c; c++)
        if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~%", *c))
            abort();
    if (sm_url_decode(p, enc, strlen(enc), &dec) != APR_SUCCESS || strcmp(dec, text) != 0)
        abort();
    if (!sm_url_check_local_target(enc) && enc[0] != '\0')
        abort(); /* an encoded string never starts with '/' */

    /* Decoding raw input (NULs included) is safe and never longer than the input. */
    if (sm_url_decode(p, (const char *)data, size, &dec) == APR_SUCCESS && strlen(dec) > size)
        abort();

    html = sm_html_escape(p, text);
    if (strpbrk(html, "<>\"'"))
        abort();
    if (!strstr(sm_url_add_param(p, text, "k", text), enc))
        abort();
    apr_pool_destroy(p);
    return 0;
}
