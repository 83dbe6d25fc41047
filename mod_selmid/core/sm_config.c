/* sm_config.c: configuration objects: creation with unset sentinels, merge, effective values
 * and whole-object checks. */
#include "sm_config.h"
#include "sm_attrmap.h"
#include "sm_crypto.h"
#include "sm_jwt.h"
#include "sm_provider_type.h"
#include <apr_hash.h>
#include <string.h>

#define DEFAULT_PATH            "/selmid"
#define DEFAULT_COOKIE          "selmid_session"
#define DEFAULT_IDLE            apr_time_from_sec(1800)
#define DEFAULT_ABSOLUTE        apr_time_from_sec(28800)
#define DEFAULT_SKEW            apr_time_from_sec(120)
#define DEFAULT_HTTP_TIMEOUT_MS 10000L
#define DEFAULT_LINK_MAX_AGE    apr_time_from_sec(600)

sm_server_cfg_t *sm_server_cfg_create(apr_pool_t *p)
{
    sm_server_cfg_t *c = apr_pcalloc(p, sizeof(*c));

    c->store_type = SM_UNSET;
    c->idle_timeout = SM_UNSET;
    c->absolute_timeout = SM_UNSET;
    c->clock_skew = SM_UNSET;
    c->http_timeout_ms = SM_UNSET;
    c->link_max_age = SM_UNSET;
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
    c->template_dir = PICKP(template_dir);
    c->directory = PICKP(directory);
    c->directory_cfg = add->directory ? add->directory_cfg : base->directory_cfg;
    c->org_providers = PICKP(org_providers);
    c->link_max_age = PICK(link_max_age);
    return c;
}

sm_dir_cfg_t *sm_dir_cfg_create(apr_pool_t *p)
{
    sm_dir_cfg_t *d = apr_pcalloc(p, sizeof(*d));

    d->unauth_action = SM_UNSET;
    d->pass_as = SM_UNSET;
    d->header_encoding = SM_UNSET;
    d->attr_mode = SM_UNSET;
    d->provider_hint = SM_UNSET;
    d->link_required = SM_UNSET;
    return d;
}

sm_dir_cfg_t *sm_dir_cfg_merge(apr_pool_t *p, const sm_dir_cfg_t *base, const sm_dir_cfg_t *add)
{
    sm_dir_cfg_t *d = apr_pcalloc(p, sizeof(*d));

    d->providers = PICKP(providers);
    d->unauth_action = PICK(unauth_action);
    d->pass_as = PICK(pass_as);
    d->claim_prefix = PICKP(claim_prefix);
    d->remote_user = PICKP(remote_user);
    d->header_encoding = PICK(header_encoding);
    d->attr_mode = PICK(attr_mode);
    d->provider_hint = PICK(provider_hint);
    d->link_required = PICK(link_required);
    /* SelmidAttribute lines add up from the outer sections inwards */
    if (base->attr_map && add->attr_map)
        d->attr_map = apr_array_append(p, base->attr_map, add->attr_map);
    else
        d->attr_map = PICKP(attr_map);
    return d;
}

sm_provider_cfg_t *sm_provider_cfg_create(apr_pool_t *p, const char *name, const char *defined_at)
{
    sm_provider_cfg_t *pc = apr_pcalloc(p, sizeof(*pc));

    pc->name = name;
    pc->defined_at = defined_at;
    pc->type = SM_UNSET;
    pc->token_auth = SM_UNSET;
    pc->userinfo = SM_UNSET;
    pc->line_bot_prompt = SM_UNSET;
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

bool sm_cfg_linking(const sm_server_cfg_t *c)
{
    return c->org_providers && c->org_providers->nelts > 0;
}

const char *sm_cfg_directory(const sm_server_cfg_t *c)
{
    return c->directory ? c->directory : SM_DEFAULT_DIRECTORY;
}

bool sm_cfg_is_org_provider(const sm_server_cfg_t *c, const char *name)
{
    int i;

    for (i = 0; c->org_providers && name && i < c->org_providers->nelts; i++)
        if (strcmp(APR_ARRAY_IDX(c->org_providers, i, const char *), name) == 0)
            return true;
    return false;
}

apr_interval_time_t sm_cfg_link_max_age(const sm_server_cfg_t *c)
{
    return c->link_max_age != SM_UNSET ? c->link_max_age : DEFAULT_LINK_MAX_AGE;
}

bool sm_cfg_link_required(const sm_dir_cfg_t *d)
{
    return d->link_required == 1;
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
    if (d->pass_as != SM_UNSET)
        return d->pass_as;
    /* like mod_shib: environment only, headers when asked for */
    return sm_cfg_attr_mode(d) == SM_ATTR_MODE_SHIBBOLETH ? SM_PASS_ENV
                                                          : (SM_PASS_HEADERS | SM_PASS_ENV);
}

const char *sm_cfg_prefix(const sm_dir_cfg_t *d)
{
    return d->claim_prefix ? d->claim_prefix : "SELMID_";
}

const apr_array_header_t *sm_cfg_remote_user(const sm_dir_cfg_t *d)
{
    static const char *selmid_default[] = {"sub"};
    static const char *shib_default[] = {"eppn", "subject-id", "pairwise-id", "persistent-id"};
    static const apr_array_header_t selmid_arr = {NULL, sizeof(const char *), 1, 1,
                                                  (char *)selmid_default};
    static const apr_array_header_t shib_arr = {NULL, sizeof(const char *), 4, 4,
                                                (char *)shib_default};

    if (d->remote_user)
        return d->remote_user;
    return sm_cfg_attr_mode(d) == SM_ATTR_MODE_SHIBBOLETH ? &shib_arr : &selmid_arr;
}

int sm_cfg_attr_mode(const sm_dir_cfg_t *d)
{
    return d->attr_mode != SM_UNSET ? d->attr_mode : SM_ATTR_MODE_SELMID;
}

bool sm_cfg_provider_hint(const sm_dir_cfg_t *d)
{
    return d->provider_hint != 0;
}

sm_enc_e sm_cfg_encoding(const sm_dir_cfg_t *d)
{
    return d->header_encoding != SM_UNSET ? (sm_enc_e)d->header_encoding : SM_ENC_UTF8;
}

int sm_cfg_provider_type(const sm_provider_cfg_t *pc)
{
    return pc->type != SM_UNSET ? pc->type : SM_PT_OIDC;
}

const sm_provider_profile_t *sm_cfg_profile(const sm_provider_cfg_t *pc)
{
    return sm_provider_profile(sm_cfg_provider_type(pc));
}

const char *sm_cfg_provider_issuer(const sm_provider_cfg_t *pc)
{
    return pc->issuer ? pc->issuer : sm_cfg_profile(pc)->issuer;
}

const char *sm_cfg_provider_endpoint(const sm_provider_cfg_t *pc, int kind)
{
    if (kind < 0 || kind >= SM_EP_COUNT)
        return NULL;
    return pc->endpoints[kind] ? pc->endpoints[kind] : sm_cfg_profile(pc)->endpoints[kind];
}

const char *sm_cfg_provider_label(const sm_provider_cfg_t *pc, bool japanese)
{
    const sm_provider_profile_t *prof = sm_cfg_profile(pc);
    const char *own = japanese ? (pc->label_ja ? pc->label_ja : pc->label_en)
                               : (pc->label_en ? pc->label_en : pc->label_ja);
    const char *def = japanese ? prof->label_ja : prof->label_en;

    return own ? own : def ? def : pc->name;
}

const char *sm_cfg_provider_graph_version(const sm_provider_cfg_t *pc)
{
    return pc->graph_version ? pc->graph_version : SM_FACEBOOK_GRAPH_VERSION;
}

bool sm_cfg_provider_userinfo(const sm_provider_cfg_t *pc)
{
    return pc->userinfo != SM_UNSET ? pc->userinfo != 0 : sm_cfg_profile(pc)->userinfo;
}

const char *sm_cfg_provider_login_url(const sm_provider_cfg_t *pc)
{
    return pc->login_url ? pc->login_url : "/Shibboleth.sso/Login";
}

const apr_array_header_t *sm_cfg_provider_saml_attributes(const sm_provider_cfg_t *pc)
{
    static const apr_array_header_t defaults = {NULL, sizeof(const char *), SM_SHIB_DEFAULT_IDS,
                                                SM_SHIB_DEFAULT_IDS, (char *)sm_shib_default_ids};

    return pc->saml_attributes ? pc->saml_attributes : &defaults;
}

const char *sm_cfg_provider_saml_import(apr_pool_t *p, const sm_provider_cfg_t *pc,
                                        const sm_server_cfg_t *c)
{
    return pc->saml_import ? pc->saml_import : apr_pstrcat(p, sm_cfg_path(c), "/saml", NULL);
}

bool sm_cfg_provider_saml_idp_ok(const sm_provider_cfg_t *pc, const char *entity_id)
{
    int i;

    if (!entity_id || !*entity_id)
        return false;
    if (pc->saml_idp_any)
        return true;
    for (i = 0; pc->saml_idps && i < pc->saml_idps->nelts; i++)
        if (strcmp(APR_ARRAY_IDX(pc->saml_idps, i, const char *), entity_id) == 0)
            return true;
    return false;
}

const char *sm_cfg_provider_scope(const sm_provider_cfg_t *pc)
{
    return pc->scope ? pc->scope : sm_cfg_profile(pc)->scope;
}

bool sm_cfg_provider_default_accepted(const sm_provider_cfg_t *pc)
{
    int t;

    if (!pc)
        return false;
    t = sm_cfg_provider_type(pc);
    return t == SM_PT_OIDC || t == SM_PT_SHIBBOLETH;
}

int sm_cfg_provider_token_auth(const sm_provider_cfg_t *pc)
{
    return pc->token_auth != SM_UNSET ? pc->token_auth : sm_cfg_profile(pc)->token_auth;
}

unsigned sm_cfg_provider_algs(const sm_provider_cfg_t *pc)
{
    return pc->algs ? pc->algs : sm_cfg_profile(pc)->algs;
}

#define PERR(...) apr_psprintf(p, "<SelmidProvider %s> (%s): " __VA_ARGS__)

/* Directives that belong to one type only. */
static const char *type_only(apr_pool_t *p, const sm_provider_cfg_t *pc, const char *where,
                             int type)
{
    const char *tname = sm_provider_type_name(type);
    int t = sm_cfg_provider_type(pc);

    if (t != SM_PT_LINE && pc->line_bot_prompt != SM_UNSET)
        return PERR("SelmidLineBotPrompt is only for SelmidProviderType line", pc->name, where);
    if (t != SM_PT_FACEBOOK && pc->graph_version)
        return PERR("SelmidGraphVersion is only for SelmidProviderType facebook", pc->name, where);
    if (t != SM_PT_GOOGLE && pc->allowed_domains)
        return PERR("SelmidAllowedDomains is only for SelmidProviderType google", pc->name, where);
    if (t != SM_PT_APPLE && pc->apple_key_pem)
        return PERR("SelmidAppleKey is only for SelmidProviderType apple", pc->name, where);
    if (t != SM_PT_SHIBBOLETH && pc->login_url)
        return PERR("SelmidLoginURL is only for SelmidProviderType shibboleth", pc->name, where);
    if (t != SM_PT_SHIBBOLETH && pc->saml_attributes)
        return PERR("SelmidSAMLAttributes is only for SelmidProviderType shibboleth", pc->name,
                    where);
    if (t != SM_PT_SHIBBOLETH && pc->saml_import)
        return PERR("SelmidSAMLImport is only for SelmidProviderType shibboleth", pc->name, where);
    if (t != SM_PT_SHIBBOLETH && (pc->saml_idps || pc->saml_idp_any))
        return PERR("SelmidSAMLIdP is only for SelmidProviderType shibboleth", pc->name, where);
    if (t != SM_PT_OIDC && pc->issuer)
        return PERR("SelmidIssuer is fixed for SelmidProviderType %s (%s); use SelmidEndpoint "
                    "to point endpoints elsewhere",
                    pc->name, where, tname,
                    sm_cfg_profile(pc)->issuer ? sm_cfg_profile(pc)->issuer : "none");
    if (t != SM_PT_OIDC && pc->endpoints[SM_EP_DISCOVERY])
        return PERR("SelmidEndpoint discovery is only for SelmidProviderType oidc", pc->name,
                    where);
    if (t != SM_PT_FACEBOOK && pc->endpoints[SM_EP_GRAPH])
        return PERR("SelmidEndpoint graph is only for SelmidProviderType facebook", pc->name,
                    where);
    return NULL;
}

const char *sm_provider_cfg_check(apr_pool_t *p, const sm_provider_cfg_t *pc)
{
    const char *where = pc->defined_at ? pc->defined_at : "?", *e;
    int t = sm_cfg_provider_type(pc), k;

    if ((e = type_only(p, pc, where, t)))
        return e;
    if (t == SM_PT_SHIBBOLETH) {
        if (pc->client_id || pc->client_secret || pc->scope || pc->algs ||
            pc->token_auth != SM_UNSET || pc->userinfo != SM_UNSET)
            return PERR("SelmidProviderType shibboleth takes no client, scope, token or ID "
                        "token settings (mod_shib does the SAML login)",
                        pc->name, where);
        for (k = 0; k < SM_EP_COUNT; k++)
            if (pc->endpoints[k])
                return PERR("SelmidProviderType shibboleth takes no SelmidEndpoint (use "
                            "SelmidLoginURL)",
                            pc->name, where);
        if (pc->saml_idp_any && pc->saml_idps)
            return PERR("SelmidSAMLIdP any must be the only value (it accepts every IdP)", pc->name,
                        where);
        if (!pc->saml_idp_any && !pc->saml_idps)
            return PERR("needs SelmidSAMLIdP: the entityIDs of the identity providers whose "
                        "SAML sessions count as this provider's, or SelmidSAMLIdP any for every "
                        "IdP the SAML module trusts",
                        pc->name, where);
        return NULL;
    }
    if (t == SM_PT_OIDC && !pc->issuer)
        return PERR("needs SelmidIssuer", pc->name, where);
    if (!pc->client_id)
        return PERR("needs SelmidClientID", pc->name, where);
    if (t == SM_PT_APPLE) {
        if (!pc->apple_key_pem)
            return PERR("needs SelmidAppleKey TEAM_ID KEY_ID /path/AuthKey.p8 (the client secret "
                        "is a JWT signed with that key)",
                        pc->name, where);
        if (pc->client_secret)
            return PERR("SelmidClientSecret is not used with SelmidProviderType apple (it is "
                        "generated from SelmidAppleKey)",
                        pc->name, where);
    } else if (!pc->client_secret) {
        return PERR("needs SelmidClientSecret", pc->name, where);
    }
    if (t == SM_PT_FACEBOOK && pc->algs)
        return PERR("SelmidIDTokenAlgs does not apply to facebook (no ID token)", pc->name, where);
    /* an SNS provider signs with what it documents: the list may be narrowed, never widened */
    if (t != SM_PT_OIDC && pc->algs && (pc->algs & ~sm_cfg_profile(pc)->algs))
        return PERR("SelmidIDTokenAlgs may only narrow what %s signs with", pc->name, where,
                    sm_provider_type_name(t));
    if ((sm_cfg_provider_algs(pc) & SM_ALG_HS256) && pc->client_secret &&
        strlen(pc->client_secret) < 32)
        return PERR("SelmidIDTokenAlgs allows HS256, which needs a SelmidClientSecret of at "
                    "least 32 bytes",
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
    if (sm_cfg_linking(c)) {
        int i;
        for (i = 0; i < c->org_providers->nelts; i++) {
            const char *n = APR_ARRAY_IDX(c->org_providers, i, const char *);
            const sm_provider_cfg_t *pc = apr_hash_get(c->providers, n, APR_HASH_KEY_STRING);
            if (!pc)
                return apr_psprintf(p, "SelmidOrgProvider: '%s' is not a defined <SelmidProvider>",
                                    n);
            if (!sm_cfg_provider_default_accepted(pc))
                return apr_psprintf(p,
                                    "SelmidOrgProvider: '%s' is a %s provider; the "
                                    "organisational anchor must be an oidc or shibboleth one",
                                    n, sm_provider_type_name(sm_cfg_provider_type(pc)));
        }
    }
    return NULL;
}
