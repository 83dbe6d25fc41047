/* sm_link_tx.h: a link in progress ("link transaction"): started from a session at
 * <SelmidPath>/link, it records the session's identity (side a), then the identity of the second
 * login made for it in the same browser (side b), until the person confirms. Kept encrypted in
 * the session store under a keyed hash of its random id (the browser holds the id in a cookie),
 * bound to the session it was started from, single use, alive at most SelmidLinkMaxAge. */
#ifndef SM_LINK_TX_H
#define SM_LINK_TX_H

#include "sm_link.h"

typedef struct sm_link_tx_t {
    const char *id;          /* 43 characters of base64url: the selmid_link cookie */
    const char *session_key; /* sm_store_key of the session it belongs to */
    const char *want;        /* the provider of the second login */
    const char *target;      /* where to go after linking ("" : the link page) */
    sm_link_side_t a;        /* the session's identity */
    bool has_b;
    sm_link_side_t b; /* the second login, once made */
    apr_time_t created;
} sm_link_tx_t;

/* A new transaction (fresh id, created now) for a session; not yet saved. */
apr_status_t sm_link_tx_new(const sm_env_t *env, const sm_keys_t *keys, const sm_session_t *s,
                            bool a_org, const char *want, const char *target, sm_link_tx_t **out);
/* Saves tx until created + lifetime. */
apr_status_t sm_link_tx_save(const sm_env_t *env, const sm_keys_t *keys, const sm_link_tx_t *tx,
                             apr_interval_time_t lifetime);
/* APR_SUCCESS, APR_NOTFOUND (unknown, expired or used), APR_EINVAL (malformed id or a record
 * that does not decrypt or parse), or another status: the store failed. */
apr_status_t sm_link_tx_load(const sm_env_t *env, const sm_keys_t *keys, const char *id,
                             sm_link_tx_t **out);
/* Ends a transaction: single use. APR_EEXIST when it was ended before (a replayed
 * confirmation), another status when the store failed. */
apr_status_t sm_link_tx_consume(const sm_env_t *env, const sm_keys_t *keys, const char *id,
                                apr_interval_time_t lifetime);
/* Whether the transaction belongs to the session with this id. */
bool sm_link_tx_owned_by(apr_pool_t *p, const sm_keys_t *keys, const sm_link_tx_t *tx,
                         const char *session_id);

#endif
