/* sm_config.c: configuration objects: creation with unset sentinels, merge, effective values
 * and whole-object checks. */
#include "sm_config.h"
#include "sm_crypto.h"
#include "sm_jwt.h"
#include <apr_hash.h>
#include <string.h>

#define DEFAULT_PATH            "/selmid"
#define DEFAULT_COOKIE          "selmid_session"
#define DEFAULT_IDLE            apr_time_from_sec(1800)
#define DEFAULT_ABSOLUTE        apr_time_from_sec(28800)
#define DEFAULT_SKEW            apr_time_from_sec(120)
#define DEFAULT_HTTP_TIMEOUT_MS 10000L

sm_server_cfg_t *sm_server_cfg_create(apr_pool_t *p)
{
    sm_server_cfg_t *c = apr_pcalloc(p, sizeof(*c));

    c->store_type = SM_UNSET;
    c->idle_timeout = SM_UNSET;
    c->absolute_timeout = SM_UNSET;
    c->clock_skew = SM_UNSET;
    c->http_timeout_ms = SM_UNSET;
    c->providers = apr_hash_make(p);
    return c;
}

#define PICK(f)  (add->f != SM_UNSET ? add->f : base->f)
#define PICKP(f) (add->f ? add->f : base->f)

sm_server_cfg_t *sm_server_cfg_merge(apr_pool_t *p, const sm_server_cfg_t *base,
                                     const sm_server_cfg_t *add)
{
    sm_server_cfg_t *c = apr_pcalloc(p, sizeof(*c));

    if (add->secret) {
        c->secret = add->secret;
        c->secret_len = add->secret_len;
        c->secret_origin = add->secret_origin;
    } else {
        c->secret = base->secret;
        c->secret_len = base->secret_len;
        c->secret_origin = base->secret_origin;
    }
    c->path = PICKP(path);
    c->store_type = PICK(store_type);
    c->memcached_servers =
        add->store_type != SM_UNSET ? add->memcached_servers : base->memcached_servers;
    c->idle_timeout = PICK(idle_timeout);
    c->absolute_timeout = PICK(absolute_timeout);
    c->clock_skew = PICK(clock_skew);
    c->http_timeout_ms = PICK(http_timeout_ms);
    c->cookie_name = PICKP(cookie_name);
    /* a virtual host sees the main server's providers; its own blocks of the same name win */
    c->providers = apr_hash_overlay(p, add->providers, base->providers);
    return c;
}

sm_dir_cfg_t *sm_dir_cfg_create(apr_pool_t *p)
{
    sm_dir_cfg_t *d = apr_pcalloc(p, sizeof(*d));

    d->unauth_action = SM_UNSET;
    d->pass_as = SM_UNSET;
    d->header_encoding = SM_UNSET;
    return d;
}

sm_dir_cfg_t *sm_dir_cfg_merge(apr_pool_t *p, const sm_dir_cfg_t *base, const sm_dir_cfg_t *add)
{
    sm_dir_cfg_t *d = apr_pcalloc(p, sizeof(*d));

    d->providers = PICKP(providers);
    d->unauth_action = PICK(unauth_action);
    d->pass_as = PICK(pass_as);
    d->claim_prefix = PICKP(claim_prefix);
    d->remote_user_claim = PICKP(remote_user_claim);
    d->header_encoding = PICK(header_encoding);
    return d;
}

sm_provider_cfg_t *sm_provider_cfg_create(apr_pool_t *p, const char *name, const char *defined_at)
{
    sm_provider_cfg_t *pc = apr_pcalloc(p, sizeof(*pc));

    pc->name = name;
    pc->defined_at = defined_at;
    pc->token_auth = SM_UNSET;
    pc->userinfo = SM_UNSET;
    return pc;
}

const char *sm_cfg_path(const sm_server_cfg_t *c)
{
    return c->path ? c->path : DEFAULT_PATH;
}

const char *sm_cfg_cookie_name(const sm_server_cfg_t *c)
{
    return c->cookie_name ? c->cookie_name : DEFAULT_COOKIE;
}

apr_interval_time_t sm_cfg_idle(const sm_server_cfg_t *c)
{
    return c->idle_timeout != SM_UNSET ? c->idle_timeout : DEFAULT_IDLE;
}

apr_interval_time_t sm_cfg_absolute(const sm_server_cfg_t *c)
{
    return c->absolute_timeout != SM_UNSET ? c->absolute_timeout : DEFAULT_ABSOLUTE;
}

apr_interval_time_t sm_cfg_skew(const sm_server_cfg_t *c)
{
    return c->clock_skew != SM_UNSET ? c->clock_skew : DEFAULT_SKEW;
}

long sm_cfg_http_timeout(const sm_server_cfg_t *c)
{
    return c->http_timeout_ms != SM_UNSET ? c->http_timeout_ms : DEFAULT_HTTP_TIMEOUT_MS;
}

int sm_cfg_store_type(const sm_server_cfg_t *c)
{
    return c->store_type != SM_UNSET ? c->store_type : SM_STORE_SHM;
}

int sm_cfg_unauth(const sm_dir_cfg_t *d)
{
    return d->unauth_action != SM_UNSET ? d->unauth_action : SM_UNAUTH_AUTH;
}

int sm_cfg_pass_as(const sm_dir_cfg_t *d)
{
    return d->pass_as != SM_UNSET ? d->pass_as : (SM_PASS_HEADERS | SM_PASS_ENV);
}

const char *sm_cfg_prefix(const sm_dir_cfg_t *d)
{
    return d->claim_prefix ? d->claim_prefix : "SELMID_";
}

const char *sm_cfg_remote_user_claim(const sm_dir_cfg_t *d)
{
    return d->remote_user_claim ? d->remote_user_claim : "sub";
}

sm_enc_e sm_cfg_encoding(const sm_dir_cfg_t *d)
{
    return d->header_encoding != SM_UNSET ? (sm_enc_e)d->header_encoding : SM_ENC_UTF8;
}

const char *sm_cfg_provider_scope(const sm_provider_cfg_t *pc)
{
    return pc->scope ? pc->scope : "openid";
}

int sm_cfg_provider_token_auth(const sm_provider_cfg_t *pc)
{
    return pc->token_auth != SM_UNSET ? pc->token_auth : SM_TOKEN_AUTH_BASIC;
}

unsigned sm_cfg_provider_algs(const sm_provider_cfg_t *pc)
{
    return pc->algs ? pc->algs : SM_ALG_DEFAULT;
}

const char *sm_provider_cfg_check(apr_pool_t *p, const sm_provider_cfg_t *pc)
{
    const char *where = pc->defined_at ? pc->defined_at : "?";

    if (!pc->issuer)
        return apr_psprintf(p, "<SelmidProvider %s> (%s) needs SelmidIssuer", pc->name, where);
    if (!pc->client_id)
        return apr_psprintf(p, "<SelmidProvider %s> (%s) needs SelmidClientID", pc->name, where);
    if (!pc->client_secret)
        return apr_psprintf(p, "<SelmidProvider %s> (%s) needs SelmidClientSecret", pc->name,
                            where);
    if ((sm_cfg_provider_algs(pc) & SM_ALG_HS256) && strlen(pc->client_secret) < 32)
        return apr_psprintf(p,
                            "<SelmidProvider %s> (%s): SelmidIDTokenAlgs allows HS256, which "
                            "needs a SelmidClientSecret of at least 32 bytes",
                            pc->name, where);
    return NULL;
}

const char *sm_server_cfg_check(apr_pool_t *p, const sm_server_cfg_t *c)
{
    if (!c->secret)
        return "SelmidSecret is not set: AuthType selmid needs it (at least 32 bytes of random "
               "key material, e.g. SelmidSecret file:/etc/apache2/selmid.secret)";
    if (c->secret_len < SM_SECRET_MIN_LEN)
        return apr_psprintf(p, "SelmidSecret (%s) is too short: %lu bytes, at least %d needed",
                            c->secret_origin ? c->secret_origin : "value",
                            (unsigned long)c->secret_len, SM_SECRET_MIN_LEN);
    if (sm_cfg_absolute(c) < sm_cfg_idle(c))
        return "SelmidSessionTimeout: the absolute timeout must not be shorter than the idle one";
    if (sm_cfg_store_type(c) == SM_STORE_MEMCACHED && !c->memcached_servers)
        return "SelmidSessionStore memcached needs a server list";
    return NULL;
}
