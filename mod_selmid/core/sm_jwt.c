/* sm_jwt.c: ID token validation (OpenID Connect Core 3.1.3.7) on top of cjose.
 *
 * The compact token is checked strictly before cjose sees it: bounded size, exactly three
 * non-empty base64url parts, a protected header without duplicate keys, an allowed "alg", no
 * "crit" and no embedded or remote key references (jku, x5u, jwk). The verification key comes
 * only from the configured JWKS (or, for HS256, from the client secret), must fit the
 * algorithm (key type, curve, size, signature length) and is handed to cjose, which is never
 * trusted to pick or check a key by itself. Then the claims are checked.
 *
 * cjose 0.6.2 knows RS*, PS*, ES256/384/512 and HS*; it has no EdDSA (no OKP keys), so EdDSA
 * tokens are refused as an unknown algorithm. */
#include "sm_jwt.h"
#include "sm_crypto.h"
#include "sm_json.h"

#include <cjose/cjose.h>
#include <math.h>
#include <openssl/err.h>
#include <string.h>

/* The longest compact token accepted. */
#define SM_JWT_MAX_LEN (64 * 1024)
/* JWKS entries examined at most (a JWKS normally holds a handful of keys). */
#define SM_JWT_MAX_KEYS 64
/* OpenID Connect Core 2: sub must not exceed 255 ASCII characters. */
#define SM_JWT_MAX_SUB 255
/* RSA keys shorter than this are ignored. */
#define SM_JWT_MIN_RSA_BITS 2048
/* Time claims outside +/- this many seconds from the epoch are refused as malformed. */
#define SM_JWT_MAX_TIME 1099511627776.0 /* 2^40 */

typedef struct alg_info_t {
    const char *name;
    unsigned bit;
    cjose_jwk_kty_t kty;
    int crv;              /* EC: the required curve */
    const char *crv_name; /* EC: its JWK name */
    apr_size_t sig_len;   /* the fixed signature length; 0: the RSA modulus length */
} alg_info_t;

static const alg_info_t alg_table[] = {
    {"RS256", SM_ALG_RS256, CJOSE_JWK_KTY_RSA, 0, NULL, 0},
    {"RS384", SM_ALG_RS384, CJOSE_JWK_KTY_RSA, 0, NULL, 0},
    {"RS512", SM_ALG_RS512, CJOSE_JWK_KTY_RSA, 0, NULL, 0},
    {"PS256", SM_ALG_PS256, CJOSE_JWK_KTY_RSA, 0, NULL, 0},
    {"PS384", SM_ALG_PS384, CJOSE_JWK_KTY_RSA, 0, NULL, 0},
    {"PS512", SM_ALG_PS512, CJOSE_JWK_KTY_RSA, 0, NULL, 0},
    {"ES256", SM_ALG_ES256, CJOSE_JWK_KTY_EC, CJOSE_JWK_EC_P_256, "P-256", 64},
    {"ES384", SM_ALG_ES384, CJOSE_JWK_KTY_EC, CJOSE_JWK_EC_P_384, "P-384", 96},
    {"ES512", SM_ALG_ES512, CJOSE_JWK_KTY_EC, CJOSE_JWK_EC_P_521, "P-521", 132},
    {"HS256", SM_ALG_HS256, CJOSE_JWK_KTY_OCT, 0, NULL, 32},
};

/* One verification in progress. */
typedef struct jwt_ctx_t {
    apr_pool_t *p;
    const char *compact;
    apr_size_t len;
    apr_size_t dot1, dot2; /* positions of the two dots */
    const alg_info_t *alg;
    const char *kid; /* from the header, NULL when absent */
    apr_size_t sig_len;
    cjose_jws_t *jws;
    const char *detail;
} jwt_ctx_t;

static const alg_info_t *alg_find(const char *name)
{
    apr_size_t i;

    if (!name) {
        return NULL;
    }
    for (i = 0; i < sizeof(alg_table) / sizeof(alg_table[0]); i++) {
        if (strcmp(alg_table[i].name, name) == 0) {
            return &alg_table[i];
        }
    }
    return NULL;
}

unsigned sm_jwt_alg_bit(const char *alg)
{
    const alg_info_t *a = alg_find(alg);

    return a ? a->bit : 0;
}

const char *sm_jwt_result_str(sm_jwt_result_e r)
{
    switch (r) {
    case SM_JWT_OK:
        return "ok";
    case SM_JWT_MALFORMED:
        return "malformed";
    case SM_JWT_ALG:
        return "algorithm";
    case SM_JWT_KID_UNKNOWN:
        return "unknown key";
    case SM_JWT_SIGNATURE:
        return "signature";
    case SM_JWT_ISS:
        return "issuer";
    case SM_JWT_AUD:
        return "audience";
    case SM_JWT_AZP:
        return "authorized party";
    case SM_JWT_EXP:
        return "expiry";
    case SM_JWT_IAT:
        return "issued at";
    case SM_JWT_NONCE:
        return "nonce";
    case SM_JWT_SUB:
        return "subject";
    case SM_JWT_AUTH_TIME:
        return "authentication time";
    }
    return "unknown";
}

static bool is_b64url_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

/* Size, alphabet and shape: exactly three non-empty base64url parts. */
static sm_jwt_result_e check_shape(jwt_ctx_t *c)
{
    apr_size_t i, dots = 0;

    c->len = strnlen(c->compact, SM_JWT_MAX_LEN + 1);
    if (c->len == 0) {
        c->detail = "empty token";
        return SM_JWT_MALFORMED;
    }
    if (c->len > SM_JWT_MAX_LEN) {
        c->detail = "token too large";
        return SM_JWT_MALFORMED;
    }
    for (i = 0; i < c->len; i++) {
        if (c->compact[i] == '.') {
            if (++dots == 1) {
                c->dot1 = i;
            } else if (dots == 2) {
                c->dot2 = i;
            }
        } else if (!is_b64url_char(c->compact[i])) {
            c->detail = "token has a character outside base64url";
            return SM_JWT_MALFORMED;
        }
    }
    if (dots != 2) {
        c->detail = "token is not a compact JWS of three parts";
        return SM_JWT_MALFORMED;
    }
    if (c->dot1 == 0 || c->dot2 == c->dot1 + 1 || c->dot2 + 1 == c->len) {
        c->detail = "token has an empty part";
        return SM_JWT_MALFORMED;
    }
    return SM_JWT_OK;
}

/* The protected header: JSON object without duplicates, an allowed alg, no crit, no key
 * references, kid a string when present. */
static sm_jwt_result_e check_header(jwt_ctx_t *c, const sm_jwt_expect_t *expect)
{
    unsigned char *raw;
    apr_size_t raw_len;
    const json_t *hdr, *v;
    const char *jerr, *alg;

    if (sm_b64url_decode(c->p, c->compact, c->dot1, &raw, &raw_len) != APR_SUCCESS) {
        c->detail = "header is not base64url";
        return SM_JWT_MALFORMED;
    }
    hdr = sm_json_parse(c->p, (const char *)raw, raw_len, &jerr);
    if (!json_is_object(hdr)) {
        c->detail = hdr ? "header is not a JSON object" : apr_pstrcat(c->p, "header: ", jerr, NULL);
        return SM_JWT_MALFORMED;
    }
    v = json_object_get(hdr, "alg");
    if (!json_is_string(v)) {
        c->detail = "header has no alg";
        return SM_JWT_ALG;
    }
    alg = json_string_value(v);
    c->alg = alg_find(alg);
    if (!c->alg) {
        c->detail = strcmp(alg, "none") == 0 ? "alg none refused" : "alg not supported";
        return SM_JWT_ALG;
    }
    if (!(c->alg->bit & expect->algs)) {
        c->detail = apr_psprintf(c->p, "alg %s not allowed", c->alg->name);
        return SM_JWT_ALG;
    }
    if (c->alg->bit == SM_ALG_HS256 && (!expect->client_secret || !*expect->client_secret)) {
        c->detail = "alg HS256 without a client secret";
        return SM_JWT_ALG;
    }
    if (json_object_get(hdr, "crit")) {
        c->detail = "header has crit (no extension is understood)";
        return SM_JWT_MALFORMED;
    }
    if (json_object_get(hdr, "jku") || json_object_get(hdr, "x5u") || json_object_get(hdr, "jwk")) {
        c->detail = "header refers to a key (jku, x5u or jwk)";
        return SM_JWT_MALFORMED;
    }
    v = json_object_get(hdr, "kid");
    if (v && !json_is_string(v)) {
        c->detail = "header kid is not a string";
        return SM_JWT_MALFORMED;
    }
    c->kid = v ? apr_pstrdup(c->p, json_string_value(v)) : NULL;
    return SM_JWT_OK;
}

/* Hands the token to cjose and makes sure it reads the same algorithm. */
static sm_jwt_result_e import_jws(jwt_ctx_t *c)
{
    cjose_err err;
    cjose_header_t *hdr;
    const char *alg;
    unsigned char *raw;
    apr_size_t raw_len;

    if (sm_b64url_decode(c->p, c->compact + c->dot2 + 1, c->len - c->dot2 - 1, &raw, &c->sig_len) !=
        APR_SUCCESS) {
        c->detail = "signature is not base64url";
        return SM_JWT_MALFORMED;
    }
    /* strict decoding here; cjose decodes the payload again on import */
    if (sm_b64url_decode(c->p, c->compact + c->dot1 + 1, c->dot2 - c->dot1 - 1, &raw, &raw_len) !=
        APR_SUCCESS) {
        c->detail = "payload is not base64url";
        return SM_JWT_MALFORMED;
    }
    c->jws = cjose_jws_import(c->compact, c->len, &err);
    if (!c->jws) {
        c->detail = "token not accepted by cjose";
        return SM_JWT_MALFORMED;
    }
    hdr = cjose_jws_get_protected(c->jws);
    alg = hdr ? cjose_header_get(hdr, CJOSE_HDR_ALG, &err) : NULL;
    if (!alg || strcmp(alg, c->alg->name) != 0) {
        c->detail = "header read differently by cjose";
        return SM_JWT_MALFORMED;
    }
    return SM_JWT_OK;
}

/* True when the JWK fits the algorithm (type, curve, size, signature length) and verifies. */
static bool verify_with(jwt_ctx_t *c, const cjose_jwk_t *jwk)
{
    cjose_err err;
    apr_size_t bits, want = c->alg->sig_len;
    bool ok = false;

    if (cjose_jwk_get_kty(jwk, &err) != c->alg->kty) {
        goto leave;
    }
    if (c->alg->kty == CJOSE_JWK_KTY_EC && (int)cjose_jwk_EC_get_curve(jwk, &err) != c->alg->crv) {
        goto leave;
    }
    if (c->alg->kty == CJOSE_JWK_KTY_RSA) {
        bits = cjose_jwk_get_keysize(jwk, &err);
        if (bits < SM_JWT_MIN_RSA_BITS) {
            goto leave;
        }
        want = (bits + 7) / 8;
    }
    if (c->sig_len != want) {
        goto leave;
    }
    ok = cjose_jws_verify(c->jws, jwk, &err);

leave:
    ERR_clear_error();
    return ok;
}

static sm_jwt_result_e verify_hs256(jwt_ctx_t *c, const sm_jwt_expect_t *expect)
{
    cjose_err err;
    cjose_jwk_t *jwk;
    sm_jwt_result_e r = SM_JWT_SIGNATURE;

    jwk = cjose_jwk_create_oct_spec((const uint8_t *)expect->client_secret,
                                    strlen(expect->client_secret), &err);
    if (!jwk) {
        c->detail = "cannot make an HS256 key of the client secret";
        goto leave;
    }
    if (!verify_with(c, jwk)) {
        c->detail = "HS256 signature does not verify";
        goto leave;
    }
    r = SM_JWT_OK;

leave:
    if (jwk) {
        cjose_jwk_release(jwk);
    }
    return r;
}

/* Whether a JWKS member is a candidate by its JSON: kty (and crv) fit, use is sig, alg matches,
 * kid matches when the token names one, key_ops (when present) allows verify. */
static bool jwk_json_fits(const jwt_ctx_t *c, const json_t *key)
{
    static const char *const kty_names[] = {"", "RSA", "EC", "oct"};
    const json_t *v, *op;
    apr_size_t i;
    bool verify = false;

    if (!json_is_object(key)) {
        return false;
    }
    v = json_object_get(key, "kty");
    if (!json_is_string(v) || strcmp(json_string_value(v), kty_names[c->alg->kty]) != 0) {
        return false;
    }
    v = json_object_get(key, "crv");
    if (c->alg->crv_name &&
        (!json_is_string(v) || strcmp(json_string_value(v), c->alg->crv_name) != 0)) {
        return false;
    }
    v = json_object_get(key, "use");
    if (v && (!json_is_string(v) || strcmp(json_string_value(v), "sig") != 0)) {
        return false;
    }
    v = json_object_get(key, "alg");
    if (v && (!json_is_string(v) || strcmp(json_string_value(v), c->alg->name) != 0)) {
        return false;
    }
    v = json_object_get(key, "kid");
    if (c->kid && (!json_is_string(v) || strcmp(json_string_value(v), c->kid) != 0)) {
        return false;
    }
    v = json_object_get(key, "key_ops");
    if (v) {
        json_array_foreach(v, i, op)
        {
            if (json_is_string(op) && strcmp(json_string_value(op), "verify") == 0) {
                verify = true;
            }
        }
        if (!verify) {
            return false;
        }
    }
    return true;
}

static sm_jwt_result_e verify_jwks(jwt_ctx_t *c, const json_t *jwks)
{
    cjose_err err;
    const json_t *keys;
    json_t *key;
    cjose_jwk_t *jwk;
    apr_size_t i, n, candidates = 0;
    bool ok = false;

    keys = json_is_object(jwks) ? json_object_get(jwks, "keys") : NULL;
    if (!json_is_array(keys)) {
        c->detail = "no JWKS";
        return SM_JWT_KID_UNKNOWN;
    }
    n = json_array_size(keys);
    for (i = 0; i < n && i < SM_JWT_MAX_KEYS && !ok; i++) {
        key = json_array_get(keys, i);
        if (!jwk_json_fits(c, key)) {
            continue;
        }
        jwk = cjose_jwk_import_json((cjose_header_t *)key, &err);
        if (!jwk) {
            ERR_clear_error();
            continue;
        }
        candidates++;
        ok = verify_with(c, jwk);
        cjose_jwk_release(jwk);
    }
    if (ok) {
        return SM_JWT_OK;
    }
    if (candidates == 0) {
        c->detail = apr_psprintf(c->p, "no %s key in the JWKS %s", c->alg->name,
                                 c->kid ? "with the token's kid" : "(token has no kid)");
        return SM_JWT_KID_UNKNOWN;
    }
    c->detail = apr_psprintf(c->p, "%s signature does not verify", c->alg->name);
    return SM_JWT_SIGNATURE;
}

/* A NumericDate claim (seconds, integer or real) as apr_time_t. */
static bool claim_time(const json_t *v, apr_time_t *out)
{
    double d;

    if (json_is_integer(v)) {
        d = (double)json_integer_value(v);
    } else if (json_is_real(v)) {
        d = json_real_value(v);
    } else {
        return false;
    }
    if (!isfinite(d) || d > SM_JWT_MAX_TIME || d < -SM_JWT_MAX_TIME) {
        return false;
    }
    *out = (apr_time_t)(d * (double)APR_USEC_PER_SEC);
    return true;
}

static sm_jwt_result_e check_aud(jwt_ctx_t *c, const json_t *claims, const char *client_id)
{
    const json_t *aud = json_object_get(claims, "aud"), *v;
    apr_size_t i, n = 0;
    bool found = false;

    if (!client_id) {
        c->detail = "no client_id to check aud against";
        return SM_JWT_AUD;
    }
    if (json_is_string(aud)) {
        n = 1;
        found = strcmp(json_string_value(aud), client_id) == 0;
    } else if (json_is_array(aud)) {
        json_array_foreach(aud, i, v)
        {
            if (!json_is_string(v)) {
                c->detail = "aud has a value that is not a string";
                return SM_JWT_AUD;
            }
            found = found || strcmp(json_string_value(v), client_id) == 0;
            n++;
        }
    } else {
        c->detail = aud ? "aud is neither a string nor an array" : "aud missing";
        return SM_JWT_AUD;
    }
    if (!found) {
        c->detail = "aud does not contain the client_id";
        return SM_JWT_AUD;
    }
    v = json_object_get(claims, "azp");
    if (n > 1 && !v) {
        c->detail = "several audiences without azp";
        return SM_JWT_AZP;
    }
    if (v && (!json_is_string(v) || strcmp(json_string_value(v), client_id) != 0)) {
        c->detail = "azp is not the client_id";
        return SM_JWT_AZP;
    }
    return SM_JWT_OK;
}

static sm_jwt_result_e check_times(jwt_ctx_t *c, const json_t *claims,
                                   const sm_jwt_expect_t *expect)
{
    apr_interval_time_t skew = expect->skew > 0 ? expect->skew : 0;
    apr_time_t exp, iat;

    if (!claim_time(json_object_get(claims, "exp"), &exp)) {
        c->detail = "exp missing or not a number";
        return SM_JWT_EXP;
    }
    if (!(expect->now < exp + skew)) {
        c->detail = "token expired";
        return SM_JWT_EXP;
    }
    if (!claim_time(json_object_get(claims, "iat"), &iat)) {
        c->detail = "iat missing or not a number";
        return SM_JWT_IAT;
    }
    if (iat > expect->now + skew) {
        c->detail = "iat in the future";
        return SM_JWT_IAT;
    }
    if (expect->max_age > 0 && expect->now - iat > expect->max_age + skew) {
        c->detail = "iat older than the maximum age";
        return SM_JWT_IAT;
    }
    if (expect->auth_max_age > 0) {
        const json_t *v = json_object_get(claims, "auth_time");
        apr_time_t at;
        if (!v) {
            c->detail = "auth_time missing although max_age was sent";
            return expect->auth_time_required ? SM_JWT_AUTH_TIME : SM_JWT_OK;
        }
        if (!claim_time(v, &at) || at > expect->now + skew) {
            c->detail = "auth_time not a number or in the future";
            return SM_JWT_AUTH_TIME;
        }
        if (expect->now - at > expect->auth_max_age + skew) {
            c->detail = "the authentication is older than max_age";
            return SM_JWT_AUTH_TIME;
        }
    }
    return SM_JWT_OK;
}

static sm_jwt_result_e check_claims(jwt_ctx_t *c, const json_t *claims,
                                    const sm_jwt_expect_t *expect)
{
    const json_t *v;
    sm_jwt_result_e r;

    v = json_object_get(claims, "iss");
    if (!expect->issuer || !json_is_string(v) ||
        (strcmp(json_string_value(v), expect->issuer) != 0 &&
         (!expect->issuer_alt || strcmp(json_string_value(v), expect->issuer_alt) != 0))) {
        c->detail = v ? "iss does not match the issuer" : "iss missing";
        return SM_JWT_ISS;
    }
    r = check_aud(c, claims, expect->client_id);
    if (r != SM_JWT_OK) {
        return r;
    }
    r = check_times(c, claims, expect);
    if (r != SM_JWT_OK) {
        return r;
    }
    v = json_object_get(claims, "nonce");
    if (!expect->nonce || !*expect->nonce) {
        c->detail = "no nonce expected (login state has none)";
        return SM_JWT_NONCE;
    }
    if (!json_is_string(v) || !sm_ct_streq(json_string_value(v), expect->nonce)) {
        c->detail = v ? "nonce does not match" : "nonce missing";
        return SM_JWT_NONCE;
    }
    v = json_object_get(claims, "sub");
    if (!json_is_string(v) || json_string_length(v) == 0 ||
        json_string_length(v) > SM_JWT_MAX_SUB) {
        c->detail = v ? "sub empty, too long or not a string" : "sub missing";
        return SM_JWT_SUB;
    }
    return SM_JWT_OK;
}

sm_jwt_result_e sm_jwt_verify_id_token(apr_pool_t *p, const char *compact, const json_t *jwks,
                                       const sm_jwt_expect_t *expect, json_t **claims,
                                       const char **detail)
{
    jwt_ctx_t c = {.p = p, .compact = compact, .detail = "ok"};
    sm_jwt_result_e r = SM_JWT_MALFORMED;
    cjose_err err;
    uint8_t *pt = NULL;
    size_t pt_len = 0;
    json_t *obj;
    const char *jerr;

    if (claims) {
        *claims = NULL;
    }
    if (!compact || !expect) {
        c.detail = "no token";
        goto leave;
    }
    if ((r = check_shape(&c)) != SM_JWT_OK || (r = check_header(&c, expect)) != SM_JWT_OK ||
        (r = import_jws(&c)) != SM_JWT_OK) {
        goto leave;
    }
    r = c.alg->bit == SM_ALG_HS256 ? verify_hs256(&c, expect) : verify_jwks(&c, jwks);
    if (r != SM_JWT_OK) {
        goto leave;
    }
    if (!cjose_jws_get_plaintext(c.jws, &pt, &pt_len, &err)) {
        r = SM_JWT_MALFORMED;
        c.detail = "no payload";
        goto leave;
    }
    obj = sm_json_parse(p, (const char *)pt, pt_len, &jerr);
    if (!json_is_object(obj)) {
        r = SM_JWT_MALFORMED;
        c.detail = obj ? "claims are not a JSON object" : apr_pstrcat(p, "claims: ", jerr, NULL);
        goto leave;
    }
    r = check_claims(&c, obj, expect);
    if (r == SM_JWT_OK && claims) {
        *claims = obj;
    }

leave:
    if (c.jws) {
        cjose_jws_release(c.jws);
    }
    ERR_clear_error();
    if (detail) {
        *detail = c.detail;
    }
    return r;
}
