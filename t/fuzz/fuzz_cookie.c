/* fuzz_cookie.c: the input as a Cookie header (sm_cookie_find/get, with a make/parse round trip
 * of what was found) and as form text (sm_url_parse_form). Aborts on a broken invariant. */
#include "sm_cookie.h"
#include "sm_url.h"
#include <apr_general.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static apr_pool_t *root;

/* Every cookie found must be one that sm_cookie_make accepts and that parses back the same. */
static void check_cookies(apr_pool_t *p, const apr_array_header_t *found, int max)
{
    int i;

    if (found->nelts > max)
        abort();
    for (i = 0; i < found->nelts; i++) {
        const sm_cookie_t *c = &APR_ARRAY_IDX(found, i, sm_cookie_t);
        char *sc = sm_cookie_make(p, c->name, c->value, "/", 60, true, "Lax");
        char *semi;
        const char *back;

        if (!sc || strpbrk(sc, "\r\n") || strpbrk(c->value, " ;,\"\\"))
            abort();
        semi = strchr(sc, ';');
        *semi = '\0';
        back = sm_cookie_get(p, sc, c->name);
        if (!back || strcmp(back, c->value) != 0)
            abort();
    }
}

static void check_form(apr_pool_t *p, const char *text, size_t len, bool reject_dup)
{
    apr_table_t *t = NULL;
    const char *err = NULL;
    const apr_array_header_t *elts;
    int i;

    if (sm_url_parse_form(p, text, len, reject_dup, 50, &t, &err) != APR_SUCCESS) {
        if (!err || t)
            abort();
        return;
    }
    if (err || !t)
        abort();
    elts = apr_table_elts(t);
    if (elts->nelts > 50)
        abort();
    for (i = 0; i < elts->nelts; i++) {
        const apr_table_entry_t *e = &APR_ARRAY_IDX(elts, i, apr_table_entry_t);
        if (!e->key || !*e->key || !e->val || strlen(e->key) > len || strlen(e->val) > len)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    char *header;
    size_t plen;

    if (!root) {
        apr_initialize();
        apr_pool_create(&root, NULL);
    }
    apr_pool_create(&p, root);
    header = apr_pstrmemdup(p, (const char *)data, size);
    check_cookies(p, sm_cookie_find(p, header, "selmid_", false, 64), 64);
    check_cookies(p, sm_cookie_find(p, header, NULL, false, 1000), 1000);
    /* A prefix taken from the input itself: its first up to 8 bytes. */
    plen = size < 8 ? size : 8;
    check_cookies(p, sm_cookie_find(p, header, apr_pstrmemdup(p, header, plen), true, 4), 4);
    sm_cookie_get(p, header, "selmid_session");
    check_form(p, (const char *)data, size, true);
    check_form(p, (const char *)data, size, false);
    apr_pool_destroy(p);
    return 0;
}
