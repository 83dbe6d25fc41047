/* sm_oidc.h: the OpenID Connect relying party: provider metadata (discovery, cached), JWKS
 * (cached, refetched once on an unknown kid, rate limited), the authorization request and the
 * processing of the authorization response. */
#ifndef SM_OIDC_H
#define SM_OIDC_H

#include "sm_core.h"
#include "sm_config.h"
#include "sm_session.h"
#include <jansson.h>

typedef struct sm_op_meta_t {
    const char *issuer;
    const char *issuer_alt; /* another accepted ID token iss (Google), or NULL */
    const char *authorization_endpoint;
    const char *token_endpoint;
    const char *userinfo_endpoint; /* may be NULL */
    const char *jwks_uri;
    const char *end_session_endpoint; /* may be NULL */
    bool iss_parameter_supported;     /* RFC 9207 */
} sm_op_meta_t;

/* Parses and checks a discovery document: issuer must equal expected_issuer exactly, endpoints
 * must be https (or http on a loopback host), "code" must be a supported response type. */
apr_status_t sm_oidc_parse_discovery(apr_pool_t *p, const char *body, apr_size_t len,
                                     const char *expected_issuer, sm_op_meta_t **out,
                                     const char **err);

/* Per-process cache of one provider's metadata and JWKS. Thread safe. */
typedef struct sm_provider_rt_t sm_provider_rt_t;

sm_provider_rt_t *sm_provider_rt_create(apr_pool_t *pchild, const sm_provider_cfg_t *cfg,
                                        long http_timeout_ms);
const sm_provider_cfg_t *sm_provider_rt_cfg(const sm_provider_rt_t *rt);
long sm_provider_rt_timeout(const sm_provider_rt_t *rt);
/* Metadata. oidc: discovery (fetched when absent or older than its lifetime; SelmidEndpoint
 * discovery replaces the URL derived from the issuer); other types: the type's static endpoints,
 * without any fetch. SelmidEndpoint overrides apply last. Facebook: the authorization endpoint
 * is <authorization base>/<version>/dialog/oauth, the token endpoint
 * <graph>/<version>/oauth/access_token and the userinfo endpoint <graph>/<version>/me (unless
 * overridden with a full URL). Copies into env->pool. */
apr_status_t sm_provider_meta(const sm_env_t *env, sm_provider_rt_t *rt, sm_op_meta_t **meta);
/* The JWKS (owned by env->pool). refresh: fetch again unless fetched less than 60 s ago. */
apr_status_t sm_provider_jwks(const sm_env_t *env, sm_provider_rt_t *rt, bool refresh,
                              json_t **jwks);

/* Sign in with Apple's client secret cache of this provider (NULL for other types). */
struct sm_apple_secret_t *sm_provider_rt_apple(const sm_provider_rt_t *rt);

/* The authorization request URL for a login state, with the type's extras: nonce for OpenID
 * types (not facebook), PKCE when the profile uses it, LINE bot_prompt, Google hd (exactly one
 * SelmidAllowedDomains), Apple response_mode=form_post. */
char *sm_oidc_auth_url(apr_pool_t *p, const sm_op_meta_t *meta, const sm_provider_cfg_t *cfg,
                       const char *redirect_uri, const sm_login_state_t *st);

/* What a failed authorization response looked like: each value is a distinct log tag and a
 * user-facing message. */
typedef enum {
    SM_CB_OK = 0,
    SM_CB_OP_ERROR, /* error=... from the OP */
    SM_CB_DENIED,   /* error=access_denied: the person cancelled or was refused */
    SM_CB_ISS,      /* RFC 9207 iss missing or wrong */
    SM_CB_NO_CODE,
    SM_CB_TOKEN,    /* token endpoint unreachable or refused */
    SM_CB_ID_TOKEN, /* ID token failed validation */
    SM_CB_USERINFO, /* userinfo unreachable or malformed */
    SM_CB_SUB,      /* userinfo sub differs from ID token sub */
    SM_CB_METADATA, /* discovery/JWKS unavailable */
    SM_CB_DOMAIN,   /* Google: hd missing or not in SelmidAllowedDomains */
} sm_cb_result_e;

/* An error code from a provider, reduced to a safe token for the log ("-" for NULL). */
const char *sm_oidc_safe_token(apr_pool_t *p, const char *s);

/* Processes the parameters of an authorization response whose state has already been checked
 * against st. On SM_CB_OK *claims holds the ID token claims merged with userinfo (facebook: the
 * Graph API /me answer as claims). Per type: LINE keeps friendship_status_changed (a JSON
 * boolean, only when bot_prompt was sent); Google checks hd against SelmidAllowedDomains; Apple
 * signs its client secret and takes the name from the first-login `user` field. */
sm_cb_result_e sm_oidc_handle_response(const sm_env_t *env, sm_provider_rt_t *rt,
                                       apr_interval_time_t skew, const char *redirect_uri,
                                       const sm_login_state_t *st, apr_table_t *params,
                                       json_t **claims);

#endif
