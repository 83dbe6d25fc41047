/* link.c: account linking in the browser, under <SelmidPath>/link:
 *   GET  /link          the person's linked accounts, with forms to add and remove
 *   POST /link/add      starts a link: a fresh login with another provider in this browser
 *   GET  /link/confirm  shows what will be linked (after that login)
 *   POST /link/confirm  links
 *   POST /link/remove   removes a link (never the person's last organisational one)
 * Every change is a POST with a token bound to the session (and refused cross-site); both logins
 * of a link, and the login before a removal, must be younger than SelmidLinkMaxAge. The logic is
 * in the core (sm_link, sm_link_tx); the pages in link_pages.c. */
#include "glue.h"
#include "sm_cookie.h"
#include "sm_crypto.h"
#include "sm_json.h"
#include "sm_link_tx.h"
#include "sm_url.h"

APLOG_USE_MODULE(selmid);

#define MAX_PARAMS 8

/* ---- helpers -------------------------------------------------------------------------------- */

static const char *link_url(request_rec *r, const sm_srv_t *srv, const char *rest)
{
    return apr_pstrcat(r->pool, sm_cfg_path(srv->cfg), "/link", rest, NULL);
}

/* The form token of a session: HMAC of its id under the index key (never the id itself). */
static const char *csrf_token(request_rec *r, const sm_srv_t *srv, const char *session_id)
{
    unsigned char mac[SM_SHA256_LEN];
    const char *msg = apr_pstrcat(r->pool, "selmid-link-csrf:", session_id, NULL);

    sm_hmac_sha256(srv->keys.index, SM_KEY_LEN, msg, strlen(msg), mac);
    return sm_b64url_encode(r->pool, mac, sizeof(mac));
}

/* A POST of ours: from a page of this origin, with the session's token. */
static bool form_ok(request_rec *r, const sm_srv_t *srv, const sm_session_t *s, apr_table_t *f)
{
    const char *site = apr_table_get(r->headers_in, "Sec-Fetch-Site");
    const char *origin = apr_table_get(r->headers_in, "Origin");
    const char *token = apr_table_get(f, "csrf");

    if (site && strcmp(site, "same-origin") != 0) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "SM26030: link form refused: sent from %s",
                      ap_escape_logitem(r->pool, site));
        return false;
    }
    if (origin) {
        char *own = ap_construct_url(r->pool, "/", r);
        own[strlen(own) - 1] = '\0';
        if (strcmp(origin, own) != 0) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                          "SM26030: link form refused: Origin %s is not this site",
                          ap_escape_logitem(r->pool, origin));
            return false;
        }
    }
    if (!token || !sm_ct_streq(token, csrf_token(r, srv, s->id))) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "SM26031: link form refused: missing or wrong form token");
        return false;
    }
    return true;
}

static sm_lang_e page_lang(request_rec *r, apr_table_t *params)
{
    int l = params ? sm_lang_parse(apr_table_get(params, "lang")) : -1;
    return l >= 0 ? (sm_lang_e)l
                  : sm_lang_negotiate(apr_table_get(r->headers_in, "Accept-Language"));
}

static void set_link_cookie(request_rec *r, const sm_srv_t *srv, const char *id)
{
    apr_table_addn(r->err_headers_out, "Set-Cookie",
                   sm_cookie_make(r->pool, SM_LINK_COOKIE, id ? id : "", "/",
                                  id ? (long)apr_time_sec(sm_cfg_link_max_age(srv->cfg)) : 0,
                                  sm_is_https(r), "Lax"));
}

/* The session of this request, or a page: DONE/OK-style status in *status. */
static sm_session_t *need_session(request_rec *r, sm_srv_t *srv, sm_lang_e lang, int *status)
{
    sm_session_t *s = NULL;
    const char *cookie = sm_cookie_get(r->pool, apr_table_get(r->headers_in, "Cookie"),
                                       sm_cfg_cookie_name(srv->cfg));
    sm_sess_result_e res = sm_session_load(sm_env(r, srv), &srv->keys, &srv->policy, cookie, &s);

    if (res == SM_SESS_OK && sm_session_current(srv, s, NULL, NULL))
        return s;
    if (res == SM_SESS_OK) {
        ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r,
                      "SM26123: the session's provider %s, or the source of its organisational "
                      "attributes, is not configured so any more: no session for linking",
                      s->provider);
        *status = sm_link_message(r, HTTP_UNAUTHORIZED, lang, SM_LM_NOT_LOGGED_IN);
    } else if (res == SM_SESS_STORE) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "SM30020: session store (%s) unreachable: request denied", srv->store->name);
        *status = sm_page_store_down(r);
    } else {
        *status = sm_link_message(r, HTTP_UNAUTHORIZED, lang, SM_LM_NOT_LOGGED_IN);
    }
    return NULL;
}

/* The session of a POST of ours (need_session, then form_ok), or a page. */
static sm_session_t *need_form_session(request_rec *r, sm_srv_t *srv, apr_table_t *f,
                                       sm_lang_e lang, int *status)
{
    sm_session_t *s = need_session(r, srv, lang, status);

    if (s && !form_ok(r, srv, s, f)) {
        *status = sm_link_message(r, HTTP_FORBIDDEN, lang, SM_LM_FORM);
        return NULL;
    }
    return s;
}

/* Sends the person to log in again with the session's provider, back to the link page. */
static int relogin(request_rec *r, sm_srv_t *srv, const sm_session_t *s, sm_lang_e lang,
                   const char *target)
{
    char *back = sm_url_add_param(r->pool, link_url(r, srv, ""), "notice", "relogin");

    back = sm_url_add_param(r->pool, back, "lang", sm_lang_tag(lang));
    if (target && *target)
        back = sm_url_add_param(r->pool, back, "target", target);
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  "SM26032: the login is older than SelmidLinkMaxAge: log in again first");
    return sm_redirect_to_login(r, srv, s->provider, back);
}

static bool fresh(const sm_srv_t *srv, const sm_session_t *s)
{
    return apr_time_now() - s->created <= sm_cfg_link_max_age(srv->cfg);
}

static const char *valid_target(const char *t)
{
    return t && *t && !sm_url_check_local_target(t) ? t : "";
}

/* 303 to the link page with a notice (a fixed word, never free text). */
static int see_link_page(request_rec *r, const sm_srv_t *srv, const char *notice, sm_lang_e lang,
                         const char *target)
{
    char *u = sm_url_add_param(r->pool, link_url(r, srv, ""), "notice", notice);

    u = sm_url_add_param(r->pool, u, "lang", sm_lang_tag(lang));
    if (target && *target)
        u = sm_url_add_param(r->pool, u, "target", target);
    sm_redirect(r, u);
    return HTTP_SEE_OTHER;
}

/* ---- GET /link ------------------------------------------------------------------------------ */

static int link_page(request_rec *r, sm_srv_t *srv, apr_table_t *q)
{
    sm_lang_e lang = page_lang(r, q);
    const sm_directory_t *dir;
    sm_link_view_t v = {.lang = lang};
    sm_session_t *s;
    int status = OK, i;
    apr_array_header_t *all;

    v.target = valid_target(apr_table_get(q, "target"));
    v.notice = apr_table_get(q, "notice");
    if (!(s = need_session(r, srv, lang, &status)))
        return status;
    if (!(dir = sm_directory_get(r, srv)))
        return sm_page_directory_down(r);
    v.csrf = csrf_token(r, srv, s->id);
    v.session = s;
    if (s->person) {
        if (dir->list(dir->baton, r->pool, s->person, &v.accounts) != APR_SUCCESS)
            return sm_page_directory_down(r);
    } else {
        v.accounts = apr_array_make(r->pool, 0, sizeof(sm_linked_identity_t));
    }
    /* what can be added: a provider the person has no identity of; to an SNS identity not
     * linked yet, only an organisational one (the anchor) */
    v.addable = apr_array_make(r->pool, 4, sizeof(const char *));
    all = sm_chooser_all_providers(r->pool, srv);
    for (i = 0; i < all->nelts; i++) {
        const char *n = APR_ARRAY_IDX(all, i, const char *);
        bool held = strcmp(n, s->provider) == 0;
        int k;
        for (k = 0; k < v.accounts->nelts; k++)
            if (strcmp(APR_ARRAY_IDX(v.accounts, k, sm_linked_identity_t).id.provider, n) == 0)
                held = true;
        /* a form_post provider (Apple) answers with a cross-site POST, which does not carry the
         * session cookie that the second login must come with: link it the other way round */
        if (held ||
            sm_cfg_profile(apr_hash_get(srv->cfg->providers, n, APR_HASH_KEY_STRING))->form_post)
            continue;
        if (!s->person && !sm_cfg_is_org_provider(srv->cfg, s->provider) &&
            !sm_cfg_is_org_provider(srv->cfg, n))
            continue;
        APR_ARRAY_PUSH(v.addable, const char *) = n;
    }
    return sm_link_page(r, srv, &v);
}

/* ---- POST /link/add ------------------------------------------------------------------------- */

static int link_add(request_rec *r, sm_srv_t *srv, apr_table_t *f)
{
    sm_lang_e lang = page_lang(r, f);
    const char *provider = apr_table_get(f, "provider");
    const char *target = valid_target(apr_table_get(f, "target"));
    const sm_provider_cfg_t *pc;
    sm_env_t *env = sm_env(r, srv);
    sm_link_tx_t *tx = NULL;
    const char *back;
    sm_session_t *s;
    int status = OK;

    if (!(s = need_form_session(r, srv, f, lang, &status)))
        return status;
    pc = provider ? apr_hash_get(srv->cfg->providers, provider, APR_HASH_KEY_STRING) : NULL;
    if (!pc || strcmp(provider, s->provider) == 0 || sm_cfg_profile(pc)->form_post) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "SM26033: link: no such provider to add, or the session's own");
        return sm_link_message(r, HTTP_BAD_REQUEST, lang, SM_LM_BAD_PROVIDER);
    }
    if (!s->person && !sm_cfg_is_org_provider(srv->cfg, s->provider) &&
        !sm_cfg_is_org_provider(srv->cfg, provider))
        return sm_link_message(r, HTTP_BAD_REQUEST, lang, SM_LM_NO_ORG);
    if (!fresh(srv, s))
        return relogin(r, srv, s, lang, target);
    if (sm_link_tx_new(env, &srv->keys, s, sm_cfg_is_org_provider(srv->cfg, s->provider), provider,
                       target, &tx) != APR_SUCCESS ||
        sm_link_tx_save(env, &srv->keys, tx, sm_cfg_link_max_age(srv->cfg)) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "SM30020: session store (%s) unreachable: cannot start a link",
                      srv->store->name);
        return sm_page_store_down(r);
    }
    set_link_cookie(r, srv, tx->id);
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  "SM26034: link started from provider %s: login with provider %s", s->provider,
                  provider);
    /* back to the confirmation in the language of this page */
    back = sm_url_add_param(r->pool, link_url(r, srv, "/confirm"), "lang", sm_lang_tag(lang));
    if (sm_cfg_provider_type(pc) == SM_PT_SHIBBOLETH)
        return sm_saml_start_login(r, srv, pc, back, true);
    return sm_start_login(r, srv, provider, back, tx->id);
}

/* ---- the second login ----------------------------------------------------------------------- */

int sm_link_second_login(request_rec *r, sm_srv_t *srv, const char *provider, const char *issuer,
                         json_t *claims, const char *link, const char *target)
{
    sm_env_t *env = sm_env(r, srv);
    sm_lang_e lang = page_lang(r, NULL);
    const char *cookie =
        sm_cookie_get(r->pool, apr_table_get(r->headers_in, "Cookie"), SM_LINK_COOKIE);
    const char *session = sm_cookie_get(r->pool, apr_table_get(r->headers_in, "Cookie"),
                                        sm_cfg_cookie_name(srv->cfg));
    sm_link_tx_t *tx = NULL;
    const char *confirm;
    apr_status_t rv;

    if (!cookie || !sm_ct_streq(cookie, link)) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "SM26035: a login for linking, but this browser has no such link in "
                      "progress");
        return sm_link_message(r, HTTP_BAD_REQUEST, lang, SM_LM_EXPIRED);
    }
    rv = sm_link_tx_load(env, &srv->keys, link, &tx);
    if (rv == APR_SUCCESS && (tx->has_b || strcmp(tx->want, provider) != 0))
        rv = APR_EINVAL;
    /* the login joins the link only in the browser of the session that started it: a link
     * cookie alone (planted in another browser) must not carry that browser's login into a link
     * that its owner then confirms */
    if (rv == APR_SUCCESS && !sm_link_tx_owned_by(r->pool, &srv->keys, tx, session)) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "SM26120: a login for linking in a browser without the session that "
                      "started the link: refused");
        set_link_cookie(r, srv, NULL);
        return sm_link_message(r, HTTP_BAD_REQUEST, lang, SM_LM_EXPIRED);
    }
    if (rv != APR_SUCCESS) {
        if (rv != APR_NOTFOUND && rv != APR_EINVAL) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r,
                          "SM30020: session store (%s) unreachable: link denied", srv->store->name);
            return sm_page_store_down(r);
        }
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "SM26036: link in progress unknown, expired, used or for another provider");
        set_link_cookie(r, srv, NULL);
        return sm_link_message(r, HTTP_BAD_REQUEST, lang, SM_LM_EXPIRED);
    }
    tx->has_b = true;
    tx->b.id.provider = provider;
    tx->b.id.issuer = issuer;
    tx->b.id.subject = sm_json_str(r->pool, claims, "sub");
    tx->b.org = sm_cfg_is_org_provider(srv->cfg, provider);
    tx->b.at = apr_time_now();
    tx->b.attrs = tx->b.org ? sm_link_org_attrs(r->pool, claims) : NULL;
    tx->b.display = sm_link_display(r->pool, claims);
    if (!tx->b.id.subject ||
        sm_link_tx_save(env, &srv->keys, tx, sm_cfg_link_max_age(srv->cfg)) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "SM30020: session store (%s) unreachable: link denied", srv->store->name);
        return sm_page_store_down(r);
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  "SM26037: login with provider %s for a link succeeded: awaiting confirmation",
                  provider);
    /* the target link_add gave (the confirmation, with the page's language); anything else is
     * replaced by the confirmation */
    confirm = link_url(r, srv, "/confirm");
    if (!target || strncmp(target, confirm, strlen(confirm)) != 0 ||
        (target[strlen(confirm)] != '\0' && target[strlen(confirm)] != '?'))
        target = confirm;
    return sm_redirect(r, target);
}

/* ---- /link/confirm -------------------------------------------------------------------------- */

/* The link in progress of this browser, belonging to session s and complete; or a page. */
static sm_link_tx_t *need_tx(request_rec *r, sm_srv_t *srv, const sm_session_t *s, sm_lang_e lang,
                             int *status)
{
    const char *cookie =
        sm_cookie_get(r->pool, apr_table_get(r->headers_in, "Cookie"), SM_LINK_COOKIE);
    sm_link_tx_t *tx = NULL;
    apr_status_t rv =
        cookie ? sm_link_tx_load(sm_env(r, srv), &srv->keys, cookie, &tx) : APR_NOTFOUND;

    if (rv == APR_SUCCESS && (!tx->has_b || !sm_link_tx_owned_by(r->pool, &srv->keys, tx, s->id)))
        rv = APR_EINVAL;
    if (rv == APR_SUCCESS)
        return tx;
    if (rv != APR_NOTFOUND && rv != APR_EINVAL) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r,
                      "SM30020: session store (%s) unreachable: link denied", srv->store->name);
        *status = sm_page_store_down(r);
        return NULL;
    }
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                  "SM26038: no complete link in progress for this session (%s)",
                  cookie ? "unknown, expired, used, incomplete or another session's" : "none");
    *status = sm_link_message(r, HTTP_BAD_REQUEST, lang, SM_LM_EXPIRED);
    return NULL;
}

static int confirm_page(request_rec *r, sm_srv_t *srv, apr_table_t *q)
{
    sm_lang_e lang = page_lang(r, q);
    sm_session_t *s;
    sm_link_tx_t *tx;
    int status = OK;

    if (!(s = need_session(r, srv, lang, &status)) || !(tx = need_tx(r, srv, s, lang, &status)))
        return status;
    return sm_link_confirm_page(r, srv, lang, csrf_token(r, srv, s->id), tx);
}

static const int result_status[] = {
    [SM_LINK_OK] = HTTP_OK,
    [SM_LINK_STALE] = HTTP_FORBIDDEN,
    [SM_LINK_SAME] = HTTP_BAD_REQUEST,
    [SM_LINK_NO_ORG] = HTTP_BAD_REQUEST,
    [SM_LINK_ALREADY] = HTTP_OK,
    [SM_LINK_OTHER_PERSON] = HTTP_CONFLICT,
    [SM_LINK_PROVIDER_USED] = HTTP_CONFLICT,
    [SM_LINK_TAKEN] = HTTP_CONFLICT,
    [SM_LINK_DIRECTORY] = HTTP_SERVICE_UNAVAILABLE,
};

/* After a link, the session of a person not linked before becomes the person's (a new id: what
 * the session grants has changed). */
static apr_status_t renew_session(request_rec *r, sm_srv_t *srv, const sm_directory_t *dir,
                                  sm_session_t *s)
{
    sm_env_t *env = sm_env(r, srv);
    sm_session_t tmpl, *n = NULL;
    apr_status_t rv;

    rv = sm_link_resolve_login(env, dir, sm_cfg_is_org_provider(srv->cfg, s->provider), s->provider,
                               s->issuer, s->claims, &tmpl);
    if (rv != APR_SUCCESS)
        return rv;
    tmpl.created = s->created;
    if ((rv = sm_session_create_from(env, &srv->keys, &srv->policy, &tmpl, &n)) != APR_SUCCESS)
        return rv;
    (void)sm_session_destroy(env, &srv->keys, s->id);
    sm_set_session_cookie(r, srv, n->id);
    return APR_SUCCESS;
}

static int confirm(request_rec *r, sm_srv_t *srv, apr_table_t *f)
{
    sm_lang_e lang = page_lang(r, f);
    sm_env_t *env = sm_env(r, srv);
    const sm_directory_t *dir;
    const char *person = NULL;
    sm_session_t *s;
    sm_link_tx_t *tx;
    sm_link_result_e res;
    apr_status_t rv;
    int status = OK;

    if (!(s = need_form_session(r, srv, f, lang, &status)))
        return status;
    if (!(tx = need_tx(r, srv, s, lang, &status)))
        return status;
    rv = sm_link_tx_consume(env, &srv->keys, tx->id, sm_cfg_link_max_age(srv->cfg));
    set_link_cookie(r, srv, NULL);
    if (rv == APR_EEXIST) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "SM26039: link confirmation replayed");
        return sm_link_message(r, HTTP_CONFLICT, lang, SM_LM_EXPIRED);
    }
    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r,
                      "SM30020: session store (%s) unreachable: link denied", srv->store->name);
        return sm_page_store_down(r);
    }
    if (!(dir = sm_directory_get(r, srv)))
        return sm_page_directory_down(r);
    res = sm_link_perform(env, dir, &tx->a, &tx->b, sm_cfg_link_max_age(srv->cfg), &person);
    ap_log_rerror(APLOG_MARK, res == SM_LINK_OK ? APLOG_NOTICE : APLOG_ERR, 0, r,
                  "SM26040: link of provider %s with provider %s: %s", tx->a.id.provider,
                  tx->b.id.provider, sm_link_result_str(res));
    if (res != SM_LINK_OK && res != SM_LINK_ALREADY)
        return sm_link_message(r, result_status[res], lang, SM_LM_RESULT_BASE + (int)res);
    if (!s->person && (rv = renew_session(r, srv, dir, s)) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r,
                      "SM26041: linked, but the session could not be renewed: log in again");
        sm_set_session_cookie(r, srv, NULL);
        return sm_link_message(r, HTTP_SERVICE_UNAVAILABLE, lang, SM_LM_LINKED_RELOGIN);
    }
    if (*tx->target) {
        sm_redirect(r, tx->target);
        return HTTP_SEE_OTHER;
    }
    return see_link_page(r, srv, res == SM_LINK_OK ? "linked" : "already", lang, "");
}

/* ---- POST /link/remove ---------------------------------------------------------------------- */

static int link_remove(request_rec *r, sm_srv_t *srv, apr_table_t *f)
{
    sm_lang_e lang = page_lang(r, f);
    sm_env_t *env = sm_env(r, srv);
    const sm_directory_t *dir;
    sm_identity_t id;
    apr_array_header_t *ids = NULL;
    const char *why;
    sm_session_t *s;
    apr_status_t rv;
    int status = OK;

    if (!(s = need_form_session(r, srv, f, lang, &status)))
        return status;
    id.provider = apr_table_get(f, "provider");
    id.issuer = apr_table_get(f, "issuer");
    id.subject = apr_table_get(f, "subject");
    if (!s->person || !id.provider || !id.issuer || !id.subject)
        return sm_link_message(r, HTTP_BAD_REQUEST, lang, SM_LM_NOT_LINKED);
    if (!fresh(srv, s))
        return relogin(r, srv, s, lang, NULL);
    if (!(dir = sm_directory_get(r, srv)))
        return sm_page_directory_down(r);
    if (dir->list(dir->baton, r->pool, s->person, &ids) != APR_SUCCESS)
        return sm_page_directory_down(r);
    if ((why = sm_link_may_unlink(ids, &id))) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "SM26042: link removal refused: %s", why);
        return sm_link_message(r, HTTP_CONFLICT, lang,
                               strstr(why, "organisational") ? SM_LM_LAST_ORG : SM_LM_NOT_LINKED);
    }
    rv = dir->unlink(dir->baton, r->pool, s->person, &id, apr_time_now());
    if (rv == APR_NOTFOUND)
        return sm_link_message(r, HTTP_CONFLICT, lang, SM_LM_NOT_LINKED);
    if (rv != APR_SUCCESS)
        return sm_page_directory_down(r);
    ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r, "SM26043: link of provider %s removed",
                  id.provider);
    if (strcmp(id.provider, s->provider) == 0 && strcmp(id.issuer, s->issuer) == 0 &&
        strcmp(id.subject, s->sub) == 0) {
        /* the session stood on the removed link: it ends */
        (void)sm_session_destroy(env, &srv->keys, s->id);
        sm_set_session_cookie(r, srv, NULL);
        return sm_link_message(r, HTTP_OK, lang, SM_LM_REMOVED_LOGGED_OUT);
    }
    return see_link_page(r, srv, "removed", lang, "");
}

/* ---- dispatch ------------------------------------------------------------------------------- */

int sm_link_handler(request_rec *r, sm_srv_t *srv, const char *rest)
{
    apr_table_t *params = NULL;
    int status = OK;
    bool post = r->method_number == M_POST;

    if (!sm_cfg_linking(srv->cfg)) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "SM26044: %s: linking is not enabled here (SelmidOrgProvider)", r->uri);
        return sm_page_error(r, HTTP_NOT_FOUND, "Not found",
                             "Account linking is not enabled on this site.");
    }
    if (r->method_number != M_GET && !post)
        return HTTP_METHOD_NOT_ALLOWED;
    params = post ? sm_form_params(r, &status) : sm_query_params(r, &status);
    if (!params)
        return status;
    if (strcmp(rest, "") == 0 && !post)
        return link_page(r, srv, params);
    if (strcmp(rest, "/add") == 0 && post)
        return link_add(r, srv, params);
    if (strcmp(rest, "/confirm") == 0)
        return post ? confirm(r, srv, params) : confirm_page(r, srv, params);
    if (strcmp(rest, "/remove") == 0 && post)
        return link_remove(r, srv, params);
    if (strcmp(rest, "") == 0 || strcmp(rest, "/add") == 0 || strcmp(rest, "/remove") == 0)
        return HTTP_METHOD_NOT_ALLOWED;
    return DECLINED;
}

int sm_link_required(request_rec *r, const sm_srv_t *srv, const sm_session_t *s)
{
    char *u;

    if (!sm_cfg_linking(srv->cfg)) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "SM26045: SelmidLinkRequired on, but this server has no SelmidOrgProvider: "
                      "denied");
        return sm_page_error(r, HTTP_INTERNAL_SERVER_ERROR, "Login unavailable",
                             "The login service is not configured for this page.");
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  "SM26046: provider %s: the identity is not linked to a person and this "
                  "location needs one (SelmidLinkRequired)",
                  s->provider);
    if (r->method_number != M_GET)
        return sm_page_error(r, HTTP_FORBIDDEN, "Account link required",
                             "This page needs your university account linked to your login.");
    u = sm_url_add_param(r->pool, link_url(r, srv, ""), "notice", "need");
    u = sm_url_add_param(r->pool, u, "target",
                         sm_url_check_local_target(r->unparsed_uri) ? "/" : r->unparsed_uri);
    return sm_redirect(r, u);
}
