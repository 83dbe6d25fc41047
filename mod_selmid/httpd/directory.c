/* directory.c: the directory of persons and links (SelmidDirectory) in httpd. The parent opens
 * each directory once at start-up, which creates or migrates the schema before any child runs
 * (a newer schema, or a SQLite file that cannot be created, stops httpd with a message naming
 * SelmidDirectory); each process then opens its own connection pool on first use. A directory
 * that cannot be reached does not stop httpd: logins that need it fail closed until it is back,
 * and requests with a live session never use it. */
#include "glue.h"
#include "sm_directory.h"
#include <apr_thread_mutex.h>
#include <unistd.h>
#include <unixd.h>

APLOG_USE_MODULE(selmid);

#define RETRY_AFTER apr_time_from_sec(3)

/* One per distinct spec in a process. */
typedef struct sm_dir_slot_t {
    const sm_dir_dbd_cfg_t *cfg;
    apr_pool_t *pool; /* the open directory's, cleared after a failed open */
    sm_directory_t *dir;
    apr_time_t next_try;
} sm_dir_slot_t;

static apr_thread_mutex_t *slots_mu;
static apr_hash_t *slots; /* spec -> sm_dir_slot_t*, this process */

/* The directory logs to the server's error log for as long as pool lives. */
static const sm_log_t *server_log(apr_pool_t *pool, server_rec *s)
{
    return sm_env_server(pool, s, sm_srv(s))->log;
}

/* The SQLite file was created by root (the parent): the children, running as User, need it. */
static void give_to_user(server_rec *s, const char *file)
{
    if (geteuid() != 0)
        return;
    if (chown(file, ap_unixd_config.user_id, ap_unixd_config.group_id) != 0)
        ap_log_error(APLOG_MARK, APLOG_ERR, errno, s,
                     "SM26010: SelmidDirectory: cannot give the SQLite file %s to User %s", file,
                     ap_unixd_config.user_name);
}

int sm_directory_post_config(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *main)
{
    server_rec *v;

    for (v = main; v; v = v->next) {
        sm_srv_t *srv = sm_srv(v);
        sm_dir_dbd_cfg_t *cfg = NULL;
        sm_directory_t *dir = NULL;
        const char *e = NULL, *spec = sm_cfg_directory(srv->cfg);
        apr_pool_t *tmp = NULL;
        apr_status_t rv;

        srv->dir_cfg = NULL;
        if (!srv->used || !sm_cfg_linking(srv->cfg))
            continue;
        if (srv->cfg->directory_cfg)
            cfg = srv->cfg->directory_cfg;
        else if ((e = sm_directory_dbd_parse(pconf, spec, &cfg))) {
            ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, 0, NULL, "mod_selmid: %s", e);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        srv->dir_cfg = cfg;
        apr_pool_create(&tmp, ptemp);
        rv = sm_directory_dbd_open(tmp, cfg, server_log(tmp, v), &sm_rand_system, &dir, &e);
        if (rv == APR_SUCCESS && strcmp(sm_directory_dbd_backend(cfg), "sqlite") == 0)
            give_to_user(v, spec + strlen("sqlite:"));
        apr_pool_destroy(tmp);
        if (rv == APR_SUCCESS)
            continue;
        /* a pgsql server may be down for a while: start anyway, logins wait for it; a schema
         * this code does not know, or a local file that cannot be used, is a configuration
         * error */
        if (rv != APR_EINVAL && strcmp(sm_directory_dbd_backend(cfg), "pgsql") == 0) {
            ap_log_error(APLOG_MARK, APLOG_ERR, 0, v,
                         "SM26011: SelmidDirectory (pgsql) cannot be reached at start-up: "
                         "logins that need it fail until it can");
            continue;
        }
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, 0, NULL,
                     "mod_selmid: SelmidDirectory (%s%s): %s", sm_directory_dbd_backend(cfg),
                     srv->cfg->directory ? "" : ", the default " SM_DEFAULT_DIRECTORY,
                     e ? e : "cannot be opened");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

void sm_directory_child_init(apr_pool_t *pchild, server_rec *main)
{
    server_rec *v;

    slots = NULL;
    slots_mu = NULL;
    for (v = main; v; v = v->next) {
        sm_srv_t *srv = sm_srv(v);
        const char *spec;
        sm_dir_slot_t *slot;
        if (!srv->dir_cfg)
            continue;
        if (!slots) {
            slots = apr_hash_make(pchild);
            if (apr_thread_mutex_create(&slots_mu, APR_THREAD_MUTEX_DEFAULT, pchild) !=
                APR_SUCCESS) {
                ap_log_error(APLOG_MARK, APLOG_CRIT, 0, main,
                             "SM26012: cannot create the directory mutex");
                slots = NULL;
                return; /* every srv->dir_slot stays NULL: logins needing it fail closed */
            }
        }
        spec = sm_cfg_directory(srv->cfg);
        slot = apr_hash_get(slots, spec, APR_HASH_KEY_STRING);
        if (!slot) {
            slot = apr_pcalloc(pchild, sizeof(*slot));
            slot->cfg = srv->dir_cfg;
            apr_pool_create(&slot->pool, pchild);
            apr_hash_set(slots, spec, APR_HASH_KEY_STRING, slot);
        }
        srv->dir_slot = slot;
    }
}

const sm_directory_t *sm_directory_get(request_rec *r, const sm_srv_t *srv)
{
    sm_dir_slot_t *slot = srv->dir_slot;
    sm_directory_t *dir = NULL;
    const char *e = NULL;
    apr_time_t now;

    if (!slot) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "SM26013: linking is enabled but this process has no directory");
        return NULL;
    }
    apr_thread_mutex_lock(slots_mu);
    if (!slot->dir && (now = apr_time_now()) >= slot->next_try) {
        if (sm_directory_dbd_open(slot->pool, slot->cfg, server_log(slot->pool, r->server),
                                  &sm_rand_system, &dir, &e) == APR_SUCCESS) {
            slot->dir = dir;
        } else {
            apr_pool_clear(slot->pool);
            slot->next_try = now + RETRY_AFTER;
        }
    }
    dir = slot->dir;
    apr_thread_mutex_unlock(slots_mu);
    if (!dir)
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "SM26014: the directory (%s) cannot be reached",
                      sm_directory_dbd_backend(slot->cfg));
    return dir;
}
