/* test_cookie.c: Cookie header parsing against hostile headers, Set-Cookie construction. */
#include "sm_tests.h"
#include "sm_cookie.h"
#include <string.h>

static const sm_cookie_t *nth(const apr_array_header_t *a, int i)
{
    return &APR_ARRAY_IDX(a, i, sm_cookie_t);
}

START_TEST(get_basic)
{
    const char *h = "a=1; selmid_session=abc.def; b=2";

    ck_assert_str_eq(sm_cookie_get(sm_test_pool, h, "selmid_session"), "abc.def");
    ck_assert_str_eq(sm_cookie_get(sm_test_pool, h, "a"), "1");
    ck_assert_str_eq(sm_cookie_get(sm_test_pool, h, "b"), "2");
    ck_assert_ptr_null(sm_cookie_get(sm_test_pool, h, "selmid"));
    ck_assert_ptr_null(sm_cookie_get(sm_test_pool, h, "c"));
    ck_assert_ptr_null(sm_cookie_get(sm_test_pool, h, "A")); /* names are case-sensitive */
    ck_assert_ptr_null(sm_cookie_get(sm_test_pool, h, ""));
    ck_assert_ptr_null(sm_cookie_get(sm_test_pool, h, NULL));
    ck_assert_ptr_null(sm_cookie_get(sm_test_pool, NULL, "a"));
    ck_assert_ptr_null(sm_cookie_get(sm_test_pool, "", "a"));
}
END_TEST

START_TEST(spaces_and_quotes)
{
    ck_assert_str_eq(sm_cookie_get(sm_test_pool, "  a = 1 ;\tb=2\t", "a"), "1");
    ck_assert_str_eq(sm_cookie_get(sm_test_pool, "  a = 1 ;\tb=2\t", "b"), "2");
    ck_assert_str_eq(sm_cookie_get(sm_test_pool, "a=\"quoted\"", "a"), "quoted");
    ck_assert_str_eq(sm_cookie_get(sm_test_pool, "a=\"\"", "a"), "");
    ck_assert_str_eq(sm_cookie_get(sm_test_pool, "a=", "a"), "");
    ck_assert_str_eq(sm_cookie_get(sm_test_pool, "a=b=c", "a"), "b=c");
    /* Broken quoting, or characters outside cookie-octet: the pair is skipped. */
    ck_assert_ptr_null(sm_cookie_get(sm_test_pool, "a=\"open", "a"));
    ck_assert_ptr_null(sm_cookie_get(sm_test_pool, "a=\"", "a"));
    ck_assert_ptr_null(sm_cookie_get(sm_test_pool, "a=close\"", "a"));
    ck_assert_ptr_null(sm_cookie_get(sm_test_pool, "a=\"in\"side\"", "a"));
    ck_assert_ptr_null(sm_cookie_get(sm_test_pool, "a=x y", "a"));
    ck_assert_ptr_null(sm_cookie_get(sm_test_pool, "a=x,y", "a"));
    ck_assert_ptr_null(sm_cookie_get(sm_test_pool, "a=x\\y", "a"));
    ck_assert_ptr_null(sm_cookie_get(sm_test_pool, "a=\x01", "a"));
    ck_assert_ptr_null(sm_cookie_get(sm_test_pool, "a=\xC3\xA9", "a"));
    /* ...but later good pairs are still found. */
    ck_assert_str_eq(sm_cookie_get(sm_test_pool, "a=x y; a=2", "a"), "2");
}
END_TEST

START_TEST(hostile_headers)
{
    static const char *const junk[] = {
        ";;;",
        "; ; ;",
        "=",
        "==",
        "=value",
        " =value",
        "noequals",
        "noequals; alsonot",
        "\"a\"=1",
        "a b=1",
        "(a)=1",
        "a@b=1",
        "a:b=1",
        "a/b=1",
        "[a]=1",
        "{a}=1",
        "\x7f=1",
        "\x01\x02\x03",
        "\xff\xfe\xfd=\x80",
        "\t\t\t",
        ",a=1",
    };
    size_t i;

    for (i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
        apr_array_header_t *a = sm_cookie_find(sm_test_pool, junk[i], "", false, 100);
        ck_assert_msg(a->nelts == 0, "junk[%zu] gave %d cookies", i, a->nelts);
    }
    /* Empty header, NULL header. */
    ck_assert_int_eq(sm_cookie_find(sm_test_pool, "", "", false, 10)->nelts, 0);
    ck_assert_int_eq(sm_cookie_find(sm_test_pool, NULL, NULL, false, 10)->nelts, 0);
    /* Junk around a good pair does not hide it. */
    ck_assert_str_eq(sm_cookie_get(sm_test_pool, ";;;noequals;=x; ;s=ok;;;", "s"), "ok");
    ck_assert_str_eq(sm_cookie_get(sm_test_pool, "a b=1; \x01\x02; s=ok", "s"), "ok");
}
END_TEST

START_TEST(binary_garbage)
{
    char buf[4096];
    unsigned x = 12345;
    int round, i;

    /* Pseudo-random bytes 1..255 (no NUL), with some ';' and '=' mixed in. */
    for (round = 0; round < 200; round++) {
        for (i = 0; i < (int)sizeof(buf) - 1; i++) {
            x = x * 1103515245u + 12345u;
            buf[i] = (char)((x >> 16) % 255 + 1);
        }
        buf[sizeof(buf) - 1] = '\0';
        apr_array_header_t *a = sm_cookie_find(sm_test_pool, buf, "", false, 1000);
        for (i = 0; i < a->nelts; i++) {
            ck_assert_ptr_nonnull(nth(a, i)->name);
            ck_assert_ptr_nonnull(nth(a, i)->value);
            ck_assert_ptr_null(strpbrk(nth(a, i)->value, " ;,\"\\\r\n"));
        }
        sm_cookie_get(sm_test_pool, buf, "a");
    }
}
END_TEST

START_TEST(very_long_header)
{
    apr_size_t n = 1 << 20, i;
    char *h = apr_palloc(sm_test_pool, n + 32);
    apr_array_header_t *a;

    /* 1 MB of "x=1;" then the cookie we want. */
    for (i = 0; i + 4 <= n; i += 4)
        memcpy(h + i, "x=1;", 4);
    strcpy(h + i, "want=yes");
    ck_assert_str_eq(sm_cookie_get(sm_test_pool, h, "want"), "yes");
    a = sm_cookie_find(sm_test_pool, h, "x", true, 50);
    ck_assert_int_eq(a->nelts, 50);
    /* One huge value. */
    memset(h, 'v', n);
    memcpy(h, "big=", 4);
    h[n] = '\0';
    ck_assert_uint_eq(strlen(sm_cookie_get(sm_test_pool, h, "big")), n - 4);
}
END_TEST

START_TEST(duplicates_and_prefix)
{
    const char *h = "selmid_state_1=a; other=x; selmid_state_2=\"b\"; selmid_state_1=c; "
                    "selmid_state=d; Selmid_state_3=e; xselmid_state_4=f";
    apr_array_header_t *a;

    /* Duplicates: get returns the first; find returns all, in order. */
    ck_assert_str_eq(sm_cookie_get(sm_test_pool, h, "selmid_state_1"), "a");
    a = sm_cookie_find(sm_test_pool, h, "selmid_state_1", true, 10);
    ck_assert_int_eq(a->nelts, 2);
    ck_assert_str_eq(nth(a, 0)->value, "a");
    ck_assert_str_eq(nth(a, 1)->value, "c");
    /* Prefix matching (case-sensitive, only at the start of the name). */
    a = sm_cookie_find(sm_test_pool, h, "selmid_state_", false, 10);
    ck_assert_int_eq(a->nelts, 3);
    ck_assert_str_eq(nth(a, 0)->name, "selmid_state_1");
    ck_assert_str_eq(nth(a, 1)->name, "selmid_state_2");
    ck_assert_str_eq(nth(a, 1)->value, "b");
    ck_assert_str_eq(nth(a, 2)->value, "c");
    a = sm_cookie_find(sm_test_pool, h, "selmid_state", false, 10);
    ck_assert_int_eq(a->nelts, 4);
    a = sm_cookie_find(sm_test_pool, h, "selmid_state", true, 10);
    ck_assert_int_eq(a->nelts, 1);
    ck_assert_str_eq(nth(a, 0)->value, "d");
    /* The limit. */
    a = sm_cookie_find(sm_test_pool, h, "selmid_state_", false, 2);
    ck_assert_int_eq(a->nelts, 2);
    ck_assert_int_eq(sm_cookie_find(sm_test_pool, h, "", false, 0)->nelts, 0);
    ck_assert_int_eq(sm_cookie_find(sm_test_pool, h, "", false, -1)->nelts, 0);
    ck_assert_int_eq(sm_cookie_find(sm_test_pool, h, "", false, 100)->nelts, 7);
}
END_TEST

START_TEST(make_cookie)
{
    ck_assert_str_eq(sm_cookie_make(sm_test_pool, "s", "v", "/p", 600, true, "Lax"),
                     "s=v; Path=/p; Max-Age=600; HttpOnly; Secure; SameSite=Lax");
    ck_assert_str_eq(sm_cookie_make(sm_test_pool, "s", "v", NULL, -1, false, NULL),
                     "s=v; Path=/; HttpOnly");
    ck_assert_str_eq(sm_cookie_make(sm_test_pool, "s", "", "/", 0, true, "strict"),
                     "s=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; "
                     "Secure; SameSite=Strict");
    ck_assert_str_eq(sm_cookie_make(sm_test_pool, "s", NULL, "/", -5, true, "None"),
                     "s=; Path=/; HttpOnly; Secure; SameSite=None");
    ck_assert_str_eq(
        sm_cookie_make(sm_test_pool, "selmid_state_x-Y.1", "eyJ0.abc-_=", "/a b", 10, false, "lax"),
        "selmid_state_x-Y.1=eyJ0.abc-_=; Path=/a b; Max-Age=10; HttpOnly; "
        "SameSite=Lax");
}
END_TEST

START_TEST(make_cookie_refuses_injection)
{
    static const char *const bad_names[] = {"",    "a b", "a;b",      "a=b",  "a\r\nSet-Cookie: x",
                                            "a,b", "a\"", "\xC3\xA9", "a\tb", "(a)"};
    static const char *const bad_values[] = {"a b",       "a;b",  "a,b",      "a\"b",       "a\\b",
                                             "a\r\nX: y", "\x7f", "\xC3\xA9", "\"quoted\"", "a\tb"};
    static const char *const bad_paths[] = {"/a;b",     "/a\r\nX: y", "/\x01",
                                            "relative", "",           "/\xC3\xA9"};
    size_t i;

    for (i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++)
        ck_assert_msg(!sm_cookie_make(sm_test_pool, bad_names[i], "v", "/", 1, true, NULL),
                      "bad_names[%zu]", i);
    for (i = 0; i < sizeof(bad_values) / sizeof(bad_values[0]); i++)
        ck_assert_msg(!sm_cookie_make(sm_test_pool, "n", bad_values[i], "/", 1, true, NULL),
                      "bad_values[%zu]", i);
    for (i = 0; i < sizeof(bad_paths) / sizeof(bad_paths[0]); i++)
        ck_assert_msg(!sm_cookie_make(sm_test_pool, "n", "v", bad_paths[i], 1, true, NULL),
                      "bad_paths[%zu]", i);
    ck_assert_ptr_null(sm_cookie_make(sm_test_pool, NULL, "v", "/", 1, true, NULL));
    ck_assert_ptr_null(sm_cookie_make(sm_test_pool, "n", "v", "/", 1, true, "Lax; Domain=x"));
    ck_assert_ptr_null(sm_cookie_make(sm_test_pool, "n", "v", "/", 1, true, ""));
}
END_TEST

START_TEST(make_then_parse)
{
    char *sc = sm_cookie_make(sm_test_pool, "selmid_session", "AbC-_09.x", "/", 60, true, "Lax");
    char *semi = strchr(sc, ';');

    *semi = '\0';
    ck_assert_str_eq(sm_cookie_get(sm_test_pool, sc, "selmid_session"), "AbC-_09.x");
}
END_TEST

Suite *sm_suite_cookie(void)
{
    Suite *s = suite_create("cookie");
    TCase *tc = tcase_create("cookie");

    tcase_add_checked_fixture(tc, sm_test_setup, sm_test_teardown);
    tcase_add_test(tc, get_basic);
    tcase_add_test(tc, spaces_and_quotes);
    tcase_add_test(tc, hostile_headers);
    tcase_add_test(tc, binary_garbage);
    tcase_add_test(tc, very_long_header);
    tcase_add_test(tc, duplicates_and_prefix);
    tcase_add_test(tc, make_cookie);
    tcase_add_test(tc, make_cookie_refuses_injection);
    tcase_add_test(tc, make_then_parse);
    suite_add_tcase(s, tc);
    return s;
}
