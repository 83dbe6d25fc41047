/* test_url.c: local redirect targets (an open-redirect corpus), percent encoding, form parsing,
 * HTML escaping, adding parameters. */
#include "sm_tests.h"
#include "sm_url.h"
#include <string.h>

/* Open-redirect payloads in the style of the OWASP / PayloadsAllTheThings lists. */
static const char *const hostile[] = {
    "https://evil.com",
    "http://evil.com/",
    "HTTPS://evil.com",
    "https:evil.com",
    "https:/evil.com",
    "http:/\\/\\evil.com",
    "//evil.com",
    "///evil.com",
    "////evil.com/",
    "//evil.com@good.example",
    "//user:pass@evil.com",
    "//evil%2Ecom",
    "/\\evil.com",
    "/\\/evil.com",
    "\\\\evil.com",
    "\\/evil.com",
    "/app\\..\\..\\evil",
    "/%2F%2Fevil.com",
    "/%2f%2fevil.com",
    "/%2F/evil.com",
    "/%5Cevil.com",
    "/%5cevil.com",
    "/%5C%5Cevil.com",
    "/%2F%5Cevil.com",
    "/%252F%252Fevil.com",
    "/%25252F%25252Fevil.com",
    "/%255Cevil.com",
    "/%09/evil.com",
    "/%0d%0aLocation:%20https://evil.com",
    "/%0aSet-Cookie:%20x=y",
    "/x%00y",
    "/x%7f",
    "/%2509/evil.com",
    "/\t/evil.com",
    "/\r\n/evil.com",
    "/\n/evil.com",
    "/\x0b/evil.com",
    "/\x1b[31m",
    "/x\x7f",
    " /app",
    "/ /evil.com",
    "/app page",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(document.domain)",
    "java\tscript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg",
    "vbscript:msgbox(1)",
    "evil.com",
    "evil.com/app",
    "./evil",
    "../evil",
    "?next=x",
    "#frag",
    "/..//evil.com",
    "/.//evil.com",
    "/app/../..//evil.com",
    "/%2e%2e//evil.com",
    "/%2E/%2Fevil.com",
    "/%EF%BC%8Fevil.com",
    "/%EF%BC%BCevil.com",
    "/%E2%88%95evil.com",
    "/%C0%AF%C0%AFevil.com",
    "/%C0%AE%C0%AE/admin",
    "/%E0%80%AF/evil.com",
    "/\xEF\xBC\x8F\xEF\xBC\217evil.com", /* octal: "e" would extend a \x escape */
    "/\xC0\xAF/evil.com",
    "/caf\xC3\xA9",
    "/%",
    "/%2",
    "/%zz",
    "/app?x=%G1",
    "/<script>alert(1)</script>",
    "/\"onmouseover=\"alert(1)",
    "/a`b",
    "/a{b}",
    "/a|b",
    "/a^b",
    "/a#b#c",
    "",
};

static const char *const acceptable[] = {
    "/",
    "/app/page?x=1&y=%20z#frag",
    "/app/",
    "/a/b/c.html",
    "/@evil",
    "/%40evil.com",
    "/app?next=https://evil.com",
    "/app?next=%2F%2Fevil.com",
    "/app/a%2Fb",
    "/~user/x",
    "/a;b=c/d",
    "/p?q=a+b",
    "/x?y=100%25",
    "/x?y=%2520",
    "/x/..a/b",
    "/x/.../y",
    "/path.with.dots/",
    "/%C3%A9t%C3%A9",
    "/!$&'()*+,;=:@",
    "/a?b=c?d/e",
    "/index.html#/route?x=1",
    "/https://not-a-host",
    "/a//b",
};

START_TEST(open_redirect_corpus)
{
    size_t i;

    ck_assert_uint_ge(sizeof(hostile) / sizeof(hostile[0]), 40);
    for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
        const char *reason = sm_url_check_local_target(hostile[i]);
        ck_assert_msg(reason != NULL, "accepted hostile[%zu]", i);
        /* The reason never echoes the input. */
        ck_assert_ptr_null(strstr(reason, "evil"));
    }
    ck_assert_ptr_nonnull(sm_url_check_local_target(NULL));
}
END_TEST

START_TEST(acceptable_targets)
{
    size_t i;

    for (i = 0; i < sizeof(acceptable) / sizeof(acceptable[0]); i++) {
        const char *reason = sm_url_check_local_target(acceptable[i]);
        ck_assert_msg(reason == NULL, "refused acceptable[%zu] (%s): %s", i, acceptable[i], reason);
    }
}
END_TEST

START_TEST(target_length_limit)
{
    char *t = apr_palloc(sm_test_pool, 4098);

    t[0] = '/';
    memset(t + 1, 'a', 4096);
    t[4096] = '\0';
    ck_assert_ptr_null(sm_url_check_local_target(t)); /* exactly 4096 bytes */
    t[4096] = 'a';
    t[4097] = '\0';
    ck_assert_str_eq(sm_url_check_local_target(t), "target too long");
}
END_TEST

START_TEST(deep_encoding_refused)
{
    /* "/%2525252F": '%' encoded layer after layer; a local path never looks like this. */
    ck_assert_ptr_nonnull(sm_url_check_local_target("/%252525252F%252525252Fevil"));
    ck_assert_ptr_nonnull(sm_url_check_local_target("/%2525252525252541"));
    ck_assert_ptr_null(sm_url_check_local_target("/%252541"));
}
END_TEST

START_TEST(encode_decode)
{
    char *out;

    ck_assert_str_eq(sm_url_encode(sm_test_pool, "a b&c/\xC3\xA9~-._=?"),
                     "a%20b%26c%2F%C3%A9~-._%3D%3F");
    ck_assert_str_eq(sm_url_encode(sm_test_pool, ""), "");
    ck_assert_str_eq(sm_url_encode(sm_test_pool, NULL), "");
    ck_assert_int_eq(sm_url_decode(sm_test_pool, "a+b%20c%2f%2F%C3%A9", 19, &out), APR_SUCCESS);
    ck_assert_str_eq(out, "a b c//\xC3\xA9");
    ck_assert_int_eq(sm_url_decode(sm_test_pool, "abc%41", 4, &out), APR_EINVAL); /* "abc%" */
    ck_assert_int_eq(sm_url_decode(sm_test_pool, "abc%41", 6, &out), APR_SUCCESS);
    ck_assert_str_eq(out, "abcA");
    ck_assert_int_eq(sm_url_decode(sm_test_pool, "", 0, &out), APR_SUCCESS);
    ck_assert_str_eq(out, "");
    ck_assert_int_eq(sm_url_decode(sm_test_pool, "%", 1, &out), APR_EINVAL);
    ck_assert_ptr_null(out);
    ck_assert_int_eq(sm_url_decode(sm_test_pool, "%4", 2, &out), APR_EINVAL);
    ck_assert_int_eq(sm_url_decode(sm_test_pool, "%4g", 3, &out), APR_EINVAL);
    ck_assert_int_eq(sm_url_decode(sm_test_pool, "%-1", 3, &out), APR_EINVAL);
    ck_assert_int_eq(sm_url_decode(sm_test_pool, "a%00b", 5, &out), APR_EINVAL);
    ck_assert_int_eq(sm_url_decode(sm_test_pool, "a\0b", 3, &out), APR_EINVAL);
    /* Round trip of every byte but NUL. */
    {
        char all[256];
        int i;
        for (i = 1; i < 256; i++)
            all[i - 1] = (char)i;
        all[255] = '\0';
        const char *enc = sm_url_encode(sm_test_pool, all);
        ck_assert_int_eq(sm_url_decode(sm_test_pool, enc, strlen(enc), &out), APR_SUCCESS);
        ck_assert_str_eq(out, all);
    }
}
END_TEST

static apr_table_t *form_ok(const char *text, bool reject_dup, int max)
{
    apr_table_t *t = NULL;
    const char *err = "unset";

    ck_assert_int_eq(
        sm_url_parse_form(sm_test_pool, text, text ? strlen(text) : 0, reject_dup, max, &t, &err),
        APR_SUCCESS);
    ck_assert_ptr_null(err);
    ck_assert_ptr_nonnull(t);
    return t;
}

static const char *form_bad(const char *text, apr_size_t len, bool reject_dup, int max)
{
    apr_table_t *t = (apr_table_t *)sm_test_pool; /* any non-NULL sentinel */
    const char *err = NULL;

    ck_assert_int_eq(sm_url_parse_form(sm_test_pool, text, len, reject_dup, max, &t, &err),
                     APR_EINVAL);
    ck_assert_ptr_null(t);
    ck_assert_ptr_nonnull(err);
    return err;
}

START_TEST(form_parsing)
{
    apr_table_t *t;

    t = form_ok("", true, 10);
    ck_assert(apr_is_empty_table(t));
    t = form_ok(NULL, true, 10);
    ck_assert(apr_is_empty_table(t));
    t = form_ok("code=abc&state=x%2By+z", true, 10);
    ck_assert_str_eq(apr_table_get(t, "code"), "abc");
    ck_assert_str_eq(apr_table_get(t, "state"), "x+y z");
    t = form_ok("flag&empty=&x=b=c", true, 10);
    ck_assert_str_eq(apr_table_get(t, "flag"), "");
    ck_assert_str_eq(apr_table_get(t, "empty"), "");
    ck_assert_str_eq(apr_table_get(t, "x"), "b=c");
    t = form_ok("&a=1&&b=2&", true, 2);
    ck_assert_int_eq(apr_table_elts(t)->nelts, 2);
    ck_assert_str_eq(apr_table_get(t, "b"), "2");
    t = form_ok("a=1&a=2", false, 10);
    ck_assert_int_eq(apr_table_elts(t)->nelts, 2);
    ck_assert_str_eq(apr_table_get(t, "a"), "1");
    t = form_ok("%C3%A9=%C3%A9", true, 10);
    ck_assert_str_eq(apr_table_get(t, "\xC3\xA9"), "\xC3\xA9");
    /* Only len bytes are parsed. */
    ck_assert_int_eq(sm_url_parse_form(sm_test_pool, "a=1&b=2", 3, true, 10, &t, NULL),
                     APR_SUCCESS);
    ck_assert_int_eq(apr_table_elts(t)->nelts, 1);
    /* max_params <= 0: the default limit of 100. */
    {
        char *many = apr_pstrdup(sm_test_pool, "p=1");
        int i;
        for (i = 1; i < 100; i++)
            many = apr_psprintf(sm_test_pool, "%s&p%d=1", many, i);
        form_ok(many, true, 0);
        form_bad(apr_pstrcat(sm_test_pool, many, "&q=1", NULL), strlen(many) + 4, true, 0);
    }
}
END_TEST

START_TEST(form_rejects)
{
    ck_assert_str_eq(form_bad("a=1&a=2", 7, true, 10), "duplicate parameter");
    ck_assert_str_eq(form_bad("a=1&%61=2", 9, true, 10), "duplicate parameter");
    ck_assert_str_eq(form_bad("a=1&b=2&c=3", 11, true, 2), "too many parameters");
    form_bad("a=%", 3, true, 10);
    form_bad("a=%4", 4, true, 10);
    form_bad("a=%zz", 5, true, 10);
    form_bad("%=1", 3, true, 10);
    form_bad("a=%00", 5, true, 10);
    form_bad("%00=a", 5, true, 10);
    form_bad("a=x\0y", 5, true, 10);
    form_bad("=x", 2, true, 10);
    form_bad("a=1&=", 5, true, 10);
    form_bad(NULL, 4, true, 10);
    /* The reason never echoes the input. */
    ck_assert_ptr_null(strstr(form_bad("secret=%zz", 10, true, 10), "secret"));
}
END_TEST

START_TEST(html_escape)
{
    ck_assert_str_eq(sm_html_escape(sm_test_pool, "<a href=\"x\">'&'</a>"),
                     "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    ck_assert_str_eq(sm_html_escape(sm_test_pool, "plain text"), "plain text");
    ck_assert_str_eq(sm_html_escape(sm_test_pool, ""), "");
    ck_assert_str_eq(sm_html_escape(sm_test_pool, NULL), "");
}
END_TEST

START_TEST(add_param)
{
    ck_assert_str_eq(sm_url_add_param(sm_test_pool, "/cb", "state", "a b"), "/cb?state=a%20b");
    ck_assert_str_eq(sm_url_add_param(sm_test_pool, "/cb?x=1", "s&t", "=?"),
                     "/cb?x=1&s%26t=%3D%3F");
    ck_assert_str_eq(sm_url_add_param(sm_test_pool, "/cb?", "a", "1"), "/cb?a=1");
    ck_assert_str_eq(sm_url_add_param(sm_test_pool, "/cb?x=1&", "a", "1"), "/cb?x=1&a=1");
    ck_assert_str_eq(sm_url_add_param(sm_test_pool, "/cb#frag", "a", "1"), "/cb?a=1#frag");
    ck_assert_str_eq(sm_url_add_param(sm_test_pool, "https://op.example/auth?c=1#f?x", "a", ""),
                     "https://op.example/auth?c=1&a=#f?x");
    ck_assert_str_eq(sm_url_add_param(sm_test_pool, "", "a", NULL), "?a=");
}
END_TEST

Suite *sm_suite_url(void)
{
    Suite *s = suite_create("url");
    TCase *tc = tcase_create("url");

    tcase_add_checked_fixture(tc, sm_test_setup, sm_test_teardown);
    tcase_add_test(tc, open_redirect_corpus);
    tcase_add_test(tc, acceptable_targets);
    tcase_add_test(tc, target_length_limit);
    tcase_add_test(tc, deep_encoding_refused);
    tcase_add_test(tc, encode_decode);
    tcase_add_test(tc, form_parsing);
    tcase_add_test(tc, form_rejects);
    tcase_add_test(tc, html_escape);
    tcase_add_test(tc, add_param);
    suite_add_tcase(s, tc);
    return s;
}
