/* test_provider_types.c: each SelmidProviderType through the relying-party code: metadata from
 * static endpoints and SelmidEndpoint overrides (discovery only for oidc), the authorization
 * request per type, LINE's ID token algorithms and friendship_status_changed, Google's hd and
 * issuer spellings, Yahoo! JAPAN's attribute endpoint. */
#include "sm_tests.h"
#include "fakes.h"
#include "sm_json.h"
#include "sm_jwt.h"
#include "sm_oidc.h"
#include "sm_url.h"
#include <cjose/cjose.h>
#include <string.h>

#define P           sm_test_pool
#define T0          apr_time_from_sec(1700000000)
#define REDIRECT    "https://rp.example/selmid/callback"
#define LINE_SECRET "0123456789abcdef0123456789abcdef"
#define CODE        "code-0001-abcdef"

static fake_env_t fe;
static sm_login_state_t *st;
static cjose_jwk_t *ec_key, *rsa_key;

static void setup(void)
{
    cjose_err err;

    sm_test_setup();
    fake_env_init(&fe, P, T0);
    ck_assert_int_eq(sm_state_new(&fe.env, "p", "/app", &st), 0);
    ec_key = cjose_jwk_create_EC_random(CJOSE_JWK_EC_P_256, &err);
    rsa_key = cjose_jwk_create_RSA_random(2048, NULL, 0, &err);
    ck_assert_ptr_nonnull(ec_key);
    ck_assert_ptr_nonnull(rsa_key);
}

static void teardown(void)
{
    cjose_jwk_release(ec_key);
    cjose_jwk_release(rsa_key);
    sm_test_teardown();
}

static sm_provider_cfg_t *provider(int type, const char *secret)
{
    sm_provider_cfg_t *pc = sm_provider_cfg_create(P, sm_provider_type_name(type), "test:1");

    pc->type = type;
    pc->client_id = "client-1";
    pc->client_secret = secret;
    return pc;
}

static sm_op_meta_t *meta_of(sm_provider_cfg_t *pc)
{
    sm_provider_rt_t *rt = sm_provider_rt_create(P, pc, 5000);
    sm_op_meta_t *m = NULL;

    ck_assert_ptr_nonnull(rt);
    ck_assert_int_eq(sm_provider_meta(&fe.env, rt, &m), APR_SUCCESS);
    return m;
}

static apr_table_t *auth_query(sm_provider_cfg_t *pc, const char **base)
{
    char *u = sm_oidc_auth_url(P, meta_of(pc), pc, REDIRECT, st);
    char *q = strchr(u, '?');
    apr_table_t *t = NULL;
    const char *err = NULL;

    ck_assert_ptr_nonnull(q);
    *q++ = '\0';
    ck_assert_int_eq(sm_url_parse_form(P, q, strlen(q), true, 20, &t, &err), 0);
    if (base)
        *base = u;
    return t;
}

/* ---- metadata ----------------------------------------------------------------------------- */

START_TEST(meta_static_without_fetch)
{
    static const int types[] = {SM_PT_LINE, SM_PT_GOOGLE, SM_PT_YAHOOJP, SM_PT_APPLE};
    size_t i;

    for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        sm_provider_cfg_t *pc = provider(types[i], LINE_SECRET);
        const sm_provider_profile_t *prof = sm_provider_profile(types[i]);
        sm_op_meta_t *m = meta_of(pc);
        ck_assert_str_eq(m->issuer, prof->issuer);
        ck_assert_str_eq(m->authorization_endpoint, prof->endpoints[SM_EP_AUTHORIZATION]);
        ck_assert_str_eq(m->token_endpoint, prof->endpoints[SM_EP_TOKEN]);
        ck_assert_str_eq(m->jwks_uri, prof->endpoints[SM_EP_JWKS]);
        ck_assert_pstr_eq(m->userinfo_endpoint, prof->endpoints[SM_EP_USERINFO]);
    }
    ck_assert_int_eq(fe.http.calls, 0);
    ck_assert_str_eq(meta_of(provider(SM_PT_LINE, LINE_SECRET))->token_endpoint,
                     "https://api.line.me/oauth2/v2.1/token");
    ck_assert_str_eq(meta_of(provider(SM_PT_GOOGLE, "s"))->issuer_alt, "accounts.google.com");
    ck_assert_ptr_null(meta_of(provider(SM_PT_APPLE, NULL))->userinfo_endpoint);
}
END_TEST

START_TEST(meta_overrides)
{
    sm_provider_cfg_t *pc = provider(SM_PT_YAHOOJP, "s");
    sm_op_meta_t *m;

    pc->endpoints[SM_EP_TOKEN] = "http://127.0.0.1:9/token";
    pc->endpoints[SM_EP_USERINFO] = "http://127.0.0.1:9/attribute";
    m = meta_of(pc);
    ck_assert_str_eq(m->token_endpoint, "http://127.0.0.1:9/token");
    ck_assert_str_eq(m->userinfo_endpoint, "http://127.0.0.1:9/attribute");
    ck_assert_str_eq(m->authorization_endpoint,
                     "https://auth.login.yahoo.co.jp/yconnect/v2/authorization");
    ck_assert_str_eq(m->issuer, "https://auth.login.yahoo.co.jp/yconnect/v2");
    ck_assert_int_eq(fe.http.calls, 0);
}
END_TEST

START_TEST(meta_facebook)
{
    sm_provider_cfg_t *pc = provider(SM_PT_FACEBOOK, "s");
    sm_op_meta_t *m = meta_of(pc);

    ck_assert_str_eq(m->authorization_endpoint, "https://www.facebook.com/v26.0/dialog/oauth");
    ck_assert_str_eq(m->token_endpoint, "https://graph.facebook.com/v26.0/oauth/access_token");
    ck_assert_str_eq(m->userinfo_endpoint, "https://graph.facebook.com/v26.0/me");
    ck_assert_ptr_null(m->jwks_uri);
    ck_assert_str_eq(m->issuer, "https://www.facebook.com");
    pc->graph_version = "v20.0";
    pc->endpoints[SM_EP_AUTHORIZATION] = "http://127.0.0.1:8/facebook/";
    pc->endpoints[SM_EP_GRAPH] = "http://127.0.0.1:8/graph";
    m = meta_of(pc);
    ck_assert_str_eq(m->authorization_endpoint, "http://127.0.0.1:8/facebook/v20.0/dialog/oauth");
    ck_assert_str_eq(m->token_endpoint, "http://127.0.0.1:8/graph/v20.0/oauth/access_token");
    ck_assert_str_eq(m->userinfo_endpoint, "http://127.0.0.1:8/graph/v20.0/me");
    ck_assert_int_eq(fe.http.calls, 0);
}
END_TEST

START_TEST(meta_oidc_discovery_override)
{
    sm_provider_cfg_t *pc = provider(SM_PT_OIDC, "s");
    sm_op_meta_t *m;

    pc->issuer = "https://op.example";
    pc->endpoints[SM_EP_DISCOVERY] = "https://meta.example/op.json";
    pc->endpoints[SM_EP_JWKS] = "https://keys.example/jwks";
    fake_http_route(&fe.http, "GET", "https://meta.example/op.json", 200, "application/json",
                    "{\"issuer\":\"https://op.example\",\"authorization_endpoint\":"
                    "\"https://op.example/auth\",\"token_endpoint\":\"https://op.example/token\","
                    "\"jwks_uri\":\"https://op.example/jwks\"}");
    m = meta_of(pc);
    ck_assert_int_eq(fe.http.calls, 1);
    ck_assert_str_eq(fe.http.last.url, "https://meta.example/op.json");
    ck_assert_str_eq(m->authorization_endpoint, "https://op.example/auth");
    ck_assert_str_eq(m->jwks_uri, "https://keys.example/jwks");
    ck_assert_ptr_null(m->issuer_alt);
}
END_TEST

/* ---- authorization requests ----------------------------------------------------------------- */

START_TEST(auth_line)
{
    sm_provider_cfg_t *pc = provider(SM_PT_LINE, LINE_SECRET);
    const char *base;
    apr_table_t *q = auth_query(pc, &base);

    ck_assert_str_eq(base, "https://access.line.me/oauth2/v2.1/authorize");
    ck_assert_str_eq(apr_table_get(q, "scope"), "openid profile");
    ck_assert_str_eq(apr_table_get(q, "nonce"), st->nonce);
    ck_assert_str_eq(apr_table_get(q, "code_challenge_method"), "S256");
    ck_assert_ptr_null(apr_table_get(q, "bot_prompt"));
    ck_assert_ptr_null(apr_table_get(q, "response_mode"));
    pc->line_bot_prompt = SM_LINE_BOT_NORMAL;
    ck_assert_str_eq(apr_table_get(auth_query(pc, NULL), "bot_prompt"), "normal");
    pc->line_bot_prompt = SM_LINE_BOT_AGGRESSIVE;
    ck_assert_str_eq(apr_table_get(auth_query(pc, NULL), "bot_prompt"), "aggressive");
}
END_TEST

START_TEST(auth_facebook_no_nonce)
{
    apr_table_t *q = auth_query(provider(SM_PT_FACEBOOK, "s"), NULL);

    ck_assert_ptr_null(apr_table_get(q, "nonce"));
    ck_assert_str_eq(apr_table_get(q, "state"), st->state);
    ck_assert_str_eq(apr_table_get(q, "scope"), "public_profile email");
    ck_assert_str_eq(apr_table_get(q, "code_challenge"), sm_pkce_challenge(P, st->verifier));
}
END_TEST

START_TEST(auth_google_hd)
{
    sm_provider_cfg_t *pc = provider(SM_PT_GOOGLE, "s");

    ck_assert_ptr_null(apr_table_get(auth_query(pc, NULL), "hd"));
    pc->allowed_domains = apr_array_make(P, 2, sizeof(const char *));
    APR_ARRAY_PUSH(pc->allowed_domains, const char *) = "campus.example.ac.jp";
    ck_assert_str_eq(apr_table_get(auth_query(pc, NULL), "hd"), "campus.example.ac.jp");
    ck_assert_str_eq(apr_table_get(auth_query(pc, NULL), "scope"), "openid email profile");
    APR_ARRAY_PUSH(pc->allowed_domains, const char *) = "example.net";
    ck_assert_ptr_null(apr_table_get(auth_query(pc, NULL), "hd"));
}
END_TEST

START_TEST(auth_apple_yahoo)
{
    apr_table_t *q = auth_query(provider(SM_PT_APPLE, NULL), NULL);

    ck_assert_str_eq(apr_table_get(q, "response_mode"), "form_post");
    ck_assert_str_eq(apr_table_get(q, "scope"), "openid name email");
    ck_assert_str_eq(apr_table_get(q, "nonce"), st->nonce);
    q = auth_query(provider(SM_PT_YAHOOJP, "s"), NULL);
    ck_assert_ptr_null(apr_table_get(q, "response_mode"));
    ck_assert_str_eq(apr_table_get(q, "nonce"), st->nonce);
    ck_assert_str_eq(apr_table_get(q, "code_challenge_method"), "S256");
}
END_TEST

/* ---- responses ------------------------------------------------------------------------------ */

static const char *claims_json(const char *iss, const char *extra)
{
    long now = (long)apr_time_sec(T0);
    return apr_psprintf(P,
                        "{\"iss\":\"%s\",\"aud\":\"client-1\",\"sub\":\"U123\",\"nonce\":\"%s\","
                        "\"iat\":%ld,\"exp\":%ld%s}",
                        iss, st->nonce, now, now + 600, extra ? extra : "");
}

static void route_jwks(const char *url, cjose_jwk_t *k, const char *kid)
{
    cjose_err err;
    char *pub;

    cjose_jwk_set_kid(k, kid, strlen(kid), &err);
    pub = cjose_jwk_to_json(k, false, &err);
    fake_http_route(&fe.http, "GET", url, 200, "application/json",
                    apr_psprintf(P, "{\"keys\":[%s]}", pub));
    free(pub);
}

static void route_token(const char *url, const char *idt)
{
    fake_http_route(&fe.http, "POST", url, 200, "application/json",
                    apr_psprintf(P,
                                 "{\"access_token\":\"AT-1\",\"token_type\":\"Bearer\","
                                 "\"id_token\":\"%s\"}",
                                 idt));
}

static sm_cb_result_e respond(sm_provider_cfg_t *pc, apr_table_t *extra, json_t **claims)
{
    sm_provider_rt_t *rt = sm_provider_rt_create(P, pc, 5000);
    apr_table_t *params = extra ? extra : apr_table_make(P, 4);

    apr_table_set(params, "code", CODE);
    apr_table_set(params, "state", st->state);
    *claims = NULL;
    return sm_oidc_handle_response(&fe.env, rt, apr_time_from_sec(60), REDIRECT, st, params,
                                   claims);
}

#define LINE_TOKEN "https://api.line.me/oauth2/v2.1/token"
#define LINE_JWKS  "https://api.line.me/oauth2/v2.1/certs"
#define LINE_ISS   "https://access.line.me"

static const char *hs256(const char *secret, const char *claims)
{
    cjose_jwk_t *k = cjose_jwk_create_oct_spec((const uint8_t *)secret, strlen(secret), NULL);
    const char *t = fake_sign_jwt(P, k, "HS256", NULL, claims);

    cjose_jwk_release(k);
    return t;
}

START_TEST(line_hs256_channel_secret)
{
    sm_provider_cfg_t *pc = provider(SM_PT_LINE, LINE_SECRET);
    json_t *c;
    const sm_http_req_t *tok;

    route_token(LINE_TOKEN, hs256(LINE_SECRET, claims_json(LINE_ISS, ",\"name\":\"L\"")));
    ck_assert_int_eq(respond(pc, NULL, &c), SM_CB_OK);
    ck_assert_str_eq(json_string_value(json_object_get(c, "sub")), "U123");
    ck_assert_ptr_null(json_object_get(c, "email"));
    ck_assert_ptr_null(fake_http_find(&fe.http, LINE_JWKS)); /* HS256: no JWKS needed */
    tok = fake_http_find(&fe.http, LINE_TOKEN);
    ck_assert_ptr_nonnull(strstr(tok->body, "client_secret=" LINE_SECRET));
    /* signed with another secret: refused */
    route_token(LINE_TOKEN,
                hs256("another-secret-0123456789abcdef!!", claims_json(LINE_ISS, NULL)));
    ck_assert_int_eq(respond(pc, NULL, &c), SM_CB_ID_TOKEN);
    ck_assert(fake_log_has(&fe.log, "SM20024"));
}
END_TEST

START_TEST(line_es256_accepted_rs256_refused)
{
    sm_provider_cfg_t *pc = provider(SM_PT_LINE, LINE_SECRET);
    json_t *c;

    route_jwks(LINE_JWKS, ec_key, "line-ec");
    route_token(LINE_TOKEN, fake_sign_jwt(P, ec_key, "ES256", "line-ec",
                                          claims_json(LINE_ISS, ",\"email\":\"a@line.example\"")));
    ck_assert_int_eq(respond(pc, NULL, &c), SM_CB_OK);
    ck_assert_str_eq(json_string_value(json_object_get(c, "email")), "a@line.example");
    route_jwks(LINE_JWKS, rsa_key, "line-rsa");
    route_token(LINE_TOKEN,
                fake_sign_jwt(P, rsa_key, "RS256", "line-rsa", claims_json(LINE_ISS, NULL)));
    pc = provider(SM_PT_LINE, LINE_SECRET); /* a fresh JWKS cache */
    ck_assert_int_eq(respond(pc, NULL, &c), SM_CB_ID_TOKEN);
    ck_assert(fake_log_has(&fe.log, "alg"));
}
END_TEST

START_TEST(line_friendship_status_changed)
{
    sm_provider_cfg_t *pc = provider(SM_PT_LINE, LINE_SECRET);
    apr_table_t *t;
    json_t *c;

    route_token(LINE_TOKEN, hs256(LINE_SECRET, claims_json(LINE_ISS, NULL)));
    t = apr_table_make(P, 4);
    apr_table_set(t, "friendship_status_changed", "true");
    ck_assert_int_eq(respond(pc, t, &c), SM_CB_OK);
    ck_assert_ptr_null(json_object_get(c, "friendship_status_changed")); /* no bot_prompt sent */
    pc->line_bot_prompt = SM_LINE_BOT_NORMAL;
    ck_assert_int_eq(respond(pc, t, &c), SM_CB_OK);
    ck_assert(json_is_true(json_object_get(c, "friendship_status_changed")));
    apr_table_set(t, "friendship_status_changed", "false");
    ck_assert_int_eq(respond(pc, t, &c), SM_CB_OK);
    ck_assert(json_is_false(json_object_get(c, "friendship_status_changed")));
    apr_table_set(t, "friendship_status_changed", "yes");
    ck_assert_int_eq(respond(pc, t, &c), SM_CB_OK);
    ck_assert_ptr_null(json_object_get(c, "friendship_status_changed"));
    ck_assert(fake_log_has(&fe.log, "SM21041"));
}
END_TEST

#define G_TOKEN "https://oauth2.googleapis.com/token"
#define G_JWKS  "https://www.googleapis.com/oauth2/v3/certs"

static sm_provider_cfg_t *google(const char *hd_claim, const char *iss)
{
    sm_provider_cfg_t *pc = provider(SM_PT_GOOGLE, "google-secret");

    route_jwks(G_JWKS, rsa_key, "g1");
    route_token(G_TOKEN, fake_sign_jwt(
                             P, rsa_key, "RS256", "g1",
                             claims_json(iss, hd_claim ? apr_psprintf(P, ",\"hd\":\"%s\"", hd_claim)
                                                       : NULL)));
    return pc;
}

START_TEST(google_hd)
{
    sm_provider_cfg_t *pc;
    json_t *c;

    /* no SelmidAllowedDomains: any account */
    ck_assert_int_eq(respond(google(NULL, "https://accounts.google.com"), NULL, &c), SM_CB_OK);
    pc = google("Campus.Example.ac.jp", "https://accounts.google.com");
    pc->allowed_domains = apr_array_make(P, 2, sizeof(const char *));
    APR_ARRAY_PUSH(pc->allowed_domains, const char *) = "example.net";
    APR_ARRAY_PUSH(pc->allowed_domains, const char *) = "campus.example.ac.jp";
    ck_assert_int_eq(respond(pc, NULL, &c), SM_CB_OK);
    ck_assert_str_eq(json_string_value(json_object_get(c, "hd")), "Campus.Example.ac.jp");
    pc = google("other.example.org", "https://accounts.google.com");
    pc->allowed_domains = apr_array_make(P, 1, sizeof(const char *));
    APR_ARRAY_PUSH(pc->allowed_domains, const char *) = "campus.example.ac.jp";
    ck_assert_int_eq(respond(pc, NULL, &c), SM_CB_DOMAIN);
    ck_assert_ptr_null(c);
    ck_assert(fake_log_has(&fe.log, "SM21040"));
    pc = google(NULL, "https://accounts.google.com");
    pc->allowed_domains = apr_array_make(P, 1, sizeof(const char *));
    APR_ARRAY_PUSH(pc->allowed_domains, const char *) = "campus.example.ac.jp";
    ck_assert_int_eq(respond(pc, NULL, &c), SM_CB_DOMAIN);
    ck_assert(fake_log_has(&fe.log, "missing"));
}
END_TEST

START_TEST(google_iss_spellings)
{
    json_t *c;
    apr_table_t *t = apr_table_make(P, 4);

    ck_assert_int_eq(respond(google(NULL, "accounts.google.com"), NULL, &c), SM_CB_OK);
    ck_assert_int_eq(respond(google(NULL, "http://accounts.google.com"), NULL, &c), SM_CB_ID_TOKEN);
    /* RFC 9207 iss in the authorization response: either spelling, nothing else */
    apr_table_set(t, "iss", "https://accounts.google.com");
    ck_assert_int_eq(respond(google(NULL, "accounts.google.com"), t, &c), SM_CB_OK);
    apr_table_set(t, "iss", "https://evil.example");
    ck_assert_int_eq(respond(google(NULL, "accounts.google.com"), t, &c), SM_CB_ISS);
}
END_TEST

#define Y_ISS   "https://auth.login.yahoo.co.jp/yconnect/v2"
#define Y_TOKEN Y_ISS "/token"
#define Y_ATTR  "https://userinfo.yahooapis.jp/yconnect/v2/attribute"

START_TEST(yahoojp_attribute_endpoint)
{
    sm_provider_cfg_t *pc = provider(SM_PT_YAHOOJP, "yahoo-secret");
    json_t *c;
    const sm_http_req_t *tok;

    route_jwks(Y_ISS "/jwks", rsa_key, "y1");
    route_token(Y_TOKEN, fake_sign_jwt(P, rsa_key, "RS256", "y1", claims_json(Y_ISS, NULL)));
    fake_http_route(&fe.http, "GET", Y_ATTR, 200, "application/json",
                    "{\"sub\":\"U123\",\"email\":\"y@yahoo.example\"}");
    ck_assert_int_eq(respond(pc, NULL, &c), SM_CB_OK);
    ck_assert_str_eq(json_string_value(json_object_get(c, "email")), "y@yahoo.example");
    tok = fake_http_find(&fe.http, Y_TOKEN);
    ck_assert_ptr_nonnull(apr_table_get(tok->headers, "Authorization"));
    ck_assert_ptr_nonnull(strstr(tok->body, "code_verifier="));
    fake_http_route(&fe.http, "GET", Y_ATTR, 200, "application/json", "{\"sub\":\"someone\"}");
    ck_assert_int_eq(respond(pc, NULL, &c), SM_CB_SUB);
}
END_TEST

Suite *sm_suite_provider_types(void)
{
    Suite *s = suite_create("provider_types");
    TCase *tc = tcase_create("provider_types");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, meta_static_without_fetch);
    tcase_add_test(tc, meta_overrides);
    tcase_add_test(tc, meta_facebook);
    tcase_add_test(tc, meta_oidc_discovery_override);
    tcase_add_test(tc, auth_line);
    tcase_add_test(tc, auth_facebook_no_nonce);
    tcase_add_test(tc, auth_google_hd);
    tcase_add_test(tc, auth_apple_yahoo);
    tcase_add_test(tc, line_hs256_channel_secret);
    tcase_add_test(tc, line_es256_accepted_rs256_refused);
    tcase_add_test(tc, line_friendship_status_changed);
    tcase_add_test(tc, google_hd);
    tcase_add_test(tc, google_iss_spellings);
    tcase_add_test(tc, yahoojp_attribute_endpoint);
    suite_add_tcase(s, tc);
    return s;
}
