/* ports.c: the core's ports on top of httpd: logging into the error log and the per-request
 * environment. */
#include "glue.h"

APLOG_USE_MODULE(selmid);

static const int level_map[] = {
    [SM_LOG_ERROR] = APLOG_ERR, [SM_LOG_WARN] = APLOG_WARNING, [SM_LOG_NOTICE] = APLOG_NOTICE,
    [SM_LOG_INFO] = APLOG_INFO, [SM_LOG_DEBUG] = APLOG_DEBUG,
};

static sm_log_level_e max_level_r(const request_rec *r)
{
    sm_log_level_e l;
    for (l = SM_LOG_DEBUG; l > SM_LOG_ERROR; l--)
        if (APLOG_R_IS_LEVEL(r, level_map[l]))
            return l;
    return SM_LOG_ERROR;
}

static void emit_r(void *baton, sm_log_level_e level, const char *msg)
{
    ap_log_rerror(APLOG_MARK, level_map[level], 0, (request_rec *)baton, "%s", msg);
}

static void emit_s(void *baton, sm_log_level_e level, const char *msg)
{
    ap_log_error(APLOG_MARK, level_map[level], 0, (server_rec *)baton, "%s", msg);
}

sm_env_t *sm_env(request_rec *r, const sm_srv_t *srv)
{
    sm_env_t *env = apr_pcalloc(r->pool, sizeof(*env));
    sm_log_t *log = apr_pcalloc(r->pool, sizeof(*log));

    log->emit = emit_r;
    log->baton = r;
    log->max_level = max_level_r(r);
    env->pool = r->pool;
    env->log = log;
    env->clock = &sm_clock_system;
    env->rand = &sm_rand_system;
    env->http = srv->http;
    env->store = srv->store;
    env->session_cache = srv->cache;
    return env;
}

sm_env_t *sm_env_server(apr_pool_t *p, server_rec *s, const sm_srv_t *srv)
{
    sm_env_t *env = apr_pcalloc(p, sizeof(*env));
    sm_log_t *log = apr_pcalloc(p, sizeof(*log));

    log->emit = emit_s;
    log->baton = s;
    log->max_level = SM_LOG_DEBUG;
    env->pool = p;
    env->log = log;
    env->clock = &sm_clock_system;
    env->rand = &sm_rand_system;
    env->http = srv->http;
    env->store = srv->store;
    return env;
}
