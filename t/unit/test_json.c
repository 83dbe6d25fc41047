/* test_json.c: pool-owned jansson values and strict parsing (sm_json.c). */
#include "sm_tests.h"
#include "sm_json.h"

#include <string.h>

static json_t *parse(const char *text, const char **err)
{
    return sm_json_parse(sm_test_pool, text, strlen(text), err);
}

START_TEST(test_own)
{
    apr_pool_t *sub;
    json_t *j = json_object();

    ck_assert_ptr_null(sm_json_own(sm_test_pool, NULL));
    apr_pool_create(&sub, sm_test_pool);
    ck_assert_ptr_eq(sm_json_own(sub, j), j);
    json_incref(j);
    ck_assert_int_eq(j->refcount, 2);
    apr_pool_destroy(sub);
    ck_assert_int_eq(j->refcount, 1);
    json_decref(j);
}
END_TEST

START_TEST(test_parse_ok)
{
    const char *err = "unset";
    json_t *j = parse("{\"a\":\"b\",\"n\":[1,2,{\"c\":null}],\"s\":\"\\u00e9\"}", &err);

    ck_assert_ptr_nonnull(j);
    ck_assert_ptr_null(err);
    ck_assert(json_is_object(j));
    ck_assert_int_eq(j->refcount, 1);
    ck_assert_str_eq(sm_json_str(sm_test_pool, j, "s"), "\xc3\xa9");
    j = parse("[]", &err);
    ck_assert(json_is_array(j));
    /* err may be NULL */
    ck_assert_ptr_nonnull(sm_json_parse(sm_test_pool, "{}", 2, NULL));
}
END_TEST

START_TEST(test_parse_refused)
{
    const char *err = NULL;

    ck_assert_ptr_null(parse("{\"a\":1,\"a\":2}", &err));
    ck_assert_ptr_nonnull(strstr(err, "duplicate key"));
    ck_assert_ptr_null(parse("{\"a\":1} x", &err));
    ck_assert_ptr_null(parse("{\"a\":1}{}", &err));
    ck_assert_ptr_null(parse("", &err));
    ck_assert_ptr_null(parse("42", &err));
    ck_assert_ptr_null(parse("\"str\"", &err));
    ck_assert_ptr_null(parse("{\"a\":\"\\u0000\"}", &err));
    ck_assert_ptr_null(parse("{\"a\":\"\xff\"}", &err));
    ck_assert_ptr_nonnull(strstr(err, "UTF-8"));
    ck_assert_ptr_null(sm_json_parse(sm_test_pool, NULL, 0, &err));
    ck_assert_ptr_nonnull(err);
}
END_TEST

START_TEST(test_parse_nul)
{
    const char *err = NULL;
    static const char text[] = "{\"a\":\"b\0c\"}";

    ck_assert_ptr_null(sm_json_parse(sm_test_pool, text, sizeof(text) - 1, &err));
    ck_assert_ptr_nonnull(strstr(err, "NUL"));
    /* a NUL right after a complete value is refused too */
    ck_assert_ptr_null(sm_json_parse(sm_test_pool, "{}\0", 3, &err));
}
END_TEST

START_TEST(test_parse_size)
{
    const char *err = NULL;
    apr_size_t n = 1024 * 1024;
    char *big = apr_palloc(sm_test_pool, n + 2);

    /* ["aaaa...."] of exactly 1 MiB is accepted, one byte more is not */
    memset(big, 'a', n + 1);
    memcpy(big, "[\"", 2);
    memcpy(big + n - 2, "\"]", 2);
    ck_assert_ptr_nonnull(sm_json_parse(sm_test_pool, big, n, &err));
    big[n - 2] = 'a';
    memcpy(big + n - 1, "\"]", 2);
    ck_assert_ptr_null(sm_json_parse(sm_test_pool, big, n + 1, &err));
    ck_assert_ptr_nonnull(strstr(err, "too large"));
}
END_TEST

START_TEST(test_parse_depth)
{
    const char *err = NULL;
    char buf[300];
    int i;

    for (i = 0; i < 64; i++) {
        buf[i] = '[';
        buf[64 + i] = ']';
    }
    ck_assert_ptr_nonnull(sm_json_parse(sm_test_pool, buf, 128, &err));
    for (i = 0; i < 65; i++) {
        buf[i] = '[';
        buf[65 + i] = ']';
    }
    ck_assert_ptr_null(sm_json_parse(sm_test_pool, buf, 130, &err));
    ck_assert_ptr_nonnull(strstr(err, "deep"));
    /* brackets inside strings (also after an escaped quote) do not count */
    memcpy(buf, "[\"\\\"", 4);
    memset(buf + 4, '[', 100);
    memcpy(buf + 104, "\"]", 2);
    ck_assert_ptr_nonnull(sm_json_parse(sm_test_pool, buf, 106, &err));
}
END_TEST

START_TEST(test_error_no_echo)
{
    const char *err = NULL;

    ck_assert_ptr_null(parse("{\"secret-token-xyz\": }", &err));
    ck_assert_ptr_null(strstr(err, "secret"));
    ck_assert_ptr_nonnull(strstr(err, "offset"));
    ck_assert_ptr_null(parse("{\"k\": secretvalue}", &err));
    ck_assert_ptr_null(strstr(err, "secretvalue"));
    ck_assert_ptr_null(parse("{\"a\":1,\"a\":\"secret-dup\"}", &err));
    ck_assert_ptr_null(strstr(err, "secret"));
    ck_assert_ptr_null(strstr(err, "\"a\""));
}
END_TEST

START_TEST(test_str)
{
    json_t *j = parse("{\"s\":\"v\",\"n\":1,\"e\":\"\"}", NULL);
    json_t *nul = sm_json_own(sm_test_pool, json_object());

    ck_assert_str_eq(sm_json_str(sm_test_pool, j, "s"), "v");
    ck_assert_str_eq(sm_json_str(sm_test_pool, j, "e"), "");
    ck_assert_ptr_null(sm_json_str(sm_test_pool, j, "n"));
    ck_assert_ptr_null(sm_json_str(sm_test_pool, j, "absent"));
    ck_assert_ptr_null(sm_json_str(sm_test_pool, NULL, "s"));
    ck_assert_ptr_null(sm_json_str(sm_test_pool, parse("[\"s\"]", NULL), "s"));
    /* a string with an embedded NUL (only possible in memory) is not handed out */
    json_object_set_new(nul, "x", json_stringn("a\0b", 3));
    ck_assert_ptr_null(sm_json_str(sm_test_pool, nul, "x"));
}
END_TEST

START_TEST(test_dump)
{
    json_t *j = parse("{ \"a\" : [ 1, 2 ], \"b\" : \"\\u00e9\" }", NULL);
    json_t *s = sm_json_own(sm_test_pool, json_string("x\"y"));

    ck_assert_str_eq(sm_json_dump(sm_test_pool, j), "{\"a\":[1,2],\"b\":\"\xc3\xa9\"}");
    ck_assert_str_eq(sm_json_dump(sm_test_pool, s), "\"x\\\"y\"");
    ck_assert_ptr_null(sm_json_dump(sm_test_pool, NULL));
}
END_TEST

Suite *sm_suite_json(void)
{
    Suite *s = suite_create("json");
    TCase *tc = tcase_create("json");

    tcase_add_checked_fixture(tc, sm_test_setup, sm_test_teardown);
    tcase_add_test(tc, test_own);
    tcase_add_test(tc, test_parse_ok);
    tcase_add_test(tc, test_parse_refused);
    tcase_add_test(tc, test_parse_nul);
    tcase_add_test(tc, test_parse_size);
    tcase_add_test(tc, test_parse_depth);
    tcase_add_test(tc, test_error_no_echo);
    tcase_add_test(tc, test_str);
    tcase_add_test(tc, test_dump);
    suite_add_tcase(s, tc);
    return s;
}
