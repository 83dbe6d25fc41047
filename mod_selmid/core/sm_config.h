/* sm_config.h: configuration objects (per topic), their defaults, merge and validation. The httpd
 * glue (mod_selmid/httpd/config.c) only parses directive arguments into these. */
#ifndef SM_CONFIG_H
#define SM_CONFIG_H

#include "sm_core.h"
#include "sm_attrs.h"
#include "sm_provider_type.h"
#include <apr_hash.h>

#define SM_UNSET (-1)

typedef enum { SM_TOKEN_AUTH_BASIC = 1, SM_TOKEN_AUTH_POST } sm_token_auth_e;

/* One <SelmidProvider NAME> block. */
typedef struct sm_provider_cfg_t {
    const char *name;
    const char *defined_at; /* "file:line" for messages */
    int order;              /* definition order in its server (chooser order by default) */
    int type;               /* sm_provider_type_e, SM_UNSET: oidc */
    const char *issuer;     /* NULL: the type's fixed issuer */
    const char *client_id;
    const char *client_secret;
    const char *scope; /* default "openid" */
    int token_auth;    /* sm_token_auth_e, SM_UNSET: basic */
    unsigned algs;     /* 0: SM_ALG_DEFAULT */
    int userinfo;      /* fetch userinfo when advertised; SM_UNSET: the type's default */
    const char *endpoints[SM_EP_COUNT];       /* SelmidEndpoint overrides, NULL: the type's */
    const char *label_en, *label_ja;          /* SelmidLabel; NULL: the type's, else the name */
    int line_bot_prompt;                      /* SM_LINE_BOT_*, SM_UNSET: none (line) */
    const char *graph_version;                /* SelmidGraphVersion (facebook) */
    apr_array_header_t *allowed_domains;      /* SelmidAllowedDomains: hd values (google) */
    const char *apple_team_id, *apple_key_id; /* SelmidAppleKey (apple) */
    const char *apple_key_pem;                /* the .p8 key (PEM), read at config time */
    const char *apple_key_file;               /* its path, for messages */
    const char *login_url;                    /* SelmidLoginURL (shibboleth) */
    apr_array_header_t *saml_attributes;      /* SelmidSAMLAttributes (shibboleth), NULL: the
                                               * Shibboleth default ids */
    const char *saml_import;                  /* SelmidSAMLImport (shibboleth), NULL: default */
    apr_array_header_t *saml_idps;            /* SelmidSAMLIdP (shibboleth): the entityIDs (const
                                               * char*) of the IdPs accepted; NULL: none given */
    int saml_idp_any;                         /* SelmidSAMLIdP any: every IdP the SAML module
                                               * trusts */
} sm_provider_cfg_t;

enum { SM_LINE_BOT_NORMAL = 1, SM_LINE_BOT_AGGRESSIVE };

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
    const char *template_dir;             /* SelmidTemplateDir: page templates */
    /* linking (docs/linking.md) */
    const char *directory;                  /* SelmidDirectory spec; NULL: the default when
                                             * linking is enabled */
    struct sm_dir_dbd_cfg_t *directory_cfg; /* the spec parsed (SelmidDirectory) */
    apr_array_header_t *org_providers;      /* SelmidOrgProvider names (const char*); NULL: linking
                                             * disabled */
    apr_interval_time_t link_max_age;       /* SelmidLinkMaxAge, -1: default 600 s */
} sm_server_cfg_t;

/* The directory used when linking is enabled and SelmidDirectory is not set. */
#define SM_DEFAULT_DIRECTORY "sqlite:/var/lib/selmid/selmid.db"

typedef enum { SM_UNAUTH_AUTH = 1, SM_UNAUTH_401, SM_UNAUTH_403, SM_UNAUTH_PASS } sm_unauth_e;
enum { SM_PASS_HEADERS = 1, SM_PASS_ENV = 2 };
typedef enum { SM_ATTR_MODE_SELMID = 1, SM_ATTR_MODE_SHIBBOLETH } sm_attr_mode_e;

/* One SelmidAttribute CLAIM NAME line. */
typedef struct sm_attr_map_t {
    const char *claim; /* claim name or dotted path into a JSON claim ("address.locality") */
    const char *name;  /* output name, used as is (no prefix) */
} sm_attr_map_t;

/* Directory/location level. */
typedef struct sm_dir_cfg_t {
    apr_array_header_t *providers;   /* of const char*, NULL: unset (all providers) */
    int unauth_action;               /* sm_unauth_e */
    int pass_as;                     /* SM_PASS_* bits */
    const char *claim_prefix;        /* default "SELMID_" */
    apr_array_header_t *remote_user; /* of const char*: first present wins; NULL: default
                                      * ("sub"; shibboleth mode: eppn subject-id pairwise-id
                                      * persistent-id) */
    int header_encoding;             /* sm_enc_e */
    apr_array_header_t *attr_map;    /* of sm_attr_map_t (SelmidAttribute), NULL: none */
    int attr_mode;                   /* sm_attr_mode_e, SM_UNSET: selmid */
    int provider_hint;               /* SelmidProviderHint on|off, SM_UNSET: on */
    int link_required;               /* SelmidLinkRequired on|off, SM_UNSET: off */
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
/* The REMOTE_USER candidates in order (an array of const char*). */
const apr_array_header_t *sm_cfg_remote_user(const sm_dir_cfg_t *d);
int sm_cfg_attr_mode(const sm_dir_cfg_t *d);
bool sm_cfg_provider_hint(const sm_dir_cfg_t *d);
sm_enc_e sm_cfg_encoding(const sm_dir_cfg_t *d);
int sm_cfg_provider_type(const sm_provider_cfg_t *pc);
const sm_provider_profile_t *sm_cfg_profile(const sm_provider_cfg_t *pc);
/* The issuer: SelmidIssuer (oidc) or the type's fixed one. */
const char *sm_cfg_provider_issuer(const sm_provider_cfg_t *pc);
/* An endpoint: the SelmidEndpoint override, else the type's static one, else NULL (oidc:
 * from discovery). */
const char *sm_cfg_provider_endpoint(const sm_provider_cfg_t *pc, int kind);
const char *sm_cfg_provider_label(const sm_provider_cfg_t *pc, bool japanese);
const char *sm_cfg_provider_graph_version(const sm_provider_cfg_t *pc);
bool sm_cfg_provider_userinfo(const sm_provider_cfg_t *pc);
const char *sm_cfg_provider_login_url(const sm_provider_cfg_t *pc);
/* The environment variables imported from a SAML session (an array of const char*). */
const apr_array_header_t *sm_cfg_provider_saml_attributes(const sm_provider_cfg_t *pc);
/* The URL path of the SAML import location: SelmidSAMLImport, else <SelmidPath>/saml. */
const char *sm_cfg_provider_saml_import(apr_pool_t *p, const sm_provider_cfg_t *pc,
                                        const sm_server_cfg_t *c);
/* A SAML session of the IdP entity_id (its Shib-Identity-Provider) belongs to this provider:
 * SelmidSAMLIdP any, or entity_id is exactly one of the listed entityIDs. False for NULL and for
 * a provider without SelmidSAMLIdP (a shibboleth provider must have it). */
bool sm_cfg_provider_saml_idp_ok(const sm_provider_cfg_t *pc, const char *entity_id);
const char *sm_cfg_provider_scope(const sm_provider_cfg_t *pc);
/* Whether a location without SelmidProviders accepts the provider: the organisation's own
 * (oidc, shibboleth); an SNS provider only where SelmidProviders names it. */
bool sm_cfg_provider_default_accepted(const sm_provider_cfg_t *pc);
/* Linking: enabled when SelmidOrgProvider is set; the directory spec (SelmidDirectory or the
 * default); whether a provider is an organisational anchor; the freshness window of linking. */
bool sm_cfg_linking(const sm_server_cfg_t *c);
const char *sm_cfg_directory(const sm_server_cfg_t *c);
bool sm_cfg_is_org_provider(const sm_server_cfg_t *c, const char *name);
apr_interval_time_t sm_cfg_link_max_age(const sm_server_cfg_t *c);
bool sm_cfg_link_required(const sm_dir_cfg_t *d);
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
/* https URL (http for loopback hosts), query allowed, no fragment/userinfo/spaces. */
const char *sm_cfg_parse_url(apr_pool_t *p, const char *arg, const char **url);
/* A local URL path (starts with '/', no "//", no scheme) or an absolute https URL. */
const char *sm_cfg_parse_login_url(apr_pool_t *p, const char *arg, const char **url);
/* A DNS domain name (letters, digits, '-', '.'), lower-cased. */
const char *sm_cfg_parse_domain(apr_pool_t *p, const char *arg, const char **domain);
/* "vNN.N" */
const char *sm_cfg_parse_graph_version(apr_pool_t *p, const char *arg, const char **version);
/* A chooser label: 1 to 100 characters of valid UTF-8 without control characters. */
const char *sm_cfg_parse_label(apr_pool_t *p, const char *arg, const char **label);
/* Apple: team id and key id are 10 upper-case letters/digits; the file is a PKCS#8 PEM EC P-256
 * private key, not world-readable. */
const char *sm_cfg_parse_apple_key(apr_pool_t *p, const char *team, const char *kid,
                                   const char *file, sm_provider_cfg_t *pc);
/* One SelmidSAMLIdP value, added to pc: the word "any" (alone: every IdP the SAML module
 * trusts), or an IdP entityID: an absolute URI or URN (scheme ":" rest; http and https ones with
 * a host), printable ASCII without spaces, at most SM_SAML_ENTITY_ID_MAX characters. */
#define SM_SAML_ENTITY_ID_MAX 1024
const char *sm_cfg_parse_saml_idp(apr_pool_t *p, const char *arg, sm_provider_cfg_t *pc);
/* An existing directory. */
const char *sm_cfg_parse_dir(apr_pool_t *p, const char *arg, const char **dir);

/* Whole-object validation after parsing (post-config): NULL when valid. */
const char *sm_provider_cfg_check(apr_pool_t *p, const sm_provider_cfg_t *pc);
const char *sm_server_cfg_check(apr_pool_t *p, const sm_server_cfg_t *c);

#endif
