/* sm_apple.h: Sign in with Apple specifics: the client secret is an ES256 JWT signed by the
 * relying party with its .p8 key (team id as iss, client id as sub, aud https://appleid.apple.com),
 * and the first-login `user` form field. */
#ifndef SM_APPLE_H
#define SM_APPLE_H

#include "sm_core.h"
#include "sm_config.h"
#include <jansson.h>

#define SM_APPLE_AUDIENCE "https://appleid.apple.com"
/* A client secret is valid this long and made again after SM_APPLE_SECRET_REFRESH, well before
 * it expires. */
#define SM_APPLE_SECRET_LIFETIME apr_time_from_sec(86400)
#define SM_APPLE_SECRET_REFRESH  apr_time_from_sec(43200)
/* The longest `user` form field used (Apple sends a few hundred bytes). */
#define SM_APPLE_USER_MAX 4096

/* True when pem (len bytes) is a PEM private key on the P-256 curve. */
bool sm_ec_p256_pem_ok(const char *pem, apr_size_t len);

/* A fresh client secret: a compact JWS, header {"alg":"ES256","kid":key_id}, claims {iss:
 * team_id, iat: now, exp: now + SM_APPLE_SECRET_LIFETIME, aud: SM_APPLE_AUDIENCE, sub:
 * client_id}, signed with the PEM key (raw r||s signature). NULL with *err (safe to log) on
 * failure. */
char *sm_apple_sign_client_secret(apr_pool_t *p, const char *pem, const char *team_id,
                                  const char *key_id, const char *client_id, apr_time_t now,
                                  const char **err);

/* A per-process cache of one provider's client secret. Thread safe. */
typedef struct sm_apple_secret_t sm_apple_secret_t;
sm_apple_secret_t *sm_apple_secret_create(apr_pool_t *pchild);
/* The cached client secret of cfg (copied into env->pool), signed again when absent, older
 * than SM_APPLE_SECRET_REFRESH or made in the future (clock change). NULL on failure (logged). */
const char *sm_apple_client_secret(const sm_env_t *env, sm_apple_secret_t *c,
                                   const sm_provider_cfg_t *cfg);

/* Takes the name from the `user` form field (JSON, sent on the first login only) into claims:
 * name.firstName -> given_name, name.lastName -> family_name, both -> name, each only where
 * the ID token has no such claim. Its email is never used (the ID token's wins). A malformed or
 * oversized field is ignored with a log line. Call only after the ID token was validated. */
void sm_apple_take_user(const sm_env_t *env, const char *provider, const char *user,
                        json_t *claims);

#endif
