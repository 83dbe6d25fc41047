/* sm_core.h: the ports through which the core reaches the outside world (logging, clock,
 * randomness) and the per-request environment that bundles them with the other ports.
 * No httpd header may be included anywhere under mod_selmid/core. */
#ifndef SM_CORE_H
#define SM_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_strings.h>
#include <apr_time.h>

#if defined(__GNUC__)
#define SM_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define SM_PRINTF(f, a)
#endif

typedef enum {
    SM_LOG_ERROR = 0,
    SM_LOG_WARN,
    SM_LOG_NOTICE,
    SM_LOG_INFO,
    SM_LOG_DEBUG,
} sm_log_level_e;

/* Logging port. Every message starts with a unique tag "SMnnnnn: ". Never pass tokens, codes,
 * cookies, client secrets or session bodies to it. */
typedef struct sm_log_t {
    void (*emit)(void *baton, sm_log_level_e level, const char *msg);
    void *baton;
    sm_log_level_e max_level; /* messages above this level are not formatted */
} sm_log_t;

void sm_log(const sm_log_t *log, sm_log_level_e level, const char *fmt, ...) SM_PRINTF(3, 4);

/* Clock port: wall clock in apr_time_t (microseconds since the epoch). */
typedef struct sm_clock_t {
    apr_time_t (*now)(void *baton);
    void *baton;
} sm_clock_t;

/* Randomness port: fills buf with len cryptographically secure random bytes. */
typedef struct sm_rand_t {
    apr_status_t (*fill)(void *baton, unsigned char *buf, apr_size_t len);
    void *baton;
} sm_rand_t;

/* The real implementations (OpenSSL RAND_bytes, apr_time_now). */
extern const sm_clock_t sm_clock_system;
extern const sm_rand_t sm_rand_system;

struct sm_http_t;
struct sm_store_t;
struct sm_session_cache_t;

/* What one request (or one background task) of the core works with. */
typedef struct sm_env_t {
    apr_pool_t *pool;
    const sm_log_t *log;
    const sm_clock_t *clock;
    const sm_rand_t *rand;
    const struct sm_http_t *http;
    const struct sm_store_t *store;
    struct sm_session_cache_t *session_cache; /* may be NULL */
} sm_env_t;

static inline apr_time_t sm_now(const sm_env_t *env)
{
    return env->clock->now(env->clock->baton);
}

#endif
