/* sm_store.h: the session store port. Values are opaque (already encrypted) byte strings. */
#ifndef SM_STORE_H
#define SM_STORE_H

#include "sm_core.h"

typedef struct sm_store_t {
    /* APR_SUCCESS and the value, APR_NOTFOUND when absent or expired, anything else when the store
     * cannot be reached (the caller fails closed). */
    apr_status_t (*get)(void *baton, apr_pool_t *p, const char *key, unsigned char **val,
                        apr_size_t *len);
    /* Stores val until expiry (absolute apr_time_t). */
    apr_status_t (*set)(void *baton, apr_pool_t *p, const char *key, const unsigned char *val,
                        apr_size_t len, apr_time_t expiry);
    /* Like set, but only when no live value exists: APR_EEXIST otherwise. */
    apr_status_t (*add)(void *baton, apr_pool_t *p, const char *key, const unsigned char *val,
                        apr_size_t len, apr_time_t expiry);
    /* APR_SUCCESS also when the key was absent. */
    apr_status_t (*del)(void *baton, apr_pool_t *p, const char *key);
    const char *name; /* "shm", "memcached": for log lines */
    void *baton;
} sm_store_t;

/* The memcached adapter (sm_store_memcached.c): servers is "host:port[,host:port...]".
 * create() parses and validates at config time; open() builds the per-process pool. */
typedef struct sm_memcached_cfg_t sm_memcached_cfg_t;
const char *sm_store_memcached_parse(apr_pool_t *p, const char *servers, sm_memcached_cfg_t **cfg);
apr_status_t sm_store_memcached_open(apr_pool_t *pchild, const sm_memcached_cfg_t *cfg,
                                     long timeout_ms, sm_store_t **store);

#endif
