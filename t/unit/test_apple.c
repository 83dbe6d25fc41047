/* test_apple.c: Sign in with Apple: the ES256 client secret JWT (verified here with OpenSSL),
 * its per-process cache against the fake clock, the first-login `user` field, and a login
 * through sm_oidc_handle_response with client_secret_post. */
#include "sm_tests.h"
#include "fakes.h"
#include "sm_apple.h"
#include "sm_crypto.h"
#include "sm_json.h"
#include "sm_oidc.h"
#include <cjose/cjose.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <string.h>

#define P        sm_test_pool
#define T0       apr_time_from_sec(1700000000)
#define TEAM     "TEAM123456"
#define KID      "KEY1234567"
#define CLIENT   "jp.example.web"
#define REDIRECT "https://rp.example/selmid/callback"
#define A_ISS    "https://appleid.apple.com"

static fake_env_t fe;
static const char *pem;
static EVP_PKEY *pkey;

static void setup(void)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *data;
    long n;

    sm_test_setup();
    fake_env_init(&fe, P, T0);
    pkey = EVP_EC_gen("P-256");
    ck_assert_ptr_nonnull(pkey);
    ck_assert(PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL));
    n = BIO_get_mem_data(bio, &data);
    pem = apr_pstrmemdup(P, data, (apr_size_t)n);
    BIO_free(bio);
}

static void teardown(void)
{
    EVP_PKEY_free(pkey);
    sm_test_teardown();
}

static sm_provider_cfg_t *apple_cfg(void)
{
    sm_provider_cfg_t *pc = sm_provider_cfg_create(P, "apple", "test:1");

    pc->type = SM_PT_APPLE;
    pc->client_id = CLIENT;
    pc->apple_team_id = TEAM;
    pc->apple_key_id = KID;
    pc->apple_key_pem = pem;
    return pc;
}

static json_t *part_json(const char *b64, apr_size_t len)
{
    unsigned char *raw = NULL;
    apr_size_t n = 0;

    ck_assert_int_eq(sm_b64url_decode(P, b64, len, &raw, &n), APR_SUCCESS);
    return sm_json_parse(P, (const char *)raw, n, NULL);
}

/* Checks the JWT's ES256 signature with the public key of pkey (raw r||s -> DER), its header
 * and claims; returns the claims. */
static json_t *verify_secret(const char *jwt)
{
    const char *d1 = strchr(jwt, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    unsigned char *sig = NULL, *der = NULL;
    apr_size_t sig_len = 0;
    ECDSA_SIG *es = ECDSA_SIG_new();
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    json_t *hdr, *claims;
    int der_len;

    ck_assert_ptr_nonnull(d2);
    ck_assert_ptr_null(strchr(d2 + 1, '.'));
    hdr = part_json(jwt, (apr_size_t)(d1 - jwt));
    ck_assert_str_eq(json_string_value(json_object_get(hdr, "alg")), "ES256");
    ck_assert_str_eq(json_string_value(json_object_get(hdr, "kid")), KID);
    ck_assert_int_eq(json_object_size(hdr), 2);
    claims = part_json(d1 + 1, (apr_size_t)(d2 - d1 - 1));
    ck_assert_int_eq(sm_b64url_decode(P, d2 + 1, strlen(d2 + 1), &sig, &sig_len), APR_SUCCESS);
    ck_assert_uint_eq(sig_len, 64);
    ck_assert(ECDSA_SIG_set0(es, BN_bin2bn(sig, 32, NULL), BN_bin2bn(sig + 32, 32, NULL)));
    der_len = i2d_ECDSA_SIG(es, &der);
    ck_assert_int_gt(der_len, 0);
    ck_assert_int_eq(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pkey), 1);
    ck_assert_int_eq(
        EVP_DigestVerify(md, der, (size_t)der_len, (const unsigned char *)jwt, (size_t)(d2 - jwt)),
        1);
    /* a changed signing input does not verify */
    ck_assert_int_eq(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pkey), 1);
    ck_assert_int_ne(EVP_DigestVerify(md, der, (size_t)der_len, (const unsigned char *)jwt,
                                      (size_t)(d2 - jwt) - 1),
                     1);
    OPENSSL_free(der);
    ECDSA_SIG_free(es);
    EVP_MD_CTX_free(md);
    return claims;
}

START_TEST(client_secret_jwt)
{
    const char *err = NULL;
    char *jwt = sm_apple_sign_client_secret(P, pem, TEAM, KID, CLIENT, T0, &err);
    json_t *c;

    ck_assert_ptr_nonnull(jwt);
    c = verify_secret(jwt);
    ck_assert_str_eq(json_string_value(json_object_get(c, "iss")), TEAM);
    ck_assert_str_eq(json_string_value(json_object_get(c, "sub")), CLIENT);
    ck_assert_str_eq(json_string_value(json_object_get(c, "aud")), "https://appleid.apple.com");
    ck_assert_int_eq(json_integer_value(json_object_get(c, "iat")), 1700000000);
    ck_assert_int_eq(json_integer_value(json_object_get(c, "exp")), 1700000000 + 86400);
    ck_assert_int_eq(json_object_size(c), 5);
    /* not a P-256 key */
    ck_assert_ptr_null(sm_apple_sign_client_secret(P, "-----BEGIN PRIVATE KEY-----\nAAAA\n", TEAM,
                                                   KID, CLIENT, T0, &err));
    ck_assert_ptr_nonnull(err);
}
END_TEST

static long iat_of(const char *jwt)
{
    const char *d1 = strchr(jwt, '.'), *d2 = strchr(d1 + 1, '.');
    return (long)json_integer_value(
        json_object_get(part_json(d1 + 1, (apr_size_t)(d2 - d1 - 1)), "iat"));
}

START_TEST(client_secret_cache)
{
    sm_apple_secret_t *cache = sm_apple_secret_create(P);
    sm_provider_cfg_t *pc = apple_cfg();
    const char *a, *b, *c, *d;

    a = sm_apple_client_secret(&fe.env, cache, pc);
    ck_assert_ptr_nonnull(a);
    fe.clock.now = T0 + apr_time_from_sec(11 * 3600);
    b = sm_apple_client_secret(&fe.env, cache, pc);
    ck_assert_str_eq(a, b); /* cached */
    fe.clock.now = T0 + apr_time_from_sec(12 * 3600);
    c = sm_apple_client_secret(&fe.env, cache, pc);
    ck_assert_str_ne(a, c); /* refreshed after 12 h, well before the 24 h expiry */
    ck_assert_int_eq(iat_of(c), 1700000000 + 12 * 3600);
    verify_secret(c);
    fe.clock.now = T0; /* the clock went back: not a secret "from the future" */
    d = sm_apple_client_secret(&fe.env, cache, pc);
    ck_assert_int_eq(iat_of(d), 1700000000);
    ck_assert(fake_log_has(&fe.log, "SM21011"));
    pc->apple_key_pem = "not a key";
    fe.clock.now = T0 + apr_time_from_sec(13 * 3600);
    ck_assert_ptr_null(sm_apple_client_secret(&fe.env, cache, pc));
    ck_assert(fake_log_has(&fe.log, "SM21010"));
}
END_TEST

static json_t *token_claims(void)
{
    return sm_json_own(P, json_pack("{s:s, s:s, s:s}", "sub", "001.abc", "email",
                                    "alice@icloud.example", "iss", A_ISS));
}

START_TEST(user_field_good)
{
    json_t *c = token_claims();

    sm_apple_take_user(&fe.env, "apple",
                       "{\"name\":{\"firstName\":\"花子\",\"lastName\":\"山田\"},"
                       "\"email\":\"alice@icloud.example\"}",
                       c);
    ck_assert_str_eq(json_string_value(json_object_get(c, "given_name")), "花子");
    ck_assert_str_eq(json_string_value(json_object_get(c, "family_name")), "山田");
    ck_assert_str_eq(json_string_value(json_object_get(c, "name")), "花子 山田");
    ck_assert(!fake_log_has(&fe.log, "SM2102"));
    c = token_claims();
    sm_apple_take_user(&fe.env, "apple", "{\"name\":{\"lastName\":\"Apple\"}}", c);
    ck_assert_ptr_null(json_object_get(c, "given_name"));
    ck_assert_str_eq(json_string_value(json_object_get(c, "name")), "Apple");
    c = token_claims();
    sm_apple_take_user(&fe.env, "apple", NULL, c);
    ck_assert_int_eq(json_object_size(c), 3);
}
END_TEST

START_TEST(user_field_malformed)
{
    static const char *const bad[] = {
        "{\"name\":",
        "[1]",
        "{\"name\":\"Alice\"}",
        "{\"name\":{\"firstName\":7}}",
        "{\"name\":{\"firstName\":\"\"}}",
        "{\"name\":{\"firstName\":\"a\\nb\"}}",
    };
    char *big = apr_palloc(P, SM_APPLE_USER_MAX + 64);
    size_t i;
    json_t *c;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        c = token_claims();
        sm_apple_take_user(&fe.env, "apple", bad[i], c);
        ck_assert_msg(json_object_size(c) == 3, "%s was used", bad[i]);
    }
    memset(big, 'x', SM_APPLE_USER_MAX + 63);
    big[SM_APPLE_USER_MAX + 63] = '\0';
    memcpy(big, "{\"name\":{\"firstName\":\"", 22);
    c = token_claims();
    sm_apple_take_user(&fe.env, "apple", big, c);
    ck_assert_int_eq(json_object_size(c), 3);
    ck_assert(fake_log_has(&fe.log, "SM21020"));
    ck_assert(fake_log_has(&fe.log, "oversized"));
}
END_TEST

START_TEST(user_field_email_never_taken)
{
    json_t *c = token_claims();

    sm_apple_take_user(&fe.env, "apple",
                       "{\"name\":{\"firstName\":\"Eve\"},\"email\":\"eve@evil.example\"}", c);
    ck_assert_str_eq(json_string_value(json_object_get(c, "email")), "alice@icloud.example");
    ck_assert_str_eq(json_string_value(json_object_get(c, "given_name")), "Eve");
    ck_assert(fake_log_has(&fe.log, "SM21021"));
    /* an ID token without email: the user field's email is still not used */
    c = sm_json_own(P, json_pack("{s:s}", "sub", "001.abc"));
    sm_apple_take_user(&fe.env, "apple", "{\"email\":\"eve@evil.example\"}", c);
    ck_assert_ptr_null(json_object_get(c, "email"));
    /* a name the ID token has is kept */
    c = sm_json_own(P, json_pack("{s:s, s:s}", "sub", "001.abc", "given_name", "Real"));
    sm_apple_take_user(&fe.env, "apple", "{\"name\":{\"firstName\":\"Eve\"}}", c);
    ck_assert_str_eq(json_string_value(json_object_get(c, "given_name")), "Real");
}
END_TEST

START_TEST(login_flow)
{
    sm_provider_cfg_t *pc = apple_cfg();
    sm_provider_rt_t *rt = sm_provider_rt_create(P, pc, 5000);
    sm_login_state_t *st;
    cjose_err err;
    cjose_jwk_t *k = cjose_jwk_create_RSA_random(2048, NULL, 0, &err);
    char *pub;
    apr_table_t *params = apr_table_make(P, 4);
    const sm_http_req_t *tok;
    const char *body, *secret;
    long now = (long)apr_time_sec(T0);
    json_t *c = NULL;

    ck_assert_ptr_nonnull(rt);
    ck_assert_int_eq(sm_state_new(&fe.env, "apple", "/app", &st), 0);
    cjose_jwk_set_kid(k, "a1", 2, &err);
    pub = cjose_jwk_to_json(k, false, &err);
    fake_http_route(&fe.http, "GET", A_ISS "/auth/keys", 200, "application/json",
                    apr_psprintf(P, "{\"keys\":[%s]}", pub));
    free(pub);
    fake_http_route(
        &fe.http, "POST", A_ISS "/auth/token", 200, "application/json",
        apr_psprintf(P, "{\"access_token\":\"AT\",\"id_token\":\"%s\"}",
                     fake_sign_jwt(P, k, "RS256", "a1",
                                   apr_psprintf(P,
                                                "{\"iss\":\"" A_ISS "\",\"aud\":\"" CLIENT
                                                "\",\"sub\":\"001.abc\",\"nonce\":\"%s\","
                                                "\"iat\":%ld,\"exp\":%ld,\"email\":"
                                                "\"a@icloud.example\"}",
                                                st->nonce, now, now + 600))));
    apr_table_set(params, "code", "c-1");
    apr_table_set(params, "state", st->state);
    apr_table_set(params, "user",
                  "{\"name\":{\"firstName\":\"A\",\"lastName\":\"B\"},"
                  "\"email\":\"x@evil.example\"}");
    ck_assert_int_eq(
        sm_oidc_handle_response(&fe.env, rt, apr_time_from_sec(60), REDIRECT, st, params, &c),
        SM_CB_OK);
    ck_assert_str_eq(json_string_value(json_object_get(c, "email")), "a@icloud.example");
    ck_assert_str_eq(json_string_value(json_object_get(c, "name")), "A B");
    tok = fake_http_find(&fe.http, A_ISS "/auth/token");
    ck_assert_ptr_null(apr_table_get(tok->headers, "Authorization")); /* client_secret_post */
    body = tok->body;
    ck_assert_ptr_nonnull(strstr(body, "client_id=" CLIENT));
    secret = strstr(body, "client_secret=");
    ck_assert_ptr_nonnull(secret);
    secret = apr_pstrndup(P, secret + 14, strcspn(secret + 14, "&"));
    verify_secret(secret);
    ck_assert(!fake_log_has(&fe.log, "eyJ"));
    cjose_jwk_release(k);
}
END_TEST

Suite *sm_suite_apple(void)
{
    Suite *s = suite_create("apple");
    TCase *tc = tcase_create("apple");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, client_secret_jwt);
    tcase_add_test(tc, client_secret_cache);
    tcase_add_test(tc, user_field_good);
    tcase_add_test(tc, user_field_malformed);
    tcase_add_test(tc, user_field_email_never_taken);
    tcase_add_test(tc, login_flow);
    suite_add_tcase(s, tc);
    return s;
}
