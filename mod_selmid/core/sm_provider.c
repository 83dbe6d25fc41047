/* sm_provider.c: the per-process cache of a provider's discovery document and JWKS. Readers copy
 * what they need into their request pool under the mutex, so a refresh can drop the old copy. */
#include "sm_oidc.h"
#include "sm_apple.h"
#include "sm_http.h"
#include "sm_json.h"
#include <apr_thread_mutex.h>
#include <stdlib.h>
#include <string.h>

#define META_TTL         apr_time_from_sec(3600)
#define META_RETRY       apr_time_from_sec(5) /* after a failed fetch, do not ask again sooner */
#define JWKS_TTL         apr_time_from_sec(3600)
#define JWKS_MIN_REFRESH apr_time_from_sec(60) /* unknown kid: refetch at most this often */
#define DOC_MAX          (512 * 1024)

typedef struct cached_doc_t {
    char *body; /* malloc'd (not a pool: pools of one allocator must not be made by several
                 * threads at once); replaced and freed under rt->mu */
    apr_size_t len;
    apr_time_t fetched;  /* 0: never */
    apr_time_t last_try; /* last fetch attempt */
} cached_doc_t;

struct sm_provider_rt_t {
    const sm_provider_cfg_t *cfg;
    apr_thread_mutex_t *mu;
    long timeout_ms;
    cached_doc_t meta;
    cached_doc_t jwks;
    sm_apple_secret_t *apple; /* Apple's client secret cache, NULL for other types */
};

static apr_status_t rt_cleanup(void *data)
{
    sm_provider_rt_t *rt = data;

    free(rt->meta.body);
    free(rt->jwks.body);
    rt->meta.body = rt->jwks.body = NULL;
    return APR_SUCCESS;
}

sm_provider_rt_t *sm_provider_rt_create(apr_pool_t *pchild, const sm_provider_cfg_t *cfg,
                                        long http_timeout_ms)
{
    sm_provider_rt_t *rt = apr_pcalloc(pchild, sizeof(*rt));

    rt->cfg = cfg;
    rt->timeout_ms = http_timeout_ms;
    if (apr_thread_mutex_create(&rt->mu, APR_THREAD_MUTEX_DEFAULT, pchild) != APR_SUCCESS)
        return NULL;
    apr_pool_cleanup_register(pchild, rt, rt_cleanup, apr_pool_cleanup_null);
    if (sm_cfg_provider_type(cfg) == SM_PT_APPLE && !(rt->apple = sm_apple_secret_create(pchild)))
        return NULL;
    return rt;
}

sm_apple_secret_t *sm_provider_rt_apple(const sm_provider_rt_t *rt)
{
    return rt->apple;
}

const sm_provider_cfg_t *sm_provider_rt_cfg(const sm_provider_rt_t *rt)
{
    return rt->cfg;
}

long sm_provider_rt_timeout(const sm_provider_rt_t *rt)
{
    return rt->timeout_ms;
}

static const char *discovery_url(apr_pool_t *p, const char *issuer)
{
    apr_size_t n = strlen(issuer);

    if (n && issuer[n - 1] == '/')
        n--;
    return apr_pstrcat(p, apr_pstrmemdup(p, issuer, n), "/.well-known/openid-configuration", NULL);
}

/* Fetches url into doc (called with rt->mu held). */
static apr_status_t fetch_doc(const sm_env_t *env, sm_provider_rt_t *rt, cached_doc_t *doc,
                              const char *what, const char *url)
{
    sm_http_req_t req = {
        .method = "GET", .url = url, .timeout_ms = rt->timeout_ms, .max_body = DOC_MAX};
    sm_http_resp_t *resp = NULL;
    const char *err = NULL;
    char *copy;
    apr_status_t rv;

    doc->last_try = sm_now(env);
    req.headers = apr_table_make(env->pool, 1);
    apr_table_set(req.headers, "Accept", "application/json");
    rv = env->http->perform(env->http->baton, env->pool, &req, &resp, &err);
    if (rv != APR_SUCCESS) {
        sm_log(env->log, SM_LOG_ERROR, "SM20010: provider %s: cannot fetch the %s: %s",
               rt->cfg->name, what, err ? err : "transport error");
        return rv;
    }
    if (resp->status != 200) {
        sm_log(env->log, SM_LOG_ERROR, "SM20011: provider %s: fetching the %s answered HTTP %d",
               rt->cfg->name, what, resp->status);
        return APR_EGENERAL;
    }
    if (!(copy = malloc(resp->body_len + 1)))
        return APR_ENOMEM;
    memcpy(copy, resp->body, resp->body_len);
    copy[resp->body_len] = '\0';
    free(doc->body);
    doc->body = copy;
    doc->len = resp->body_len;
    doc->fetched = sm_now(env);
    sm_log(env->log, SM_LOG_INFO, "SM20012: provider %s: fetched the %s (%lu bytes)", rt->cfg->name,
           what, (unsigned long)resp->body_len);
    return APR_SUCCESS;
}

/* Copies the cached document into the request pool, fetching it first when stale. A stale copy
 * is still used when a refresh fails. */
static apr_status_t get_doc(const sm_env_t *env, sm_provider_rt_t *rt, cached_doc_t *doc,
                            const char *what, const char *url, apr_time_t ttl, bool force,
                            const char **body, apr_size_t *len)
{
    apr_time_t now = sm_now(env);
    apr_status_t rv = APR_SUCCESS;
    bool stale;

    apr_thread_mutex_lock(rt->mu);
    stale = !doc->fetched || now - doc->fetched >= ttl;
    if ((stale || force) &&
        (!doc->last_try || now - doc->last_try >= (force ? JWKS_MIN_REFRESH : META_RETRY))) {
        rv = fetch_doc(env, rt, doc, what, url);
        if (rv != APR_SUCCESS && doc->fetched) {
            sm_log(env->log, SM_LOG_WARN, "SM20013: provider %s: using the cached %s",
                   rt->cfg->name, what);
            rv = APR_SUCCESS;
        }
    } else if (!doc->fetched) {
        rv = APR_EAGAIN; /* the last attempt failed moments ago */
        sm_log(env->log, SM_LOG_ERROR,
               "SM20014: provider %s: the %s is unavailable (last fetch failed)", rt->cfg->name,
               what);
    }
    if (rv == APR_SUCCESS) {
        *body = apr_pstrmemdup(env->pool, doc->body, doc->len);
        *len = doc->len;
    }
    apr_thread_mutex_unlock(rt->mu);
    return rv;
}

/* base without a trailing '/', then the parts */
static const char *join(apr_pool_t *p, const char *base, const char *ver, const char *rest)
{
    apr_size_t n = strlen(base);

    while (n && base[n - 1] == '/')
        n--;
    return apr_pstrcat(p, apr_pstrmemdup(p, base, n), "/", ver, rest, NULL);
}

/* The static metadata of a type that has no discovery (LINE, Facebook, Google, Yahoo! JAPAN,
 * Apple): its endpoints with the overrides already applied by sm_cfg_provider_endpoint. */
static sm_op_meta_t *static_meta(apr_pool_t *p, const sm_provider_cfg_t *pc)
{
    sm_op_meta_t *m = apr_pcalloc(p, sizeof(*m));
    const char *ver = sm_cfg_provider_graph_version(pc);

    m->issuer = sm_cfg_provider_issuer(pc);
    m->issuer_alt = sm_cfg_profile(pc)->issuer_alt;
    if (sm_cfg_provider_type(pc) == SM_PT_FACEBOOK) {
        m->authorization_endpoint =
            join(p, sm_cfg_provider_endpoint(pc, SM_EP_AUTHORIZATION), ver, "/dialog/oauth");
        m->token_endpoint =
            pc->endpoints[SM_EP_TOKEN]
                ? pc->endpoints[SM_EP_TOKEN]
                : join(p, sm_cfg_provider_endpoint(pc, SM_EP_GRAPH), ver, "/oauth/access_token");
        m->userinfo_endpoint = pc->endpoints[SM_EP_USERINFO]
                                   ? pc->endpoints[SM_EP_USERINFO]
                                   : join(p, sm_cfg_provider_endpoint(pc, SM_EP_GRAPH), ver, "/me");
        m->jwks_uri = NULL; /* no ID token */
        return m;
    }
    m->authorization_endpoint = sm_cfg_provider_endpoint(pc, SM_EP_AUTHORIZATION);
    m->token_endpoint = sm_cfg_provider_endpoint(pc, SM_EP_TOKEN);
    m->userinfo_endpoint = sm_cfg_provider_endpoint(pc, SM_EP_USERINFO);
    m->jwks_uri = sm_cfg_provider_endpoint(pc, SM_EP_JWKS);
    return m;
}

apr_status_t sm_provider_meta(const sm_env_t *env, sm_provider_rt_t *rt, sm_op_meta_t **meta)
{
    const sm_provider_cfg_t *pc = rt->cfg;
    const char *body, *err = NULL, *url;
    apr_size_t len;
    apr_status_t rv;
    sm_op_meta_t *m;

    if (!sm_cfg_profile(pc)->discovery) {
        *meta = static_meta(env->pool, pc);
        return APR_SUCCESS;
    }
    url = pc->endpoints[SM_EP_DISCOVERY] ? pc->endpoints[SM_EP_DISCOVERY]
                                         : discovery_url(env->pool, sm_cfg_provider_issuer(pc));
    rv = get_doc(env, rt, &rt->meta, "discovery document", url, META_TTL, false, &body, &len);
    if (rv != APR_SUCCESS)
        return rv;
    rv = sm_oidc_parse_discovery(env->pool, body, len, sm_cfg_provider_issuer(pc), &m, &err);
    if (rv != APR_SUCCESS) {
        sm_log(env->log, SM_LOG_ERROR, "SM20015: provider %s: discovery document refused: %s",
               pc->name, err ? err : "invalid");
        return rv;
    }
    if (pc->endpoints[SM_EP_AUTHORIZATION])
        m->authorization_endpoint = pc->endpoints[SM_EP_AUTHORIZATION];
    if (pc->endpoints[SM_EP_TOKEN])
        m->token_endpoint = pc->endpoints[SM_EP_TOKEN];
    if (pc->endpoints[SM_EP_USERINFO])
        m->userinfo_endpoint = pc->endpoints[SM_EP_USERINFO];
    if (pc->endpoints[SM_EP_JWKS])
        m->jwks_uri = pc->endpoints[SM_EP_JWKS];
    *meta = m;
    return APR_SUCCESS;
}

apr_status_t sm_provider_jwks(const sm_env_t *env, sm_provider_rt_t *rt, bool refresh,
                              json_t **jwks)
{
    sm_op_meta_t *meta;
    const char *body, *err = NULL;
    apr_size_t len;
    apr_status_t rv;
    json_t *j;

    if ((rv = sm_provider_meta(env, rt, &meta)) != APR_SUCCESS)
        return rv;
    if (!meta->jwks_uri) {
        sm_log(env->log, SM_LOG_ERROR, "SM21000: provider %s has no JWKS", rt->cfg->name);
        return APR_EGENERAL;
    }
    rv = get_doc(env, rt, &rt->jwks, "JWKS", meta->jwks_uri, JWKS_TTL, refresh, &body, &len);
    if (rv != APR_SUCCESS)
        return rv;
    j = sm_json_parse(env->pool, body, len, &err);
    if (!j || !json_is_array(json_object_get(j, "keys"))) {
        sm_log(env->log, SM_LOG_ERROR, "SM20016: provider %s: JWKS is not a key set: %s",
               rt->cfg->name, err ? err : "no keys array");
        return APR_EGENERAL;
    }
    *jwks = j;
    return APR_SUCCESS;
}
