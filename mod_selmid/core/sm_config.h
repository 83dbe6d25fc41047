/* sm_config.h: configuration objects (per topic), their defaults, merge and validation. The httpd
 * glue (mod_selmid/httpd/config.c) only parses directive arguments into these. */
#ifndef SM_CONFIG_H
#define SM_CONFIG_H

#include "sm_core.h"
#include "sm_attrs.h"
#include <apr_hash.h>

#define SM_UNSET (-1)

typedef enum { SM_TOKEN_AUTH_BASIC = 1, SM_TOKEN_AUTH_POST } sm_token_auth_e;

/* One <SelmidProvider NAME> block. */
typedef struct sm_provider_cfg_t {
    const char *name;
    const char *defined_at; /* "file:line" for messages */
    const char *issuer;
    const char *client_id;
    const char *client_secret;
    const char *scope; /* default "openid" */
    int token_auth;    /* sm_token_auth_e, SM_UNSET: basic */
    unsigned algs;     /* 0: SM_ALG_DEFAULT */
    int userinfo;      /* fetch userinfo when advertised; SM_UNSET: on */
} sm_provider_cfg_t;

typedef enum { SM_STORE_SHM = 1, SM_STORE_MEMCACHED } sm_store_type_e;

/* Server (virtual host) level. */
typedef struct sm_server_cfg_t {
    const unsigned char *secret; /* raw key material */
    apr_size_t secret_len;
    const char *secret_origin; /* how it was given, for messages: "value" or the file path */
    const char *path;          /* SelmidPath, default "/selmid" */
    int store_type;            /* sm_store_type_e, SM_UNSET: shm */
    const char *memcached_servers;
    apr_interval_time_t idle_timeout;     /* -1: default 1800 s */
    apr_interval_time_t absolute_timeout; /* -1: default 28800 s */
    apr_interval_time_t clock_skew;       /* -1: default 120 s */
    long http_timeout_ms;                 /* -1: default 10000 */
    const char *cookie_name;              /* default "selmid_session" */
    apr_hash_t *providers;                /* name -> sm_provider_cfg_t* */
} sm_server_cfg_t;

typedef enum { SM_UNAUTH_AUTH = 1, SM_UNAUTH_401, SM_UNAUTH_403, SM_UNAUTH_PASS } sm_unauth_e;
enum { SM_PASS_HEADERS = 1, SM_PASS_ENV = 2 };

/* Directory/location level. */
typedef struct sm_dir_cfg_t {
    apr_array_header_t *providers; /* of const char*, NULL: unset (all providers) */
    int unauth_action;             /* sm_unauth_e */
    int pass_as;                   /* SM_PASS_* bits */
    const char *claim_prefix;      /* default "SELMID_" */
    const char *remote_user_claim; /* default "sub" */
    int header_encoding;           /* sm_enc_e */
} sm_dir_cfg_t;

sm_server_cfg_t *sm_server_cfg_create(apr_pool_t *p);
sm_server_cfg_t *sm_server_cfg_merge(apr_pool_t *p, const sm_server_cfg_t *base,
                                     const sm_server_cfg_t *add);
sm_dir_cfg_t *sm_dir_cfg_create(apr_pool_t *p);
sm_dir_cfg_t *sm_dir_cfg_merge(apr_pool_t *p, const sm_dir_cfg_t *base, const sm_dir_cfg_t *add);
sm_provider_cfg_t *sm_provider_cfg_create(apr_pool_t *p, const char *name, const char *defined_at);

/* Effective values (defaults applied). */
const char *sm_cfg_path(const sm_server_cfg_t *c);
const char *sm_cfg_cookie_name(const sm_server_cfg_t *c);
apr_interval_time_t sm_cfg_idle(const sm_server_cfg_t *c);
apr_interval_time_t sm_cfg_absolute(const sm_server_cfg_t *c);
apr_interval_time_t sm_cfg_skew(const sm_server_cfg_t *c);
long sm_cfg_http_timeout(const sm_server_cfg_t *c);
int sm_cfg_store_type(const sm_server_cfg_t *c);
int sm_cfg_unauth(const sm_dir_cfg_t *d);
int sm_cfg_pass_as(const sm_dir_cfg_t *d);
const char *sm_cfg_prefix(const sm_dir_cfg_t *d);
const char *sm_cfg_remote_user_claim(const sm_dir_cfg_t *d);
sm_enc_e sm_cfg_encoding(const sm_dir_cfg_t *d);
const char *sm_cfg_provider_scope(const sm_provider_cfg_t *pc);
int sm_cfg_provider_token_auth(const sm_provider_cfg_t *pc);
unsigned sm_cfg_provider_algs(const sm_provider_cfg_t *pc);

/* Directive argument parsers: NULL on success, else a message naming the problem (the caller
 * prefixes it with the directive name). */
/* "value" or "file:/path" (the file must not be world-readable; surrounding whitespace is dropped);
 * at least min_len bytes. */
const char *sm_cfg_parse_secret(apr_pool_t *p, const char *arg, apr_size_t min_len,
                                const unsigned char **secret, apr_size_t *len, const char **origin);
const char *sm_cfg_parse_path(apr_pool_t *p, const char *arg, const char **path);
const char *sm_cfg_parse_seconds(const char *arg, long min, long max, apr_interval_time_t *out);
const char *sm_cfg_parse_issuer(apr_pool_t *p, const char *arg, const char **issuer);
const char *sm_cfg_parse_scope(apr_pool_t *p, const char *arg, const char **scope);
const char *sm_cfg_parse_prefix(apr_pool_t *p, const char *arg, const char **prefix);
const char *sm_cfg_parse_claim_name(const char *arg);
const char *sm_cfg_parse_algs(apr_pool_t *p, const char *arg, unsigned *algs);

/* Whole-object validation after parsing (post-config): NULL when valid. */
const char *sm_provider_cfg_check(apr_pool_t *p, const sm_provider_cfg_t *pc);
const char *sm_server_cfg_check(apr_pool_t *p, const sm_server_cfg_t *c);

#endif
