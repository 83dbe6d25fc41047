/* store_socache.c: the embedded session store: httpd's shared-memory socache (shmcb), one
 * instance for the whole server, serialised by a global mutex (shmcb is not MP-safe). */
#include "glue.h"
#include <ap_mpm.h>
#include <util_mutex.h>
#include <apr_strings.h>

APLOG_USE_MODULE(selmid);

#define SHM_VALUE_MAX (64 * 1024)

static const ap_socache_provider_t *provider;
static ap_socache_instance_t *instance;
static apr_global_mutex_t *mutex;
static server_rec *main_server;

/* Runs when pconf is cleared (restart): nothing may point into the old configuration pool. */
static apr_status_t shm_cleanup(void *data)
{
    if (instance)
        provider->destroy(instance, main_server);
    instance = NULL;
    mutex = NULL;
    provider = NULL;
    return APR_SUCCESS;
}

apr_status_t sm_shm_post_config(apr_pool_t *pconf, server_rec *s, apr_size_t size)
{
    struct ap_socache_hints hints = {.avg_id_len = 60, .avg_obj_size = 2048, .expiry_interval = 30};
    const char *err;
    apr_status_t rv;

    main_server = s;
    apr_pool_cleanup_register(pconf, NULL, shm_cleanup, apr_pool_cleanup_null);
    provider = ap_lookup_provider(AP_SOCACHE_PROVIDER_GROUP, "shmcb", AP_SOCACHE_PROVIDER_VERSION);
    if (!provider) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                     "SM30100: SelmidSessionStore shm needs mod_socache_shmcb: load it "
                     "(Debian: a2enmod socache_shmcb)");
        return APR_EGENERAL;
    }
    /* "path(size)": shmcb uses anonymous shared memory where it can, the path otherwise */
    err = provider->create(&instance,
                           apr_psprintf(pconf, "%s(%lu)",
                                        ap_runtime_dir_relative(pconf, "selmid-sessions"),
                                        (unsigned long)size),
                           pconf, pconf);
    if (err) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "SM30101: cannot create the shm store: %s", err);
        return APR_EGENERAL;
    }
    rv = ap_global_mutex_create(&mutex, NULL, SM_SHM_MUTEX_TYPE, NULL, s, pconf, 0);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "SM30102: cannot create the shm store mutex");
        return rv;
    }
    rv = provider->init(instance, "selmid", &hints, s, pconf);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "SM30103: cannot initialise the shm store");
        return rv;
    }
    return APR_SUCCESS;
}

apr_status_t sm_shm_child_init(apr_pool_t *pchild, server_rec *s)
{
    if (!mutex)
        return APR_SUCCESS;
    return apr_global_mutex_child_init(&mutex, apr_global_mutex_lockfile(mutex), pchild);
}

static apr_status_t shm_get(void *baton, apr_pool_t *p, const char *key, unsigned char **val,
                            apr_size_t *len)
{
    unsigned int n = SHM_VALUE_MAX;
    unsigned char *buf = apr_palloc(p, SHM_VALUE_MAX);
    apr_status_t rv;

    if ((rv = apr_global_mutex_lock(mutex)) != APR_SUCCESS)
        return rv;
    rv = provider->retrieve(instance, main_server, (const unsigned char *)key,
                            (unsigned int)strlen(key), buf, &n, p);
    apr_global_mutex_unlock(mutex);
    if (rv == APR_SUCCESS) {
        *val = buf;
        *len = n;
    }
    return rv;
}

static apr_status_t shm_put(const char *key, const unsigned char *val, apr_size_t len,
                            apr_time_t expiry, apr_pool_t *p, bool only_new)
{
    apr_status_t rv;

    if (len > SHM_VALUE_MAX)
        return APR_ENOSPC;
    if ((rv = apr_global_mutex_lock(mutex)) != APR_SUCCESS)
        return rv;
    if (only_new) {
        unsigned char probe[8];
        unsigned int n = sizeof(probe);
        apr_status_t ex = provider->retrieve(instance, main_server, (const unsigned char *)key,
                                             (unsigned int)strlen(key), probe, &n, p);
        if (ex == APR_SUCCESS || ex == APR_ENOSPC) {
            rv = APR_EEXIST;
            goto leave;
        }
    }
    rv = provider->store(instance, main_server, (const unsigned char *)key,
                         (unsigned int)strlen(key), expiry, apr_pmemdup(p, val, len),
                         (unsigned int)len, p);
leave:
    apr_global_mutex_unlock(mutex);
    return rv;
}

static apr_status_t shm_set(void *baton, apr_pool_t *p, const char *key, const unsigned char *val,
                            apr_size_t len, apr_time_t expiry)
{
    return shm_put(key, val, len, expiry, p, false);
}

static apr_status_t shm_add(void *baton, apr_pool_t *p, const char *key, const unsigned char *val,
                            apr_size_t len, apr_time_t expiry)
{
    return shm_put(key, val, len, expiry, p, true);
}

static apr_status_t shm_del(void *baton, apr_pool_t *p, const char *key)
{
    apr_status_t rv;

    if ((rv = apr_global_mutex_lock(mutex)) != APR_SUCCESS)
        return rv;
    rv = provider->remove(instance, main_server, (const unsigned char *)key,
                          (unsigned int)strlen(key), p);
    apr_global_mutex_unlock(mutex);
    return rv == APR_NOTFOUND ? APR_SUCCESS : rv;
}

static const sm_store_t shm_store = {
    .get = shm_get,
    .set = shm_set,
    .add = shm_add,
    .del = shm_del,
    .name = "shm",
    .baton = NULL,
};

const sm_store_t *sm_shm_store(void)
{
    return &shm_store;
}
