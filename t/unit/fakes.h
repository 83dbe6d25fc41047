/* fakes.h: fakes for the core's ports, for unit tests. */
#ifndef SM_FAKES_H
#define SM_FAKES_H

#include "sm_core.h"
#include <apr_hash.h>
#include "sm_http.h"
#include "sm_store.h"

/* A clock that returns whatever the test sets. */
typedef struct fake_clock_t {
    sm_clock_t port;
    apr_time_t now;
} fake_clock_t;
void fake_clock_init(fake_clock_t *c, apr_time_t now);

/* Deterministic "random" bytes (a counter), or failing on demand. */
typedef struct fake_rand_t {
    sm_rand_t port;
    unsigned counter;
    bool fail;
} fake_rand_t;
void fake_rand_init(fake_rand_t *r);

/* A log that keeps every line (in its pool) for assertions. */
typedef struct fake_log_t {
    sm_log_t port;
    apr_pool_t *pool;
    apr_array_header_t *lines; /* const char* "LEVEL msg" */
} fake_log_t;
void fake_log_init(fake_log_t *l, apr_pool_t *p);
/* True when some line contains needle. */
bool fake_log_has(const fake_log_t *l, const char *needle);

/* An in-memory store honouring expiry against a fake clock; `down` makes every call fail. */
typedef struct fake_store_t {
    sm_store_t port;
    apr_pool_t *pool;
    apr_hash_t *items;
    const fake_clock_t *clock;
    bool down;
    int writes;
} fake_store_t;
void fake_store_init(fake_store_t *s, apr_pool_t *p, const fake_clock_t *clock);

/* An HTTP fake answering from a table of canned responses keyed by "METHOD URL"; records the
 * last request. Unknown URLs fail with a transport error. */
typedef struct fake_http_t {
    sm_http_t port;
    apr_pool_t *pool;
    apr_hash_t *routes; /* "GET https://..." -> sm_http_resp_t* */
    int calls;
    sm_http_req_t last;
    apr_array_header_t *reqs; /* every request (sm_http_req_t), in order */
    /* consulted before the routes when set: a response, or NULL to fall back to the routes */
    sm_http_resp_t *(*handler)(void *ctx, apr_pool_t *p, const sm_http_req_t *req);
    void *handler_ctx;
} fake_http_t;
void fake_http_init(fake_http_t *h, apr_pool_t *p);
void fake_http_route(fake_http_t *h, const char *method, const char *url, int status,
                     const char *content_type, const char *body);

/* A canned response (for handlers). */
sm_http_resp_t *fake_http_resp(apr_pool_t *p, int status, const char *content_type,
                               const char *body);

/* A compact JWS of claims (JSON text) signed by a cjose key (struct _cjose_jwk_int *) with alg
 * and kid (kid may be NULL). */
struct _cjose_jwk_int;
const char *fake_sign_jwt(apr_pool_t *p, const struct _cjose_jwk_int *key, const char *alg,
                          const char *kid, const char *claims);
/* The same over len raw payload bytes (not necessarily JSON). */
const char *fake_sign_jws(apr_pool_t *p, const struct _cjose_jwk_int *key, const char *alg,
                          const char *kid, const char *payload, size_t len);

/* The last request made to url, or NULL. */
const sm_http_req_t *fake_http_find(const fake_http_t *h, const char *url);

/* All of the above wired into an env. */
typedef struct fake_env_t {
    sm_env_t env;
    fake_clock_t clock;
    fake_rand_t rand;
    fake_log_t log;
    fake_store_t store;
    fake_http_t http;
} fake_env_t;
void fake_env_init(fake_env_t *f, apr_pool_t *p, apr_time_t now);

#endif
