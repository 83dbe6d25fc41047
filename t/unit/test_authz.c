/* test_authz.c: `Require selmid-claim` rule parsing and matching. */
#include "sm_tests.h"
#include "sm_authz.h"
#include <string.h>

static sm_claim_rule_t *parse_ok(const char *args)
{
    sm_claim_rule_t *rule = NULL;
    const char *err = sm_claim_rule_parse(sm_test_pool, args, &rule);

    ck_assert_msg(err == NULL, "parse '%s': %s", args, err ? err : "");
    ck_assert_ptr_nonnull(rule);
    return rule;
}

static const char *parse_err(const char *args)
{
    sm_claim_rule_t *rule = (sm_claim_rule_t *)1;
    const char *err = sm_claim_rule_parse(sm_test_pool, args, &rule);

    ck_assert_msg(err != NULL, "parse '%s' should fail", args);
    ck_assert_ptr_null(rule);
    return err;
}

static json_t *claims_of(const char *text)
{
    json_error_t jerr;
    json_t *j = json_loads(text, JSON_ALLOW_NUL, &jerr);

    ck_assert_msg(j != NULL, "bad test JSON: %s", jerr.text);
    return j;
}

static bool match(const char *args, const char *claims_json)
{
    json_t *claims = claims_of(claims_json);
    bool ok = sm_claim_rule_match(parse_ok(args), claims);

    json_decref(claims);
    return ok;
}

START_TEST(parse_exact)
{
    sm_claim_rule_t *r = parse_ok("email alice@example.org");

    ck_assert_str_eq(r->claim, "email");
    ck_assert_str_eq(r->value, "alice@example.org");
    ck_assert_ptr_null(r->re);
}
END_TEST

START_TEST(parse_value_with_spaces)
{
    sm_claim_rule_t *r = parse_ok("  name \t Taro  Yamada  \t");

    ck_assert_str_eq(r->claim, "name");
    ck_assert_str_eq(r->value, "Taro  Yamada");
}
END_TEST

START_TEST(parse_quoted_value)
{
    sm_claim_rule_t *r = parse_ok("name \"Taro Yamada\"");

    ck_assert_str_eq(r->value, "Taro Yamada");
    /* a quoted value is literal, even when it starts with '~' */
    r = parse_ok("nick \"~tilde\"");
    ck_assert_ptr_null(r->re);
    ck_assert_str_eq(r->value, "~tilde");
    r = parse_ok("nick \"\"");
    ck_assert_str_eq(r->value, "");
    /* a lone quote is just a character */
    r = parse_ok("nick \"");
    ck_assert_str_eq(r->value, "\"");
}
END_TEST

START_TEST(parse_regex)
{
    sm_claim_rule_t *r = parse_ok("hd ~^(a|b)\\.example\\.jp$");

    ck_assert_str_eq(r->claim, "hd");
    ck_assert_ptr_nonnull(r->re);
    ck_assert_ptr_null(r->value);
}
END_TEST

START_TEST(parse_name_chars)
{
    ck_assert_str_eq(parse_ok("urn:example:roles admin")->claim, "urn:example:roles");
    ck_assert_str_eq(parse_ok("A-Z.a_z-09 x")->claim, "A-Z.a_z-09");
}
END_TEST

START_TEST(parse_name_allowed_set)
{
    ck_assert_str_eq(parse_ok("urn:x-ns.role_1 v")->claim, "urn:x-ns.role_1");
    ck_assert_ptr_nonnull(strstr(parse_err("na$me v"), "na$me"));
    ck_assert_ptr_nonnull(strstr(parse_err("a/b v"), "a/b"));
    ck_assert_ptr_nonnull(strstr(parse_err("\"name\" v"), "may only contain"));
}
END_TEST

START_TEST(parse_missing_name)
{
    ck_assert_ptr_nonnull(strstr(parse_err(""), "missing claim name"));
    ck_assert_ptr_nonnull(strstr(parse_err("   \t "), "missing claim name"));
    ck_assert_ptr_nonnull(strstr(parse_err(NULL), "missing claim name"));
}
END_TEST

START_TEST(parse_missing_value)
{
    const char *err = parse_err("email");

    ck_assert_ptr_nonnull(strstr(err, "missing value"));
    ck_assert_ptr_nonnull(strstr(err, "email"));
    ck_assert_ptr_nonnull(strstr(parse_err("email   \t"), "missing value"));
    ck_assert_ptr_nonnull(strstr(parse_err("email ~"), "missing regex"));
}
END_TEST

START_TEST(parse_bad_regex)
{
    const char *err = parse_err("groups ~(unclosed");

    ck_assert_ptr_nonnull(strstr(err, "invalid regex"));
    ck_assert_ptr_nonnull(strstr(err, "(unclosed"));
    ck_assert_ptr_nonnull(strstr(err, "groups"));
    /* the regerror text follows the last ": " and is not empty */
    ck_assert_int_gt((int)strlen(strrchr(err, ':')), 2);
    ck_assert_ptr_nonnull(strstr(parse_err("x ~a{2,1}"), "invalid regex"));
}
END_TEST

START_TEST(parse_name_too_long)
{
    char args[400];

    memset(args, 'a', 300);
    strcpy(args + 300, " v");
    ck_assert_ptr_nonnull(strstr(parse_err(args), "longer than"));
}
END_TEST

START_TEST(match_string_exact)
{
    ck_assert(match("email alice@example.org", "{\"email\":\"alice@example.org\"}"));
    ck_assert(!match("email alice@example.org", "{\"email\":\"Alice@example.org\"}"));
    ck_assert(!match("email alice@example.org", "{\"email\":\"alice@example.org.evil\"}"));
    ck_assert(!match("email alice@example.org", "{\"email\":\"alice\"}"));
    ck_assert(!match("email alice@example.org", "{\"mail\":\"alice@example.org\"}"));
    ck_assert(match("name Taro Yamada", "{\"name\":\"Taro Yamada\"}"));
    ck_assert(match("nick \"\"", "{\"nick\":\"\"}"));
}
END_TEST

START_TEST(match_embedded_nul)
{
    /* "admin\u0000x" must not equal "admin" nor satisfy ^admin$ */
    ck_assert(!match("role admin", "{\"role\":\"admin\\u0000x\"}"));
    ck_assert(!match("role ~^admin$", "{\"role\":\"admin\\u0000x\"}"));
    ck_assert(!match("role ~admin", "{\"role\":\"admin\\u0000x\"}"));
}
END_TEST

START_TEST(match_regex_search_and_anchors)
{
    /* unanchored: search anywhere */
    ck_assert(match("email ~@example\\.org", "{\"email\":\"bob@example.org\"}"));
    ck_assert(match("email ~example", "{\"email\":\"bob@example.org.evil\"}"));
    /* anchored as written */
    ck_assert(!match("email ~@example\\.org$", "{\"email\":\"bob@example.org.evil\"}"));
    ck_assert(match("hd ~^(a|b)\\.example\\.jp$", "{\"hd\":\"b.example.jp\"}"));
    ck_assert(!match("hd ~^(a|b)\\.example\\.jp$", "{\"hd\":\"c.example.jp\"}"));
    ck_assert(!match("hd ~^(a|b)\\.example\\.jp$", "{\"hd\":\"xa.example.jp\"}"));
    /* regex with spaces */
    ck_assert(match("name ~^Taro [A-Z][a-z]+$", "{\"name\":\"Taro Yamada\"}"));
    /* extended syntax: + and {n} without backslashes */
    ck_assert(match("code ~^[0-9]{3}$", "{\"code\":\"123\"}"));
    ck_assert(!match("code ~^[0-9]{3}$", "{\"code\":\"1234\"}"));
}
END_TEST

START_TEST(match_array)
{
    const char *c = "{\"groups\":[\"staff\",\"students\",42,{\"x\":\"admins\"},[\"admins\"]]}";

    ck_assert(match("groups students", c));
    ck_assert(match("groups staff", c));
    ck_assert(match("groups ~^stud", c));
    ck_assert(match("groups 42", c));
    /* neither objects nor nested arrays inside the array match */
    ck_assert(!match("groups admins", c));
    ck_assert(!match("groups ~admin", c));
    ck_assert(!match("groups anything", "{\"groups\":[]}"));
}
END_TEST

START_TEST(match_numbers_and_booleans)
{
    ck_assert(match("age 42", "{\"age\":42}"));
    ck_assert(!match("age 42", "{\"age\":420}"));
    ck_assert(match("age ~^4", "{\"age\":42}"));
    ck_assert(match("n -7", "{\"n\":-7}"));
    ck_assert(match("ratio 1.5", "{\"ratio\":1.5}"));
    ck_assert(match("ratio 0.1", "{\"ratio\":0.1}"));
    ck_assert(match("email_verified true", "{\"email_verified\":true}"));
    ck_assert(!match("email_verified true", "{\"email_verified\":false}"));
    ck_assert(match("email_verified false", "{\"email_verified\":false}"));
    /* the string "true" is a string, and matches its text too */
    ck_assert(match("email_verified true", "{\"email_verified\":\"true\"}"));
}
END_TEST

START_TEST(match_objects_and_null_never)
{
    ck_assert(!match("address ~.", "{\"address\":{\"country\":\"JP\"}}"));
    ck_assert(!match("address JP", "{\"address\":{\"country\":\"JP\"}}"));
    ck_assert(!match("x null", "{\"x\":null}"));
    ck_assert(!match("x ~.*", "{\"x\":null}"));
}
END_TEST

START_TEST(match_bad_inputs)
{
    sm_claim_rule_t *r = parse_ok("email a");
    json_t *arr = claims_of("[\"a\"]");

    ck_assert(!sm_claim_rule_match(r, NULL));
    ck_assert(!sm_claim_rule_match(r, arr));
    ck_assert(!sm_claim_rule_match(NULL, arr));
    json_decref(arr);
}
END_TEST

START_TEST(regex_freed_with_pool)
{
    apr_pool_t *sub;
    sm_claim_rule_t *r = NULL;
    json_t *c = claims_of("{\"a\":\"xyz\"}");
    int i;

    /* many compile/free cycles; leaks show up under the sanitizer build */
    for (i = 0; i < 50; i++) {
        apr_pool_create(&sub, sm_test_pool);
        ck_assert_ptr_null(sm_claim_rule_parse(sub, "a ~^x(y|z)+$", &r));
        ck_assert(sm_claim_rule_match(r, c));
        apr_pool_destroy(sub);
    }
    json_decref(c);
}
END_TEST

Suite *sm_suite_authz(void)
{
    Suite *s = suite_create("authz");
    TCase *tc = tcase_create("claim rules");

    tcase_add_checked_fixture(tc, sm_test_setup, sm_test_teardown);
    tcase_add_test(tc, parse_exact);
    tcase_add_test(tc, parse_value_with_spaces);
    tcase_add_test(tc, parse_quoted_value);
    tcase_add_test(tc, parse_regex);
    tcase_add_test(tc, parse_name_chars);
    tcase_add_test(tc, parse_name_allowed_set);
    tcase_add_test(tc, parse_missing_name);
    tcase_add_test(tc, parse_missing_value);
    tcase_add_test(tc, parse_bad_regex);
    tcase_add_test(tc, parse_name_too_long);
    tcase_add_test(tc, match_string_exact);
    tcase_add_test(tc, match_embedded_nul);
    tcase_add_test(tc, match_regex_search_and_anchors);
    tcase_add_test(tc, match_array);
    tcase_add_test(tc, match_numbers_and_booleans);
    tcase_add_test(tc, match_objects_and_null_never);
    tcase_add_test(tc, match_bad_inputs);
    tcase_add_test(tc, regex_freed_with_pool);
    suite_add_tcase(s, tc);
    return s;
}
