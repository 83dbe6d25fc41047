/* mod_selmid.c: the module record and its hooks. */
#include "glue.h"
#include <ap_provider.h>
#include <mod_auth.h>
#include <util_mutex.h>

/* Decrypted sessions kept per process and server (a few KiB each). */
#define SESSION_CACHE_SLOTS 2048

static int sm_pre_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp)
{
    ap_mutex_register(pconf, SM_SHM_MUTEX_TYPE, NULL, APR_LOCK_DEFAULT, 0);
    return OK;
}

/* Runs for `httpd -t` too: configuration errors that need the whole configuration. */
static int sm_check_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp, server_rec *s)
{
    const char *e = sm_config_check(ptemp, s);

    if (!e)
        e = sm_chooser_load(pconf, s);

    if (e) {
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, 0, NULL, "mod_selmid: %s", e);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

/* A form_post provider (Apple) needs https: its cross-site POST carries the login state cookie
 * only when it is SameSite=None, which browsers accept only with Secure. */
static void form_post_notice(server_rec *v, const sm_srv_t *srv)
{
    apr_hash_index_t *hi;

    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG)
        return; /* once, not again for the configuration check pass */
    for (hi = apr_hash_first(NULL, srv->cfg->providers); hi; hi = apr_hash_next(hi)) {
        const sm_provider_cfg_t *pc = apr_hash_this_val(hi);
        if (sm_cfg_profile(pc)->form_post)
            ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, v,
                         "SM31001: provider %s answers with a cross-site form POST: serve "
                         "<SelmidPath>/callback over https (over http browsers do not send the "
                         "login state cookie with it)",
                         pc->name);
    }
}

static int sm_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp, server_rec *s)
{
    server_rec *v;
    bool shm = false;

    if (sm_http_curl_global_init() != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "SM30001: cannot initialise libcurl");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    for (v = s; v; v = v->next) {
        sm_srv_t *srv = sm_srv(v);
        if (!srv->used)
            continue;
        if (sm_keys_derive(srv->cfg->secret, srv->cfg->secret_len, &srv->keys) != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, v, "SM30002: cannot derive keys");
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        form_post_notice(v, srv);
        srv->policy.idle = sm_cfg_idle(srv->cfg);
        srv->policy.absolute = sm_cfg_absolute(srv->cfg);
        /* refresh the idle timer at most every 60 s (or a tenth of the idle time) */
        srv->policy.touch = srv->policy.idle / 10 < apr_time_from_sec(60) ? srv->policy.idle / 10
                                                                          : apr_time_from_sec(60);
        if (sm_cfg_store_type(srv->cfg) == SM_STORE_SHM) {
            if (!shm &&
                sm_shm_post_config(pconf, s, srv->shm_size ? srv->shm_size : 8 * 1024 * 1024))
                return HTTP_INTERNAL_SERVER_ERROR;
            shm = true;
        }
    }
    if (sm_directory_post_config(pconf, ptemp, s) != OK)
        return HTTP_INTERNAL_SERVER_ERROR;
    ap_add_version_component(pconf, "mod_selmid/"
                                    "0.1.0");
    return OK;
}

static void sm_child_init(apr_pool_t *pchild, server_rec *s)
{
    server_rec *v;
    const sm_http_t *http = NULL;

    if (sm_shm_child_init(pchild, s) != APR_SUCCESS)
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "SM30003: cannot attach the shm store mutex");
    sm_directory_child_init(pchild, s);
    for (v = s; v; v = v->next) {
        sm_srv_t *srv = sm_srv(v);
        apr_hash_index_t *hi;
        if (!srv->used)
            continue;
        if (!http)
            http = sm_http_curl_create(pchild, NULL, true);
        srv->http = http;
        srv->rt = apr_hash_make(pchild);
        for (hi = apr_hash_first(pchild, srv->cfg->providers); hi; hi = apr_hash_next(hi)) {
            const sm_provider_cfg_t *pc = apr_hash_this_val(hi);
            sm_provider_rt_t *rt = sm_provider_rt_create(pchild, pc, sm_cfg_http_timeout(srv->cfg));
            if (!rt) {
                ap_log_error(APLOG_MARK, APLOG_CRIT, 0, v, "SM30004: cannot set up provider %s",
                             pc->name);
                return; /* not ready: requests fail closed */
            }
            apr_hash_set(srv->rt, pc->name, APR_HASH_KEY_STRING, rt);
        }
        if (sm_cfg_store_type(srv->cfg) == SM_STORE_MEMCACHED) {
            sm_store_t *st = NULL;
            if (sm_store_memcached_open(pchild, srv->mc, sm_cfg_http_timeout(srv->cfg) / 10 + 100,
                                        &st) != APR_SUCCESS) {
                ap_log_error(APLOG_MARK, APLOG_CRIT, 0, v,
                             "SM30005: cannot set up the memcached store");
                return;
            }
            srv->store = st;
        } else {
            srv->store = sm_shm_store();
        }
        srv->cache = sm_session_cache_create(pchild, SESSION_CACHE_SLOTS);
        srv->ready = http != NULL && srv->cache != NULL;
    }
}

static void sm_register_hooks(apr_pool_t *p)
{
    ap_hook_pre_config(sm_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_check_config(sm_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(sm_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(sm_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_quick_handler(sm_quick_handler, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_check_authn(sm_check_authn, NULL, NULL, APR_HOOK_MIDDLE, AP_AUTH_INTERNAL_PER_CONF);
    ap_hook_fixups(sm_fixups, NULL, NULL, APR_HOOK_REALLY_FIRST);
    ap_hook_handler(sm_saml_import_handler, NULL, NULL, APR_HOOK_MIDDLE);
    sm_register_authz(p);
}

AP_DECLARE_MODULE(selmid) = {
    STANDARD20_MODULE_STUFF, sm_create_dir_config, sm_merge_dir_config, sm_create_server_config,
    sm_merge_server_config,  sm_directives,        sm_register_hooks,   AP_MODULE_FLAG_NONE,
};
