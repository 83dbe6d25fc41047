/* test_flow.c: the relying-party flow of sm_oidc.c against a fake provider: the authorization
 * URL, RFC 9207 iss, the code exchange, ID token validation with JWKS rotation, userinfo. */
#include "sm_tests.h"
#include "fakes.h"
#include "sm_json.h"
#include "sm_oidc.h"
#include "sm_url.h"
#include <cjose/cjose.h>
#include <string.h>

#define P        sm_test_pool
#define T0       apr_time_from_sec(1700000000)
#define ISS      "https://op.example"
#define SECRET   "client-secret-value-0123456789-xyz"
#define REDIRECT "https://rp.example/selmid/callback"
#define CODE     "the-authorization-code-0001"

static fake_env_t fe;
static sm_provider_cfg_t *cfg;
static sm_provider_rt_t *rt;
static sm_login_state_t *st;
static cjose_jwk_t *key_a, *key_b;

static cjose_jwk_t *make_key(const char *kid)
{
    cjose_err err;
    cjose_jwk_t *k = cjose_jwk_create_EC_random(CJOSE_JWK_EC_P_256, &err);

    ck_assert_ptr_nonnull(k);
    ck_assert(cjose_jwk_set_kid(k, kid, strlen(kid), &err));
    return k;
}

static void route_jwks(cjose_jwk_t *k)
{
    cjose_err err;
    char *pub = cjose_jwk_to_json(k, false, &err);
    fake_http_route(&fe.http, "GET", ISS "/jwks", 200, "application/json",
                    apr_psprintf(P, "{\"keys\":[%s]}", pub));
    free(pub);
}

static void route_discovery(bool iss_param)
{
    fake_http_route(
        &fe.http, "GET", ISS "/.well-known/openid-configuration", 200, "application/json",
        apr_psprintf(P,
                     "{\"issuer\":\"" ISS "\",\"authorization_endpoint\":\"" ISS
                     "/auth\",\"token_endpoint\":\"" ISS "/token\",\"userinfo_endpoint\":\"" ISS
                     "/me\",\"jwks_uri\":\"" ISS "/jwks\",\"response_types_"
                     "supported\":[\"code\"],\"authorization_response_iss_parameter_"
                     "supported\":%s}",
                     iss_param ? "true" : "false"));
}

/* An ES256 ID token with the given claims (JSON object text) signed by k. */
static const char *id_token(cjose_jwk_t *k, const char *claims)
{
    cjose_err err;
    json_t *hdr = json_pack("{s:s, s:s}", "alg", "ES256", "kid", cjose_jwk_get_kid(k, &err));
    cjose_jws_t *jws =
        cjose_jws_sign(k, (cjose_header_t *)hdr, (const uint8_t *)claims, strlen(claims), &err);
    const char *compact = NULL, *out;

    ck_assert_ptr_nonnull(jws);
    ck_assert(cjose_jws_export(jws, &compact, &err));
    out = apr_pstrdup(P, compact);
    cjose_jws_release(jws);
    json_decref(hdr);
    return out;
}

static const char *std_claims(const char *nonce, const char *sub)
{
    long now = (long)apr_time_sec(fe.clock.now);
    return apr_psprintf(P,
                        "{\"iss\":\"" ISS "\",\"aud\":\"rp\",\"sub\":\"%s\",\"nonce\":\"%s\","
                        "\"iat\":%ld,\"exp\":%ld,\"email\":\"a@example.ac.jp\",\"name\":\"ID\"}",
                        sub, nonce, now, now + 300);
}

static void route_token(const char *idt)
{
    fake_http_route(&fe.http, "POST", ISS "/token", 200, "application/json",
                    apr_psprintf(P,
                                 "{\"access_token\":\"AT-secret-access\",\"token_type\":"
                                 "\"Bearer\",\"expires_in\":300,\"id_token\":\"%s\"}",
                                 idt));
}

static void route_userinfo(const char *sub)
{
    fake_http_route(&fe.http, "GET", ISS "/me", 200, "application/json; charset=utf-8",
                    apr_psprintf(P,
                                 "{\"sub\":\"%s\",\"name\":\"from userinfo\",\"groups\":[\"a\","
                                 "\"b;c\"],\"EMAIL\":\"evil@example\",\"e-mail\":\"x\"}",
                                 sub));
}

static apr_table_t *cb_params(const char *iss)
{
    apr_table_t *t = apr_table_make(P, 4);
    apr_table_set(t, "code", CODE);
    apr_table_set(t, "state", st->state);
    if (iss)
        apr_table_set(t, "iss", iss);
    return t;
}

static void setup(void)
{
    sm_test_setup();
    fake_env_init(&fe, P, T0);
    cfg = sm_provider_cfg_create(P, "campus", "test:1");
    cfg->issuer = ISS;
    cfg->client_id = "rp";
    cfg->client_secret = SECRET;
    cfg->scope = "openid email";
    rt = sm_provider_rt_create(P, cfg, 5000);
    ck_assert_ptr_nonnull(rt);
    key_a = make_key("key-a");
    key_b = make_key("key-b");
    route_discovery(true);
    route_jwks(key_a);
    ck_assert_int_eq(sm_state_new(&fe.env, "campus", "/app", &st), 0);
    route_token(id_token(key_a, std_claims(st->nonce, "alice")));
    route_userinfo("alice");
}

static void teardown(void)
{
    cjose_jwk_release(key_a);
    cjose_jwk_release(key_b);
    sm_test_teardown();
}

/* No log line may carry the code, the client secret, the access token or the ID token. */
static void assert_no_secrets_logged(void)
{
    int i;
    for (i = 0; i < fe.log.lines->nelts; i++) {
        const char *l = APR_ARRAY_IDX(fe.log.lines, i, const char *);
        ck_assert_ptr_null(strstr(l, CODE));
        ck_assert_ptr_null(strstr(l, SECRET));
        ck_assert_ptr_null(strstr(l, "AT-secret-access"));
        ck_assert_ptr_null(strstr(l, "eyJ"));
        ck_assert_ptr_null(strstr(l, st->verifier));
    }
}

START_TEST(auth_url)
{
    sm_op_meta_t *meta;
    char *u;
    apr_table_t *q;
    const char *err;

    ck_assert_int_eq(sm_provider_meta(&fe.env, rt, &meta), 0);
    u = sm_oidc_auth_url(P, meta, cfg, REDIRECT, st);
    ck_assert_int_eq(strncmp(u, ISS "/auth?", strlen(ISS) + 6), 0);
    ck_assert_int_eq(
        sm_url_parse_form(P, strchr(u, '?') + 1, strlen(strchr(u, '?') + 1), true, 20, &q, &err),
        0);
    ck_assert_str_eq(apr_table_get(q, "response_type"), "code");
    ck_assert_str_eq(apr_table_get(q, "client_id"), "rp");
    ck_assert_str_eq(apr_table_get(q, "redirect_uri"), REDIRECT);
    ck_assert_str_eq(apr_table_get(q, "scope"), "openid email");
    ck_assert_str_eq(apr_table_get(q, "state"), st->state);
    ck_assert_str_eq(apr_table_get(q, "nonce"), st->nonce);
    ck_assert_str_eq(apr_table_get(q, "code_challenge_method"), "S256");
    ck_assert_str_eq(apr_table_get(q, "code_challenge"), sm_pkce_challenge(P, st->verifier));
    ck_assert_ptr_null(strstr(u, st->verifier));
    ck_assert_ptr_null(apr_table_get(q, "max_age"));
    /* a login for linking asks for a fresh authentication */
    st->max_age = apr_time_from_sec(600);
    u = sm_oidc_auth_url(P, meta, cfg, REDIRECT, st);
    st->max_age = 0;
    ck_assert_int_eq(
        sm_url_parse_form(P, strchr(u, '?') + 1, strlen(strchr(u, '?') + 1), true, 20, &q, &err),
        0);
    ck_assert_str_eq(apr_table_get(q, "max_age"), "600");
}
END_TEST

START_TEST(happy_path_basic_auth)
{
    json_t *c = NULL;

    ck_assert_int_eq(sm_oidc_handle_response(&fe.env, rt, apr_time_from_sec(60), REDIRECT, st,
                                             cb_params(ISS), &c),
                     SM_CB_OK);
    ck_assert_str_eq(json_string_value(json_object_get(c, "sub")), "alice");
    /* the ID token wins over userinfo; userinfo adds what the token lacks */
    ck_assert_str_eq(json_string_value(json_object_get(c, "name")), "ID");
    ck_assert(json_is_array(json_object_get(c, "groups")));
    ck_assert_ptr_null(json_object_get(c, "nonce"));
    /* a userinfo name that the application would see as the ID token's "email" is dropped */
    ck_assert_ptr_null(json_object_get(c, "EMAIL"));
    ck_assert_str_eq(json_string_value(json_object_get(c, "email")), "a@example.ac.jp");
    ck_assert_str_eq(json_string_value(json_object_get(c, "e-mail")), "x");
    assert_no_secrets_logged();
}
END_TEST

START_TEST(token_request_shape)
{
    json_t *c = NULL;
    const char *auth;
    apr_table_t *f;
    const char *err;

    const sm_http_req_t *tr;

    ck_assert_int_eq(sm_oidc_handle_response(&fe.env, rt, 0, REDIRECT, st, cb_params(ISS), &c),
                     SM_CB_OK);
    tr = fake_http_find(&fe.http, ISS "/token");
    ck_assert_ptr_nonnull(tr);
    ck_assert_str_eq(tr->method, "POST");
    ck_assert_str_eq(apr_table_get(tr->headers, "Content-Type"),
                     "application/x-www-form-urlencoded");
    ck_assert_int_eq(sm_url_parse_form(P, tr->body, strlen(tr->body), true, 20, &f, &err), 0);
    ck_assert_str_eq(apr_table_get(f, "grant_type"), "authorization_code");
    ck_assert_str_eq(apr_table_get(f, "code"), CODE);
    ck_assert_str_eq(apr_table_get(f, "redirect_uri"), REDIRECT);
    ck_assert_str_eq(apr_table_get(f, "code_verifier"), st->verifier);
    ck_assert_ptr_null(apr_table_get(f, "client_secret"));
    auth = apr_table_get(tr->headers, "Authorization");
    ck_assert_ptr_nonnull(auth);
    /* base64("rp:" + secret) */
    ck_assert_str_eq(auth, "Basic cnA6Y2xpZW50LXNlY3JldC12YWx1ZS0wMTIzNDU2Nzg5LXh5eg==");
}
END_TEST

START_TEST(token_request_post_auth)
{
    json_t *c = NULL;
    apr_table_t *f;
    const char *err;

    const sm_http_req_t *tr;

    cfg->token_auth = SM_TOKEN_AUTH_POST;
    ck_assert_int_eq(sm_oidc_handle_response(&fe.env, rt, 0, REDIRECT, st, cb_params(ISS), &c),
                     SM_CB_OK);
    tr = fake_http_find(&fe.http, ISS "/token");
    ck_assert_ptr_nonnull(tr);
    ck_assert_int_eq(sm_url_parse_form(P, tr->body, strlen(tr->body), true, 20, &f, &err), 0);
    ck_assert_str_eq(apr_table_get(f, "client_id"), "rp");
    ck_assert_str_eq(apr_table_get(f, "client_secret"), SECRET);
    ck_assert_ptr_null(apr_table_get(tr->headers, "Authorization"));
}
END_TEST

START_TEST(iss_parameter)
{
    json_t *c = NULL;

    ck_assert_int_eq(sm_oidc_handle_response(&fe.env, rt, 0, REDIRECT, st,
                                             cb_params("https://evil.example"), &c),
                     SM_CB_ISS);
    ck_assert_int_eq(fe.http.calls, 1); /* discovery only: no code exchange */
    ck_assert_int_eq(sm_oidc_handle_response(&fe.env, rt, 0, REDIRECT, st, cb_params(NULL), &c),
                     SM_CB_ISS);
    ck_assert(fake_log_has(&fe.log, "SM20021"));
}
END_TEST

START_TEST(iss_absent_when_not_advertised)
{
    json_t *c = NULL;

    route_discovery(false);
    ck_assert_int_eq(sm_oidc_handle_response(&fe.env, rt, 0, REDIRECT, st, cb_params(NULL), &c),
                     SM_CB_OK);
}
END_TEST

START_TEST(op_error_and_no_code)
{
    json_t *c = NULL;
    apr_table_t *t = cb_params(ISS);

    apr_table_set(t, "error", "access_denied");
    ck_assert_int_eq(sm_oidc_handle_response(&fe.env, rt, 0, REDIRECT, st, t, &c), SM_CB_DENIED);
    apr_table_set(t, "error", "server_error<script>");
    ck_assert_int_eq(sm_oidc_handle_response(&fe.env, rt, 0, REDIRECT, st, t, &c), SM_CB_OP_ERROR);
    ck_assert(fake_log_has(&fe.log, "SM20020"));
    ck_assert(!fake_log_has(&fe.log, "<script>"));
    t = cb_params(ISS);
    apr_table_unset(t, "code");
    ck_assert_int_eq(sm_oidc_handle_response(&fe.env, rt, 0, REDIRECT, st, t, &c), SM_CB_NO_CODE);
}
END_TEST

START_TEST(token_endpoint_failures)
{
    json_t *c = NULL;

    fake_http_route(&fe.http, "POST", ISS "/token", 400, "application/json",
                    "{\"error\":\"invalid_grant\"}");
    ck_assert_int_eq(sm_oidc_handle_response(&fe.env, rt, 0, REDIRECT, st, cb_params(ISS), &c),
                     SM_CB_TOKEN);
    ck_assert(fake_log_has(&fe.log, "invalid_grant"));
    fake_http_route(&fe.http, "POST", ISS "/token", 200, "text/html", "<html>");
    ck_assert_int_eq(sm_oidc_handle_response(&fe.env, rt, 0, REDIRECT, st, cb_params(ISS), &c),
                     SM_CB_TOKEN);
    fake_http_route(&fe.http, "POST", ISS "/token", 200, "application/json",
                    "{\"access_token\":\"x\"}");
    ck_assert_int_eq(sm_oidc_handle_response(&fe.env, rt, 0, REDIRECT, st, cb_params(ISS), &c),
                     SM_CB_TOKEN);
    assert_no_secrets_logged();
}
END_TEST

START_TEST(id_token_nonce_mismatch)
{
    json_t *c = NULL;

    route_token(id_token(key_a, std_claims("another-nonce", "alice")));
    ck_assert_int_eq(sm_oidc_handle_response(&fe.env, rt, 0, REDIRECT, st, cb_params(ISS), &c),
                     SM_CB_ID_TOKEN);
    ck_assert(fake_log_has(&fe.log, "SM20024"));
    assert_no_secrets_logged();
}
END_TEST

START_TEST(jwks_rotation_refetch_rate_limited)
{
    json_t *c = NULL;
    sm_login_state_t *st2;
    cjose_jwk_t *key_c;

    /* a first login caches key-a */
    ck_assert_int_eq(sm_oidc_handle_response(&fe.env, rt, 0, REDIRECT, st, cb_params(ISS), &c),
                     SM_CB_OK);
    /* two minutes later the provider signs with key-b: one refetch finds it */
    fe.clock.now += apr_time_from_sec(120);
    route_jwks(key_b);
    sm_state_new(&fe.env, "campus", "/", &st2);
    st = st2;
    route_token(id_token(key_b, std_claims(st->nonce, "alice")));
    ck_assert_int_eq(sm_oidc_handle_response(&fe.env, rt, 0, REDIRECT, st, cb_params(ISS), &c),
                     SM_CB_OK);
    /* an unknown kid moments later does not make it fetch again */
    route_jwks(key_a);
    fe.clock.now += apr_time_from_sec(5);
    key_c = make_key("key-c");
    route_token(id_token(key_c, std_claims(st->nonce, "alice")));
    cjose_jwk_release(key_c);
    ck_assert_int_eq(sm_oidc_handle_response(&fe.env, rt, 0, REDIRECT, st, cb_params(ISS), &c),
                     SM_CB_ID_TOKEN);
}
END_TEST

START_TEST(userinfo_sub_mismatch_and_failure)
{
    json_t *c = NULL;
    const sm_http_req_t *ui;

    route_userinfo("mallory");
    ck_assert_int_eq(sm_oidc_handle_response(&fe.env, rt, 0, REDIRECT, st, cb_params(ISS), &c),
                     SM_CB_SUB);
    ck_assert(fake_log_has(&fe.log, "SM20026"));
    ui = fake_http_find(&fe.http, ISS "/me");
    ck_assert_ptr_nonnull(ui);
    ck_assert_str_eq(apr_table_get(ui->headers, "Authorization"), "Bearer AT-secret-access");
    fake_http_route(&fe.http, "GET", ISS "/me", 401, "application/json", "{}");
    ck_assert_int_eq(sm_oidc_handle_response(&fe.env, rt, 0, REDIRECT, st, cb_params(ISS), &c),
                     SM_CB_USERINFO);
    fake_http_route(&fe.http, "GET", ISS "/me", 200, "application/jwt", "eyJ.x.y");
    ck_assert_int_eq(sm_oidc_handle_response(&fe.env, rt, 0, REDIRECT, st, cb_params(ISS), &c),
                     SM_CB_USERINFO);
}
END_TEST

START_TEST(provider_down)
{
    json_t *c = NULL;
    sm_op_meta_t *meta;

    fe.http.routes = apr_hash_make(P); /* nothing answers */
    ck_assert_int_eq(sm_oidc_handle_response(&fe.env, rt, 0, REDIRECT, st, cb_params(ISS), &c),
                     SM_CB_METADATA);
    ck_assert(fake_log_has(&fe.log, "SM20010"));
    /* a failed fetch is not repeated for a few seconds (no hammering of a dead provider) */
    ck_assert_int_ne(sm_provider_meta(&fe.env, rt, &meta), 0);
    ck_assert_int_eq(fe.http.calls, 1);
}
END_TEST

START_TEST(stale_metadata_kept_when_refresh_fails)
{
    sm_op_meta_t *meta;

    ck_assert_int_eq(sm_provider_meta(&fe.env, rt, &meta), 0);
    fe.http.routes = apr_hash_make(P);
    fe.clock.now += apr_time_from_sec(7200);
    ck_assert_int_eq(sm_provider_meta(&fe.env, rt, &meta), 0);
    ck_assert_str_eq(meta->token_endpoint, ISS "/token");
    ck_assert(fake_log_has(&fe.log, "SM20013"));
}
END_TEST

Suite *sm_suite_flow(void)
{
    Suite *s = suite_create("flow");
    TCase *tc = tcase_create("flow");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, auth_url);
    tcase_add_test(tc, happy_path_basic_auth);
    tcase_add_test(tc, token_request_shape);
    tcase_add_test(tc, token_request_post_auth);
    tcase_add_test(tc, iss_parameter);
    tcase_add_test(tc, iss_absent_when_not_advertised);
    tcase_add_test(tc, op_error_and_no_code);
    tcase_add_test(tc, token_endpoint_failures);
    tcase_add_test(tc, id_token_nonce_mismatch);
    tcase_add_test(tc, jwks_rotation_refetch_rate_limited);
    tcase_add_test(tc, userinfo_sub_mismatch_and_failure);
    tcase_add_test(tc, provider_down);
    tcase_add_test(tc, stale_metadata_kept_when_refresh_fails);
    suite_add_tcase(s, tc);
    return s;
}
