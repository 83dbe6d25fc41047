/* config.c: the directive table. Each handler parses its arguments with the core's parsers and
 * stops httpd at config time with a message naming the directive and the value. */
#include "glue.h"
#include "sm_attrmap.h"
#include "sm_authz.h"
#include "sm_crypto.h"
#include "sm_jwt.h"
#include <apr_lib.h>
#include <string.h>

/* SelmidProviders lines, checked after the whole configuration is read. */
typedef struct providers_use_t {
    server_rec *s;
    const char *name;
    const char *where;
} providers_use_t;
static apr_array_header_t *providers_uses;

/* The provider whose <SelmidProvider> block is being read. */
static sm_provider_cfg_t *current_provider;

#define ERR(cmd, fmt, ...) apr_psprintf((cmd)->pool, "%s: " fmt, (cmd)->cmd->name, __VA_ARGS__)

static const char *where(cmd_parms *cmd)
{
    return apr_psprintf(cmd->pool, "%s:%d", cmd->directive->filename, cmd->directive->line_num);
}

void *sm_create_server_config(apr_pool_t *p, server_rec *s)
{
    sm_srv_t *srv = apr_pcalloc(p, sizeof(*srv));
    srv->cfg = sm_server_cfg_create(p);
    return srv;
}

void *sm_merge_server_config(apr_pool_t *p, void *basev, void *addv)
{
    sm_srv_t *base = basev, *add = addv, *srv = apr_pcalloc(p, sizeof(*srv));

    srv->cfg = sm_server_cfg_merge(p, base->cfg, add->cfg);
    srv->mc = add->cfg->store_type != SM_UNSET ? add->mc : base->mc;
    srv->shm_size = add->cfg->store_type != SM_UNSET ? add->shm_size : base->shm_size;
    return srv;
}

void *sm_create_dir_config(apr_pool_t *p, char *dir)
{
    return sm_dir_cfg_create(p);
}

void *sm_merge_dir_config(apr_pool_t *p, void *base, void *add)
{
    return sm_dir_cfg_merge(p, base, add);
}

static sm_server_cfg_t *srv_cfg(cmd_parms *cmd)
{
    return sm_srv(cmd->server)->cfg;
}

/* ---- server level ------------------------------------------------------------------------ */

static const char *set_secret(cmd_parms *cmd, void *dc, const char *arg)
{
    sm_server_cfg_t *c = srv_cfg(cmd);
    const char *e = sm_cfg_parse_secret(cmd->pool, arg, SM_SECRET_MIN_LEN, &c->secret,
                                        &c->secret_len, &c->secret_origin);
    /* never echo the value itself: it is the key */
    return e ? ERR(cmd, "%s", e) : NULL;
}

static const char *set_path(cmd_parms *cmd, void *dc, const char *arg)
{
    const char *e = sm_cfg_parse_path(cmd->pool, arg, &srv_cfg(cmd)->path);
    return e ? ERR(cmd, "%s", e) : NULL;
}

static apr_size_t parse_size(const char *arg)
{
    char *end;
    apr_int64_t v = apr_strtoi64(arg, &end, 10);

    if (end == arg || v <= 0)
        return 0;
    if (*end == 'K' || *end == 'k')
        v *= 1024, end++;
    else if (*end == 'M' || *end == 'm')
        v *= 1024 * 1024, end++;
    if (*end || v < 64 * 1024 || v > (apr_int64_t)1024 * 1024 * 1024)
        return 0;
    return (apr_size_t)v;
}

static const char *set_store(cmd_parms *cmd, void *dc, const char *type, const char *arg)
{
    sm_srv_t *srv = sm_srv(cmd->server);
    const char *e;

    if (strcasecmp(type, "shm") == 0) {
        srv->cfg->store_type = SM_STORE_SHM;
        srv->shm_size = 8 * 1024 * 1024;
        if (arg && !(srv->shm_size = parse_size(arg)))
            return ERR(cmd,
                       "'shm %s': the size must be bytes with an optional K or M suffix, "
                       "64K to 1024M",
                       arg);
        return NULL;
    }
    if (strcasecmp(type, "memcached") == 0) {
        if (!arg)
            return ERR(cmd, "'%s' needs a server list: memcached host:port[,host:port...]", type);
        if ((e = sm_store_memcached_parse(cmd->pool, arg, &srv->mc)))
            return ERR(cmd, "'memcached %s': %s", arg, e);
        srv->cfg->store_type = SM_STORE_MEMCACHED;
        srv->cfg->memcached_servers = arg;
        return NULL;
    }
    return ERR(cmd, "'%s' is not a session store: use shm or memcached host:port[,...]", type);
}

static const char *set_timeout(cmd_parms *cmd, void *dc, const char *idle, const char *abs)
{
    sm_server_cfg_t *c = srv_cfg(cmd);
    const char *e;

    if ((e = sm_cfg_parse_seconds(idle, 60, 7 * 86400, &c->idle_timeout)))
        return ERR(cmd, "idle timeout '%s' %s (60 to 604800)", idle, e);
    if ((e = sm_cfg_parse_seconds(abs, 60, 30 * 86400, &c->absolute_timeout)))
        return ERR(cmd, "absolute timeout '%s' %s (60 to 2592000)", abs, e);
    if (c->absolute_timeout < c->idle_timeout)
        return ERR(cmd, "absolute timeout '%s' is shorter than the idle timeout '%s'", abs, idle);
    return NULL;
}

static const char *set_skew(cmd_parms *cmd, void *dc, const char *arg)
{
    const char *e = sm_cfg_parse_seconds(arg, 0, 600, &srv_cfg(cmd)->clock_skew);
    return e ? ERR(cmd, "'%s' %s (0 to 600)", arg, e) : NULL;
}

static const char *set_http_timeout(cmd_parms *cmd, void *dc, const char *arg)
{
    apr_interval_time_t t;
    const char *e = sm_cfg_parse_seconds(arg, 1, 120, &t);

    if (e)
        return ERR(cmd, "'%s' %s (1 to 120)", arg, e);
    srv_cfg(cmd)->http_timeout_ms = (long)apr_time_as_msec(t);
    return NULL;
}

/* ---- <SelmidProvider NAME> ---------------------------------------------------------------- */

static const char *provider_section(cmd_parms *cmd, void *dc, const char *arg)
{
    const char *endp = ap_strrchr_c(arg, '>'), *e, *cursor;
    char *name;
    sm_provider_cfg_t *pc = NULL;
    sm_server_cfg_t *c = srv_cfg(cmd);

    if ((e = ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT)))
        return e;
    if (!endp)
        return "<SelmidProvider> directive missing closing '>'";
    cursor = apr_pstrmemdup(cmd->pool, arg, endp - arg);
    name = ap_getword_conf(cmd->pool, &cursor);
    if (!*name || sm_cfg_parse_claim_name(name) || strchr(name, ':') || strchr(name, '.'))
        return apr_psprintf(
            cmd->pool, "<SelmidProvider %s>: the name must be letters, digits, '-' or '_'", name);
    if (current_provider)
        return "<SelmidProvider> cannot be nested";
    if (apr_hash_get(c->providers, name, APR_HASH_KEY_STRING))
        return apr_psprintf(cmd->pool, "<SelmidProvider %s>: defined twice in this server", name);
    pc = sm_provider_cfg_create(cmd->pool, name, where(cmd));
    pc->order = (int)apr_hash_count(c->providers);
    current_provider = pc;
    e = ap_walk_config(cmd->directive->first_child, cmd, cmd->context);
    current_provider = NULL;
    if (e)
        return e;
    if ((e = sm_provider_cfg_check(cmd->pool, pc)))
        return e;
    apr_hash_set(c->providers, name, APR_HASH_KEY_STRING, pc);
    return NULL;
}

static const char *in_provider(cmd_parms *cmd, sm_provider_cfg_t **pc)
{
    if (!current_provider)
        return apr_psprintf(cmd->pool, "%s is only allowed inside <SelmidProvider NAME>",
                            cmd->cmd->name);
    *pc = current_provider;
    return NULL;
}

static const char *set_issuer(cmd_parms *cmd, void *dc, const char *arg)
{
    sm_provider_cfg_t *pc = NULL;
    const char *e = in_provider(cmd, &pc);

    if (!e && (e = sm_cfg_parse_issuer(cmd->pool, arg, &pc->issuer)))
        e = ERR(cmd, "%s", e);
    return e;
}

static const char *set_client_id(cmd_parms *cmd, void *dc, const char *arg)
{
    sm_provider_cfg_t *pc = NULL;
    const char *e = in_provider(cmd, &pc), *s;

    if (e)
        return e;
    for (s = arg; *s; s++)
        if ((unsigned char)*s < 0x21 || (unsigned char)*s > 0x7e)
            return ERR(cmd, "'%s' must be printable ASCII without spaces", arg);
    if (!*arg || strlen(arg) > 256)
        return ERR(cmd, "'%s' must be 1 to 256 characters", arg);
    pc->client_id = arg;
    return NULL;
}

static const char *set_client_secret(cmd_parms *cmd, void *dc, const char *arg)
{
    sm_provider_cfg_t *pc = NULL;
    const char *e = in_provider(cmd, &pc), *origin;
    const unsigned char *v;
    apr_size_t n;

    if (e)
        return e;
    if ((e = sm_cfg_parse_secret(cmd->pool, arg, 1, &v, &n, &origin)))
        return ERR(cmd, "%s", e);
    pc->client_secret = (const char *)v;
    return NULL;
}

static const char *set_scope(cmd_parms *cmd, void *dc, const char *arg)
{
    sm_provider_cfg_t *pc = NULL;
    const char *e = in_provider(cmd, &pc);

    if (!e && (e = sm_cfg_parse_scope(cmd->pool, arg, &pc->scope)))
        e = ERR(cmd, "%s", e);
    return e;
}

static const char *set_token_auth(cmd_parms *cmd, void *dc, const char *arg)
{
    sm_provider_cfg_t *pc = NULL;
    const char *e = in_provider(cmd, &pc);

    if (e)
        return e;
    if (strcmp(arg, "client_secret_basic") == 0)
        pc->token_auth = SM_TOKEN_AUTH_BASIC;
    else if (strcmp(arg, "client_secret_post") == 0)
        pc->token_auth = SM_TOKEN_AUTH_POST;
    else
        return ERR(cmd, "'%s' is not supported: use client_secret_basic or client_secret_post",
                   arg);
    return NULL;
}

static const char *set_algs(cmd_parms *cmd, void *dc, const char *arg)
{
    sm_provider_cfg_t *pc = NULL;
    const char *e = in_provider(cmd, &pc);

    if (!e && (e = sm_cfg_parse_algs(cmd->pool, arg, &pc->algs)))
        e = ERR(cmd, "%s", e);
    return e;
}

static const char *set_userinfo(cmd_parms *cmd, void *dc, int on)
{
    sm_provider_cfg_t *pc = NULL;
    const char *e = in_provider(cmd, &pc);

    if (!e)
        pc->userinfo = on;
    return e;
}

static const char *set_provider_type(cmd_parms *cmd, void *dc, const char *arg)
{
    sm_provider_cfg_t *pc = NULL;
    const char *e = in_provider(cmd, &pc);
    int t;

    if (e)
        return e;
    if (!(t = sm_provider_type_parse(arg)))
        return ERR(cmd,
                   "'%s' is not one of oidc, line, facebook, google, yahoojp, apple, "
                   "shibboleth",
                   arg);
    pc->type = t;
    return NULL;
}

static const char *set_endpoint(cmd_parms *cmd, void *dc, const char *kind, const char *url)
{
    sm_provider_cfg_t *pc = NULL;
    const char *e = in_provider(cmd, &pc);
    int k;

    if (e)
        return e;
    if ((k = sm_endpoint_parse(kind)) < 0)
        return ERR(cmd, "'%s' is not one of discovery, authorization, token, userinfo, jwks, graph",
                   kind);
    if ((e = sm_cfg_parse_url(cmd->pool, url, &pc->endpoints[k])))
        return ERR(cmd, "%s %s", kind, e);
    return NULL;
}

static const char *set_label(cmd_parms *cmd, void *dc, const char *a1, const char *a2)
{
    sm_provider_cfg_t *pc = NULL;
    const char *e = in_provider(cmd, &pc), *text = a2 ? a2 : a1, *label;

    if (e)
        return e;
    if ((e = sm_cfg_parse_label(cmd->pool, text, &label)))
        return ERR(cmd, "%s", e);
    if (!a2) {
        pc->label_en = pc->label_ja = label;
    } else if (strcasecmp(a1, "en") == 0) {
        pc->label_en = label;
    } else if (strcasecmp(a1, "ja") == 0) {
        pc->label_ja = label;
    } else {
        return ERR(cmd, "language '%s' is not one of en, ja", a1);
    }
    return NULL;
}

static const char *set_bot_prompt(cmd_parms *cmd, void *dc, const char *arg)
{
    sm_provider_cfg_t *pc = NULL;
    const char *e = in_provider(cmd, &pc);

    if (e)
        return e;
    if (strcmp(arg, "normal") == 0)
        pc->line_bot_prompt = SM_LINE_BOT_NORMAL;
    else if (strcmp(arg, "aggressive") == 0)
        pc->line_bot_prompt = SM_LINE_BOT_AGGRESSIVE;
    else
        return ERR(cmd, "'%s' is not one of normal, aggressive", arg);
    return NULL;
}

static const char *set_graph_version(cmd_parms *cmd, void *dc, const char *arg)
{
    sm_provider_cfg_t *pc = NULL;
    const char *e = in_provider(cmd, &pc);

    if (!e && (e = sm_cfg_parse_graph_version(cmd->pool, arg, &pc->graph_version)))
        e = ERR(cmd, "%s", e);
    return e;
}

static const char *set_allowed_domain(cmd_parms *cmd, void *dc, const char *arg)
{
    sm_provider_cfg_t *pc = NULL;
    const char *e = in_provider(cmd, &pc), *dom;

    if (e)
        return e;
    if ((e = sm_cfg_parse_domain(cmd->pool, arg, &dom)))
        return ERR(cmd, "%s", e);
    if (!pc->allowed_domains)
        pc->allowed_domains = apr_array_make(cmd->pool, 2, sizeof(const char *));
    APR_ARRAY_PUSH(pc->allowed_domains, const char *) = dom;
    return NULL;
}

static const char *set_apple_key(cmd_parms *cmd, void *dc, const char *team, const char *kid,
                                 const char *file)
{
    sm_provider_cfg_t *pc = NULL;
    const char *e = in_provider(cmd, &pc);

    if (!e && (e = sm_cfg_parse_apple_key(cmd->pool, team, kid, file, pc)))
        e = ERR(cmd, "%s", e);
    return e;
}

static const char *set_login_url(cmd_parms *cmd, void *dc, const char *arg)
{
    sm_provider_cfg_t *pc = NULL;
    const char *e = in_provider(cmd, &pc);

    if (!e && (e = sm_cfg_parse_login_url(cmd->pool, arg, &pc->login_url)))
        e = ERR(cmd, "%s", e);
    return e;
}

static const char *set_saml_attribute(cmd_parms *cmd, void *dc, const char *arg)
{
    sm_provider_cfg_t *pc = NULL;
    const char *e = in_provider(cmd, &pc);

    if (e)
        return e;
    if ((e = sm_cfg_parse_claim_name(arg)))
        return ERR(cmd, "'%s' %s", arg, e);
    if (!pc->saml_attributes)
        pc->saml_attributes = apr_array_make(cmd->pool, 12, sizeof(const char *));
    APR_ARRAY_PUSH(pc->saml_attributes, const char *) = arg;
    return NULL;
}

static const char *set_saml_import(cmd_parms *cmd, void *dc, const char *arg)
{
    sm_provider_cfg_t *pc = NULL;
    const char *e = in_provider(cmd, &pc);

    if (!e && (e = sm_cfg_parse_path(cmd->pool, arg, &pc->saml_import)))
        e = ERR(cmd, "%s", e);
    return e;
}

static const char *set_saml_idp(cmd_parms *cmd, void *dc, const char *arg)
{
    sm_provider_cfg_t *pc = NULL;
    const char *e = in_provider(cmd, &pc);

    if (!e && (e = sm_cfg_parse_saml_idp(cmd->pool, arg, pc)))
        e = ERR(cmd, "%s", e);
    return e;
}

static const char *set_template_dir(cmd_parms *cmd, void *dc, const char *arg)
{
    const char *e = sm_cfg_parse_dir(cmd->pool, arg, &srv_cfg(cmd)->template_dir);
    return e ? ERR(cmd, "%s", e) : NULL;
}

/* ---- directory level ---------------------------------------------------------------------- */

static const char *set_providers(cmd_parms *cmd, void *dcv, const char *arg)
{
    sm_dir_cfg_t *d = dcv;
    providers_use_t *u;

    if (sm_cfg_parse_claim_name(arg))
        return ERR(cmd, "'%s' is not a provider name", arg);
    if (!d->providers)
        d->providers = apr_array_make(cmd->pool, 2, sizeof(const char *));
    APR_ARRAY_PUSH(d->providers, const char *) = arg;
    if (!providers_uses)
        providers_uses = apr_array_make(cmd->pool, 8, sizeof(providers_use_t));
    u = apr_array_push(providers_uses);
    u->s = cmd->server;
    u->name = arg;
    u->where = where(cmd);
    return NULL;
}

static const char *set_unauth(cmd_parms *cmd, void *dcv, const char *arg)
{
    sm_dir_cfg_t *d = dcv;

    if (strcasecmp(arg, "auth") == 0)
        d->unauth_action = SM_UNAUTH_AUTH;
    else if (strcmp(arg, "401") == 0)
        d->unauth_action = SM_UNAUTH_401;
    else if (strcmp(arg, "403") == 0)
        d->unauth_action = SM_UNAUTH_403;
    else if (strcasecmp(arg, "pass") == 0)
        d->unauth_action = SM_UNAUTH_PASS;
    else
        return ERR(cmd, "'%s' is not one of auth, 401, 403, pass", arg);
    return NULL;
}

static const char *set_pass_as(cmd_parms *cmd, void *dcv, const char *arg)
{
    sm_dir_cfg_t *d = dcv;

    if (strcasecmp(arg, "headers") == 0)
        d->pass_as = SM_PASS_HEADERS;
    else if (strcasecmp(arg, "environment") == 0)
        d->pass_as = SM_PASS_ENV;
    else if (strcasecmp(arg, "both") == 0)
        d->pass_as = SM_PASS_HEADERS | SM_PASS_ENV;
    else
        return ERR(cmd, "'%s' is not one of headers, environment, both", arg);
    return NULL;
}

static const char *set_prefix(cmd_parms *cmd, void *dcv, const char *arg)
{
    const char *e = sm_cfg_parse_prefix(cmd->pool, arg, &((sm_dir_cfg_t *)dcv)->claim_prefix);
    return e ? ERR(cmd, "%s", e) : NULL;
}

static const char *set_remote_user_claim(cmd_parms *cmd, void *dcv, const char *arg)
{
    sm_dir_cfg_t *d = dcv;
    const char *e = sm_cfg_parse_claim_name(arg);

    if (e)
        return ERR(cmd, "'%s' %s", arg, e);
    if (!d->remote_user)
        d->remote_user = apr_array_make(cmd->pool, 4, sizeof(const char *));
    APR_ARRAY_PUSH(d->remote_user, const char *) = arg;
    return NULL;
}

static const char *set_attribute(cmd_parms *cmd, void *dcv, const char *claim, const char *name)
{
    sm_dir_cfg_t *d = dcv;
    const char *e, *s;
    sm_attr_map_t *m;

    if ((e = sm_cfg_parse_claim_name(claim)) || claim[0] == '.' ||
        claim[strlen(claim) - 1] == '.' || strstr(claim, ".."))
        return ERR(cmd, "claim '%s' %s", claim,
                   e ? e : "must be a claim name or a dotted path like address.locality");
    if (!*name || strlen(name) > 64)
        return ERR(cmd, "name '%s' must be 1 to 64 characters", name);
    for (s = name; *s; s++)
        if (!apr_isalnum(*s) && *s != '_' && *s != '-')
            return ERR(cmd, "name '%s' may contain only letters, digits, '_' and '-'", name);
    if ((e = sm_attrmap_check_name(name)))
        return ERR(cmd, "name '%s' %s", name, e);
    if (!d->attr_map)
        d->attr_map = apr_array_make(cmd->pool, 8, sizeof(sm_attr_map_t));
    m = apr_array_push(d->attr_map);
    m->claim = claim;
    m->name = name;
    return NULL;
}

static const char *set_attr_mode(cmd_parms *cmd, void *dcv, const char *arg)
{
    sm_dir_cfg_t *d = dcv;

    if (strcasecmp(arg, "selmid") == 0)
        d->attr_mode = SM_ATTR_MODE_SELMID;
    else if (strcasecmp(arg, "shibboleth") == 0)
        d->attr_mode = SM_ATTR_MODE_SHIBBOLETH;
    else
        return ERR(cmd, "'%s' is not one of selmid, shibboleth", arg);
    return NULL;
}

static const char *set_provider_hint(cmd_parms *cmd, void *dcv, int on)
{
    ((sm_dir_cfg_t *)dcv)->provider_hint = on;
    return NULL;
}

static const char *set_encoding(cmd_parms *cmd, void *dcv, const char *arg)
{
    sm_dir_cfg_t *d = dcv;

    if (strcasecmp(arg, "utf8") == 0 || strcasecmp(arg, "utf-8") == 0)
        d->header_encoding = SM_ENC_UTF8;
    else if (strcasecmp(arg, "base64url") == 0)
        d->header_encoding = SM_ENC_BASE64URL;
    else if (strcasecmp(arg, "latin1") == 0)
        d->header_encoding = SM_ENC_LATIN1;
    else
        return ERR(cmd, "'%s' is not one of utf8, base64url, latin1", arg);
    return NULL;
}

/* ---- whole-configuration checks ----------------------------------------------------------- */

/* Marks every server that has `AuthType selmid` somewhere in its configuration. */
static void mark_used(server_rec *main, ap_directive_t *d, server_rec *current)
{
    for (; d; d = d->next) {
        server_rec *s = current;
        if (strcasecmp(d->directive, "<VirtualHost") == 0) {
            server_rec *v;
            for (v = main->next; v; v = v->next)
                if (v->defn_name && strcmp(v->defn_name, d->filename) == 0 &&
                    v->defn_line_number == (unsigned)d->line_num)
                    s = v;
        }
        if (strcasecmp(d->directive, "AuthType") == 0 && d->args &&
            strcasecmp(d->args, SM_AUTH_TYPE) == 0)
            sm_srv(s)->used = true;
        if (d->first_child)
            mark_used(main, d->first_child, s);
    }
}

const char *sm_config_check(apr_pool_t *p, server_rec *main)
{
    server_rec *s;
    const char *e;
    int i;

    mark_used(main, ap_conftree, main);
    for (s = main; s; s = s->next) {
        sm_srv_t *srv = sm_srv(s);
        if (!srv->used)
            continue;
        if ((e = sm_server_cfg_check(p, srv->cfg)))
            return apr_psprintf(p, "AuthType selmid in %s:%d: %s",
                                s->defn_name ? s->defn_name : "the main server",
                                s->defn_line_number, e);
        if (apr_hash_count(srv->cfg->providers) == 0)
            return apr_psprintf(p, "AuthType selmid in %s:%d: no <SelmidProvider> is defined",
                                s->defn_name ? s->defn_name : "the main server",
                                s->defn_line_number);
    }
    for (i = 0; providers_uses && i < providers_uses->nelts; i++) {
        providers_use_t *u = &APR_ARRAY_IDX(providers_uses, i, providers_use_t);
        if (!apr_hash_get(sm_srv(u->s)->cfg->providers, u->name, APR_HASH_KEY_STRING))
            return apr_psprintf(p, "SelmidProviders (%s): '%s' is not a defined <SelmidProvider>",
                                u->where, u->name);
    }
    providers_uses = NULL; /* the next config read (restart) starts afresh */
    return NULL;
}

#define SRV(n, f, a, h) AP_INIT_##a(n, f, NULL, RSRC_CONF, h)
#define DIR(n, f, a, h) AP_INIT_##a(n, f, NULL, OR_AUTHCFG, h)

const command_rec sm_directives[] = {
    SRV("SelmidSecret", set_secret, TAKE1, "key material (value or file:/path), at least 32 bytes"),
    SRV("SelmidPath", set_path, TAKE1, "URL path of mod_selmid's endpoints (default /selmid)"),
    SRV("SelmidSessionStore", set_store, TAKE12, "shm [SIZE] | memcached host:port[,host:port...]"),
    SRV("SelmidSessionTimeout", set_timeout, TAKE2, "idle and absolute session timeouts, seconds"),
    SRV("SelmidClockSkew", set_skew, TAKE1, "allowed clock skew for ID tokens, seconds"),
    SRV("SelmidHTTPTimeout", set_http_timeout, TAKE1, "timeout of requests to providers, seconds"),
    AP_INIT_RAW_ARGS("<SelmidProvider", provider_section, NULL, RSRC_CONF,
                     "an OpenID Provider: <SelmidProvider NAME> ... </SelmidProvider>"),
    SRV("SelmidIssuer", set_issuer, TAKE1, "the provider's issuer URL (discovery)"),
    SRV("SelmidClientID", set_client_id, TAKE1, "the client id registered at the provider"),
    SRV("SelmidClientSecret", set_client_secret, TAKE1, "the client secret (value or file:/path)"),
    SRV("SelmidScope", set_scope, TAKE1, "requested scopes (default \"openid\")"),
    SRV("SelmidTokenAuth", set_token_auth, TAKE1, "client_secret_basic | client_secret_post"),
    SRV("SelmidIDTokenAlgs", set_algs, ITERATE, "allowed ID token algorithms"),
    AP_INIT_FLAG("SelmidUserInfo", set_userinfo, NULL, RSRC_CONF,
                 "fetch the userinfo endpoint after login (default: by type)"),
    SRV("SelmidProviderType", set_provider_type, TAKE1,
        "oidc | line | facebook | google | yahoojp | apple | shibboleth"),
    SRV("SelmidEndpoint", set_endpoint, TAKE2,
        "discovery|authorization|token|userinfo|jwks|graph URL: override an endpoint"),
    SRV("SelmidLabel", set_label, TAKE12, "[en|ja] \"text\": the provider's chooser label"),
    SRV("SelmidLineBotPrompt", set_bot_prompt, TAKE1, "normal | aggressive (LINE)"),
    SRV("SelmidGraphVersion", set_graph_version, TAKE1, "Graph API version (Facebook)"),
    SRV("SelmidAllowedDomains", set_allowed_domain, ITERATE, "accepted hd domains (Google)"),
    SRV("SelmidAppleKey", set_apple_key, TAKE3, "TEAM_ID KEY_ID /path/AuthKey.p8 (Apple)"),
    SRV("SelmidLoginURL", set_login_url, TAKE1, "SAML SessionInitiator URL (shibboleth)"),
    SRV("SelmidSAMLAttributes", set_saml_attribute, ITERATE,
        "environment variables imported from the SAML session (shibboleth)"),
    SRV("SelmidSAMLImport", set_saml_import, TAKE1,
        "URL path of the SAML import location (shibboleth; default <SelmidPath>/saml)"),
    SRV("SelmidSAMLIdP", set_saml_idp, ITERATE,
        "entityIDs of the SAML IdPs whose sessions this provider accepts, or any (shibboleth)"),
    SRV("SelmidTemplateDir", set_template_dir, TAKE1, "directory of page templates"),
    /* not in .htaccess: the names are checked against the providers after startup */
    AP_INIT_ITERATE("SelmidProviders", set_providers, NULL, ACCESS_CONF,
                    "providers this location accepts"),
    DIR("SelmidUnauthAction", set_unauth, TAKE1, "auth | 401 | 403 | pass"),
    DIR("SelmidPassAs", set_pass_as, TAKE1, "headers | environment | both"),
    DIR("SelmidClaimPrefix", set_prefix, TAKE1, "prefix of claim names (default SELMID_)"),
    DIR("SelmidRemoteUserClaim", set_remote_user_claim, ITERATE,
        "claims (shibboleth mode: attribute names) for REMOTE_USER, first present wins"),
    DIR("SelmidAttribute", set_attribute, TAKE2, "CLAIM[.path] NAME: pass a claim under NAME"),
    DIR("SelmidAttributeMode", set_attr_mode, TAKE1, "selmid | shibboleth"),
    AP_INIT_FLAG("SelmidProviderHint", set_provider_hint, NULL, OR_AUTHCFG,
                 "remember the last provider chosen and offer it first (default on)"),
    DIR("SelmidHeaderEncoding", set_encoding, TAKE1, "utf8 | base64url | latin1"),
    /* linking (config_link.c) */
    SRV("SelmidDirectory", sm_set_directory, RAW_ARGS,
        "sqlite:/path/file.db | pgsql:\"conninfo\": the directory of persons and links"),
    SRV("SelmidOrgProvider", sm_set_org_provider, ITERATE,
        "the organisational providers (oidc, shibboleth): enables linking"),
    SRV("SelmidLinkMaxAge", sm_set_link_max_age, TAKE1,
        "how recent both logins of a link must be, seconds (default 600)"),
    AP_INIT_FLAG("SelmidLinkRequired", sm_set_link_required, NULL, OR_AUTHCFG,
                 "an unlinked SNS login is sent through linking first (default off)"),
    {NULL},
};
