/* glue.h: what the httpd glue files share. The glue turns httpd requests and configuration into
 * calls of the core and stays thin. */
#ifndef SM_GLUE_H
#define SM_GLUE_H

#include <httpd.h>
#include <http_config.h>
#include <http_core.h>
#include <http_log.h>
#include <http_protocol.h>
#include <http_request.h>
#include <ap_socache.h>
#include <apr_global_mutex.h>

#include "sm_core.h"
#include "sm_config.h"
#include "sm_session.h"
#include "sm_store.h"
#include "sm_http.h"
#include "sm_oidc.h"
#include "sm_lang.h"

extern module AP_MODULE_DECLARE_DATA selmid_module;

#define SM_AUTH_TYPE      "selmid"
#define SM_SHM_MUTEX_TYPE "selmid-shm"
#define SM_HINT_COOKIE    "selmid_hint" /* the provider last chosen (chooser order only) */

/* The server config record: the parsed configuration plus this process's runtime. */
typedef struct sm_srv_t {
    sm_server_cfg_t *cfg;
    bool used;  /* some location of this server uses AuthType selmid */
    bool ready; /* runtime built (child_init) */
    sm_keys_t keys;
    sm_session_policy_t policy;
    apr_hash_t *rt; /* provider name -> sm_provider_rt_t*, this process */
    const sm_store_t *store;
    sm_session_cache_t *cache; /* decrypted sessions, this process */
    const sm_http_t *http;
    sm_memcached_cfg_t *mc; /* parsed SelmidSessionStore memcached list */
    apr_size_t shm_size;    /* SelmidSessionStore shm SIZE */
    /* the chooser page per language (sm_lang_e): SelmidTemplateDir's or the built-in one */
    const struct sm_template_t *chooser[SM_LANG_COUNT];
    /* linking: the parsed directory spec (SelmidDirectory or the default) and this process's
     * handle on it (directory.c); NULL when linking is disabled */
    const struct sm_dir_dbd_cfg_t *dir_cfg;
    struct sm_dir_slot_t *dir_slot;
} sm_srv_t;

/* The per-request record (r->request_config). */
typedef struct sm_req_t {
    sm_session_t *session;
    bool scrubbed;
    bool noted;     /* an authorization failure was noted: our page replaces httpd's */
    bool forbidden; /* authenticated, but a Require rule denied: answer 403, not 401 */
} sm_req_t;

static inline sm_srv_t *sm_srv(const server_rec *s)
{
    return ap_get_module_config(s->module_config, &selmid_module);
}

static inline sm_dir_cfg_t *sm_dir(const request_rec *r)
{
    return ap_get_module_config(r->per_dir_config, &selmid_module);
}

sm_req_t *sm_req(request_rec *r);

/* config.c */
extern const command_rec sm_directives[];
void *sm_create_server_config(apr_pool_t *p, server_rec *s);
void *sm_merge_server_config(apr_pool_t *p, void *base, void *add);
void *sm_create_dir_config(apr_pool_t *p, char *dir);
void *sm_merge_dir_config(apr_pool_t *p, void *base, void *add);
/* config_link.c: the linking directives */
const char *sm_set_directory(cmd_parms *cmd, void *dc, const char *args);
const char *sm_set_org_provider(cmd_parms *cmd, void *dc, const char *arg);
const char *sm_set_link_max_age(cmd_parms *cmd, void *dc, const char *arg);
const char *sm_set_link_required(cmd_parms *cmd, void *dcv, int on);
/* post-config checks that need the whole configuration: NULL when fine */
const char *sm_config_check(apr_pool_t *p, server_rec *s);

/* ports.c: the request's core environment */
sm_env_t *sm_env(request_rec *r, const sm_srv_t *srv);
sm_env_t *sm_env_server(apr_pool_t *p, server_rec *s, const sm_srv_t *srv);

/* store_socache.c */
apr_status_t sm_shm_post_config(apr_pool_t *pconf, server_rec *s, apr_size_t size);
apr_status_t sm_shm_child_init(apr_pool_t *pchild, server_rec *s);
const sm_store_t *sm_shm_store(void);

/* authn.c, authz.c */
int sm_check_authn(request_rec *r);
int sm_fixups(request_rec *r);
void sm_register_authz(apr_pool_t *p);
/* Removes spoofable incoming names for this location (idempotent per request). */
void sm_scrub(request_rec *r, const sm_dir_cfg_t *d);
/* Whether a session still stands on this configuration: its provider is configured with the
 * session's issuer (a SAML one: the IdP is one of its SelmidSAMLIdP; else *idp_refused), and the
 * source of a linked session's organisational attributes is still an organisational provider
 * with that issuer (else *org_refused). Either flag may be NULL. */
bool sm_session_current(const sm_srv_t *srv, const sm_session_t *s, bool *idp_refused,
                        bool *org_refused);
/* Whether org_provider is an organisational provider (SelmidOrgProvider) whose issuer (a SAML
 * provider: one of whose IdPs) is org_issuer now. */
bool sm_org_source_current(const sm_srv_t *srv, const char *org_provider, const char *org_issuer);

/* directory.c: the directory (SelmidDirectory) of servers that link accounts. */
/* Parent, at start-up: parses the default spec, creates/migrates each directory once. A newer
 * schema (or an unusable SQLite file) stops httpd: non-zero with the message logged. */
int sm_directory_post_config(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *s);
void sm_directory_child_init(apr_pool_t *pchild, server_rec *s);
/* This process's handle on srv's directory, opened on first use (a failed open is retried at
 * most every few seconds). NULL when it cannot be reached (logged): the caller fails closed. */
const struct sm_directory_t *sm_directory_get(request_rec *r, const sm_srv_t *srv);

/* endpoints.c */
int sm_quick_handler(request_rec *r, int lookup);
/* The parameters of a GET query string / a form POST (application/x-www-form-urlencoded, at most
 * 64 KiB); NULL with *status set after an error page. */
apr_table_t *sm_query_params(request_rec *r, int *status);
apr_table_t *sm_form_params(request_rec *r, int *status);
/* Starts an OIDC login with provider (state cookie, redirect to the provider); link: the id of
 * the link in progress this login is for, or NULL. */
int sm_start_login(request_rec *r, sm_srv_t *srv, const char *provider, const char *target,
                   const char *link);

/* login.c: every completed login ends here: link (a link in progress's id) hands it to linking,
 * else a session is made (resolved against the directory when linking is on) and the browser
 * sent to target. */
int sm_login_complete(request_rec *r, sm_srv_t *srv, const char *provider, const char *issuer,
                      json_t *claims, const char *target, const char *link);
/* Sets (id) or clears (NULL) the session cookie. */
void sm_set_session_cookie(request_rec *r, const sm_srv_t *srv, const char *id);
/* 503: the directory cannot be reached. */
int sm_page_directory_down(request_rec *r);

/* link.c: <SelmidPath>/link... (the self-service page, adding, confirming and removing links) */
#define SM_LINK_COOKIE "selmid_link" /* the id of this browser's link in progress */
/* rest: what follows "<SelmidPath>/link" ("", "/add", "/confirm", "/remove") */
int sm_link_handler(request_rec *r, sm_srv_t *srv, const char *rest);
/* The second login of a link in progress (from sm_login_complete); target: the login's. */
int sm_link_second_login(request_rec *r, sm_srv_t *srv, const char *provider, const char *issuer,
                         json_t *claims, const char *link, const char *target);
/* A location with SelmidLinkRequired and a session without a person: off to the link page. */
int sm_link_required(request_rec *r, const sm_srv_t *srv, const sm_session_t *s);

/* link_pages.c: the link pages, in Japanese or English. */
typedef struct sm_link_view_t {
    sm_lang_e lang;
    const char *csrf;             /* the session's form token */
    const char *target;           /* where to continue ("" none) */
    const char *notice;           /* "linked", "already", "removed", "relogin", "need", or NULL */
    const sm_session_t *session;  /* the current login */
    apr_array_header_t *accounts; /* sm_linked_identity_t of the person (empty: not linked) */
    apr_array_header_t *addable;  /* provider names (const char*) */
} sm_link_view_t;
int sm_link_page(request_rec *r, const sm_srv_t *srv, const sm_link_view_t *v);
struct sm_link_tx_t;
int sm_link_confirm_page(request_rec *r, const sm_srv_t *srv, sm_lang_e lang, const char *csrf,
                         const struct sm_link_tx_t *tx);
/* Messages of the link pages; SM_LM_RESULT_BASE + sm_link_result_e for a link's outcome. */
enum {
    SM_LM_NOT_LOGGED_IN = 0,
    SM_LM_FORM,
    SM_LM_BAD_PROVIDER,
    SM_LM_NO_ORG,
    SM_LM_EXPIRED,
    SM_LM_NOT_LINKED,
    SM_LM_LAST_ORG,
    SM_LM_REMOVED_LOGGED_OUT,
    SM_LM_LINKED_RELOGIN,
    SM_LM_RESULT_BASE, /* + sm_link_result_e */
};
int sm_link_message(request_rec *r, int status, sm_lang_e lang, int msg);
/* Sends the browser to <SelmidPath>/login for provider (302). */
int sm_redirect_to_login(request_rec *r, const sm_srv_t *srv, const char *provider,
                         const char *target);

/* saml.c: SelmidProviderType shibboleth: a login starts at the SAML module's login URL and comes
 * back through the import handler (SetHandler selmid-saml, behind mod_shib/mod_auth_mellon), which
 * turns the SAML session's environment into a mod_selmid session. */
#define SM_SAML_HANDLER "selmid-saml"
int sm_saml_start_login(request_rec *r, const sm_srv_t *srv, const sm_provider_cfg_t *pc,
                        const char *target, bool link);
int sm_saml_import_handler(request_rec *r);

/* pages.c: every page sets no-store and a strict CSP; all text is escaped. Returns DONE/OK. */
int sm_page_error(request_rec *r, int status, const char *title, const char *message);
/* 503: the session store cannot be reached. */
int sm_page_store_down(request_rec *r);
/* The same error page as a string (for ap_custom_response). */
char *sm_page_error_html(request_rec *r, const char *title, const char *message);
int sm_page_logged_out(request_rec *r);
void sm_no_cache(request_rec *r);
/* A 302 to location (no-store). */
int sm_redirect(request_rec *r, const char *location);
bool sm_is_https(request_rec *r);
/* The headers of every page of ours (no-store, CSP, framing, nosniff, referrer). */
void sm_page_headers(request_rec *r);

/* chooser.c: the login chooser. */
/* Reads SelmidTemplateDir's chooser templates (check_config, so `httpd -t` sees errors too):
 * NULL or a message naming the file and line. */
const char *sm_chooser_load(apr_pool_t *pconf, server_rec *main);
/* The chooser for names (in this order; limited: a subset chosen by SelmidProviders or
 * providers=), hint (a name; anything not in names is ignored) first; lang -1: from
 * Accept-Language. */
int sm_page_chooser(request_rec *r, const sm_srv_t *srv, const apr_array_header_t *names,
                    bool limited, const char *target, const char *hint, int lang);
/* Every provider of the server in definition order (an array of const char*). */
apr_array_header_t *sm_chooser_all_providers(apr_pool_t *p, const sm_srv_t *srv);
/* The selmid_hint cookie's value when SelmidProviderHint is on for d, else NULL. */
const char *sm_chooser_hint_cookie(request_rec *r, const sm_dir_cfg_t *d);
/* Remembers the provider chosen at <SelmidPath>/login (cookie selmid_hint, 90 days). */
void sm_chooser_set_hint(request_rec *r, const char *provider);
/* <SelmidPath>/choose with its query parameters q. */
int sm_choose_handler(request_rec *r, sm_srv_t *srv, apr_table_t *q);

#endif
