/* sm_session.h: server-side sessions (encrypted, bound to their id) and the short-lived login
 * state carried in a browser cookie. */
#ifndef SM_SESSION_H
#define SM_SESSION_H

#include "sm_core.h"
#include "sm_crypto.h"
#include <jansson.h>

/* Keys derived from SelmidSecret with HKDF, one per purpose. */
typedef struct sm_keys_t {
    unsigned char session[SM_KEY_LEN]; /* AEAD of session bodies */
    unsigned char state[SM_KEY_LEN];   /* AEAD of login state cookies */
    unsigned char index[SM_KEY_LEN];   /* HMAC: store keys from session ids */
} sm_keys_t;

apr_status_t sm_keys_derive(const unsigned char *secret, apr_size_t len, sm_keys_t *keys);

/* AES-256-GCM of the compact JSON text of j (the text is wiped afterwards). */
apr_status_t sm_seal_json(const sm_env_t *env, const unsigned char key[SM_KEY_LEN], const char *aad,
                          const json_t *j, unsigned char **out, apr_size_t *out_len);

typedef struct sm_session_policy_t {
    apr_interval_time_t idle;     /* idle timeout */
    apr_interval_time_t absolute; /* absolute timeout from login */
    apr_interval_time_t touch;    /* refresh the idle timer at most this often */
} sm_session_policy_t;

typedef struct sm_session_t {
    const char *id;       /* cookie value: base64url of 32 random bytes */
    apr_time_t created;   /* login time */
    apr_time_t accessed;  /* last refresh of the idle timer */
    const char *provider; /* provider name */
    const char *issuer;
    const char *sub;
    json_t *claims; /* what the application gets: the merged ID token and userinfo claims, or
                     * for an SNS login of a linked identity the person's organisational
                     * attributes (sm_link.h); owned by the pool */
    /* linking (NULL when not linked or linking is disabled) */
    const char *person;       /* the directory's person id */
    const char *org_provider; /* the provider whose attributes claims are */
    const char *org_issuer;   /* and its issuer */
} sm_session_t;

typedef enum {
    SM_SESS_OK = 0,
    SM_SESS_NONE,      /* no cookie */
    SM_SESS_MALFORMED, /* cookie value not a session id */
    SM_SESS_UNKNOWN,   /* not in the store */
    SM_SESS_CORRUPT,   /* stored body does not decrypt or parse */
    SM_SESS_IDLE,      /* idle timeout passed */
    SM_SESS_EXPIRED,   /* absolute timeout passed */
    SM_SESS_STORE,     /* store unreachable: fail closed with 503 */
} sm_sess_result_e;

const char *sm_sess_result_str(sm_sess_result_e r);
bool sm_session_id_wellformed(const char *id);

/* "selmid:" + kind + base64url(HMAC(index key, kind + id)): what the store sees instead of an id,
 * so that a reader of the store cannot rebuild a cookie. */
const char *sm_store_key(apr_pool_t *p, const sm_keys_t *keys, const char *kind, const char *id);

/* A per-process cache of decrypted sessions, keyed by store key and checked against the exact
 * sealed body read from the store on every request: a hit skips decryption and parsing, never the
 * store read (so logout, expiry and updates by other processes or hosts are always seen). Claims
 * of a cached session are shared between threads and must not be modified. Thread safe. */
typedef struct sm_session_cache_t sm_session_cache_t;

sm_session_cache_t *sm_session_cache_create(apr_pool_t *pchild, unsigned slots);
bool sm_session_cache_get(sm_session_cache_t *c, apr_pool_t *p, const char *key,
                          const unsigned char *sealed, apr_size_t len, sm_session_t *s);
void sm_session_cache_put(sm_session_cache_t *c, const char *key, const unsigned char *sealed,
                          apr_size_t len, const sm_session_t *s);
void sm_session_cache_drop(sm_session_cache_t *c, const char *key);

/* A new session with a fresh id, saved to env->store. */
apr_status_t sm_session_create(const sm_env_t *env, const sm_keys_t *keys,
                               const sm_session_policy_t *pol, const char *provider,
                               const char *issuer, json_t *claims, sm_session_t **out);
/* The same from a template: provider, issuer, sub and claims are required; person and org_* are
 * optional; created is kept when set (a session replaced after linking keeps its login time),
 * else now. id and accessed are new. */
apr_status_t sm_session_create_from(const sm_env_t *env, const sm_keys_t *keys,
                                    const sm_session_policy_t *pol, const sm_session_t *tmpl,
                                    sm_session_t **out);
sm_sess_result_e sm_session_load(const sm_env_t *env, const sm_keys_t *keys,
                                 const sm_session_policy_t *pol, const char *cookie_value,
                                 sm_session_t **out);
/* Slides the idle timer when the last refresh is older than pol->touch (one store write). */
apr_status_t sm_session_touch(const sm_env_t *env, const sm_keys_t *keys,
                              const sm_session_policy_t *pol, sm_session_t *s);
apr_status_t sm_session_destroy(const sm_env_t *env, const sm_keys_t *keys, const char *id);

/* ---- login state (one cookie per login in flight) ---- */
#define SM_STATE_COOKIE_PREFIX "selmid_state_"
#define SM_STATE_MAX_INFLIGHT  4
#define SM_STATE_LIFETIME      apr_time_from_sec(600)

typedef struct sm_login_state_t {
    const char *state;           /* random, sent to the OP */
    const char *nonce;           /* random, must come back in the ID token */
    const char *verifier;        /* PKCE code verifier */
    const char *provider;        /* provider name */
    const char *target;          /* local path to return to */
    const char *link;            /* a login for linking: its link transaction's id (sm_link_tx.h);
                                  * NULL for a normal login */
    apr_interval_time_t max_age; /* sent as max_age (a fresh authentication), 0: none */
    apr_time_t created;
} sm_login_state_t;

/* Fresh random state, nonce and verifier. */
apr_status_t sm_state_new(const sm_env_t *env, const char *provider, const char *target,
                          sm_login_state_t **out);
/* The cookie name for a state value: prefix + 16 hex characters of SHA-256(state). */
char *sm_state_cookie_name(apr_pool_t *p, const char *state);
char *sm_state_seal(const sm_env_t *env, const sm_keys_t *keys, const sm_login_state_t *st);
/* APR_SUCCESS when the cookie decrypts, is younger than SM_STATE_LIFETIME and carries exactly
 * the expected state (constant-time compare); APR_EINVAL otherwise with *why set. */
apr_status_t sm_state_open(const sm_env_t *env, const sm_keys_t *keys, const char *cookie_value,
                           const char *expected_state, sm_login_state_t **out, const char **why);
/* Marks a state as used in the store (single use): APR_EEXIST when it was used before. */
apr_status_t sm_state_consume(const sm_env_t *env, const sm_keys_t *keys, const char *state);

#endif
