/* authn.c: `AuthType selmid`: scrub spoofable incoming names, find the session, hand the identity
 * to the application, or decide what a request without a session gets. */
#include "glue.h"
#include "sm_attrmap.h"
#include "sm_attrs.h"
#include "sm_cookie.h"
#include "sm_url.h"
#include <apr_lib.h>

APLOG_USE_MODULE(selmid);

sm_req_t *sm_req(request_rec *r)
{
    sm_req_t *rq = ap_get_module_config(r->request_config, &selmid_module);

    if (!rq) {
        rq = apr_pcalloc(r->pool, sizeof(*rq));
        ap_set_module_config(r->request_config, &selmid_module, rq);
    }
    return rq;
}

static bool is_ours(request_rec *r)
{
    const char *t = ap_auth_type(r);
    return t && strcasecmp(t, SM_AUTH_TYPE) == 0;
}

typedef struct scrub_ctx_t {
    apr_array_header_t *names;
    const sm_dir_cfg_t *d;
    const char *cgi_prefix;
} scrub_ctx_t;

static int scrub_one(void *rec, const char *key, const char *value)
{
    scrub_ctx_t *ctx = rec;

    if (sm_attrmap_scrub(ctx->d, ctx->cgi_prefix, key))
        APR_ARRAY_PUSH(ctx->names, const char *) = key;
    return 1;
}

static void scrub_table(request_rec *r, apr_table_t *t, const sm_dir_cfg_t *d,
                        const char *cgi_prefix, const char *what)
{
    apr_array_header_t *names = apr_array_make(r->pool, 2, sizeof(const char *));
    scrub_ctx_t ctx = {names, d, cgi_prefix};
    int i;

    apr_table_do(scrub_one, &ctx, t, NULL);
    for (i = 0; i < names->nelts; i++) {
        const char *n = APR_ARRAY_IDX(names, i, const char *);
        ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r,
                      "SM30040: removed the incoming %s '%s': it could spoof an identity "
                      "attribute",
                      what, sm_attr_cgi_name(r->pool, n));
        apr_table_unset(t, n);
    }
}

void sm_scrub(request_rec *r, const sm_dir_cfg_t *d)
{
    sm_req_t *rq = sm_req(r);
    const char *cgi_prefix;

    if (rq->scrubbed)
        return;
    rq->scrubbed = true;
    cgi_prefix = sm_attr_cgi_name(r->pool, sm_cfg_prefix(d));
    scrub_table(r, r->headers_in, d, cgi_prefix, "header");
    scrub_table(r, r->subprocess_env, d, cgi_prefix, "variable");
}

/* Sets r->user and the session's outputs (sm_attrmap) as headers and/or variables. */
static int export_identity(request_rec *r, const sm_dir_cfg_t *d, const sm_session_t *s)
{
    sm_srv_t *srv = sm_srv(r->server);
    const sm_provider_cfg_t *pc =
        apr_hash_get(srv->cfg->providers, s->provider, APR_HASH_KEY_STRING);
    const sm_provider_cfg_t *opc =
        s->org_provider ? apr_hash_get(srv->cfg->providers, s->org_provider, APR_HASH_KEY_STRING)
                        : NULL;
    sm_attrmap_input_t in = {
        .claims = s->claims,
        .provider = s->provider,
        .provider_type = pc ? sm_provider_type_name(sm_cfg_provider_type(pc)) : "",
        /* a linked person's attributes are the organisational provider's */
        .issuer = s->org_issuer ? s->org_issuer : s->issuer,
        .org_provider = s->org_provider,
        .claims_type = opc ? sm_provider_type_name(sm_cfg_provider_type(opc)) : NULL,
        .session_id = s->id,
        .login_time = s->created,
        .index_key = srv->keys.index,
    };
    sm_attrmap_result_t res;
    int pass = sm_cfg_pass_as(d), i;

    sm_attrmap_compute(r->pool, d, &in, &res);
    if (!res.remote_user) {
        const apr_array_header_t *ru = sm_cfg_remote_user(d);
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "SM30032: the session has none of the %s for REMOTE_USER "
                      "(SelmidRemoteUserClaim), first '%s'",
                      sm_cfg_attr_mode(d) == SM_ATTR_MODE_SHIBBOLETH ? "attributes" : "claims",
                      APR_ARRAY_IDX(ru, 0, const char *));
        return sm_page_error(r, HTTP_FORBIDDEN, "Access denied",
                             "Your account does not provide the identity this site needs.");
    }
    r->user = apr_pstrdup(r->pool, res.remote_user);
    r->ap_auth_type = apr_pstrdup(r->pool, SM_AUTH_TYPE);
    for (i = 0; i < res.outputs->nelts; i++) {
        const sm_attr_out_t *o = &APR_ARRAY_IDX(res.outputs, i, sm_attr_out_t);
        if (pass & SM_PASS_HEADERS)
            apr_table_setn(r->headers_in, o->name, o->value);
        if (pass & SM_PASS_ENV)
            apr_table_setn(r->subprocess_env, o->name, o->value);
    }
    return OK;
}

/* Not a top-level navigation: answer 401 instead of redirecting. */
static bool not_navigation(request_rec *r)
{
    const char *accept = apr_table_get(r->headers_in, "Accept");
    const char *mode = apr_table_get(r->headers_in, "Sec-Fetch-Mode");

    if (r->method_number != M_GET)
        return true;
    if (apr_table_get(r->headers_in, "X-Requested-With"))
        return true;
    if (accept && ap_strcasestr(accept, "application/json") && !ap_strcasestr(accept, "text/html"))
        return true;
    if (mode && strcasecmp(mode, "navigate") != 0)
        return true;
    return false;
}

static int unauthenticated(request_rec *r, const sm_srv_t *srv, const sm_dir_cfg_t *d)
{
    apr_array_header_t *names = d->providers;
    const char *target;

    switch (sm_cfg_unauth(d)) {
    case SM_UNAUTH_PASS:
        r->user = apr_pstrdup(r->pool, ""); /* lets `Require valid-user` through with no identity */
        return OK;
    case SM_UNAUTH_401:
        return sm_page_error(r, HTTP_UNAUTHORIZED, "Login required",
                             "You need to log in to see this page.");
    case SM_UNAUTH_403:
        return sm_page_error(r, HTTP_FORBIDDEN, "Access denied",
                             "You need to log in to see this page.");
    default:
        break;
    }
    if (not_navigation(r))
        return sm_page_error(r, HTTP_UNAUTHORIZED, "Login required",
                             "You need to log in to see this page.");
    if (!names) { /* SelmidProviders unset: the organisation's providers, in definition order */
        apr_array_header_t *all = sm_chooser_all_providers(r->pool, srv);
        int i;
        names = apr_array_make(r->pool, all->nelts, sizeof(const char *));
        for (i = 0; i < all->nelts; i++) {
            const char *n = APR_ARRAY_IDX(all, i, const char *);
            if (sm_cfg_provider_default_accepted(
                    apr_hash_get(srv->cfg->providers, n, APR_HASH_KEY_STRING)))
                APR_ARRAY_PUSH(names, const char *) = n;
        }
        if (names->nelts == 0) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                          "SM30035: this location has no SelmidProviders and the server has no "
                          "oidc or shibboleth provider: SNS providers must be named");
            return sm_page_error(r, HTTP_INTERNAL_SERVER_ERROR, "Login unavailable",
                                 "The login service is not configured for this page.");
        }
    }
    target = r->unparsed_uri;
    if (sm_url_check_local_target(target))
        target = "/";
    if (names->nelts == 1)
        return sm_redirect_to_login(r, srv, APR_ARRAY_IDX(names, 0, const char *), target);
    return sm_page_chooser(r, srv, names, d->providers != NULL, target,
                           sm_chooser_hint_cookie(r, d), -1);
}

/* Whether issuer is the provider's as configured now: a SAML provider's IdP must be one of its
 * SelmidSAMLIdP (then *idp_refused is set when not), another provider's issuer its own. */
static bool issuer_current(const sm_provider_cfg_t *pc, const char *issuer, bool *idp_refused)
{
    if (sm_cfg_provider_type(pc) == SM_PT_SHIBBOLETH) {
        if (sm_cfg_provider_saml_idp_ok(pc, issuer))
            return true;
        if (idp_refused)
            *idp_refused = true;
        return false;
    }
    return issuer &&
           strcmp(sm_cfg_provider_issuer(pc) ? sm_cfg_provider_issuer(pc) : "", issuer) == 0;
}

bool sm_org_source_current(const sm_srv_t *srv, const char *org_provider, const char *org_issuer)
{
    const sm_provider_cfg_t *pc =
        org_provider ? apr_hash_get(srv->cfg->providers, org_provider, APR_HASH_KEY_STRING) : NULL;

    return pc && sm_cfg_is_org_provider(srv->cfg, org_provider) &&
           issuer_current(pc, org_issuer, NULL);
}

bool sm_session_current(const sm_srv_t *srv, const sm_session_t *s, bool *idp_refused,
                        bool *org_refused)
{
    const sm_provider_cfg_t *pc =
        apr_hash_get(srv->cfg->providers, s->provider, APR_HASH_KEY_STRING);

    if (idp_refused)
        *idp_refused = false;
    if (org_refused)
        *org_refused = false;
    if (!pc || !issuer_current(pc, s->issuer, idp_refused))
        return false;
    if (s->org_provider && !sm_org_source_current(srv, s->org_provider, s->org_issuer)) {
        if (org_refused)
            *org_refused = true;
        return false;
    }
    return true;
}

/* The session's provider is one this location accepts, and it is the same provider (issuer)
 * in this server's configuration: a virtual host may define another provider of that name. A
 * SAML session (SelmidProviderType shibboleth) carries its IdP's entityID as issuer: it must be
 * one of the provider's SelmidSAMLIdP (the list may have changed since the import); then
 * *idp_refused is set. A linked session's organisational attributes must still come from an
 * organisational provider and issuer of this configuration; else *org_refused is set. */
static bool provider_accepted(const sm_srv_t *srv, const sm_dir_cfg_t *d, const sm_session_t *s,
                              bool *idp_refused, bool *org_refused)
{
    const sm_provider_cfg_t *pc =
        apr_hash_get(srv->cfg->providers, s->provider, APR_HASH_KEY_STRING);
    const char *provider = s->provider;
    int i;

    if (!sm_session_current(srv, s, idp_refused, org_refused))
        return false;
    if (!d->providers)
        return sm_cfg_provider_default_accepted(pc);
    for (i = 0; i < d->providers->nelts; i++)
        if (strcmp(APR_ARRAY_IDX(d->providers, i, const char *), provider) == 0)
            return true;
    return false;
}

int sm_check_authn(request_rec *r)
{
    sm_srv_t *srv;
    sm_dir_cfg_t *d;
    sm_req_t *rq;
    sm_session_t *s = NULL;
    sm_env_t *env;
    const char *cookie;
    sm_sess_result_e res;
    bool idp_refused = false, org_refused = false;

    if (!is_ours(r))
        return DECLINED;
    srv = sm_srv(r->server);
    d = sm_dir(r);
    rq = sm_req(r);
    sm_scrub(r, d);
    if (!srv->ready) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "SM30030: AuthType selmid but mod_selmid is not set up for this server");
        return sm_page_error(r, HTTP_INTERNAL_SERVER_ERROR, "Login unavailable",
                             "The login service is not configured.");
    }
    if (r->main && sm_req(r->main)->session &&
        provider_accepted(srv, d, sm_req(r->main)->session, &idp_refused,
                          &org_refused)) { /* a subrequest */
        rq->session = sm_req(r->main)->session;
        return export_identity(r, d, rq->session);
    }
    env = sm_env(r, srv);
    cookie = sm_cookie_get(r->pool, apr_table_get(r->headers_in, "Cookie"),
                           sm_cfg_cookie_name(srv->cfg));
    res = sm_session_load(env, &srv->keys, &srv->policy, cookie, &s);
    if (res == SM_SESS_OK && !provider_accepted(srv, d, s, &idp_refused, &org_refused)) {
        /* a session from a provider this location does not accept counts as none here */
        if (org_refused)
            ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r,
                          "SM26121: the session's organisational attributes come from provider "
                          "%s, no longer an organisational provider with that issuer "
                          "(SelmidOrgProvider, SelmidSAMLIdP): no session here",
                          s->org_provider);
        else if (idp_refused)
            ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                          "SM32011: the session's identity provider %s is not one of provider "
                          "%s (SelmidSAMLIdP): no session here",
                          ap_escape_logitem(r->pool, s->issuer), s->provider);
        else
            ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                          "SM30034: the session's provider %s is not accepted here "
                          "(SelmidProviders)",
                          s->provider);
        return unauthenticated(r, srv, d);
    }
    if (res == SM_SESS_OK && sm_cfg_link_required(d) && !s->person &&
        !sm_cfg_is_org_provider(srv->cfg, s->provider))
        return sm_link_required(r, srv, s);
    if (res == SM_SESS_OK) {
        if (sm_session_touch(env, &srv->keys, &srv->policy, s) != APR_SUCCESS)
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                          "SM30033: could not refresh the session's idle timer");
        rq->session = s;
        return export_identity(r, d, s);
    }
    if (res == SM_SESS_STORE) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "SM30020: session store (%s) unreachable: request denied", srv->store->name);
        return sm_page_store_down(r);
    }
    if (res != SM_SESS_NONE) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "SM30031: session not accepted: %s",
                      sm_sess_result_str(res));
        apr_table_addn(r->err_headers_out, "Set-Cookie",
                       sm_cookie_make(r->pool, sm_cfg_cookie_name(srv->cfg), "", "/", 0,
                                      sm_is_https(r), "Lax"));
    }
    return unauthenticated(r, srv, d);
}

int sm_fixups(request_rec *r)
{
    if (is_ours(r))
        sm_scrub(r, sm_dir(r));
    return DECLINED;
}
