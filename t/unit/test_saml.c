/* test_saml.c: splitting mod_shib's joined values, SAML instants, claims from a SAML environment.
 */
#include "sm_tests.h"
#include "sm_attrs.h"
#include "sm_saml.h"
#include "sm_json.h"
#include <string.h>

static json_t *split(const char *text)
{
    return sm_json_own(sm_test_pool, sm_saml_split_values(text));
}

/* Splitting then rendering gives the text back. */
static void round_trip(const char *text)
{
    ck_assert_str_eq(sm_attr_render(sm_test_pool, split(text), SM_ENC_UTF8), text);
}

START_TEST(split_values)
{
    json_t *j;

    j = split("alice@example.edu");
    ck_assert(json_is_string(j));
    ck_assert_str_eq(json_string_value(j), "alice@example.edu");
    j = split("member;staff");
    ck_assert(json_is_array(j));
    ck_assert_int_eq(json_array_size(j), 2);
    ck_assert_str_eq(json_string_value(json_array_get(j, 1)), "staff");
    j = split("physics\\;lab;staff");
    ck_assert_int_eq(json_array_size(j), 2);
    ck_assert_str_eq(json_string_value(json_array_get(j, 0)), "physics;lab");
    /* one value with an escaped ';' stays an array so that it is escaped again on output */
    j = split("a\\;b");
    ck_assert(json_is_array(j));
    ck_assert_int_eq(json_array_size(j), 1);
    ck_assert_str_eq(json_string_value(json_array_get(j, 0)), "a;b");
    /* a backslash not before ';' is kept */
    j = split("c\\d");
    ck_assert_str_eq(json_string_value(j), "c\\d");
    j = split("a;;b");
    ck_assert_int_eq(json_array_size(j), 3);
    ck_assert_str_eq(json_string_value(json_array_get(j, 1)), "");
    ck_assert_ptr_null(sm_saml_split_values(NULL));
    ck_assert_ptr_null(sm_saml_split_values("bad \xff utf-8"));
    round_trip("alice@example.edu");
    round_trip("member;staff;faculty");
    round_trip("physics\\;lab;staff");
    round_trip("a\\;b");
    round_trip("a;;b;");
    round_trip("c\\d;e");
    round_trip("山田;花子\\;x");
}
END_TEST

START_TEST(instants)
{
    apr_time_t t = 0;

    ck_assert_int_eq(sm_saml_parse_instant("2024-05-01T09:30:05Z", &t), APR_SUCCESS);
    ck_assert_int_eq(t, apr_time_from_sec(1714555805));
    ck_assert_int_eq(sm_saml_parse_instant("2024-05-01T09:30:05.123Z", &t), APR_SUCCESS);
    ck_assert_int_eq(t, apr_time_from_sec(1714555805) + 123000);
    ck_assert_int_eq(sm_saml_parse_instant("2024-05-01T09:30:05.5Z", &t), APR_SUCCESS);
    ck_assert_int_eq(t, apr_time_from_sec(1714555805) + 500000);
    ck_assert_int_ne(sm_saml_parse_instant("2024-05-01T09:30:05", &t), APR_SUCCESS);
    ck_assert_int_ne(sm_saml_parse_instant("2024-05-01T09:30:05+09:00", &t), APR_SUCCESS);
    ck_assert_int_ne(sm_saml_parse_instant("2024-13-01T09:30:05Z", &t), APR_SUCCESS);
    ck_assert_int_ne(sm_saml_parse_instant("2024-05-01 09:30:05Z", &t), APR_SUCCESS);
    ck_assert_int_ne(sm_saml_parse_instant("2024-05-01T09:30:05.Z", &t), APR_SUCCESS);
    ck_assert_int_ne(sm_saml_parse_instant("", &t), APR_SUCCESS);
    ck_assert_int_ne(sm_saml_parse_instant(NULL, &t), APR_SUCCESS);
}
END_TEST

static const char *env_get(void *baton, const char *name)
{
    return apr_table_get(baton, name);
}

static apr_table_t *saml_env(void)
{
    apr_table_t *t = apr_table_make(sm_test_pool, 8);

    apr_table_set(t, "Shib-Session-ID", "_0123456789abcdef0123456789abcdef");
    apr_table_set(t, "Shib-Identity-Provider", "https://idp.example.edu/idp/shibboleth");
    apr_table_set(t, "Shib-Authentication-Instant", "2024-05-01T09:30:05.123Z");
    apr_table_set(t, "Shib-AuthnContext-Class",
                  "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport");
    apr_table_set(t, "eppn", "alice@example.edu");
    apr_table_set(t, "affiliation", "member@example.edu;student@example.edu");
    apr_table_set(t, "entitlement", "urn:x:a\\;b");
    apr_table_set(t, "mail", "");
    apr_table_set(t, "not-listed", "x");
    return t;
}

static const apr_array_header_t *names(const char *first, ...)
{
    apr_array_header_t *a = apr_array_make(sm_test_pool, 4, sizeof(const char *));
    va_list ap;
    const char *n;

    va_start(ap, first);
    for (n = first; n; n = va_arg(ap, const char *))
        APR_ARRAY_PUSH(a, const char *) = n;
    va_end(ap);
    return a;
}

START_TEST(claims_from_env)
{
    apr_table_t *t = saml_env();
    const apr_array_header_t *attrs =
        names("eppn", "affiliation", "entitlement", "mail", "persistent-id", NULL);
    json_t *c = NULL;
    const char *why = NULL;

    ck_assert_int_eq(sm_saml_claims(sm_test_pool, env_get, t, attrs, NULL, &c, &why), APR_SUCCESS);
    ck_assert_str_eq(sm_json_str(sm_test_pool, c, "iss"), "https://idp.example.edu/idp/shibboleth");
    ck_assert_str_eq(sm_json_str(sm_test_pool, c, "sub"), "alice@example.edu");
    ck_assert_int_eq(json_integer_value(json_object_get(c, "auth_time")), 1714555805);
    ck_assert_str_eq(sm_json_str(sm_test_pool, c, "acr"),
                     "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport");
    ck_assert_int_eq(json_array_size(json_object_get(c, "affiliation")), 2);
    ck_assert_str_eq(sm_attr_render(sm_test_pool, json_object_get(c, "entitlement"), SM_ENC_UTF8),
                     "urn:x:a\\;b");
    ck_assert_ptr_null(json_object_get(c, "mail"));       /* empty: not imported */
    ck_assert_ptr_null(json_object_get(c, "not-listed")); /* not in SelmidSAMLAttributes */
    ck_assert_ptr_null(json_object_get(c, "Shib-Session-ID"));
    /* the SAML module's REMOTE_USER wins for sub */
    ck_assert_int_eq(sm_saml_claims(sm_test_pool, env_get, t, attrs, "u1", &c, &why), APR_SUCCESS);
    ck_assert_str_eq(sm_json_str(sm_test_pool, c, "sub"), "u1");
    /* no eppn: the next of the list, first value */
    apr_table_unset(t, "eppn");
    apr_table_set(t, "persistent-id", "idp!sp!abc;idp!sp!def");
    ck_assert_int_eq(sm_saml_claims(sm_test_pool, env_get, t, attrs, "", &c, &why), APR_SUCCESS);
    ck_assert_str_eq(sm_json_str(sm_test_pool, c, "sub"), "idp!sp!abc");
}
END_TEST

START_TEST(claims_fail_closed)
{
    apr_table_t *t;
    const apr_array_header_t *attrs = names("eppn", NULL);
    json_t *c = NULL;
    const char *why = NULL;

    t = saml_env();
    apr_table_unset(t, "Shib-Session-ID");
    ck_assert_int_eq(sm_saml_claims(sm_test_pool, env_get, t, attrs, NULL, &c, &why), APR_EINVAL);
    ck_assert_ptr_nonnull(strstr(why, "Shib-Session-ID"));
    t = saml_env();
    apr_table_set(t, "Shib-Identity-Provider", "");
    ck_assert_int_eq(sm_saml_claims(sm_test_pool, env_get, t, attrs, NULL, &c, &why), APR_EINVAL);
    ck_assert_ptr_nonnull(strstr(why, "Shib-Identity-Provider"));
    t = saml_env();
    apr_table_unset(t, "eppn");
    ck_assert_int_eq(sm_saml_claims(sm_test_pool, env_get, t, attrs, NULL, &c, &why), APR_EINVAL);
    t = saml_env();
    apr_table_set(t, "eppn", "bad\xff");
    ck_assert_int_eq(sm_saml_claims(sm_test_pool, env_get, t, attrs, "u", &c, &why), APR_EINVAL);
    /* no instant or class: left out */
    t = saml_env();
    apr_table_unset(t, "Shib-Authentication-Instant");
    apr_table_set(t, "Shib-AuthnContext-Class", "");
    ck_assert_int_eq(sm_saml_claims(sm_test_pool, env_get, t, attrs, NULL, &c, &why), APR_SUCCESS);
    ck_assert_ptr_null(json_object_get(c, "auth_time"));
    ck_assert_ptr_null(json_object_get(c, "acr"));
}
END_TEST

Suite *sm_suite_saml(void)
{
    Suite *s = suite_create("saml");
    TCase *tc = tcase_create("saml");

    tcase_add_checked_fixture(tc, sm_test_setup, sm_test_teardown);
    tcase_add_test(tc, split_values);
    tcase_add_test(tc, instants);
    tcase_add_test(tc, claims_from_env);
    tcase_add_test(tc, claims_fail_closed);
    suite_add_tcase(s, tc);
    return s;
}
