/* test_config.c: configuration defaults, merge, argument parsers and whole-object checks. */
#include "sm_tests.h"
#include "sm_config.h"
#include "sm_crypto.h"
#include "sm_jwt.h"
#include <apr_file_io.h>
#include <string.h>

#define P sm_test_pool

START_TEST(dir_defaults)
{
    sm_dir_cfg_t *d = sm_dir_cfg_create(P);

    ck_assert_int_eq(sm_cfg_unauth(d), SM_UNAUTH_AUTH);
    ck_assert_int_eq(sm_cfg_pass_as(d), SM_PASS_HEADERS | SM_PASS_ENV);
    ck_assert_str_eq(sm_cfg_prefix(d), "SELMID_");
    ck_assert_str_eq(APR_ARRAY_IDX(sm_cfg_remote_user(d), 0, const char *), "sub");
    ck_assert_int_eq(sm_cfg_encoding(d), SM_ENC_UTF8);
    ck_assert_ptr_null(d->providers);
}
END_TEST

START_TEST(dir_merge_child_wins_and_inherits)
{
    sm_dir_cfg_t *base = sm_dir_cfg_create(P), *add = sm_dir_cfg_create(P), *m;

    base->unauth_action = SM_UNAUTH_401;
    base->claim_prefix = "OIDC_";
    base->providers = apr_array_make(P, 1, sizeof(const char *));
    add->pass_as = SM_PASS_ENV;
    add->unauth_action = SM_UNAUTH_PASS;
    m = sm_dir_cfg_merge(P, base, add);
    ck_assert_int_eq(sm_cfg_unauth(m), SM_UNAUTH_PASS);
    ck_assert_int_eq(sm_cfg_pass_as(m), SM_PASS_ENV);
    ck_assert_str_eq(sm_cfg_prefix(m), "OIDC_");
    ck_assert_ptr_eq(m->providers, base->providers);
    ck_assert_int_eq(sm_cfg_encoding(m), SM_ENC_UTF8);
}
END_TEST

START_TEST(server_defaults_and_merge)
{
    sm_server_cfg_t *base = sm_server_cfg_create(P), *add = sm_server_cfg_create(P), *m;
    sm_provider_cfg_t *a = sm_provider_cfg_create(P, "a", "x:1");
    sm_provider_cfg_t *b1 = sm_provider_cfg_create(P, "b", "x:2");
    sm_provider_cfg_t *b2 = sm_provider_cfg_create(P, "b", "x:3");

    ck_assert_str_eq(sm_cfg_path(base), "/selmid");
    ck_assert_int_eq(sm_cfg_idle(base), apr_time_from_sec(1800));
    ck_assert_int_eq(sm_cfg_absolute(base), apr_time_from_sec(28800));
    ck_assert_int_eq(sm_cfg_store_type(base), SM_STORE_SHM);
    base->secret = (const unsigned char *)"0123456789abcdef0123456789abcdef";
    base->secret_len = 32;
    base->idle_timeout = apr_time_from_sec(600);
    apr_hash_set(base->providers, "a", APR_HASH_KEY_STRING, a);
    apr_hash_set(base->providers, "b", APR_HASH_KEY_STRING, b1);
    apr_hash_set(add->providers, "b", APR_HASH_KEY_STRING, b2);
    add->path = "/auth";
    add->store_type = SM_STORE_MEMCACHED;
    add->memcached_servers = "127.0.0.1:11211";
    m = sm_server_cfg_merge(P, base, add);
    ck_assert_ptr_eq(m->secret, base->secret);
    ck_assert_str_eq(sm_cfg_path(m), "/auth");
    ck_assert_int_eq(sm_cfg_idle(m), apr_time_from_sec(600));
    ck_assert_int_eq(sm_cfg_store_type(m), SM_STORE_MEMCACHED);
    ck_assert_str_eq(m->memcached_servers, "127.0.0.1:11211");
    ck_assert_ptr_eq(apr_hash_get(m->providers, "a", APR_HASH_KEY_STRING), a);
    ck_assert_ptr_eq(apr_hash_get(m->providers, "b", APR_HASH_KEY_STRING), b2);
}
END_TEST

START_TEST(server_check)
{
    sm_server_cfg_t *c = sm_server_cfg_create(P);

    ck_assert_ptr_nonnull(strstr(sm_server_cfg_check(P, c), "SelmidSecret is not set"));
    c->secret = (const unsigned char *)"short";
    c->secret_len = 5;
    c->secret_origin = "value";
    ck_assert_ptr_nonnull(strstr(sm_server_cfg_check(P, c), "too short"));
    c->secret = (const unsigned char *)"0123456789abcdef0123456789abcdef";
    c->secret_len = 32;
    ck_assert_ptr_null(sm_server_cfg_check(P, c));
    c->idle_timeout = apr_time_from_sec(5000);
    c->absolute_timeout = apr_time_from_sec(4000);
    ck_assert_ptr_nonnull(sm_server_cfg_check(P, c));
}
END_TEST

START_TEST(provider_check)
{
    sm_provider_cfg_t *pc = sm_provider_cfg_create(P, "idp", "f:1");

    ck_assert_ptr_nonnull(strstr(sm_provider_cfg_check(P, pc), "SelmidIssuer"));
    pc->issuer = "https://idp.example.ac.jp";
    ck_assert_ptr_nonnull(strstr(sm_provider_cfg_check(P, pc), "SelmidClientID"));
    pc->client_id = "c";
    ck_assert_ptr_nonnull(strstr(sm_provider_cfg_check(P, pc), "SelmidClientSecret"));
    pc->client_secret = "short";
    ck_assert_ptr_null(sm_provider_cfg_check(P, pc));
    pc->algs = SM_ALG_HS256;
    ck_assert_ptr_nonnull(strstr(sm_provider_cfg_check(P, pc), "HS256"));
    ck_assert_str_eq(sm_cfg_provider_scope(pc), "openid");
    ck_assert_int_eq(sm_cfg_provider_token_auth(pc), SM_TOKEN_AUTH_BASIC);
}
END_TEST

START_TEST(parse_secret_value_and_file)
{
    const unsigned char *s;
    apr_size_t n;
    const char *origin, *e;
    char path[] = "/tmp/sm_test_secretXXXXXX";
    apr_file_t *f;

    e = sm_cfg_parse_secret(P, "tooshort", 32, &s, &n, &origin);
    ck_assert_ptr_nonnull(e);
    ck_assert_ptr_null(strstr(e, "tooshort")); /* never echoes the secret */
    ck_assert_ptr_null(
        sm_cfg_parse_secret(P, "0123456789abcdef0123456789abcdefXY", 32, &s, &n, &origin));
    ck_assert_uint_eq(n, 34);
    ck_assert_ptr_nonnull(sm_cfg_parse_secret(P, "file:/nonexistent/secret", 32, &s, &n, &origin));

    ck_assert_int_eq(apr_file_mktemp(&f, path, APR_FOPEN_CREATE | APR_FOPEN_WRITE, P), 0);
    apr_file_puts("  0123456789abcdef0123456789abcdef\n", f);
    apr_file_close(f);
    apr_file_perms_set(path, APR_FPROT_UREAD | APR_FPROT_UWRITE);
    ck_assert_ptr_null(
        sm_cfg_parse_secret(P, apr_pstrcat(P, "file:", path, NULL), 32, &s, &n, &origin));
    ck_assert_uint_eq(n, 32);
    ck_assert_int_eq(memcmp(s, "0123456789abcdef0123456789abcdef", 32), 0);
    ck_assert_str_eq(origin, path);
    apr_file_perms_set(path, APR_FPROT_UREAD | APR_FPROT_UWRITE | APR_FPROT_WREAD);
    e = sm_cfg_parse_secret(P, apr_pstrcat(P, "file:", path, NULL), 32, &s, &n, &origin);
    ck_assert_ptr_nonnull(e);
    ck_assert_ptr_nonnull(strstr(e, "readable by everyone"));
    apr_file_remove(path, P);
}
END_TEST

START_TEST(parse_path)
{
    const char *p;
    static const char *bad[] = {"",        "/",    "selmid", "/selmid/", "//x",      "/a//b",
                                "/a/../b", "/a b", "/a?x",   "/a%2f",    "/\xc3\xa9"};
    size_t i;

    ck_assert_ptr_null(sm_cfg_parse_path(P, "/selmid", &p));
    ck_assert_ptr_null(sm_cfg_parse_path(P, "/auth/oidc-rp", &p));
    ck_assert_str_eq(p, "/auth/oidc-rp");
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(sm_cfg_parse_path(P, bad[i], &p) != NULL, "accepted %s", bad[i]);
}
END_TEST

START_TEST(parse_seconds)
{
    apr_interval_time_t t;

    ck_assert_ptr_null(sm_cfg_parse_seconds("1800", 60, 86400, &t));
    ck_assert_int_eq(t, apr_time_from_sec(1800));
    ck_assert_ptr_nonnull(sm_cfg_parse_seconds("59", 60, 86400, &t));
    ck_assert_ptr_nonnull(sm_cfg_parse_seconds("86401", 60, 86400, &t));
    ck_assert_ptr_nonnull(sm_cfg_parse_seconds("-5", 0, 86400, &t));
    ck_assert_ptr_nonnull(sm_cfg_parse_seconds("10s", 0, 86400, &t));
    ck_assert_ptr_nonnull(sm_cfg_parse_seconds("", 0, 86400, &t));
    ck_assert_ptr_nonnull(sm_cfg_parse_seconds(" 10", 0, 86400, &t));
    ck_assert_ptr_nonnull(sm_cfg_parse_seconds("99999999999999999999", 0, 86400, &t));
}
END_TEST

START_TEST(parse_issuer)
{
    const char *i;

    ck_assert_ptr_null(sm_cfg_parse_issuer(P, "https://idp.example.ac.jp", &i));
    ck_assert_ptr_null(sm_cfg_parse_issuer(P, "https://idp.example.ac.jp/realms/campus", &i));
    ck_assert_ptr_null(sm_cfg_parse_issuer(P, "http://127.0.0.1:3000", &i));
    ck_assert_ptr_null(sm_cfg_parse_issuer(P, "http://localhost:3000", &i));
    ck_assert_ptr_nonnull(sm_cfg_parse_issuer(P, "http://idp.example.ac.jp", &i));
    ck_assert_ptr_nonnull(sm_cfg_parse_issuer(P, "ftp://idp.example.ac.jp", &i));
    ck_assert_ptr_nonnull(sm_cfg_parse_issuer(P, "https://", &i));
    ck_assert_ptr_nonnull(sm_cfg_parse_issuer(P, "https://idp?x=1", &i));
    ck_assert_ptr_nonnull(sm_cfg_parse_issuer(P, "https://idp#f", &i));
    ck_assert_ptr_nonnull(sm_cfg_parse_issuer(P, "https://user@idp", &i));
    ck_assert_ptr_nonnull(sm_cfg_parse_issuer(P, "https://idp /x", &i));
    ck_assert_ptr_nonnull(sm_cfg_parse_issuer(P, "http://127.0.0.1.evil.example", &i));
    ck_assert_ptr_nonnull(sm_cfg_parse_issuer(P, "http://localhost.evil.example:80", &i));
    ck_assert_ptr_null(sm_cfg_parse_issuer(P, "http://[::1]:8443/op", &i));
}
END_TEST

START_TEST(parse_scope_prefix_claim_algs)
{
    const char *v;
    unsigned algs = 0;

    ck_assert_ptr_null(sm_cfg_parse_scope(P, "openid email profile", &v));
    ck_assert_ptr_nonnull(sm_cfg_parse_scope(P, "email profile", &v));
    ck_assert_ptr_nonnull(sm_cfg_parse_scope(P, "openid\temail", &v));
    ck_assert_ptr_nonnull(sm_cfg_parse_scope(P, "openid \"x\"", &v));
    ck_assert_ptr_null(sm_cfg_parse_prefix(P, "OIDC_CLAIM_", &v));
    ck_assert_ptr_nonnull(sm_cfg_parse_prefix(P, "BAD PREFIX", &v));
    ck_assert_ptr_nonnull(sm_cfg_parse_prefix(P, "", &v));
    ck_assert_ptr_null(sm_cfg_parse_claim_name("email"));
    ck_assert_ptr_null(sm_cfg_parse_claim_name("urn:oid:1.3.6"));
    ck_assert_ptr_nonnull(sm_cfg_parse_claim_name("a b"));
    ck_assert_ptr_null(sm_cfg_parse_algs(P, "RS256", &algs));
    ck_assert_ptr_null(sm_cfg_parse_algs(P, "ES256", &algs));
    ck_assert_uint_eq(algs, SM_ALG_RS256 | SM_ALG_ES256);
    ck_assert_ptr_nonnull(sm_cfg_parse_algs(P, "none", &algs));
    ck_assert_ptr_nonnull(sm_cfg_parse_algs(P, "HS512", &algs));
}
END_TEST

Suite *sm_suite_config(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("config");

    tcase_add_checked_fixture(tc, sm_test_setup, sm_test_teardown);
    tcase_add_test(tc, dir_defaults);
    tcase_add_test(tc, dir_merge_child_wins_and_inherits);
    tcase_add_test(tc, server_defaults_and_merge);
    tcase_add_test(tc, server_check);
    tcase_add_test(tc, provider_check);
    tcase_add_test(tc, parse_secret_value_and_file);
    tcase_add_test(tc, parse_path);
    tcase_add_test(tc, parse_seconds);
    tcase_add_test(tc, parse_issuer);
    tcase_add_test(tc, parse_scope_prefix_claim_algs);
    suite_add_tcase(s, tc);
    return s;
}
