/* sm_facebook.c: Facebook Login. The identity comes from the Graph API over TLS with the app's
 * own access token, proven with appsecret_proof; there is no ID token. */
#include "sm_facebook.h"
#include "sm_crypto.h"
#include "sm_http.h"
#include "sm_json.h"
#include "sm_url.h"
#include <string.h>
#include <strings.h>

#define RESP_MAX      (256 * 1024)
#define TOKEN_MAX_LEN 4096
#define ID_MAX_LEN    255

char *sm_facebook_appsecret_proof(apr_pool_t *p, const char *app_secret, const char *access_token)
{
    unsigned char mac[SM_SHA256_LEN];
    char *hex;

    sm_hmac_sha256((const unsigned char *)app_secret, strlen(app_secret), access_token,
                   strlen(access_token), mac);
    hex = sm_hex_encode(p, mac, sizeof(mac));
    sm_wipe(mac, sizeof(mac));
    return hex;
}

/* Graph errors: {"error":{"message":..,"type":..,"code":N,"fbtrace_id":..}}; only type and code
 * are logged. */
static const char *graph_error(apr_pool_t *p, const json_t *j)
{
    const json_t *e = j ? json_object_get(j, "error") : NULL;

    if (!json_is_object(e))
        return "-";
    return apr_psprintf(p, "%s/%ld", sm_oidc_safe_token(p, sm_json_str(p, e, "type")),
                        (long)json_integer_value(json_object_get(e, "code")));
}

/* A JSON object answer with HTTP 200, else NULL (logged with tag and what). */
static json_t *graph_call(const sm_env_t *env, const sm_provider_cfg_t *cfg, sm_http_req_t *req,
                          const char *tag, const char *what)
{
    apr_pool_t *p = env->pool;
    sm_http_resp_t *resp = NULL;
    const char *err = NULL;
    json_t *j;

    if (env->http->perform(env->http->baton, p, req, &resp, &err) != APR_SUCCESS) {
        sm_log(env->log, SM_LOG_ERROR, "%s: provider %s: %s unreachable: %s", tag, cfg->name, what,
               err ? err : "transport error");
        return NULL;
    }
    j = sm_json_parse(p, resp->body, resp->body_len, &err);
    if (resp->status != 200) {
        sm_log(env->log, SM_LOG_ERROR, "%s: provider %s: %s answered HTTP %d, error %s", tag,
               cfg->name, what, resp->status, graph_error(p, j));
        return NULL;
    }
    if (!j || !json_is_object(j)) {
        sm_log(env->log, SM_LOG_ERROR, "%s: provider %s: %s answer is not a JSON object", tag,
               cfg->name, what);
        return NULL;
    }
    return j;
}

/* An access token as Graph issues it: printable ASCII without spaces, bounded. */
static bool token_ok(const char *t)
{
    apr_size_t n = t ? strlen(t) : 0;

    if (n == 0 || n > TOKEN_MAX_LEN)
        return false;
    for (; *t; t++)
        if (*t <= 0x20 || *t >= 0x7f)
            return false;
    return true;
}

/* A string member of 1 to max bytes, or NULL. */
static const char *str_member(const json_t *j, const char *name, apr_size_t max)
{
    const json_t *v = json_object_get(j, name);

    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > max)
        return NULL;
    return json_string_value(v);
}

sm_cb_result_e sm_facebook_login(const sm_env_t *env, const sm_provider_cfg_t *cfg, long timeout_ms,
                                 const sm_op_meta_t *meta, const char *redirect_uri,
                                 const sm_login_state_t *st, const char *code, json_t **claims)
{
    apr_pool_t *p = env->pool;
    sm_http_req_t req = {.method = "GET", .timeout_ms = timeout_ms, .max_body = RESP_MAX};
    const char *access_token, *id, *name, *email;
    char *u, *body;
    json_t *j, *c;

    /* the code exchange with the documented parameters, as a form POST (which the Graph API
     * takes for every call) so that the app secret and the code stay out of URLs and the
     * request logs of anything in between */
    body = apr_pstrcat(p, "client_id=", sm_url_encode(p, cfg->client_id),
                       "&redirect_uri=", sm_url_encode(p, redirect_uri),
                       "&client_secret=", sm_url_encode(p, cfg->client_secret),
                       "&code=", sm_url_encode(p, code), NULL);
    if (sm_cfg_profile(cfg)->pkce)
        body = apr_pstrcat(p, body, "&code_verifier=", sm_url_encode(p, st->verifier), NULL);
    req.method = "POST";
    req.url = meta->token_endpoint;
    req.body = body;
    req.body_len = strlen(body);
    req.headers = apr_table_make(p, 2);
    apr_table_set(req.headers, "Accept", "application/json");
    apr_table_set(req.headers, "Content-Type", "application/x-www-form-urlencoded");
    j = graph_call(env, cfg, &req, "SM21030", "the token endpoint");
    sm_wipe(body, strlen(body));
    if (!j)
        return SM_CB_TOKEN;
    access_token = sm_json_str(p, j, "access_token");
    if (!token_ok(access_token)) {
        sm_log(env->log, SM_LOG_ERROR,
               "SM21031: provider %s: token answer has no usable "
               "access_token",
               cfg->name);
        return SM_CB_TOKEN;
    }

    /* /me with the token in the Authorization header (not in the URL) and appsecret_proof */
    req.method = "GET";
    req.body = NULL;
    req.body_len = 0;
    u = apr_pstrdup(p, meta->userinfo_endpoint);
    u = sm_url_add_param(p, u, "fields", "id,name,email");
    u = sm_url_add_param(p, u, "appsecret_proof",
                         sm_facebook_appsecret_proof(p, cfg->client_secret, access_token));
    req.url = u;
    req.headers = apr_table_make(p, 2);
    apr_table_set(req.headers, "Accept", "application/json");
    apr_table_set(req.headers, "Authorization", apr_pstrcat(p, "Bearer ", access_token, NULL));
    if (!(j = graph_call(env, cfg, &req, "SM21032", "Graph API /me")))
        return SM_CB_USERINFO;
    id = str_member(j, "id", ID_MAX_LEN);
    if (!id) {
        sm_log(env->log, SM_LOG_ERROR, "SM21033: provider %s: Graph API /me has no usable id",
               cfg->name);
        return SM_CB_USERINFO;
    }
    name = str_member(j, "name", 1024);
    email = str_member(j, "email", 1024); /* absent when not granted or not confirmed */
    c = sm_json_own(p, json_pack("{s:s, s:s, s:s}", "iss", SM_FACEBOOK_ISSUER, "aud",
                                 cfg->client_id, "sub", id));
    if (!c)
        return SM_CB_USERINFO;
    if (name)
        json_object_set_new(c, "name", json_string(name));
    if (email)
        json_object_set_new(c, "email", json_string(email));
    *claims = c;
    return SM_CB_OK;
}
