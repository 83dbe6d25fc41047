/* sm_facebook.h: Facebook Login (OAuth 2.0, not OpenID Connect): the code exchange at
 * <graph>/<version>/oauth/access_token and the identity from the Graph API
 * <graph>/<version>/me?fields=id,name,email with appsecret_proof. */
#ifndef SM_FACEBOOK_H
#define SM_FACEBOOK_H

#include "sm_oidc.h"

#define SM_FACEBOOK_ISSUER "https://www.facebook.com"

/* hex(HMAC-SHA256(app secret, access token)), lower case. */
char *sm_facebook_appsecret_proof(apr_pool_t *p, const char *app_secret, const char *access_token);

/* Exchanges code (sending st's PKCE verifier) and reads /me with the access token. On SM_CB_OK
 * *claims is {iss, aud: client id, sub: the app-scoped id, name?, email?}. Nothing from
 * Facebook is logged but safe error codes. */
sm_cb_result_e sm_facebook_login(const sm_env_t *env, const sm_provider_cfg_t *cfg, long timeout_ms,
                                 const sm_op_meta_t *meta, const char *redirect_uri,
                                 const sm_login_state_t *st, const char *code, json_t **claims);

#endif
