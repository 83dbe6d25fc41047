/* sm_jwt.h: ID token validation (OpenID Connect Core 3.1.3.7) on top of cjose. */
#ifndef SM_JWT_H
#define SM_JWT_H

#include "sm_core.h"
#include <jansson.h>

/* Allowed signature algorithms, a bit set. */
enum {
    SM_ALG_RS256 = 1 << 0,
    SM_ALG_RS384 = 1 << 1,
    SM_ALG_RS512 = 1 << 2,
    SM_ALG_PS256 = 1 << 3,
    SM_ALG_PS384 = 1 << 4,
    SM_ALG_PS512 = 1 << 5,
    SM_ALG_ES256 = 1 << 6,
    SM_ALG_ES384 = 1 << 7,
    SM_ALG_ES512 = 1 << 8,
    SM_ALG_HS256 = 1 << 9, /* keyed with the client secret, only when configured */
};
#define SM_ALG_DEFAULT (SM_ALG_RS256 | SM_ALG_PS256 | SM_ALG_ES256)

/* The bit for an alg name, 0 when unknown or "none". */
unsigned sm_jwt_alg_bit(const char *alg);

typedef struct sm_jwt_expect_t {
    const char *issuer;        /* exact match */
    const char *issuer_alt;    /* another accepted iss (Google: "accounts.google.com"), or NULL */
    const char *client_id;     /* must be in aud; azp == client_id when several audiences */
    const char *nonce;         /* required and must match */
    const char *client_secret; /* HS256 key (UTF-8 bytes); NULL: HS256 refused */
    unsigned algs;             /* allowed algorithms (SM_ALG_*) */
    apr_time_t now;
    apr_interval_time_t skew;    /* allowed clock skew */
    apr_interval_time_t max_age; /* iat no older than this (plus skew); 0: no limit */
    /* max_age sent with the authentication request: auth_time, when present, must be no older
     * than this (plus skew); 0: no limit. auth_time_required: absent is refused (OIDC Core
     * 3.1.2.1: an OP that honours max_age returns auth_time). */
    apr_interval_time_t auth_max_age;
    bool auth_time_required;
} sm_jwt_expect_t;

typedef enum {
    SM_JWT_OK = 0,
    SM_JWT_MALFORMED,   /* not a compact JWS, bad base64url/JSON, claims not an object */
    SM_JWT_ALG,         /* alg missing, "none" or not allowed */
    SM_JWT_KID_UNKNOWN, /* no key in the JWKS matches (caller may refetch once) */
    SM_JWT_SIGNATURE,
    SM_JWT_ISS,
    SM_JWT_AUD,
    SM_JWT_AZP,
    SM_JWT_EXP,
    SM_JWT_IAT,
    SM_JWT_NONCE,
    SM_JWT_SUB,       /* sub missing or not a non-empty string */
    SM_JWT_AUTH_TIME, /* the authentication is older than the max_age asked for */
} sm_jwt_result_e;

const char *sm_jwt_result_str(sm_jwt_result_e r);

/* Verifies the compact JWS id_token against jwks (a JWKS JSON object, may be NULL when only HS256
 * applies) and the expectations. On SM_JWT_OK *claims is the payload object (owned by p).
 * *detail is set to a short reason that is safe to log (never the token). */
sm_jwt_result_e sm_jwt_verify_id_token(apr_pool_t *p, const char *compact, const json_t *jwks,
                                       const sm_jwt_expect_t *expect, json_t **claims,
                                       const char **detail);

#endif
