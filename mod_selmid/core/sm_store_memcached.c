/* sm_store_memcached.c: the session store port on memcached (libmemcached + libmemcachedutil).
 *
 * Config time: sm_store_memcached_parse() validates "host:port[,host:port...]".
 * Per process (httpd child_init): sm_store_memcached_open() builds a template memcached_st with the
 * servers and behaviours, and a libmemcachedutil pool of clones of it; every call takes one clone
 * from the pool (so a memcached_st is never used by two threads at once) and gives it back.
 *
 * Failure behaviour (deliberate, fail closed):
 *   - keys are spread over the servers by consistent hashing (ketama) and stay there: dead servers
 *     are NOT ejected (REMOVE_FAILED_SERVERS/AUTO_EJECT off), so keys of a dead server are not
 *     silently remapped to another one. Remapping would lose sessions anyway and would let a
 *     single-use "add" succeed twice when a flapping server comes back with the old value.
 *   - a server that fails to answer is put in timeout for SM_MC_RETRY_TIMEOUT_S seconds (per
 *     pooled handle); during that time calls for its keys fail at once instead of waiting for
 *     another connect timeout. The caller turns any failure into an error page, never into access.
 *   - connect, poll, send and receive are all bounded by timeout_ms. */
#include "sm_store.h"
#include <apr_lib.h>
#include <arpa/inet.h>
#include <libmemcached/memcached.h>
#include <libmemcached/util.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define SM_MC_MAX_SERVERS     32
#define SM_MC_MAX_KEY         250
#define SM_MC_POOL_INITIAL    1
#define SM_MC_POOL_MAX        256 /* a cap: handles are only created under real concurrency */
#define SM_MC_DEFAULT_TIMEOUT 1000L
#define SM_MC_RETRY_TIMEOUT_S 2
#define SM_MC_FAILURE_LIMIT   2
#define SM_MC_RELATIVE_MAX_S  (60 * 60 * 24 * 30) /* memcached: larger values are unix times */

typedef struct sm_mc_server_t {
    const char *host; /* without brackets for IPv6 */
    unsigned port;
} sm_mc_server_t;

struct sm_memcached_cfg_t {
    const char *spec;
    int nservers;
    sm_mc_server_t servers[SM_MC_MAX_SERVERS];
};

typedef struct mc_store_t {
    memcached_st *tmpl;
    memcached_pool_st *pool;
    struct timespec wait; /* how long to wait for a free handle */
} mc_store_t;

/* ---- parsing --------------------------------------------------------------------------------- */

/* A DNS name (labels of letters, digits, '-' and '_') or a dotted IPv4 address. */
static const char *check_host(const char *host)
{
    const char *s;
    size_t label = 0;
    bool numeric = true;

    if (!*host)
        return "missing host";
    if (strlen(host) > 253)
        return "host name too long";
    for (s = host; *s; s++) {
        if (*s == '.') {
            if (label == 0)
                return "empty label in host name";
            if (s[-1] == '-')
                return "host name label ends with '-'";
            label = 0;
            continue;
        }
        if (!apr_isalnum(*s) && *s != '-' && *s != '_')
            return *s == ':' ? "IPv6 addresses must be written in brackets, e.g. [::1]:11211"
                             : "invalid character in host name";
        if (*s == '-' && label == 0)
            return "host name label starts with '-'";
        if (!apr_isdigit(*s))
            numeric = false;
        if (++label > 63)
            return "host name label longer than 63 characters";
    }
    if (label == 0)
        return "host name ends with '.'";
    if (s[-1] == '-')
        return "host name label ends with '-'";
    if (numeric) {
        struct in_addr a4;
        if (inet_pton(AF_INET, host, &a4) != 1)
            return "invalid IPv4 address";
    }
    return NULL;
}

static const char *check_port(const char *port, unsigned *out)
{
    unsigned long v = 0;
    const char *s;

    if (!*port)
        return "missing port";
    for (s = port; *s; s++) {
        if (!apr_isdigit(*s) || s - port >= 5)
            return "port must be a number from 1 to 65535";
        v = v * 10 + (unsigned long)(*s - '0');
    }
    if (v < 1 || v > 65535)
        return "port must be a number from 1 to 65535";
    *out = (unsigned)v;
    return NULL;
}

static const char *parse_entry(apr_pool_t *p, const char *entry, sm_mc_server_t *srv)
{
    const char *colon, *close, *why;
    char *host;

    if (entry[0] == '[') {
        struct in6_addr a6;

        close = strchr(entry, ']');
        if (!close)
            return "missing ']' after IPv6 address";
        host = apr_pstrmemdup(p, entry + 1, (apr_size_t)(close - entry - 1));
        if (inet_pton(AF_INET6, host, &a6) != 1)
            return "invalid IPv6 address";
        if (close[1] != ':')
            return "missing ':port' after ']'";
        colon = close + 1;
    } else {
        colon = strrchr(entry, ':');
        if (!colon)
            return "missing ':port'";
        host = apr_pstrmemdup(p, entry, (apr_size_t)(colon - entry));
        why = check_host(host);
        if (why)
            return why;
    }
    srv->host = host;
    return check_port(colon + 1, &srv->port);
}

const char *sm_store_memcached_parse(apr_pool_t *p, const char *servers, sm_memcached_cfg_t **cfg)
{
    sm_memcached_cfg_t *c = apr_pcalloc(p, sizeof(*c));
    const char *s = servers ? servers : "";
    const char *end, *b, *e, *why;
    const char *err = NULL;
    char *entry;
    int i;

    *cfg = NULL;
    c->spec = apr_pstrdup(p, s);
    for (;;) {
        end = s + strcspn(s, ",");
        for (b = s; b < end && apr_isspace(*b); b++)
            ;
        for (e = end; e > b && apr_isspace(e[-1]); e--)
            ;
        if (b == e) {
            err = apr_psprintf(p, "memcached servers '%s': empty entry #%d (expected host:port)",
                               c->spec, c->nservers + 1);
            goto leave;
        }
        entry = apr_pstrmemdup(p, b, (apr_size_t)(e - b));
        if (c->nservers == SM_MC_MAX_SERVERS) {
            err = apr_psprintf(p, "memcached servers: more than %d servers (at '%s')",
                               SM_MC_MAX_SERVERS, entry);
            goto leave;
        }
        why = parse_entry(p, entry, &c->servers[c->nservers]);
        if (why) {
            err = apr_psprintf(p, "memcached server '%s': %s", entry, why);
            goto leave;
        }
        for (i = 0; i < c->nservers; i++) {
            if (c->servers[i].port == c->servers[c->nservers].port &&
                strcasecmp(c->servers[i].host, c->servers[c->nservers].host) == 0) {
                err = apr_psprintf(p, "memcached server '%s' is listed twice", entry);
                goto leave;
            }
        }
        c->nservers++;
        if (!*end)
            break;
        s = end + 1;
    }
    *cfg = c;

leave:
    return err;
}

/* ---- the port -------------------------------------------------------------------------------- */

static bool key_ok(const char *key, apr_size_t *klen)
{
    const char *s;

    if (!key)
        return false;
    for (s = key; *s; s++)
        if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f || s - key >= SM_MC_MAX_KEY)
            return false;
    *klen = (apr_size_t)(s - key);
    return *klen > 0;
}

/* The absolute apr_time_t expiry as memcached wants it: seconds from now up to 30 days, a unix
 * time beyond that; never 0 (which would mean "no expiry") nor in the past. */
static time_t mc_expiry(apr_time_t expiry, apr_time_t now)
{
    apr_time_t delta = expiry - now;
    apr_time_t secs = delta <= 0 ? 1 : (delta + APR_USEC_PER_SEC - 1) / APR_USEC_PER_SEC;

    if (secs < 1)
        secs = 1;
    if (secs <= SM_MC_RELATIVE_MAX_S)
        return (time_t)secs;
    return (time_t)apr_time_sec(expiry);
}

static apr_status_t mc_status(memcached_return_t rc)
{
    switch (rc) {
    case MEMCACHED_SUCCESS:
        return APR_SUCCESS;
    case MEMCACHED_CONNECTION_FAILURE:
    case MEMCACHED_CONNECTION_SOCKET_CREATE_FAILURE:
    case MEMCACHED_HOST_LOOKUP_FAILURE:
    case MEMCACHED_SERVER_TEMPORARILY_DISABLED:
    case MEMCACHED_SERVER_MARKED_DEAD:
    case MEMCACHED_NO_SERVERS:
    case MEMCACHED_TIMEOUT:
    case MEMCACHED_ERRNO:
    case MEMCACHED_WRITE_FAILURE:
    case MEMCACHED_READ_FAILURE:
    case MEMCACHED_UNKNOWN_READ_FAILURE:
        return APR_ECONNREFUSED;
    default:
        return APR_EGENERAL;
    }
}

/* libmemcached reports a failed read as MEMCACHED_NOTFOUND from memcached_get (and may from
 * memcached_delete) and keeps the real cause as the handle's last error, which every operation
 * resets first: "not found" only counts when nothing else went wrong. */
static apr_status_t mc_notfound_status(memcached_st *mc)
{
    memcached_return_t last = memcached_last_error(mc);

    return last == MEMCACHED_SUCCESS || last == MEMCACHED_NOTFOUND ? APR_NOTFOUND : mc_status(last);
}

/* Checks the key and takes a handle from the pool: APR_EINVAL for a bad key, an error when no
 * handle can be had. */
static apr_status_t mc_take(mc_store_t *s, const char *key, apr_size_t *klen, memcached_st **mc)
{
    memcached_return_t rc = MEMCACHED_SUCCESS;
    struct timespec wait = s->wait;

    *mc = NULL;
    if (!key_ok(key, klen))
        return APR_EINVAL;
    /* NULL (with any rc, even MEMCACHED_NOTFOUND) means no handle: never "not found" */
    *mc = memcached_pool_fetch(s->pool, &wait, &rc);
    return *mc ? APR_SUCCESS : APR_EGENERAL;
}

static apr_status_t mc_get(void *baton, apr_pool_t *p, const char *key, unsigned char **val,
                           apr_size_t *len)
{
    mc_store_t *s = baton;
    memcached_st *mc = NULL;
    memcached_return_t rc;
    apr_size_t klen;
    size_t vlen = 0;
    uint32_t flags = 0;
    char *v = NULL;
    unsigned char *copy;
    apr_status_t rv;

    *val = NULL;
    *len = 0;
    rv = mc_take(s, key, &klen, &mc);
    if (rv != APR_SUCCESS)
        goto leave;
    v = memcached_get(mc, key, klen, &vlen, &flags, &rc);
    if (rc == MEMCACHED_NOTFOUND) {
        rv = mc_notfound_status(mc);
    } else if (rc != MEMCACHED_SUCCESS) {
        rv = mc_status(rc);
    } else {
        /* copied into the pool (NUL-terminated for convenience); an empty value may come back
         * as NULL */
        copy = apr_palloc(p, vlen + 1);
        if (vlen)
            memcpy(copy, v, vlen);
        copy[vlen] = '\0';
        *val = copy;
        *len = vlen;
        rv = APR_SUCCESS;
    }

leave:
    free(v);
    if (mc)
        memcached_pool_release(s->pool, mc);
    return rv;
}

static apr_status_t mc_store(mc_store_t *s, bool add, const char *key, const unsigned char *val,
                             apr_size_t len, apr_time_t expiry)
{
    memcached_st *mc = NULL;
    memcached_return_t rc;
    apr_size_t klen;
    time_t exp;
    apr_status_t rv;

    if (!val && len) {
        rv = APR_EINVAL;
        goto leave;
    }
    rv = mc_take(s, key, &klen, &mc);
    if (rv != APR_SUCCESS)
        goto leave;
    exp = mc_expiry(expiry, apr_time_now());
    if (add)
        rc = memcached_add(mc, key, klen, (const char *)val, len, exp, 0);
    else
        rc = memcached_set(mc, key, klen, (const char *)val, len, exp, 0);
    if (add && (rc == MEMCACHED_NOTSTORED || rc == MEMCACHED_DATA_EXISTS))
        rv = APR_EEXIST;
    else
        rv = mc_status(rc);

leave:
    if (mc)
        memcached_pool_release(s->pool, mc);
    return rv;
}

static apr_status_t mc_set(void *baton, apr_pool_t *p, const char *key, const unsigned char *val,
                           apr_size_t len, apr_time_t expiry)
{
    return mc_store(baton, false, key, val, len, expiry);
}

static apr_status_t mc_add(void *baton, apr_pool_t *p, const char *key, const unsigned char *val,
                           apr_size_t len, apr_time_t expiry)
{
    return mc_store(baton, true, key, val, len, expiry);
}

static apr_status_t mc_del(void *baton, apr_pool_t *p, const char *key)
{
    mc_store_t *s = baton;
    memcached_st *mc = NULL;
    memcached_return_t rc;
    apr_size_t klen;
    apr_status_t rv;

    rv = mc_take(s, key, &klen, &mc);
    if (rv != APR_SUCCESS)
        goto leave;
    rc = memcached_delete(mc, key, klen, 0);
    rv = rc == MEMCACHED_NOTFOUND ? mc_notfound_status(mc) : mc_status(rc);
    if (rv == APR_NOTFOUND)
        rv = APR_SUCCESS;

leave:
    if (mc)
        memcached_pool_release(s->pool, mc);
    return rv;
}

/* ---- per-process setup ----------------------------------------------------------------------- */

static apr_status_t mc_cleanup(void *data)
{
    mc_store_t *s = data;
    memcached_st *master;

    if (s->pool) {
        master = memcached_pool_destroy(s->pool);
        if (master && master != s->tmpl)
            memcached_free(master);
        s->pool = NULL;
    }
    if (s->tmpl) {
        memcached_free(s->tmpl);
        s->tmpl = NULL;
    }
    return APR_SUCCESS;
}

static bool set_behaviours(memcached_st *m, long timeout_ms)
{
    static const struct {
        memcached_behavior_t what;
        int shift; /* 0: as is; 1: timeout in ms; 2: timeout in us */
        uint64_t value;
    } b[] = {
        {MEMCACHED_BEHAVIOR_BINARY_PROTOCOL, 0, 1},
        {MEMCACHED_BEHAVIOR_DISTRIBUTION, 0, MEMCACHED_DISTRIBUTION_CONSISTENT_KETAMA},
        {MEMCACHED_BEHAVIOR_TCP_NODELAY, 0, 1},
        {MEMCACHED_BEHAVIOR_CONNECT_TIMEOUT, 1, 0},
        {MEMCACHED_BEHAVIOR_POLL_TIMEOUT, 1, 0},
        {MEMCACHED_BEHAVIOR_SND_TIMEOUT, 2, 0},
        {MEMCACHED_BEHAVIOR_RCV_TIMEOUT, 2, 0},
        {MEMCACHED_BEHAVIOR_RETRY_TIMEOUT, 0, SM_MC_RETRY_TIMEOUT_S},
        {MEMCACHED_BEHAVIOR_SERVER_FAILURE_LIMIT, 0, SM_MC_FAILURE_LIMIT},
        {MEMCACHED_BEHAVIOR_REMOVE_FAILED_SERVERS, 0, 0},
    };
    size_t i;
    uint64_t v;

    for (i = 0; i < sizeof(b) / sizeof(b[0]); i++) {
        v = b[i].shift == 0   ? b[i].value
            : b[i].shift == 1 ? (uint64_t)timeout_ms
                              : (uint64_t)timeout_ms * 1000u;
        if (memcached_behavior_set(m, b[i].what, v) != MEMCACHED_SUCCESS)
            return false;
    }
    return true;
}

apr_status_t sm_store_memcached_open(apr_pool_t *pchild, const sm_memcached_cfg_t *cfg,
                                     long timeout_ms, sm_store_t **store)
{
    mc_store_t *s = apr_pcalloc(pchild, sizeof(*s));
    sm_store_t *port;
    long wait_ms;
    int i;
    apr_status_t rv = APR_EGENERAL;

    *store = NULL;
    if (!cfg || cfg->nservers < 1) {
        rv = APR_EINVAL;
        goto leave;
    }
    if (timeout_ms <= 0)
        timeout_ms = SM_MC_DEFAULT_TIMEOUT;
    s->tmpl = memcached_create(NULL);
    if (!s->tmpl) {
        rv = APR_ENOMEM;
        goto leave;
    }
    if (!set_behaviours(s->tmpl, timeout_ms))
        goto leave;
    for (i = 0; i < cfg->nservers; i++)
        if (memcached_server_add(s->tmpl, cfg->servers[i].host, (in_port_t)cfg->servers[i].port) !=
            MEMCACHED_SUCCESS)
            goto leave;
    s->pool = memcached_pool_create(s->tmpl, SM_MC_POOL_INITIAL, SM_MC_POOL_MAX);
    if (!s->pool)
        goto leave;
    /* libmemcachedutil waits in whole seconds (time(NULL) + tv_sec): at least one */
    wait_ms = timeout_ms < 1000 ? 1000 : timeout_ms;
    s->wait.tv_sec = (time_t)(wait_ms / 1000);
    s->wait.tv_nsec = (long)(wait_ms % 1000) * 1000000L;

    port = apr_pcalloc(pchild, sizeof(*port));
    port->get = mc_get;
    port->set = mc_set;
    port->add = mc_add;
    port->del = mc_del;
    port->name = "memcached";
    port->baton = s;
    *store = port;
    rv = APR_SUCCESS;

leave:
    if (rv == APR_SUCCESS)
        apr_pool_cleanup_register(pchild, s, mc_cleanup, apr_pool_cleanup_null);
    else
        mc_cleanup(s);
    return rv;
}
