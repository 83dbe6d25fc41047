/* sm_oidc.c: the authorization request and the processing of the authorization response: RFC 9207
 * issuer check, code exchange with PKCE, ID token validation and the userinfo request. */
#include "sm_oidc.h"
#include "sm_apple.h"
#include "sm_attrs.h"
#include "sm_facebook.h"
#include "sm_crypto.h"
#include "sm_http.h"
#include "sm_json.h"
#include "sm_jwt.h"
#include "sm_url.h"
#include <apr_base64.h>
#include <apr_hash.h>
#include <apr_lib.h>
#include <string.h>
#include <strings.h>

#define TOKEN_RESP_MAX (1024 * 1024)

char *sm_oidc_auth_url(apr_pool_t *p, const sm_op_meta_t *meta, const sm_provider_cfg_t *cfg,
                       const char *redirect_uri, const sm_login_state_t *st)
{
    const sm_provider_profile_t *prof = sm_cfg_profile(cfg);
    int type = sm_cfg_provider_type(cfg);
    char *u = apr_pstrdup(p, meta->authorization_endpoint);

    u = sm_url_add_param(p, u, "response_type", "code");
    u = sm_url_add_param(p, u, "client_id", cfg->client_id);
    u = sm_url_add_param(p, u, "redirect_uri", redirect_uri);
    u = sm_url_add_param(p, u, "scope", sm_cfg_provider_scope(cfg));
    u = sm_url_add_param(p, u, "state", st->state);
    if (type != SM_PT_FACEBOOK) /* OAuth 2.0 only: no ID token to carry a nonce */
        u = sm_url_add_param(p, u, "nonce", st->nonce);
    if (prof->pkce) {
        u = sm_url_add_param(p, u, "code_challenge", sm_pkce_challenge(p, st->verifier));
        u = sm_url_add_param(p, u, "code_challenge_method", "S256");
    }
    if (prof->form_post)
        u = sm_url_add_param(p, u, "response_mode", "form_post");
    if (type == SM_PT_LINE && cfg->line_bot_prompt != SM_UNSET)
        u = sm_url_add_param(p, u, "bot_prompt",
                             cfg->line_bot_prompt == SM_LINE_BOT_AGGRESSIVE ? "aggressive"
                                                                            : "normal");
    /* a fresh authentication (linking): Facebook's OAuth dialog has no max_age */
    if (st->max_age > 0 && type != SM_PT_FACEBOOK)
        u = sm_url_add_param(p, u, "max_age",
                             apr_psprintf(p, "%" APR_TIME_T_FMT, apr_time_sec(st->max_age)));
    if (type == SM_PT_GOOGLE && cfg->allowed_domains && cfg->allowed_domains->nelts == 1)
        u = sm_url_add_param(p, u, "hd", APR_ARRAY_IDX(cfg->allowed_domains, 0, const char *));
    return u;
}

/* An OAuth error code from the OP, reduced to a safe token for the log. */
const char *sm_oidc_safe_token(apr_pool_t *p, const char *s)
{
    char *out;
    apr_size_t i, n;

    if (!s)
        return "-";
    n = strlen(s) > 64 ? 64 : strlen(s);
    out = apr_pstrmemdup(p, s, n);
    for (i = 0; i < n; i++)
        if (!apr_isalnum(out[i]) && out[i] != '_' && out[i] != '-' && out[i] != '.')
            out[i] = '?';
    return out;
}

static apr_status_t token_request(const sm_env_t *env, sm_provider_rt_t *rt,
                                  const sm_op_meta_t *meta, const char *redirect_uri,
                                  const sm_login_state_t *st, const char *code, const char *secret,
                                  json_t **tokens)
{
    const sm_provider_cfg_t *cfg = sm_provider_rt_cfg(rt);
    apr_pool_t *p = env->pool;
    sm_http_req_t req = {
        .method = "POST", .url = meta->token_endpoint, .timeout_ms = 0, .max_body = TOKEN_RESP_MAX};
    sm_http_resp_t *resp = NULL;
    const char *err = NULL, *ctype;
    char *body;
    json_t *j;
    apr_status_t rv;

    body = apr_pstrcat(p, "grant_type=authorization_code&code=", sm_url_encode(p, code),
                       "&redirect_uri=", sm_url_encode(p, redirect_uri),
                       "&code_verifier=", sm_url_encode(p, st->verifier), NULL);
    req.timeout_ms = sm_provider_rt_timeout(rt);
    req.headers = apr_table_make(p, 4);
    apr_table_set(req.headers, "Content-Type", "application/x-www-form-urlencoded");
    apr_table_set(req.headers, "Accept", "application/json");
    if (sm_cfg_provider_token_auth(cfg) == SM_TOKEN_AUTH_POST) {
        body = apr_pstrcat(p, body, "&client_id=", sm_url_encode(p, cfg->client_id),
                           "&client_secret=", sm_url_encode(p, secret), NULL);
    } else {
        /* RFC 6749 2.3.1: both parts form-encoded before base64 */
        const char *cred =
            apr_pstrcat(p, sm_url_encode(p, cfg->client_id), ":", sm_url_encode(p, secret), NULL);
        char *b64 = apr_palloc(p, apr_base64_encode_len((int)strlen(cred)));
        apr_base64_encode(b64, cred, (int)strlen(cred));
        apr_table_set(req.headers, "Authorization", apr_pstrcat(p, "Basic ", b64, NULL));
    }
    req.body = body;
    req.body_len = strlen(body);
    rv = env->http->perform(env->http->baton, p, &req, &resp, &err);
    if (rv != APR_SUCCESS) {
        sm_log(env->log, SM_LOG_ERROR, "SM20023: provider %s: token endpoint unreachable: %s",
               cfg->name, err ? err : "transport error");
        return rv;
    }
    j = sm_json_parse(p, resp->body, resp->body_len, &err);
    if (resp->status != 200) {
        sm_log(env->log, SM_LOG_ERROR,
               "SM20023: provider %s: token endpoint refused the code: HTTP %d, error %s",
               cfg->name, resp->status,
               sm_oidc_safe_token(p, j ? sm_json_str(p, j, "error") : NULL));
        return APR_EGENERAL;
    }
    ctype = apr_table_get(resp->headers, "Content-Type");
    if (!j || !json_is_object(j) || !ctype || strncasecmp(ctype, "application/json", 16) != 0) {
        sm_log(env->log, SM_LOG_ERROR, "SM20023: provider %s: token response is not a JSON object",
               cfg->name);
        return APR_EGENERAL;
    }
    if (!sm_json_str(p, j, "id_token")) {
        sm_log(env->log, SM_LOG_ERROR, "SM20023: provider %s: token response has no id_token",
               cfg->name);
        return APR_EGENERAL;
    }
    *tokens = j;
    return APR_SUCCESS;
}

static sm_cb_result_e userinfo_merge(const sm_env_t *env, sm_provider_rt_t *rt,
                                     const sm_op_meta_t *meta, const char *access_token,
                                     json_t *claims)
{
    const sm_provider_cfg_t *cfg = sm_provider_rt_cfg(rt);
    apr_pool_t *p = env->pool;
    sm_http_req_t req = {.method = "GET",
                         .url = meta->userinfo_endpoint,
                         .timeout_ms = 0,
                         .max_body = TOKEN_RESP_MAX};
    sm_http_resp_t *resp = NULL;
    const char *err = NULL, *ctype, *sub;
    json_t *j, *v;
    const char *k;
    apr_hash_t *taken;

    req.timeout_ms = sm_provider_rt_timeout(rt);
    req.headers = apr_table_make(p, 2);
    apr_table_set(req.headers, "Authorization", apr_pstrcat(p, "Bearer ", access_token, NULL));
    apr_table_set(req.headers, "Accept", "application/json");
    if (env->http->perform(env->http->baton, p, &req, &resp, &err) != APR_SUCCESS) {
        sm_log(env->log, SM_LOG_ERROR, "SM20025: provider %s: userinfo unreachable: %s", cfg->name,
               err ? err : "transport error");
        return SM_CB_USERINFO;
    }
    ctype = apr_table_get(resp->headers, "Content-Type");
    if (resp->status != 200 || !ctype || strncasecmp(ctype, "application/json", 16) != 0) {
        sm_log(env->log, SM_LOG_ERROR,
               "SM20025: provider %s: userinfo answered HTTP %d with an unsupported type",
               cfg->name, resp->status);
        return SM_CB_USERINFO;
    }
    j = sm_json_parse(p, resp->body, resp->body_len, &err);
    if (!j || !json_is_object(j)) {
        sm_log(env->log, SM_LOG_ERROR, "SM20025: provider %s: userinfo is not a JSON object",
               cfg->name);
        return SM_CB_USERINFO;
    }
    sub = sm_json_str(p, j, "sub");
    if (!sub || !sm_ct_streq(sub, json_string_value(json_object_get(claims, "sub")))) {
        sm_log(env->log, SM_LOG_ERROR,
               "SM20026: provider %s: userinfo sub differs from the ID token sub", cfg->name);
        return SM_CB_SUB;
    }
    /* the signed ID token wins where both assert a claim, also where two names differ only in
     * what the application cannot tell apart (case, '-', '_', '.': they become one header) */
    taken = apr_hash_make(p);
    json_object_foreach(claims, k, v)
    {
        apr_hash_set(taken, sm_attr_cgi_name(p, k), APR_HASH_KEY_STRING, k);
    }
    json_object_foreach(j, k, v)
    {
        if (apr_hash_get(taken, sm_attr_cgi_name(p, k), APR_HASH_KEY_STRING)) {
            sm_log(env->log, SM_LOG_DEBUG,
                   "SM20028: provider %s: userinfo claim not used, the ID token has it", cfg->name);
            continue;
        }
        json_object_set(claims, k, v);
    }
    return SM_CB_OK;
}

/* True when the protected header of a compact JWS names HS256 (then no JWKS is needed). */
static bool header_alg_hs256(apr_pool_t *p, const char *jwt)
{
    const char *dot = jwt ? strchr(jwt, '.') : NULL;
    unsigned char *raw = NULL;
    apr_size_t n = 0;
    const json_t *h;

    if (!dot || sm_b64url_decode(p, jwt, (apr_size_t)(dot - jwt), &raw, &n) != APR_SUCCESS)
        return false;
    h = sm_json_parse(p, (const char *)raw, n, NULL);
    return h && json_is_object(h) && json_is_string(json_object_get(h, "alg")) &&
           strcmp(json_string_value(json_object_get(h, "alg")), "HS256") == 0;
}

/* Google: the ID token's hd must be one of SelmidAllowedDomains (when set). */
static sm_cb_result_e check_google_domain(const sm_env_t *env, const sm_provider_cfg_t *cfg,
                                          const json_t *claims)
{
    const json_t *hd = json_object_get(claims, "hd");
    int i;

    if (!cfg->allowed_domains || cfg->allowed_domains->nelts == 0)
        return SM_CB_OK;
    for (i = 0; json_is_string(hd) && i < cfg->allowed_domains->nelts; i++)
        if (strcasecmp(json_string_value(hd),
                       APR_ARRAY_IDX(cfg->allowed_domains, i, const char *)) == 0)
            return SM_CB_OK;
    sm_log(env->log, SM_LOG_ERROR,
           "SM21040: provider %s: the account's hosted domain (hd) is %s SelmidAllowedDomains",
           cfg->name, hd ? "not in" : "missing, as required by");
    return SM_CB_DOMAIN;
}

/* LINE: friendship_status_changed comes with the callback when bot_prompt was sent. */
static void take_line_friendship(const sm_env_t *env, const sm_provider_cfg_t *cfg,
                                 apr_table_t *params, json_t *claims)
{
    const char *v = apr_table_get(params, "friendship_status_changed");

    if (!v || cfg->line_bot_prompt == SM_UNSET)
        return;
    if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0)
        json_object_set_new(claims, "friendship_status_changed", json_boolean(v[0] == 't'));
    else
        sm_log(env->log, SM_LOG_WARN,
               "SM21041: provider %s: friendship_status_changed is neither true nor false, "
               "ignored",
               cfg->name);
}

sm_cb_result_e sm_oidc_handle_response(const sm_env_t *env, sm_provider_rt_t *rt,
                                       apr_interval_time_t skew, const char *redirect_uri,
                                       const sm_login_state_t *st, apr_table_t *params,
                                       json_t **claims)
{
    const sm_provider_cfg_t *cfg = sm_provider_rt_cfg(rt);
    int type = sm_cfg_provider_type(cfg);
    apr_pool_t *p = env->pool;
    sm_op_meta_t *meta;
    const char *iss = apr_table_get(params, "iss"), *error = apr_table_get(params, "error");
    const char *code = apr_table_get(params, "code"), *id_token, *access_token, *detail = NULL;
    const char *secret = cfg->client_secret;
    json_t *tokens = NULL, *jwks = NULL, *c = NULL;
    sm_jwt_expect_t ex;
    sm_jwt_result_e jr;
    sm_cb_result_e r;

    if (sm_provider_meta(env, rt, &meta) != APR_SUCCESS) {
        sm_log(env->log, SM_LOG_ERROR, "SM20027: provider %s: metadata unavailable", cfg->name);
        return SM_CB_METADATA;
    }
    /* RFC 9207: checked before anything else is done with the response, errors included */
    if (iss ? strcmp(iss, meta->issuer) != 0 &&
                  (!meta->issuer_alt || strcmp(iss, meta->issuer_alt) != 0)
            : meta->iss_parameter_supported) {
        sm_log(env->log, SM_LOG_ERROR,
               "SM20021: provider %s: authorization response iss is %s (mix-up defence)", cfg->name,
               iss ? "not the provider's issuer" : "missing");
        return SM_CB_ISS;
    }
    if (error) {
        sm_log(env->log, SM_LOG_NOTICE, "SM20020: provider %s returned error %s", cfg->name,
               sm_oidc_safe_token(p, error));
        return strcmp(error, "access_denied") == 0 ? SM_CB_DENIED : SM_CB_OP_ERROR;
    }
    if (!code || !*code) {
        sm_log(env->log, SM_LOG_ERROR, "SM20022: provider %s: authorization response has no code",
               cfg->name);
        return SM_CB_NO_CODE;
    }
    if (type == SM_PT_FACEBOOK)
        return sm_facebook_login(env, cfg, sm_provider_rt_timeout(rt), meta, redirect_uri, st, code,
                                 claims);
    if (type == SM_PT_APPLE &&
        !(secret = sm_apple_client_secret(env, sm_provider_rt_apple(rt), cfg)))
        return SM_CB_TOKEN;
    if (token_request(env, rt, meta, redirect_uri, st, code, secret, &tokens) != APR_SUCCESS)
        return SM_CB_TOKEN;
    id_token = sm_json_str(p, tokens, "id_token");
    access_token = sm_json_str(p, tokens, "access_token");

    memset(&ex, 0, sizeof(ex));
    ex.issuer = meta->issuer;
    ex.issuer_alt = meta->issuer_alt;
    ex.client_id = cfg->client_id;
    ex.nonce = st->nonce;
    ex.algs = sm_cfg_provider_algs(cfg);
    ex.client_secret = (ex.algs & SM_ALG_HS256) ? cfg->client_secret : NULL;
    ex.now = sm_now(env);
    ex.skew = skew;
    ex.max_age = 0;
    ex.auth_max_age = st->max_age;
    /* an OpenID Provider that honours max_age returns auth_time; the SNS do when they have it */
    ex.auth_time_required = type == SM_PT_OIDC;
    /* an HS256 token (LINE web login) is keyed with the channel secret: no JWKS needed */
    if (!((ex.algs & SM_ALG_HS256) && header_alg_hs256(p, id_token)) &&
        sm_provider_jwks(env, rt, false, &jwks) != APR_SUCCESS) {
        sm_log(env->log, SM_LOG_ERROR, "SM20027: provider %s: JWKS unavailable", cfg->name);
        return SM_CB_METADATA;
    }
    jr = sm_jwt_verify_id_token(p, id_token, jwks, &ex, &c, &detail);
    if (jr == SM_JWT_KID_UNKNOWN && sm_provider_jwks(env, rt, true, &jwks) == APR_SUCCESS)
        jr = sm_jwt_verify_id_token(p, id_token, jwks, &ex, &c, &detail);
    if (jr != SM_JWT_OK) {
        sm_log(env->log, SM_LOG_ERROR, "SM20024: provider %s: ID token rejected: %s (%s)",
               cfg->name, sm_jwt_result_str(jr), detail ? detail : "-");
        return SM_CB_ID_TOKEN;
    }
    json_object_del(c, "nonce");
    json_object_del(c, "at_hash");
    json_object_del(c, "c_hash");
    if (type == SM_PT_GOOGLE && (r = check_google_domain(env, cfg, c)) != SM_CB_OK)
        return r;
    if (sm_cfg_provider_userinfo(cfg) && meta->userinfo_endpoint && access_token) {
        r = userinfo_merge(env, rt, meta, access_token, c);
        if (r != SM_CB_OK)
            return r;
    }
    if (type == SM_PT_LINE)
        take_line_friendship(env, cfg, params, c);
    if (type == SM_PT_APPLE) /* after the ID token validated; its email always wins */
        sm_apple_take_user(env, cfg->name, apr_table_get(params, "user"), c);
    *claims = c;
    return SM_CB_OK;
}
