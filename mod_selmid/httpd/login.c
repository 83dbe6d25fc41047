/* login.c: the end of every login (the OIDC callback and the SAML import). A login made for
 * linking is handed to its link in progress (link.c); any other becomes a session, resolved
 * against the directory when linking is on: a linked SNS identity gets the person's
 * organisational attributes. */
#include "glue.h"
#include "sm_cookie.h"
#include "sm_json.h"
#include "sm_link.h"

APLOG_USE_MODULE(selmid);

int sm_page_directory_down(request_rec *r)
{
    return sm_page_error(r, HTTP_SERVICE_UNAVAILABLE, "Service unavailable",
                         "The directory of linked accounts is temporarily unavailable, so this "
                         "login cannot be completed. Please try again later.");
}

/* The session template for a login, from the directory when linking is on. DONE (a page was
 * sent) when an SNS login cannot be resolved: it might be linked, and giving it less than the
 * person's attributes, or letting it through linking again, would be wrong; the organisation's
 * own login goes on without a person. */
static int resolve(request_rec *r, const sm_srv_t *srv, const char *provider, const char *issuer,
                   json_t *claims, sm_session_t *tmpl)
{
    bool org = sm_cfg_is_org_provider(srv->cfg, provider);
    const sm_directory_t *dir;
    apr_status_t rv = APR_EGENERAL;

    memset(tmpl, 0, sizeof(*tmpl));
    tmpl->provider = provider;
    tmpl->issuer = issuer;
    tmpl->claims = claims;
    tmpl->sub = sm_json_str(r->pool, claims, "sub");
    if (!sm_cfg_linking(srv->cfg))
        return OK;
    if ((dir = sm_directory_get(r, srv)))
        rv = sm_link_resolve_login(sm_env(r, srv), dir, org, provider, issuer, claims, tmpl);
    if (rv == APR_SUCCESS && !org && tmpl->org_provider &&
        !sm_org_source_current(srv, tmpl->org_provider, tmpl->org_issuer)) {
        /* attributes captured from a provider or IdP the organisation no longer trusts: the
         * login counts as not linked (SelmidLinkRequired sends it to link a current one) */
        ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r,
                      "SM26122: provider %s: the person's organisational attributes come from "
                      "provider %s, no longer an organisational provider with that issuer: the "
                      "login gets its own claims and no person",
                      provider, tmpl->org_provider);
        memset(tmpl, 0, sizeof(*tmpl));
        tmpl->provider = provider;
        tmpl->issuer = issuer;
        tmpl->claims = claims;
        tmpl->sub = sm_json_str(r->pool, claims, "sub");
        return OK;
    }
    if (rv == APR_SUCCESS)
        return OK;
    if (org) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      "SM26020: provider %s: the directory is unavailable; the organisational "
                      "login goes on without its person (attributes not saved)",
                      provider);
        memset(tmpl, 0, sizeof(*tmpl));
        tmpl->provider = provider;
        tmpl->issuer = issuer;
        tmpl->claims = claims;
        tmpl->sub = sm_json_str(r->pool, claims, "sub");
        return OK;
    }
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                  "SM26021: provider %s: the directory is unavailable: login denied (a linked "
                  "identity's attributes cannot be found)",
                  provider);
    return sm_page_directory_down(r);
}

int sm_login_complete(request_rec *r, sm_srv_t *srv, const char *provider, const char *issuer,
                      json_t *claims, const char *target, const char *link)
{
    sm_session_t tmpl, *s = NULL;
    apr_status_t rv;
    int status;

    if (link)
        return sm_link_second_login(r, srv, provider, issuer, claims, link, target);
    if ((status = resolve(r, srv, provider, issuer, claims, &tmpl)) != OK)
        return status;
    rv = sm_session_create_from(sm_env(r, srv), &srv->keys, &srv->policy, &tmpl, &s);
    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r,
                      "SM30020: session store (%s) unreachable: cannot create the session",
                      srv->store->name);
        return sm_page_store_down(r);
    }
    sm_set_session_cookie(r, srv, s->id);
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "SM30052: login with provider %s succeeded%s",
                  provider,
                  s->person ? (s->org_provider && strcmp(s->org_provider, provider) != 0
                                   ? " (a linked identity: organisational attributes)"
                                   : " (a linked person)")
                            : "");
    return sm_redirect(r, target);
}

void sm_set_session_cookie(request_rec *r, const sm_srv_t *srv, const char *id)
{
    apr_table_addn(r->err_headers_out, "Set-Cookie",
                   sm_cookie_make(r->pool, sm_cfg_cookie_name(srv->cfg), id ? id : "", "/",
                                  id ? -1 : 0, sm_is_https(r), "Lax"));
}
