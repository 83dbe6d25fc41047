/* test_attrs.c: rendering claim values, encodings, attribute names, reserved-name matrix. */
#include "sm_tests.h"
#include "sm_attrs.h"
#include <string.h>

/* Renders a JSON text (parsed here) with enc. */
static const char *render(const char *json, sm_enc_e enc)
{
    json_error_t e;
    json_t *j = json_loads(json, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
    char *out;

    ck_assert_msg(j != NULL, "bad test JSON: %s", json);
    out = sm_attr_render(sm_test_pool, j, enc);
    json_decref(j);
    ck_assert_ptr_nonnull(out);
    return out;
}

/* Renders a jansson string made of raw bytes (not UTF-8 checked). */
static const char *render_raw(const char *bytes, apr_size_t len, sm_enc_e enc)
{
    json_t *j = json_stringn_nocheck(bytes, len);
    char *out = sm_attr_render(sm_test_pool, j, enc);

    json_decref(j);
    return out;
}

START_TEST(scalars)
{
    ck_assert_str_eq(render("\"alice\"", SM_ENC_UTF8), "alice");
    ck_assert_str_eq(render("\"\"", SM_ENC_UTF8), "");
    ck_assert_str_eq(render("42", SM_ENC_UTF8), "42");
    ck_assert_str_eq(render("-7", SM_ENC_UTF8), "-7");
    ck_assert_str_eq(render("1.5", SM_ENC_UTF8), "1.5");
    ck_assert_str_eq(render("true", SM_ENC_UTF8), "true");
    ck_assert_str_eq(render("false", SM_ENC_UTF8), "false");
    ck_assert_str_eq(render("null", SM_ENC_UTF8), "");
    ck_assert_str_eq(sm_attr_render(sm_test_pool, NULL, SM_ENC_UTF8), "");
    /* A top-level string keeps its ';' and '\' as they are. */
    ck_assert_str_eq(render("\"a;b\\\\c\"", SM_ENC_UTF8), "a;b\\c");
}
END_TEST

START_TEST(arrays_and_objects)
{
    ck_assert_str_eq(render("[\"a\",\"b\"]", SM_ENC_UTF8), "a;b");
    ck_assert_str_eq(render("[]", SM_ENC_UTF8), "");
    ck_assert_str_eq(render("[\"only\"]", SM_ENC_UTF8), "only");
    /* ';' inside an element escaped as "\;" (mod_shib); a backslash is left as is. */
    ck_assert_str_eq(render("[\"a;b\",\"c\\\\d\",\";\"]", SM_ENC_UTF8), "a\\;b;c\\d;\\;");
    ck_assert_str_eq(render("[1,true,null,\"x\",2.5]", SM_ENC_UTF8), "1;true;;x;2.5");
    /* Nested arrays and objects as compact JSON, ';' still escaped. */
    ck_assert_str_eq(render("[[\"a\",\"b\"],{\"k\":\"v;w\"}]", SM_ENC_UTF8),
                     "[\"a\",\"b\"];{\"k\":\"v\\;w\"}");
    ck_assert_str_eq(render("{\"a\": 1, \"b\": [1, 2], \"c\": {\"d\": null}}", SM_ENC_UTF8),
                     "{\"a\":1,\"b\":[1,2],\"c\":{\"d\":null}}");
    ck_assert_str_eq(render("{\"a\":\"x;y\"}", SM_ENC_UTF8), "{\"a\":\"x;y\"}");
    /* Control characters inside nested values stay JSON-escaped text, never raw. */
    ck_assert_str_eq(render("[{\"a\":\"x\\ny\"}]", SM_ENC_UTF8), "{\"a\":\"x\\ny\"}");
}
END_TEST

START_TEST(control_characters)
{
    /* C0 including TAB, CR, LF and NUL, DEL, and C1 (U+0080..U+009F, U+0085 among them). */
    ck_assert_str_eq(render("\"a\\r\\nb\\tc\\u0001d\\u007fe\\u0000f\"", SM_ENC_UTF8), "abcdef");
    ck_assert_str_eq(render("\"x\\u0085y\\u0080z\\u009f!\"", SM_ENC_UTF8), "xyz!");
    ck_assert_str_eq(render("\"\\r\\nSet-Cookie: x=y\"", SM_ENC_UTF8), "Set-Cookie: x=y");
    ck_assert_str_eq(render("[\"a\\r\",\"\\nb\"]", SM_ENC_UTF8), "a;b");
    /* Other characters are kept: NBSP, U+2028, U+2029, emoji. */
    ck_assert_str_eq(render("\"\\u00a0\\u2028\\u2029\\ud83d\\ude00\"", SM_ENC_UTF8),
                     "\xC2\xA0\xE2\x80\xA8\xE2\x80\xA9\xF0\x9F\x98\x80");
}
END_TEST

START_TEST(invalid_utf8)
{
    ck_assert_str_eq(render_raw("a\xff"
                                "b",
                                3, SM_ENC_UTF8),
                     "a\xEF\xBF\xBD"
                     "b");
    /* A truncated sequence is one replacement. */
    ck_assert_str_eq(render_raw("\xE2\x82x", 3, SM_ENC_UTF8), "\xEF\xBF\xBDx");
    ck_assert_str_eq(render_raw("x\xF0\x9F\x98", 4, SM_ENC_UTF8), "x\xEF\xBF\xBD");
    /* Overlongs and surrogates are invalid. */
    ck_assert_ptr_null(strstr(render_raw("\xC0\xAF", 2, SM_ENC_UTF8), "/"));
    ck_assert_str_eq(render_raw("\xC0\xAF", 2, SM_ENC_UTF8), "\xEF\xBF\xBD\xEF\xBF\xBD");
    ck_assert_str_eq(render_raw("\xE0\x80\xAF", 3, SM_ENC_UTF8),
                     "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
    ck_assert_str_eq(render_raw("\xED\xA0\x80", 3, SM_ENC_UTF8),
                     "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
    ck_assert_str_eq(render_raw("\xF4\x90\x80\x80", 4, SM_ENC_UTF8),
                     "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
    /* A raw C1 control as a valid two-byte sequence is removed; a lone 0x85 is replaced. */
    ck_assert_str_eq(render_raw("a\xC2\x85z", 4, SM_ENC_UTF8), "az");
    ck_assert_str_eq(render_raw("a\x85z", 3, SM_ENC_UTF8), "a\xEF\xBF\xBDz");
    ck_assert_str_eq(render_raw("\xEF\xBF\xBF", 3, SM_ENC_UTF8), "\xEF\xBF\xBF");
}
END_TEST

START_TEST(encoding_base64url)
{
    ck_assert_str_eq(render("\"alice\"", SM_ENC_BASE64URL), "alice");
    ck_assert_str_eq(render("\"a;b\"", SM_ENC_BASE64URL), "a;b");
    ck_assert_str_eq(render("\"caf\\u00e9\"", SM_ENC_BASE64URL), "Y2Fmw6k");
    /* Controls are removed before encoding. */
    ck_assert_str_eq(render("\"caf\\u00e9\\r\\n\"", SM_ENC_BASE64URL), "Y2Fmw6k");
    ck_assert_str_eq(render("\"a\\r\\nb\"", SM_ENC_BASE64URL), "ab");
    /* A lone invalid byte becomes U+FFFD and so the value is non-ASCII. */
    ck_assert_str_eq(render_raw("\xff", 1, SM_ENC_BASE64URL), "77-9");
    ck_assert_str_eq(render("[\"\\u00e9\",\"x\"]", SM_ENC_BASE64URL), "w6k7eA");
    ck_assert_str_eq(render("42", SM_ENC_BASE64URL), "42");
}
END_TEST

START_TEST(encoding_latin1)
{
    ck_assert_str_eq(render("\"caf\\u00e9\"", SM_ENC_LATIN1), "caf\xE9");
    ck_assert_str_eq(render("\"\\u00ff\\u00a0\"", SM_ENC_LATIN1), "\xFF\xA0");
    ck_assert_str_eq(render("\"\\u65e5\\u672c\"", SM_ENC_LATIN1), "??");
    ck_assert_str_eq(render("\"\\u20ac5\"", SM_ENC_LATIN1), "?5");
    ck_assert_str_eq(render("\"\\ud83d\\ude00\"", SM_ENC_LATIN1), "?");
    ck_assert_str_eq(render("\"a\\u0085b\\r\\n\"", SM_ENC_LATIN1), "ab");
    ck_assert_str_eq(render_raw("a\xff", 2, SM_ENC_LATIN1), "a?");
    ck_assert_str_eq(render("[\"\\u00e9\",\"\\u00fc;x\"]", SM_ENC_LATIN1), "\xE9;\xFC\\;x");
    ck_assert_str_eq(render("\"plain\"", SM_ENC_LATIN1), "plain");
}
END_TEST

START_TEST(names)
{
    ck_assert_str_eq(sm_attr_name(sm_test_pool, "SELMID_", "email"), "SELMID_email");
    ck_assert_str_eq(sm_attr_name(sm_test_pool, "OIDC_CLAIM_", "https://x.example/roles"),
                     "OIDC_CLAIM_https___x_example_roles");
    ck_assert_str_eq(sm_attr_name(sm_test_pool, "P-", "a b\r\n:\xC3\xA9-_9"), "P-a_b_____-_9");
    ck_assert_str_eq(sm_attr_name(sm_test_pool, "SELMID_", NULL), "SELMID_");
    ck_assert_str_eq(sm_attr_name(sm_test_pool, NULL, "sub"), "sub");
    ck_assert_str_eq(sm_attr_cgi_name(sm_test_pool, "Selmid-Sub"), "SELMID_SUB");
    ck_assert_str_eq(sm_attr_cgi_name(sm_test_pool, "selmid_email-verified"),
                     "SELMID_EMAIL_VERIFIED");
    ck_assert_str_eq(sm_attr_cgi_name(sm_test_pool, ""), "");
    ck_assert_str_eq(sm_attr_cgi_name(sm_test_pool, NULL), "");
}
END_TEST

START_TEST(reserved_matrix)
{
    static const struct {
        const char *name;
        const char *prefix;
        bool reserved;
    } m[] = {
        {"Selmid-Sub", "SELMID_", true},
        {"selmid_sub", "SELMID_", true},
        {"SELMID-SUB", "SELMID_", true},
        {"sElMiD-eMaIl", "SELMID_", true},
        {"Selmid.Sub", "SELMID_", true},
        {"Selmid-", "SELMID_", true},
        {"SELMID_", "SELMID_", true},
        {"Selmid", "SELMID_", false},
        {"SelmidSub", "SELMID_", false},
        {"X-Selmid-Sub", "SELMID_", false},
        {"HTTP_SELMID_SUB", "SELMID_", true},
        {"Http-Selmid-Sub", "SELMID_", true},
        {"Remote-User", "SELMID_", true},
        {"remote_user", "SELMID_", true},
        {"REMOTE_USER", "SELMID_", true},
        {"Remote.User", "SELMID_", true},
        {"HTTP_REMOTE_USER", "SELMID_", true},
        {"http-remote-user", "SELMID_", true},
        {"Remote-Users", "SELMID_", false},
        {"Remote-Use", "SELMID_", false},
        {"X-Remote-User", "SELMID_", false},
        {"Auth-Type", "SELMID_", true},
        {"auth_type", "SELMID_", true},
        {"HTTP-AUTH-TYPE", "SELMID_", true},
        {"Authorization", "SELMID_", false},
        {"Remote-Addr", "SELMID_", false},
        {"User-Agent", "SELMID_", false},
        {"HTTP_", "SELMID_", false},
        {"Http", "SELMID_", false},
        {"oidc-claim-email", "OIDC_CLAIM_", true},
        {"Selmid-Sub", "OIDC_CLAIM_", false},
        {"Selmid-Sub", "", false},
        {"Selmid-Sub", NULL, false},
        {"Remote-User", "", true},
        {"Remote-User", NULL, true},
        {"", "SELMID_", false},
        {NULL, "SELMID_", false},
    };
    size_t i;

    for (i = 0; i < sizeof(m) / sizeof(m[0]); i++)
        ck_assert_msg(sm_attr_is_reserved(m[i].name, m[i].prefix) == m[i].reserved,
                      "m[%zu]: %s with prefix %s should%s be reserved", i,
                      m[i].name ? m[i].name : "(null)", m[i].prefix ? m[i].prefix : "(null)",
                      m[i].reserved ? "" : " not");
}
END_TEST

START_TEST(reserved_via_cgi_name)
{
    /* The prefix as the module computes it from its configuration. */
    const char *pfx = sm_attr_cgi_name(sm_test_pool, "Selmid-");

    ck_assert_str_eq(pfx, "SELMID_");
    ck_assert(sm_attr_is_reserved("selmid-groups", pfx));
}
END_TEST

Suite *sm_suite_attrs(void)
{
    Suite *s = suite_create("attrs");
    TCase *tc = tcase_create("attrs");

    tcase_add_checked_fixture(tc, sm_test_setup, sm_test_teardown);
    tcase_add_test(tc, scalars);
    tcase_add_test(tc, arrays_and_objects);
    tcase_add_test(tc, control_characters);
    tcase_add_test(tc, invalid_utf8);
    tcase_add_test(tc, encoding_base64url);
    tcase_add_test(tc, encoding_latin1);
    tcase_add_test(tc, names);
    tcase_add_test(tc, reserved_matrix);
    tcase_add_test(tc, reserved_via_cgi_name);
    suite_add_tcase(s, tc);
    return s;
}
