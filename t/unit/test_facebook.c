/* test_facebook.c: Facebook Login against a fake Graph API that checks the code exchange
 * parameters, the access token and appsecret_proof (computed here with OpenSSL's HMAC). */
#include "sm_tests.h"
#include "fakes.h"
#include "sm_facebook.h"
#include "sm_json.h"
#include "sm_url.h"
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

#define P          sm_test_pool
#define T0         apr_time_from_sec(1700000000)
#define APP_ID     "940000000000001"
#define APP_SECRET "fb-app-secret-5c1d9e27a4b6f803"
#define REDIRECT   "https://rp.example/selmid/callback"
#define CODE       "fb-code-0001"
#define ACCESS     "EAAB-access-token-0001"
#define GRAPH      "https://graph.facebook.com/v26.0"

typedef struct graph_t {
    const char *secret; /* the app secret Graph knows */
    const char *verifier;
    const char *me; /* the /me answer */
    int me_status;
    bool token_error;
} graph_t;

static fake_env_t fe;
static graph_t graph;
static sm_login_state_t *st;

static char *hex_hmac(const char *key, const char *msg)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    char *out = apr_palloc(P, 65);
    unsigned int i;

    ck_assert_ptr_nonnull(HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)msg,
                               strlen(msg), mac, &n));
    for (i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", mac[i]);
    return out;
}

static apr_table_t *query_of(apr_pool_t *p, const char *url)
{
    const char *q = strchr(url, '?'), *err = NULL;
    apr_table_t *t = NULL;

    if (!q || sm_url_parse_form(p, q + 1, strlen(q + 1), true, 20, &t, &err) != APR_SUCCESS)
        return apr_table_make(p, 1);
    return t;
}

static sm_http_resp_t *graph_error(apr_pool_t *p, int code)
{
    return fake_http_resp(p, 400, "application/json; charset=UTF-8",
                          apr_psprintf(p,
                                       "{\"error\":{\"message\":\"secret " APP_SECRET
                                       " msg\",\"type\":\"OAuthException\",\"code\":%d,"
                                       "\"fbtrace_id\":\"AbC\"}}",
                                       code));
}

static sm_http_resp_t *graph_handler(void *ctx, apr_pool_t *p, const sm_http_req_t *req)
{
    graph_t *g = ctx;
    apr_table_t *q = query_of(p, req->url);
    const char *v;

    if (strcmp(req->url, GRAPH "/oauth/access_token") == 0) {
        const char *ct = apr_table_get(req->headers, "Content-Type"), *err = NULL;
        /* a form POST: nothing secret in the URL */
        if (strcmp(req->method, "POST") != 0 || g->token_error || !ct ||
            strcmp(ct, "application/x-www-form-urlencoded") != 0 ||
            sm_url_parse_form(p, req->body, req->body_len, true, 20, &q, &err) != APR_SUCCESS)
            return graph_error(p, 100);
        if (!(v = apr_table_get(q, "client_secret")) || strcmp(v, g->secret) != 0)
            return graph_error(p, 1);
        if (!(v = apr_table_get(q, "client_id")) || strcmp(v, APP_ID) != 0 ||
            !(v = apr_table_get(q, "code")) || strcmp(v, CODE) != 0 ||
            !(v = apr_table_get(q, "redirect_uri")) || strcmp(v, REDIRECT) != 0 ||
            !(v = apr_table_get(q, "code_verifier")) || strcmp(v, g->verifier) != 0)
            return graph_error(p, 100);
        return fake_http_resp(p, 200, "application/json",
                              "{\"access_token\":\"" ACCESS "\",\"token_type\":\"bearer\","
                              "\"expires_in\":5183944}");
    }
    if (strncmp(req->url, GRAPH "/me?", strlen(GRAPH "/me?")) == 0) {
        if (apr_table_get(q, "access_token") ||
            !(v = apr_table_get(req->headers, "Authorization")) || strcmp(v, "Bearer " ACCESS) != 0)
            return graph_error(p, 190);
        if (!(v = apr_table_get(q, "appsecret_proof")) || strcmp(v, hex_hmac(g->secret, ACCESS)))
            return graph_error(p, 100);
        if (!(v = apr_table_get(q, "fields")) || strcmp(v, "id,name,email") != 0)
            return graph_error(p, 100);
        return fake_http_resp(p, g->me_status, "application/json", g->me);
    }
    return NULL;
}

static void setup(void)
{
    sm_test_setup();
    fake_env_init(&fe, P, T0);
    ck_assert_int_eq(sm_state_new(&fe.env, "facebook", "/app", &st), 0);
    memset(&graph, 0, sizeof(graph));
    graph.secret = APP_SECRET;
    graph.verifier = st->verifier;
    graph.me = "{\"id\":\"10200000000000001\",\"name\":\"Alice FB\",\"email\":\"a@fb.example\"}";
    graph.me_status = 200;
    fe.http.handler = graph_handler;
    fe.http.handler_ctx = &graph;
}

static void teardown(void)
{
    sm_test_teardown();
}

static sm_cb_result_e fb_login(json_t **claims)
{
    sm_provider_cfg_t *pc = sm_provider_cfg_create(P, "facebook", "test:1");
    sm_provider_rt_t *rt;
    apr_table_t *params = apr_table_make(P, 2);

    pc->type = SM_PT_FACEBOOK;
    pc->client_id = APP_ID;
    pc->client_secret = APP_SECRET;
    rt = sm_provider_rt_create(P, pc, 5000);
    apr_table_set(params, "code", CODE);
    apr_table_set(params, "state", st->state);
    *claims = NULL;
    return sm_oidc_handle_response(&fe.env, rt, apr_time_from_sec(60), REDIRECT, st, params,
                                   claims);
}

/* Nothing Facebook-secret reaches the log. */
static void assert_clean_log(void)
{
    int i;

    for (i = 0; i < fe.log.lines->nelts; i++) {
        const char *l = APR_ARRAY_IDX(fe.log.lines, i, const char *);
        ck_assert_ptr_null(strstr(l, APP_SECRET));
        ck_assert_ptr_null(strstr(l, ACCESS));
        ck_assert_ptr_null(strstr(l, CODE));
        ck_assert_ptr_null(strstr(l, "10200000000000001"));
        ck_assert_ptr_null(strstr(l, "a@fb.example"));
    }
}

START_TEST(appsecret_proof)
{
    ck_assert_str_eq(sm_facebook_appsecret_proof(P, APP_SECRET, ACCESS),
                     hex_hmac(APP_SECRET, ACCESS));
    ck_assert_str_ne(sm_facebook_appsecret_proof(P, "other", ACCESS), hex_hmac(APP_SECRET, ACCESS));
    ck_assert_uint_eq(strlen(sm_facebook_appsecret_proof(P, APP_SECRET, ACCESS)), 64);
}
END_TEST

START_TEST(login)
{
    json_t *c;

    ck_assert_int_eq(fb_login(&c), SM_CB_OK);
    ck_assert_str_eq(json_string_value(json_object_get(c, "iss")), "https://www.facebook.com");
    ck_assert_str_eq(json_string_value(json_object_get(c, "sub")), "10200000000000001");
    ck_assert_str_eq(json_string_value(json_object_get(c, "aud")), APP_ID);
    ck_assert_str_eq(json_string_value(json_object_get(c, "name")), "Alice FB");
    ck_assert_str_eq(json_string_value(json_object_get(c, "email")), "a@fb.example");
    ck_assert_int_eq(json_object_size(c), 5);
    ck_assert_int_eq(fe.http.calls, 2); /* no discovery, no JWKS */
    assert_clean_log();
}
END_TEST

START_TEST(missing_email)
{
    json_t *c;

    graph.me = "{\"id\":\"10200000000000002\",\"name\":\"Bob\"}";
    ck_assert_int_eq(fb_login(&c), SM_CB_OK);
    ck_assert_ptr_null(json_object_get(c, "email"));
    ck_assert_str_eq(json_string_value(json_object_get(c, "sub")), "10200000000000002");
    graph.me = "{\"name\":\"No id\"}";
    ck_assert_int_eq(fb_login(&c), SM_CB_USERINFO);
    ck_assert(fake_log_has(&fe.log, "SM21033"));
}
END_TEST

START_TEST(graph_errors)
{
    json_t *c;

    graph.secret = "a-different-app-secret"; /* the module's secret is wrong */
    ck_assert_int_eq(fb_login(&c), SM_CB_TOKEN);
    ck_assert(fake_log_has(&fe.log, "SM21030"));
    ck_assert(fake_log_has(&fe.log, "OAuthException/1"));
    graph.secret = APP_SECRET;
    graph.token_error = true;
    ck_assert_int_eq(fb_login(&c), SM_CB_TOKEN);
    graph.token_error = false;
    graph.me_status = 500;
    graph.me = "{\"error\":{\"type\":\"OAuthException\",\"code\":2}}";
    ck_assert_int_eq(fb_login(&c), SM_CB_USERINFO);
    ck_assert(fake_log_has(&fe.log, "SM21032"));
    graph.me_status = 200;
    graph.me = "[]";
    ck_assert_int_eq(fb_login(&c), SM_CB_USERINFO);
    ck_assert_ptr_null(c);
    assert_clean_log();
}
END_TEST

/* Graph answers /me only with the proof of the app secret it knows: a proof made with another
 * secret is refused (the exchange itself is made to pass here). */
static sm_http_resp_t *lenient_token(void *ctx, apr_pool_t *p, const sm_http_req_t *req)
{
    graph_t *g = ctx;
    sm_http_resp_t *r;
    const char *saved = g->secret;

    if (strstr(req->url, "/oauth/access_token")) {
        g->secret = APP_SECRET;
        r = graph_handler(ctx, p, req);
        g->secret = saved;
        return r;
    }
    return graph_handler(ctx, p, req);
}

START_TEST(bad_appsecret_proof)
{
    json_t *c;

    fe.http.handler = lenient_token;
    graph.secret = "graph-knows-another-secret";
    ck_assert_int_eq(fb_login(&c), SM_CB_USERINFO);
    ck_assert(fake_log_has(&fe.log, "SM21032"));
    ck_assert(fake_log_has(&fe.log, "OAuthException/100"));
}
END_TEST

Suite *sm_suite_facebook(void)
{
    Suite *s = suite_create("facebook");
    TCase *tc = tcase_create("facebook");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, appsecret_proof);
    tcase_add_test(tc, login);
    tcase_add_test(tc, missing_email);
    tcase_add_test(tc, graph_errors);
    tcase_add_test(tc, bad_appsecret_proof);
    suite_add_tcase(s, tc);
    return s;
}
