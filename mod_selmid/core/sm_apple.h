/* sm_apple.h: Sign in with Apple specifics: the client secret is an ES256 JWT signed by the
 * relying party with its .p8 key (team id as iss, client id as sub, aud https://appleid.apple.com),
 * and the first-login `user` form field. */
#ifndef SM_APPLE_H
#define SM_APPLE_H

#include "sm_core.h"

/* True when pem (len bytes) is a PEM private key on the P-256 curve. */
bool sm_ec_p256_pem_ok(const char *pem, apr_size_t len);

#endif
