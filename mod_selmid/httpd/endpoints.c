/* endpoints.c: mod_selmid's own endpoints under SelmidPath: login, callback, logout, session,
 * choose.
 * They run as a quick handler (before access control) and use server-level configuration. */
#include "glue.h"
#include "sm_cookie.h"
#include "sm_json.h"
#include "sm_url.h"
#include <apr_lib.h>

APLOG_USE_MODULE(selmid);

#define FORM_MAX   (64 * 1024)
#define MAX_PARAMS 32

static const char *redirect_uri(request_rec *r, const sm_srv_t *srv)
{
    return ap_construct_url(r->pool, apr_pstrcat(r->pool, sm_cfg_path(srv->cfg), "/callback", NULL),
                            r);
}

static void set_cookie_ss(request_rec *r, const char *name, const char *value, const char *path,
                          long max_age, const char *samesite)
{
    const char *c = sm_cookie_make(r->pool, name, value, path, max_age, sm_is_https(r), samesite);
    if (c)
        apr_table_addn(r->err_headers_out, "Set-Cookie", c);
}

static void set_cookie(request_rec *r, const char *name, const char *value, const char *path,
                       long max_age)
{
    set_cookie_ss(r, name, value, path, max_age, "Lax");
}

int sm_redirect_to_login(request_rec *r, const sm_srv_t *srv, const char *provider,
                         const char *target)
{
    char *u = apr_pstrcat(r->pool, sm_cfg_path(srv->cfg), "/login", NULL);

    u = sm_url_add_param(r->pool, u, "provider", provider);
    u = sm_url_add_param(r->pool, u, "target", target);
    return sm_redirect(r, u);
}

/* Parameters of a GET query string; NULL (after the error page) on malformed input. */
apr_table_t *sm_query_params(request_rec *r, int *status)
{
    apr_table_t *t = NULL;
    const char *err = NULL;
    const char *q = r->args ? r->args : "";

    if (sm_url_parse_form(r->pool, q, strlen(q), true, MAX_PARAMS, &t, &err) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "SM30010: malformed query string: %s",
                      err ? err : "invalid");
        *status = sm_page_error(r, HTTP_BAD_REQUEST, "Bad request", "The request was malformed.");
        return NULL;
    }
    return t;
}

/* Drops the oldest login states so that at most SM_STATE_MAX_INFLIGHT - 1 remain before a new one
 * is added. Browsers send cookies of the same path oldest first. */
static void prune_states(request_rec *r, const sm_srv_t *srv)
{
    apr_array_header_t *all = sm_cookie_find(r->pool, apr_table_get(r->headers_in, "Cookie"),
                                             SM_STATE_COOKIE_PREFIX, false, 64);
    int i, drop = all->nelts - (SM_STATE_MAX_INFLIGHT - 1);
    const char *path = apr_pstrcat(r->pool, sm_cfg_path(srv->cfg), "/", NULL);

    for (i = 0; i < drop; i++)
        set_cookie(r, APR_ARRAY_IDX(all, i, sm_cookie_t).name, "", path, 0);
}

int sm_start_login(request_rec *r, sm_srv_t *srv, const char *provider, const char *target,
                   const char *link)
{
    sm_env_t *env = sm_env(r, srv);
    sm_provider_rt_t *rt = apr_hash_get(srv->rt, provider, APR_HASH_KEY_STRING);
    sm_op_meta_t *meta;
    sm_login_state_t *st;
    const char *sealed;

    if (sm_provider_meta(env, rt, &meta) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "SM20027: provider %s: metadata unavailable, cannot start a login", provider);
        return sm_page_error(r, HTTP_BAD_GATEWAY, "Login unavailable",
                             "The identity provider cannot be reached. Please try again later.");
    }
    if (sm_state_new(env, provider, target, &st) != APR_SUCCESS ||
        !(st->link = link, st->max_age = link ? sm_cfg_link_max_age(srv->cfg) : 0,
          sealed = sm_state_seal(env, &srv->keys, st))) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "SM30050: cannot create a login state");
        return sm_page_error(r, HTTP_INTERNAL_SERVER_ERROR, "Login unavailable",
                             "The login could not be started.");
    }
    prune_states(r, srv);
    /* a form_post provider (Apple) answers with a cross-site POST, which carries only a
     * SameSite=None cookie; browsers take None only with Secure, so plain http keeps Lax */
    set_cookie_ss(r, sm_state_cookie_name(r->pool, st->state), sealed,
                  apr_pstrcat(r->pool, sm_cfg_path(srv->cfg), "/", NULL),
                  (long)apr_time_sec(SM_STATE_LIFETIME),
                  sm_cfg_profile(sm_provider_rt_cfg(rt))->form_post && sm_is_https(r) ? "None"
                                                                                      : "Lax");
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "SM30051: login started with provider %s%s",
                  provider, link ? " (to link an account)" : "");
    return sm_redirect(
        r, sm_oidc_auth_url(r->pool, meta, sm_provider_rt_cfg(rt), redirect_uri(r, srv), st));
}

static int do_login(request_rec *r, sm_srv_t *srv)
{
    int status = OK;
    apr_table_t *q;
    const char *provider, *target, *why;
    const sm_provider_cfg_t *pc;

    if (r->method_number != M_GET)
        return HTTP_METHOD_NOT_ALLOWED;
    if (!(q = sm_query_params(r, &status)))
        return status;
    provider = apr_table_get(q, "provider");
    target = apr_table_get(q, "target");
    if (!target)
        target = "/";
    if ((why = sm_url_check_local_target(target))) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "SM30021: login target refused: %s", why);
        return sm_page_error(r, HTTP_BAD_REQUEST, "Bad request",
                             "The page to return to after login is not on this site.");
    }
    if (!provider || !apr_hash_get(srv->rt, provider, APR_HASH_KEY_STRING)) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "SM30022: login for an unknown provider");
        return sm_page_error(r, HTTP_BAD_REQUEST, "Bad request",
                             "The requested identity provider is not known here.");
    }
    pc = apr_hash_get(srv->cfg->providers, provider, APR_HASH_KEY_STRING);
    /* remembered for the chooser's order only; each location decides whether to use it */
    sm_chooser_set_hint(r, provider);
    if (pc && sm_cfg_provider_type(pc) == SM_PT_SHIBBOLETH)
        return sm_saml_start_login(r, srv, pc, target, false);
    return sm_start_login(r, srv, provider, target, NULL);
}

/* Reads an application/x-www-form-urlencoded POST body (form_post response mode). */
apr_table_t *sm_form_params(request_rec *r, int *status)
{
    const char *ctype = apr_table_get(r->headers_in, "Content-Type"), *err = NULL;
    apr_table_t *t = NULL;
    char *body = NULL;
    apr_size_t len = 0;
    apr_off_t total = 0;
    int rc;

    if (!ctype || strncasecmp(ctype, "application/x-www-form-urlencoded", 33) != 0 ||
        (ctype[33] && ctype[33] != ';' && ctype[33] != ' ')) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "SM30023: POST without a form Content-Type");
        goto bad;
    }
    if ((rc = ap_setup_client_block(r, REQUEST_CHUNKED_DECHUNK)) != OK) {
        *status = rc;
        return NULL;
    }
    if (ap_should_client_block(r)) {
        char buf[4096];
        long n;
        body = apr_palloc(r->pool, FORM_MAX + 1);
        while ((n = ap_get_client_block(r, buf, sizeof(buf))) > 0) {
            if (total + n > FORM_MAX) {
                ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "SM30023: POST too large");
                goto bad;
            }
            memcpy(body + total, buf, (size_t)n);
            total += n;
        }
        if (n < 0)
            goto bad;
        len = (apr_size_t)total;
    }
    if (len == 0) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "SM30023: empty POST");
        goto bad;
    }
    if (sm_url_parse_form(r->pool, body, len, true, MAX_PARAMS, &t, &err) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "SM30010: malformed POST: %s",
                      err ? err : "invalid");
        goto bad;
    }
    return t;
bad:
    *status = sm_page_error(r, HTTP_BAD_REQUEST, "Bad request", "The request was malformed.");
    return NULL;
}

static int callback_failure(request_rec *r, sm_cb_result_e res)
{
    switch (res) {
    case SM_CB_OP_ERROR:
        return sm_page_error(r, HTTP_UNAUTHORIZED, "Login failed",
                             "The identity provider did not complete the login.");
    case SM_CB_DENIED:
        return sm_page_error(r, HTTP_FORBIDDEN, "Login cancelled",
                             "The login was cancelled or refused at the identity provider.");
    case SM_CB_DOMAIN:
        return sm_page_error(r, HTTP_FORBIDDEN, "Login refused",
                             "This account is not from a domain allowed here.");
    case SM_CB_TOKEN:
    case SM_CB_USERINFO:
    case SM_CB_METADATA:
        return sm_page_error(r, HTTP_BAD_GATEWAY, "Login failed",
                             "The identity provider could not be reached or answered wrongly. "
                             "Please try again later.");
    default:
        return sm_page_error(r, HTTP_UNAUTHORIZED, "Login failed",
                             "The login response could not be verified.");
    }
}

static int do_callback(request_rec *r, sm_srv_t *srv)
{
    sm_env_t *env = sm_env(r, srv);
    int status = OK;
    apr_table_t *params;
    const char *state, *cname, *cval, *why = NULL, *path;
    sm_login_state_t *st;
    sm_provider_rt_t *rt;
    json_t *claims = NULL;
    sm_cb_result_e res;
    apr_status_t rv;

    if (r->method_number == M_GET)
        params = sm_query_params(r, &status);
    else if (r->method_number == M_POST)
        params = sm_form_params(r, &status);
    else
        return HTTP_METHOD_NOT_ALLOWED;
    if (!params)
        return status;
    state = apr_table_get(params, "state");
    if (!sm_session_id_wellformed(state)) { /* states are made like session ids */
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "SM30010: callback without a usable state parameter");
        return sm_page_error(r, HTTP_BAD_REQUEST, "Bad request",
                             "The login response was malformed. Please start again.");
    }
    path = apr_pstrcat(r->pool, sm_cfg_path(srv->cfg), "/", NULL);
    cname = sm_state_cookie_name(r->pool, state);
    cval = sm_cookie_get(r->pool, apr_table_get(r->headers_in, "Cookie"), cname);
    if (!cval) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "SM30011: no login state cookie for this callback (another browser, "
                      "expired, or already used)");
        return sm_page_error(r, HTTP_BAD_REQUEST, "Login expired",
                             "This login was not started in this browser or has expired. "
                             "Please start again.");
    }
    set_cookie(r, cname, "", path, 0); /* single use, whatever happens next */
    if (sm_state_open(env, &srv->keys, cval, state, &st, &why) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "SM30012: login state cookie refused: %s", why);
        return sm_page_error(r, HTTP_BAD_REQUEST, "Login expired",
                             "This login has expired or is invalid. Please start again.");
    }
    rv = sm_state_consume(env, &srv->keys, state);
    if (rv == APR_EEXIST) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "SM30013: login state replayed");
        return sm_page_error(r, HTTP_BAD_REQUEST, "Login expired",
                             "This login response was already used. Please start again.");
    }
    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r,
                      "SM30020: session store (%s) unreachable: login denied", srv->store->name);
        return sm_page_store_down(r);
    }
    rt = apr_hash_get(srv->rt, st->provider, APR_HASH_KEY_STRING);
    if (!rt) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "SM30022: login state names a provider that is no longer configured");
        return sm_page_error(r, HTTP_BAD_REQUEST, "Login failed",
                             "The identity provider is not known here. Please start again.");
    }
    res = sm_oidc_handle_response(env, rt, sm_cfg_skew(srv->cfg), redirect_uri(r, srv), st, params,
                                  &claims);
    if (res == SM_CB_DOMAIN)
        ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r,
                      "SM31000: provider %s: login refused, the account's domain is not allowed",
                      st->provider);
    if (res != SM_CB_OK)
        return callback_failure(r, res);
    /* the provider's issuer (not the token's iss spelling), so that a session's issuer always
     * matches its provider's, also for Facebook and Google's "accounts.google.com" */
    return sm_login_complete(r, srv, st->provider, sm_cfg_provider_issuer(sm_provider_rt_cfg(rt)),
                             claims, st->target, st->link);
}

static int do_logout(request_rec *r, sm_srv_t *srv)
{
    int status = OK;
    apr_table_t *q;
    const char *ret, *cookie, *why;

    if (r->method_number != M_GET)
        return HTTP_METHOD_NOT_ALLOWED;
    if (!(q = sm_query_params(r, &status)))
        return status;
    ret = apr_table_get(q, "return");
    if (ret && (why = sm_url_check_local_target(ret))) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "SM30021: logout return target refused: %s",
                      why);
        return sm_page_error(r, HTTP_BAD_REQUEST, "Bad request",
                             "The page to return to after logout is not on this site.");
    }
    cookie = sm_cookie_get(r->pool, apr_table_get(r->headers_in, "Cookie"),
                           sm_cfg_cookie_name(srv->cfg));
    if (cookie) {
        if (sm_session_destroy(sm_env(r, srv), &srv->keys, cookie) != APR_SUCCESS) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                          "SM30020: session store (%s) unreachable: cannot end the session",
                          srv->store->name);
            set_cookie(r, sm_cfg_cookie_name(srv->cfg), "", "/", 0);
            return sm_page_error(r, HTTP_SERVICE_UNAVAILABLE, "Logout incomplete",
                                 "The session could not be ended on the server. Please close "
                                 "your browser.");
        }
        set_cookie(r, sm_cfg_cookie_name(srv->cfg), "", "/", 0);
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "SM30053: logged out");
    }
    if (ret)
        return sm_redirect(r, ret);
    return sm_page_logged_out(r);
}

static int do_choose(request_rec *r, sm_srv_t *srv)
{
    int status = OK;
    apr_table_t *q;

    if (r->method_number != M_GET)
        return HTTP_METHOD_NOT_ALLOWED;
    if (!(q = sm_query_params(r, &status)))
        return status;
    return sm_choose_handler(r, srv, q);
}

static int do_session(request_rec *r, sm_srv_t *srv)
{
    sm_env_t *env = sm_env(r, srv);
    sm_session_t *s = NULL;
    const char *cookie;
    sm_sess_result_e res;
    json_t *out;

    if (r->method_number != M_GET)
        return HTTP_METHOD_NOT_ALLOWED;
    cookie = sm_cookie_get(r->pool, apr_table_get(r->headers_in, "Cookie"),
                           sm_cfg_cookie_name(srv->cfg));
    res = sm_session_load(env, &srv->keys, &srv->policy, cookie, &s);
    sm_no_cache(r);
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    ap_set_content_type(r, "application/json");
    if (res == SM_SESS_STORE) {
        r->status = HTTP_SERVICE_UNAVAILABLE;
        ap_rputs("{\"error\":\"session store unavailable\"}\n", r);
        return OK;
    }
    if (res != SM_SESS_OK) {
        r->status = HTTP_UNAUTHORIZED;
        ap_rputs("{\"error\":\"no session\"}\n", r);
        return OK;
    }
    out =
        sm_json_own(r->pool, json_pack("{s:s, s:s, s:s, s:I, s:I, s:O}", "provider", s->provider,
                                       "issuer", s->issuer, "sub", s->sub, "login_time",
                                       (json_int_t)apr_time_sec(s->created), "expires",
                                       (json_int_t)apr_time_sec(s->created + srv->policy.absolute),
                                       "claims", s->claims));
    ap_rputs(out ? sm_json_dump(r->pool, out) : "{}", r);
    ap_rputs("\n", r);
    return OK;
}

int sm_quick_handler(request_rec *r, int lookup)
{
    sm_srv_t *srv = sm_srv(r->server);
    const char *path, *rest;
    apr_size_t n;

    if (lookup || r->main || !srv->ready || !r->uri)
        return DECLINED;
    path = sm_cfg_path(srv->cfg);
    n = strlen(path);
    if (strncmp(r->uri, path, n) != 0 || r->uri[n] != '/')
        return DECLINED;
    rest = r->uri + n + 1;
    if (strcmp(rest, "callback") == 0)
        return do_callback(r, srv);
    if (strcmp(rest, "login") == 0)
        return do_login(r, srv);
    if (strcmp(rest, "logout") == 0)
        return do_logout(r, srv);
    if (strcmp(rest, "session") == 0)
        return do_session(r, srv);
    if (strcmp(rest, "choose") == 0)
        return do_choose(r, srv);
    if (strncmp(rest, "link", 4) == 0 && (rest[4] == '\0' || rest[4] == '/'))
        return sm_link_handler(r, srv, rest + 4);
    return DECLINED;
}
