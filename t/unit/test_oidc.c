/* test_oidc.c: the OpenID Connect relying party: discovery document parsing (sm_discovery.c). */
#include "sm_tests.h"
#include "sm_json.h"
#include "sm_oidc.h"

#include <string.h>

#define ISS "https://op.example.com"

/* A good discovery document as a JSON object that tests may change. */
static json_t *good_doc(void)
{
    json_t *d = json_pack("{s:s, s:s, s:s, s:s, s:s, s:[s,s], s:[s]}", "issuer", ISS,
                          "authorization_endpoint", ISS "/authorize", "token_endpoint",
                          ISS "/token", "jwks_uri", ISS "/jwks.json", "userinfo_endpoint",
                          ISS "/userinfo", "response_types_supported", "code", "id_token",
                          "id_token_signing_alg_values_supported", "RS256");

    return sm_json_own(sm_test_pool, d);
}

static apr_status_t parse_doc(const json_t *d, const char *expected, sm_op_meta_t **m,
                              const char **err)
{
    const char *body = sm_json_dump(sm_test_pool, d);

    return sm_oidc_parse_discovery(sm_test_pool, body, strlen(body), expected, m, err);
}

/* Asserts that the document with member name set to value (NULL: removed) is refused with an
 * error mentioning what. */
static void refused(const char *name, json_t *value, const char *what)
{
    json_t *d = good_doc();
    sm_op_meta_t *m = (sm_op_meta_t *)1;
    const char *err = NULL;

    if (value) {
        json_object_set_new(d, name, value);
    } else {
        json_object_del(d, name);
    }
    ck_assert_int_ne(parse_doc(d, ISS, &m, &err), APR_SUCCESS);
    ck_assert_ptr_null(m);
    ck_assert_ptr_nonnull(err);
    ck_assert_msg(strstr(err, what) != NULL, "error '%s' lacks '%s'", err, what);
}

static void accepted(const char *name, json_t *value)
{
    json_t *d = good_doc();
    sm_op_meta_t *m = NULL;
    const char *err = NULL;

    json_object_set_new(d, name, value);
    ck_assert_msg(parse_doc(d, ISS, &m, &err) == APR_SUCCESS, "refused: %s", err ? err : "-");
    ck_assert_ptr_nonnull(m);
}

START_TEST(test_good)
{
    sm_op_meta_t *m = NULL;
    const char *err = NULL;

    ck_assert_int_eq(parse_doc(good_doc(), ISS, &m, &err), APR_SUCCESS);
    ck_assert_ptr_null(err);
    ck_assert_str_eq(m->issuer, ISS);
    ck_assert_str_eq(m->authorization_endpoint, ISS "/authorize");
    ck_assert_str_eq(m->token_endpoint, ISS "/token");
    ck_assert_str_eq(m->jwks_uri, ISS "/jwks.json");
    ck_assert_str_eq(m->userinfo_endpoint, ISS "/userinfo");
    ck_assert_ptr_null(m->end_session_endpoint);
    ck_assert(!m->iss_parameter_supported);
}
END_TEST

START_TEST(test_issuer)
{
    sm_op_meta_t *m = NULL;
    const char *err = NULL;

    ck_assert_int_ne(parse_doc(good_doc(), ISS "/", &m, &err), APR_SUCCESS);
    ck_assert_ptr_nonnull(strstr(err, "issuer"));
    ck_assert_int_ne(parse_doc(good_doc(), "https://OP.example.com", &m, &err), APR_SUCCESS);
    ck_assert_int_ne(parse_doc(good_doc(), NULL, &m, &err), APR_SUCCESS);
    refused("issuer", NULL, "issuer");
    refused("issuer", json_integer(1), "issuer");
    refused("issuer", json_string(ISS "/"), "issuer");
}
END_TEST

START_TEST(test_required_endpoints)
{
    refused("authorization_endpoint", NULL, "authorization_endpoint missing");
    refused("token_endpoint", NULL, "token_endpoint missing");
    refused("jwks_uri", NULL, "jwks_uri missing");
    refused("token_endpoint", json_true(), "token_endpoint is not a string");
    refused("jwks_uri", json_string(""), "jwks_uri");
}
END_TEST

START_TEST(test_endpoint_urls)
{
    refused("token_endpoint", json_string("http://op.example.com/token"), "loopback");
    refused("token_endpoint", json_string("http://10.0.0.1/token"), "loopback");
    refused("token_endpoint", json_string("http://127.0.0.2/token"), "loopback");
    refused("token_endpoint", json_string("http://localhost.evil.example/token"), "loopback");
    refused("token_endpoint", json_string("/token"), "token_endpoint");
    refused("token_endpoint", json_string("ftp://op.example.com/token"), "token_endpoint");
    refused("token_endpoint", json_string("https:///token"), "host");
    refused("token_endpoint", json_string("https://user@op.example.com/token"), "host");
    refused("token_endpoint", json_string("https://op.example.com:0/token"), "port");
    refused("token_endpoint", json_string("https://op.example.com:65536/token"), "port");
    refused("token_endpoint", json_string("https://op.example.com:/token"), "port");
    refused("token_endpoint", json_string("https://op.example.com/to ken"), "path");
    refused("token_endpoint", json_string("https://op.example.com/token#frag"), "fragment");
    refused("token_endpoint", json_string("https://op.example.com/t%zz"), "path");
    refused("token_endpoint", json_string("https://op.example.com\\@evil/t"), "host");
    refused("jwks_uri", json_string("https://[::1/jwks"), "host");
    accepted("token_endpoint", json_string("http://127.0.0.1:8080/token"));
    accepted("token_endpoint", json_string("http://[::1]:8080/token"));
    accepted("token_endpoint", json_string("http://localhost/token"));
    accepted("token_endpoint", json_string("https://op.example.com:8443/a/b?x=1&y=%2F"));
    accepted("jwks_uri", json_string("https://[2001:db8::1]/jwks"));
}
END_TEST

START_TEST(test_optional_endpoints)
{
    sm_op_meta_t *m = NULL;
    const char *err = NULL;
    json_t *d = good_doc();

    json_object_del(d, "userinfo_endpoint");
    json_object_set_new(d, "end_session_endpoint", json_string(ISS "/logout"));
    ck_assert_int_eq(parse_doc(d, ISS, &m, &err), APR_SUCCESS);
    ck_assert_ptr_null(m->userinfo_endpoint);
    ck_assert_str_eq(m->end_session_endpoint, ISS "/logout");
    refused("userinfo_endpoint", json_string("http://op.example.com/userinfo"), "userinfo");
    refused("end_session_endpoint", json_string("javascript:alert(1)"), "end_session");
    refused("end_session_endpoint", json_integer(3), "end_session");
}
END_TEST

START_TEST(test_response_types)
{
    refused("response_types_supported", json_pack("[s,s]", "id_token", "token"), "code");
    refused("response_types_supported", json_pack("[]"), "code");
    refused("response_types_supported", json_string("code"), "response_types");
    accepted("response_types_supported", json_pack("[s,s]", "code id_token", "code"));
    {
        /* absent: accepted */
        json_t *d = good_doc();
        sm_op_meta_t *m = NULL;
        const char *err = NULL;

        json_object_del(d, "response_types_supported");
        ck_assert_int_eq(parse_doc(d, ISS, &m, &err), APR_SUCCESS);
    }
}
END_TEST

START_TEST(test_iss_parameter)
{
    sm_op_meta_t *m = NULL;
    const char *err = NULL;
    json_t *d = good_doc();

    json_object_set_new(d, "authorization_response_iss_parameter_supported", json_true());
    ck_assert_int_eq(parse_doc(d, ISS, &m, &err), APR_SUCCESS);
    ck_assert(m->iss_parameter_supported);
    json_object_set_new(d, "authorization_response_iss_parameter_supported", json_false());
    ck_assert_int_eq(parse_doc(d, ISS, &m, &err), APR_SUCCESS);
    ck_assert(!m->iss_parameter_supported);
    json_object_set_new(d, "authorization_response_iss_parameter_supported", json_string("true"));
    ck_assert_int_eq(parse_doc(d, ISS, &m, &err), APR_SUCCESS);
    ck_assert(!m->iss_parameter_supported);
}
END_TEST

START_TEST(test_malformed)
{
    sm_op_meta_t *m = (sm_op_meta_t *)1;
    const char *err = NULL;
    static const char dup[] = "{\"issuer\":\"" ISS "\",\"issuer\":\"https://evil\"}";

    ck_assert_int_ne(sm_oidc_parse_discovery(sm_test_pool, "{\"issuer\":", 10, ISS, &m, &err),
                     APR_SUCCESS);
    ck_assert_ptr_null(m);
    ck_assert_ptr_nonnull(strstr(err, "JSON"));
    ck_assert_int_ne(sm_oidc_parse_discovery(sm_test_pool, "[1]", 3, ISS, &m, &err), APR_SUCCESS);
    ck_assert_int_ne(sm_oidc_parse_discovery(sm_test_pool, "", 0, ISS, &m, &err), APR_SUCCESS);
    ck_assert_int_ne(sm_oidc_parse_discovery(sm_test_pool, "<html>", 6, ISS, &m, &err),
                     APR_SUCCESS);
    ck_assert_int_ne(sm_oidc_parse_discovery(sm_test_pool, dup, sizeof(dup) - 1, ISS, &m, &err),
                     APR_SUCCESS);
    ck_assert_ptr_nonnull(strstr(err, "duplicate"));
}
END_TEST

Suite *sm_suite_oidc(void)
{
    Suite *s = suite_create("oidc");
    TCase *tc = tcase_create("discovery");

    tcase_add_checked_fixture(tc, sm_test_setup, sm_test_teardown);
    tcase_add_test(tc, test_good);
    tcase_add_test(tc, test_issuer);
    tcase_add_test(tc, test_required_endpoints);
    tcase_add_test(tc, test_endpoint_urls);
    tcase_add_test(tc, test_optional_endpoints);
    tcase_add_test(tc, test_response_types);
    tcase_add_test(tc, test_iss_parameter);
    tcase_add_test(tc, test_malformed);
    suite_add_tcase(s, tc);
    return s;
}
