/* saml.c: SAML alongside (SelmidProviderType shibboleth). mod_selmid does not speak SAML: a login
 * starts at mod_shib's SessionInitiator (SelmidLoginURL) and returns to the import handler, a
 * location protected by mod_shib whose environment carries the SAML session's attributes.
 *
 * mod_shib authenticates in its own check_authn hook and copies its variables into
 * r->subprocess_env only in its fixups hook, so they can be read in a handler (this one), never
 * during mod_selmid's own authentication of the same request. */
#include "glue.h"
#include "sm_cookie.h"
#include "sm_link.h"
#include "sm_saml.h"
#include "sm_url.h"

APLOG_USE_MODULE(selmid);

#define MAX_PARAMS 8

int sm_saml_start_login(request_rec *r, const sm_srv_t *srv, const sm_provider_cfg_t *pc,
                        const char *target, bool link)
{
    const char *import = sm_cfg_provider_saml_import(r->pool, pc, srv->cfg);
    const char *login = sm_cfg_provider_login_url(pc);
    char *back = sm_url_add_param(r->pool, import, "provider", pc->name);

    back = sm_url_add_param(r->pool, back, "target", target);
    /* a login for linking: the import hands it to the link in progress of this browser (its
     * selmid_link cookie), whatever the parameter's origin: it only says which way to go */
    if (link)
        back = sm_url_add_param(r->pool, back, "link", "1");
    back = ap_construct_url(r->pool, back, r);
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  "SM32001: SAML login for provider %s started at %s (returns through %s)",
                  pc->name, login, import);
    /* linking needs a fresh authentication: ask the IdP for one (mod_shib's SessionInitiator
     * takes forceAuthn; the import checks Shib-Authentication-Instant as well) */
    return sm_redirect(r, link ? sm_url_add_param(r->pool,
                                                  sm_url_add_param(r->pool, login, "target", back),
                                                  "forceAuthn", "true")
                               : sm_url_add_param(r->pool, login, "target", back));
}

static const char *env_get(void *baton, const char *name)
{
    return apr_table_get(((request_rec *)baton)->subprocess_env, name);
}

static int refused(request_rec *r, const char *why)
{
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "SM32002: SAML import refused: %s", why);
    return sm_page_error(r, HTTP_FORBIDDEN, "Login failed",
                         "The university login (SAML) did not provide a session here.");
}

int sm_saml_import_handler(request_rec *r)
{
    sm_srv_t *srv;
    apr_table_t *q = NULL;
    const sm_provider_cfg_t *pc;
    const char *provider, *target, *idp, *err = NULL, *why = NULL, *link;
    const char *args = r->args ? r->args : "";
    json_t *claims = NULL;

    if (!r->handler || strcmp(r->handler, SM_SAML_HANDLER) != 0)
        return DECLINED;
    srv = sm_srv(r->server);
    if (!srv->ready) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "SM32003: SetHandler selmid-saml but mod_selmid is not set up for this "
                      "server");
        return sm_page_error(r, HTTP_INTERNAL_SERVER_ERROR, "Login unavailable",
                             "The login service is not configured.");
    }
    if (r->method_number != M_GET)
        return HTTP_METHOD_NOT_ALLOWED;
    if (sm_url_parse_form(r->pool, args, strlen(args), true, MAX_PARAMS, &q, &err) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "SM32004: malformed SAML import query: %s",
                      err ? err : "invalid");
        return sm_page_error(r, HTTP_BAD_REQUEST, "Bad request", "The request was malformed.");
    }
    provider = apr_table_get(q, "provider");
    pc = provider ? apr_hash_get(srv->cfg->providers, provider, APR_HASH_KEY_STRING) : NULL;
    if (!pc || sm_cfg_provider_type(pc) != SM_PT_SHIBBOLETH) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "SM32005: SAML import for a provider that is not a SelmidProviderType "
                      "shibboleth provider of this server");
        return sm_page_error(r, HTTP_BAD_REQUEST, "Bad request",
                             "The requested identity provider is not known here.");
    }
    if (!(target = apr_table_get(q, "target")))
        target = "/";
    if ((why = sm_url_check_local_target(target))) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "SM32006: SAML import target refused: %s", why);
        return sm_page_error(r, HTTP_BAD_REQUEST, "Bad request",
                             "The page to return to after login is not on this site.");
    }
    /* only the environment the SAML module set: never request headers */
    if (sm_saml_claims(r->pool, env_get, r, sm_cfg_provider_saml_attributes(pc), r->user, &claims,
                       &why) != APR_SUCCESS)
        return refused(r, why);
    /* the SAML module may trust more IdPs (a federation's metadata) than this provider does */
    idp = apr_table_get(r->subprocess_env, "Shib-Identity-Provider");
    if (!sm_cfg_provider_saml_idp_ok(pc, idp)) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "SM32010: SAML import refused: the identity provider %s is not one of "
                      "provider %s (SelmidSAMLIdP)",
                      ap_escape_logitem(r->pool, idp), pc->name);
        return sm_page_error(r, HTTP_FORBIDDEN, "Login failed",
                             "The organisation you logged in with is not accepted for this "
                             "login.");
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  "SM32007: SAML session imported for provider %s (identity provider %s)", pc->name,
                  ap_escape_logitem(r->pool, idp));
    link = apr_table_get(q, "link");
    if (link) {
        json_t *at = json_object_get(claims, "auth_time");
        if (json_is_integer(at) && apr_time_now() - apr_time_from_sec(json_integer_value(at)) >
                                       sm_cfg_link_max_age(srv->cfg) + sm_cfg_skew(srv->cfg)) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                          "SM32013: SAML login for linking refused: its authentication "
                          "(Shib-Authentication-Instant) is older than SelmidLinkMaxAge");
            return sm_link_message(
                r, HTTP_FORBIDDEN,
                sm_lang_negotiate(apr_table_get(r->headers_in, "Accept-Language")),
                SM_LM_RESULT_BASE + SM_LINK_STALE);
        }
        link = sm_cookie_get(r->pool, apr_table_get(r->headers_in, "Cookie"), SM_LINK_COOKIE);
        if (!link) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                          "SM32012: SAML login for linking without a link in progress in this "
                          "browser");
            return sm_page_error(r, HTTP_BAD_REQUEST, "Link expired",
                                 "This link was not started in this browser or has expired. "
                                 "Please start again.");
        }
    }
    return sm_login_complete(r, srv, pc->name, idp, claims, target, link);
}
