/* sm_provider_type.h: provider types (SelmidProviderType) and the defaults each one fills in, so
 * that an administrator writes only a client id and secret for LINE, Facebook, Google, Yahoo!
 * JAPAN and Apple. */
#ifndef SM_PROVIDER_TYPE_H
#define SM_PROVIDER_TYPE_H

#include "sm_core.h"

typedef enum {
    SM_PT_OIDC = 1,   /* any standards OpenID Provider (discovery from the issuer) */
    SM_PT_LINE,       /* LINE Login v2.1 */
    SM_PT_FACEBOOK,   /* Facebook Login: OAuth 2.0 + Graph API /me (not OIDC) */
    SM_PT_GOOGLE,     /* Google: OIDC, optional hd check */
    SM_PT_YAHOOJP,    /* Yahoo! JAPAN ID YConnect v2 */
    SM_PT_APPLE,      /* Sign in with Apple: form_post, ES256 JWT client secret */
    SM_PT_SHIBBOLETH, /* a SAML login by mod_shib / mod_auth_mellon; mod_selmid only reads it */
} sm_provider_type_e;

/* Endpoint kinds a provider can override with SelmidEndpoint KIND URL. */
typedef enum {
    SM_EP_DISCOVERY = 0, /* oidc only */
    SM_EP_AUTHORIZATION,
    SM_EP_TOKEN,
    SM_EP_USERINFO,
    SM_EP_JWKS,
    SM_EP_GRAPH, /* facebook only: Graph API base, e.g. https://graph.facebook.com */
    SM_EP_COUNT
} sm_endpoint_e;

typedef struct sm_provider_profile_t {
    int type;               /* sm_provider_type_e */
    const char *name;       /* "line" ... as written in SelmidProviderType */
    const char *issuer;     /* fixed issuer; NULL: SelmidIssuer required (oidc) */
    const char *issuer_alt; /* another accepted iss value (Google: "accounts.google.com") */
    const char *endpoints[SM_EP_COUNT]; /* static endpoints; NULL where not applicable */
    bool discovery;                     /* metadata from discovery (oidc) or static (others) */
    const char *scope;                  /* default scope */
    unsigned algs;                      /* default ID token algorithms (SM_ALG_*) */
    int token_auth;                     /* default sm_token_auth_e */
    bool form_post;                     /* response_mode=form_post */
    bool userinfo;                      /* fetch userinfo by default */
    bool pkce;                          /* send code_challenge */
    const char *label_en, *label_ja;    /* default chooser labels; NULL: the provider name */
} sm_provider_profile_t;

/* The profile of a type, never NULL for a valid type. */
const sm_provider_profile_t *sm_provider_profile(int type);
/* The type for a name ("oidc", "line", "facebook", "google", "yahoojp", "apple",
 * "shibboleth"), 0 when unknown. */
int sm_provider_type_parse(const char *name);
const char *sm_provider_type_name(int type);
/* The kind for a name ("discovery", "authorization", "token", "userinfo", "jwks", "graph"), -1
 * when unknown. */
int sm_endpoint_parse(const char *name);
const char *sm_endpoint_name(int kind);

/* Default Graph API version of Facebook (SelmidGraphVersion). */
#define SM_FACEBOOK_GRAPH_VERSION "v26.0" /* released 2026-07-29 */

#endif
