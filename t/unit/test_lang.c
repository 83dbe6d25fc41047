/* test_lang.c: Accept-Language negotiation between Japanese and English, the explicit choice. */
#include "sm_tests.h"
#include "sm_lang.h"
#include <string.h>

START_TEST(negotiate_basic)
{
    ck_assert_int_eq(sm_lang_negotiate(NULL), SM_LANG_EN);
    ck_assert_int_eq(sm_lang_negotiate(""), SM_LANG_EN);
    ck_assert_int_eq(sm_lang_negotiate("ja"), SM_LANG_JA);
    ck_assert_int_eq(sm_lang_negotiate("JA-jp"), SM_LANG_JA);
    ck_assert_int_eq(sm_lang_negotiate("ja-JP,ja;q=0.9,en-US;q=0.8,en;q=0.7"), SM_LANG_JA);
    ck_assert_int_eq(sm_lang_negotiate("en-US,en;q=0.9,ja;q=0.8"), SM_LANG_EN);
    ck_assert_int_eq(sm_lang_negotiate("en"), SM_LANG_EN);
    ck_assert_int_eq(sm_lang_negotiate("fr"), SM_LANG_EN);
    ck_assert_int_eq(sm_lang_negotiate("de-DE, fr;q=0.9"), SM_LANG_EN);
}
END_TEST

START_TEST(negotiate_q_values)
{
    /* q decides, not the order */
    ck_assert_int_eq(sm_lang_negotiate("en;q=0.5, ja;q=0.8"), SM_LANG_JA);
    ck_assert_int_eq(sm_lang_negotiate("ja;q=0.3, en;q=0.4"), SM_LANG_EN);
    ck_assert_int_eq(sm_lang_negotiate("ja;q=0.300,en;q=0.299"), SM_LANG_JA);
    /* a language we do not offer ranks first: the best of ours wins */
    ck_assert_int_eq(sm_lang_negotiate("fr, ja;q=0.8, en;q=0.7"), SM_LANG_JA);
    ck_assert_int_eq(sm_lang_negotiate("zh-CN, en;q=0.2, ja;q=0.1"), SM_LANG_EN);
    /* equal q: the range listed first */
    ck_assert_int_eq(sm_lang_negotiate("ja;q=0.5, en;q=0.5"), SM_LANG_JA);
    ck_assert_int_eq(sm_lang_negotiate("en, ja"), SM_LANG_EN);
    /* q=0 excludes */
    ck_assert_int_eq(sm_lang_negotiate("ja;q=0"), SM_LANG_EN);
    ck_assert_int_eq(sm_lang_negotiate("en;q=0, ja;q=0.001"), SM_LANG_JA);
    ck_assert_int_eq(sm_lang_negotiate("en;q=0.000, ja"), SM_LANG_JA);
    /* "*" stands for English */
    ck_assert_int_eq(sm_lang_negotiate("*"), SM_LANG_EN);
    ck_assert_int_eq(sm_lang_negotiate("*;q=0.9, ja;q=0.8"), SM_LANG_EN);
    ck_assert_int_eq(sm_lang_negotiate("ja, *;q=0.1"), SM_LANG_JA);
    /* whitespace, Q in upper case, other parameters */
    ck_assert_int_eq(sm_lang_negotiate("  en ; q=0.2 ,\tja ; Q=0.9 "), SM_LANG_JA);
    ck_assert_int_eq(sm_lang_negotiate("ja;foo=bar;q=0.9,en;q=0.1"), SM_LANG_JA);
}
END_TEST

START_TEST(negotiate_not_fooled)
{
    /* names that only start like ja/en */
    ck_assert_int_eq(sm_lang_negotiate("jav"), SM_LANG_EN);
    ck_assert_int_eq(sm_lang_negotiate("english, ja;q=0.1"), SM_LANG_JA);
    ck_assert_int_eq(sm_lang_negotiate("jam;q=1, en;q=0.1"), SM_LANG_EN);
    /* malformed q values skip the entry */
    ck_assert_int_eq(sm_lang_negotiate("ja;q=2"), SM_LANG_EN);
    ck_assert_int_eq(sm_lang_negotiate("ja;q=1.5"), SM_LANG_EN);
    ck_assert_int_eq(sm_lang_negotiate("ja;q=0.1234"), SM_LANG_EN);
    ck_assert_int_eq(sm_lang_negotiate("ja;q=-1"), SM_LANG_EN);
    ck_assert_int_eq(sm_lang_negotiate("ja;q="), SM_LANG_EN);
    ck_assert_int_eq(sm_lang_negotiate("ja;q=abc, en;q=0.1"), SM_LANG_EN);
    ck_assert_int_eq(sm_lang_negotiate("ja;q"), SM_LANG_EN);
    ck_assert_int_eq(sm_lang_negotiate("ja x"), SM_LANG_EN);
    ck_assert_int_eq(sm_lang_negotiate(";q=1, ja;q=0.5"), SM_LANG_JA);
    ck_assert_int_eq(sm_lang_negotiate(",,, ,ja"), SM_LANG_JA);
}
END_TEST

START_TEST(negotiate_long_header)
{
    /* a huge header: only the first 4 KiB are looked at, no crash */
    size_t n = 20000;
    char *h = apr_palloc(sm_test_pool, n + 10);
    size_t i;

    for (i = 0; i < n; i += 4)
        memcpy(h + i, "fr, ", 4);
    strcpy(h + n, "ja");
    ck_assert_int_eq(sm_lang_negotiate(h), SM_LANG_EN);
    memcpy(h, "ja, ", 4);
    ck_assert_int_eq(sm_lang_negotiate(h), SM_LANG_JA);
}
END_TEST

START_TEST(parse_and_tag)
{
    ck_assert_int_eq(sm_lang_parse("ja"), SM_LANG_JA);
    ck_assert_int_eq(sm_lang_parse("JA"), SM_LANG_JA);
    ck_assert_int_eq(sm_lang_parse("en"), SM_LANG_EN);
    ck_assert_int_eq(sm_lang_parse("ja-JP"), -1);
    ck_assert_int_eq(sm_lang_parse(""), -1);
    ck_assert_int_eq(sm_lang_parse("fr"), -1);
    ck_assert_int_eq(sm_lang_parse("<ja>"), -1);
    ck_assert_int_eq(sm_lang_parse(NULL), -1);
    ck_assert_str_eq(sm_lang_tag(SM_LANG_JA), "ja");
    ck_assert_str_eq(sm_lang_tag(SM_LANG_EN), "en");
}
END_TEST

Suite *sm_suite_lang(void)
{
    Suite *s = suite_create("lang");
    TCase *tc = tcase_create("lang");

    tcase_add_checked_fixture(tc, sm_test_setup, sm_test_teardown);
    tcase_add_test(tc, negotiate_basic);
    tcase_add_test(tc, negotiate_q_values);
    tcase_add_test(tc, negotiate_not_fooled);
    tcase_add_test(tc, negotiate_long_header);
    tcase_add_test(tc, parse_and_tag);
    suite_add_tcase(s, tc);
    return s;
}
