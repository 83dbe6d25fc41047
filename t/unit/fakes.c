/* fakes.c: fakes for the core's ports. */
#include "fakes.h"
#include <apr_hash.h>
#include <cjose/cjose.h>
#include <check.h>
#include <string.h>

static apr_time_t fclock_now(void *baton)
{
    return ((fake_clock_t *)baton)->now;
}

void fake_clock_init(fake_clock_t *c, apr_time_t now)
{
    c->now = now;
    c->port.now = fclock_now;
    c->port.baton = c;
}

static apr_status_t frand_fill(void *baton, unsigned char *buf, apr_size_t len)
{
    fake_rand_t *r = baton;
    apr_size_t i;

    if (r->fail)
        return APR_EGENERAL;
    for (i = 0; i < len; i++)
        buf[i] = (unsigned char)(r->counter++ * 131u + 7u);
    return APR_SUCCESS;
}

void fake_rand_init(fake_rand_t *r)
{
    r->counter = 1;
    r->fail = false;
    r->port.fill = frand_fill;
    r->port.baton = r;
}

static void flog_emit(void *baton, sm_log_level_e level, const char *msg)
{
    fake_log_t *l = baton;
    APR_ARRAY_PUSH(l->lines, const char *) = apr_psprintf(l->pool, "%d %s", (int)level, msg);
}

void fake_log_init(fake_log_t *l, apr_pool_t *p)
{
    l->pool = p;
    l->lines = apr_array_make(p, 16, sizeof(const char *));
    l->port.emit = flog_emit;
    l->port.baton = l;
    l->port.max_level = SM_LOG_DEBUG;
}

bool fake_log_has(const fake_log_t *l, const char *needle)
{
    int i;
    for (i = 0; i < l->lines->nelts; i++)
        if (strstr(APR_ARRAY_IDX(l->lines, i, const char *), needle))
            return true;
    return false;
}

typedef struct fitem_t {
    unsigned char *val;
    apr_size_t len;
    apr_time_t expiry;
} fitem_t;

static fitem_t *fstore_live(fake_store_t *s, const char *key)
{
    fitem_t *it = apr_hash_get(s->items, key, APR_HASH_KEY_STRING);
    if (it && it->expiry <= s->clock->now)
        return NULL;
    return it;
}

static apr_status_t fstore_get(void *baton, apr_pool_t *p, const char *key, unsigned char **val,
                               apr_size_t *len)
{
    fake_store_t *s = baton;
    fitem_t *it;

    if (s->down)
        return APR_ECONNREFUSED;
    it = fstore_live(s, key);
    if (!it)
        return APR_NOTFOUND;
    *val = apr_pmemdup(p, it->val, it->len);
    *len = it->len;
    return APR_SUCCESS;
}

static apr_status_t fstore_set(void *baton, apr_pool_t *p, const char *key,
                               const unsigned char *val, apr_size_t len, apr_time_t expiry)
{
    fake_store_t *s = baton;
    fitem_t *it;

    if (s->down)
        return APR_ECONNREFUSED;
    it = apr_pcalloc(s->pool, sizeof(*it));
    it->val = apr_pmemdup(s->pool, val, len);
    it->len = len;
    it->expiry = expiry;
    apr_hash_set(s->items, apr_pstrdup(s->pool, key), APR_HASH_KEY_STRING, it);
    s->writes++;
    return APR_SUCCESS;
}

static apr_status_t fstore_add(void *baton, apr_pool_t *p, const char *key,
                               const unsigned char *val, apr_size_t len, apr_time_t expiry)
{
    fake_store_t *s = baton;

    if (s->down)
        return APR_ECONNREFUSED;
    if (fstore_live(s, key))
        return APR_EEXIST;
    return fstore_set(baton, p, key, val, len, expiry);
}

static apr_status_t fstore_del(void *baton, apr_pool_t *p, const char *key)
{
    fake_store_t *s = baton;

    if (s->down)
        return APR_ECONNREFUSED;
    apr_hash_set(s->items, key, APR_HASH_KEY_STRING, NULL);
    return APR_SUCCESS;
}

void fake_store_init(fake_store_t *s, apr_pool_t *p, const fake_clock_t *clock)
{
    s->pool = p;
    s->items = apr_hash_make(p);
    s->clock = clock;
    s->down = false;
    s->writes = 0;
    s->port.get = fstore_get;
    s->port.set = fstore_set;
    s->port.add = fstore_add;
    s->port.del = fstore_del;
    s->port.name = "fake";
    s->port.baton = s;
}

static apr_status_t fhttp_perform(void *baton, apr_pool_t *p, const sm_http_req_t *req,
                                  sm_http_resp_t **resp, const char **err)
{
    fake_http_t *h = baton;
    const char *k = apr_pstrcat(p, req->method, " ", req->url, NULL);
    sm_http_resp_t *r = apr_hash_get(h->routes, k, APR_HASH_KEY_STRING);

    h->calls++;
    h->last = *req;
    h->last.url = apr_pstrdup(h->pool, req->url);
    h->last.body = req->body ? apr_pstrmemdup(h->pool, req->body, req->body_len) : NULL;
    h->last.headers = req->headers ? apr_table_copy(h->pool, req->headers) : NULL;
    APR_ARRAY_PUSH(h->reqs, sm_http_req_t) = h->last;
    if (h->handler) {
        sm_http_resp_t *hr = h->handler(h->handler_ctx, p, &h->last);
        if (hr)
            r = hr;
    }
    if (!r) {
        *err = "fake: connection refused";
        return APR_ECONNREFUSED;
    }
    *resp = r;
    return APR_SUCCESS;
}

void fake_http_init(fake_http_t *h, apr_pool_t *p)
{
    memset(h, 0, sizeof(*h));
    h->pool = p;
    h->routes = apr_hash_make(p);
    h->reqs = apr_array_make(p, 8, sizeof(sm_http_req_t));
    h->port.perform = fhttp_perform;
    h->port.baton = h;
}

void fake_http_route(fake_http_t *h, const char *method, const char *url, int status,
                     const char *content_type, const char *body)
{
    sm_http_resp_t *r = apr_pcalloc(h->pool, sizeof(*r));

    r->status = status;
    r->headers = apr_table_make(h->pool, 2);
    if (content_type)
        apr_table_set(r->headers, "Content-Type", content_type);
    r->body = body ? apr_pstrdup(h->pool, body) : "";
    r->body_len = strlen(r->body);
    apr_hash_set(h->routes, apr_pstrcat(h->pool, method, " ", url, NULL), APR_HASH_KEY_STRING, r);
}

void fake_env_init(fake_env_t *f, apr_pool_t *p, apr_time_t now)
{
    fake_clock_init(&f->clock, now);
    fake_rand_init(&f->rand);
    fake_log_init(&f->log, p);
    fake_store_init(&f->store, p, &f->clock);
    fake_http_init(&f->http, p);
    f->env.pool = p;
    f->env.log = &f->log.port;
    f->env.clock = &f->clock.port;
    f->env.rand = &f->rand.port;
    f->env.store = &f->store.port;
    f->env.http = &f->http.port;
}

const sm_http_req_t *fake_http_find(const fake_http_t *h, const char *url)
{
    int i;
    for (i = h->reqs->nelts - 1; i >= 0; i--)
        if (strcmp(APR_ARRAY_IDX(h->reqs, i, sm_http_req_t).url, url) == 0)
            return &APR_ARRAY_IDX(h->reqs, i, sm_http_req_t);
    return NULL;
}

sm_http_resp_t *fake_http_resp(apr_pool_t *p, int status, const char *content_type,
                               const char *body)
{
    sm_http_resp_t *r = apr_pcalloc(p, sizeof(*r));

    r->status = status;
    r->headers = apr_table_make(p, 2);
    if (content_type)
        apr_table_set(r->headers, "Content-Type", content_type);
    r->body = body ? apr_pstrdup(p, body) : "";
    r->body_len = strlen(r->body);
    return r;
}

const char *fake_sign_jws(apr_pool_t *p, const struct _cjose_jwk_int *key, const char *alg,
                          const char *kid, const char *payload, size_t len)
{
    cjose_header_t *h = cjose_header_new(NULL);
    cjose_jws_t *jws;
    const char *ser = NULL, *out;

    cjose_header_set(h, CJOSE_HDR_ALG, alg, NULL);
    if (kid)
        cjose_header_set(h, CJOSE_HDR_KID, kid, NULL);
    jws = cjose_jws_sign(key, h, (const uint8_t *)payload, len, NULL);
    ck_assert_ptr_nonnull(jws);
    ck_assert(cjose_jws_export(jws, &ser, NULL));
    out = apr_pstrdup(p, ser);
    cjose_jws_release(jws);
    cjose_header_release(h);
    return out;
}

const char *fake_sign_jwt(apr_pool_t *p, const struct _cjose_jwk_int *key, const char *alg,
                          const char *kid, const char *claims)
{
    return fake_sign_jws(p, key, alg, kid, claims, strlen(claims));
}
