/* test_jwt.c: ID token validation (sm_jwt.c): signatures with freshly generated keys and the
 * whole matrix of header, key selection and claim checks. */
#include "sm_tests.h"
#include "fakes.h"
#include "sm_crypto.h"
#include "sm_json.h"
#include "sm_jwt.h"

#include <cjose/cjose.h>
#include <stdlib.h>
#include <string.h>

#define NOW_S   1700000000
#define ISSUER  "https://op.example.com"
#define CLIENT  "client-1"
#define NONCE   "n-0S6_WzA2Mj"
#define SUBJECT "alice-248289761001"
#define SECRET  "a-client-secret-of-at-least-32-bytes"

/* Keys, generated once per test case in the parent process (unchecked fixture). */
static cjose_jwk_t *rsa_key, *rsa_key2, *ec_key, *ec384_key;

static cjose_jwk_t *make_rsa(void)
{
    static const uint8_t e[] = {1, 0, 1};

    return cjose_jwk_create_RSA_random(2048, e, sizeof(e), NULL);
}

static void keys_setup(void)
{
    if (!rsa_key) {
        rsa_key = make_rsa();
        rsa_key2 = make_rsa();
        ec_key = cjose_jwk_create_EC_random(CJOSE_JWK_EC_P_256, NULL);
        ec384_key = cjose_jwk_create_EC_random(CJOSE_JWK_EC_P_384, NULL);
    }
}

static void keys_teardown(void)
{
    cjose_jwk_release(rsa_key);
    cjose_jwk_release(rsa_key2);
    cjose_jwk_release(ec_key);
    cjose_jwk_release(ec384_key);
    rsa_key = rsa_key2 = ec_key = ec384_key = NULL;
}

/* The public JWK of key as a JSON object with extra string members (name, value pairs). */
static json_t *pub_jwk(const cjose_jwk_t *key, const char *kid, const char *use, const char *alg)
{
    char *s = cjose_jwk_to_json(key, false, NULL);
    json_t *j = json_loads(s, 0, NULL);

    free(s);
    ck_assert_ptr_nonnull(j);
    if (kid) {
        json_object_set_new(j, "kid", json_string(kid));
    }
    if (use) {
        json_object_set_new(j, "use", json_string(use));
    }
    if (alg) {
        json_object_set_new(j, "alg", json_string(alg));
    }
    return j;
}

/* A JWKS of the given JWKs (references stolen), owned by the test pool. */
static json_t *jwks_of(json_t *k1, json_t *k2, json_t *k3)
{
    json_t *keys = json_array(), *jwks = json_object();

    json_array_append_new(keys, k1);
    if (k2) {
        json_array_append_new(keys, k2);
    }
    if (k3) {
        json_array_append_new(keys, k3);
    }
    json_object_set_new(jwks, "keys", keys);
    return sm_json_own(sm_test_pool, jwks);
}

/* The usual JWKS: RSA "rsa1" (no alg), EC P-256 "ec1" (alg ES256), an RSA encryption key. */
static json_t *std_jwks(void)
{
    return jwks_of(pub_jwk(rsa_key, "rsa1", "sig", NULL), pub_jwk(ec_key, "ec1", NULL, "ES256"),
                   pub_jwk(rsa_key2, "enc1", "enc", NULL));
}

static json_t *std_claims(void)
{
    json_t *c = json_pack("{s:s, s:s, s:I, s:I, s:s, s:s}", "iss", ISSUER, "aud", CLIENT, "exp",
                          (json_int_t)NOW_S + 300, "iat", (json_int_t)NOW_S - 10, "nonce", NONCE,
                          "sub", SUBJECT);

    return sm_json_own(sm_test_pool, c);
}

static sm_jwt_expect_t std_expect(void)
{
    sm_jwt_expect_t e = {
        .issuer = ISSUER,
        .client_id = CLIENT,
        .nonce = NONCE,
        .client_secret = NULL,
        .algs = SM_ALG_DEFAULT,
        .now = apr_time_from_sec(NOW_S),
        .skew = apr_time_from_sec(60),
        .max_age = 0,
    };
    return e;
}

/* Signs payload bytes with key under alg (and kid when not NULL). */
static const char *sign_raw(const cjose_jwk_t *key, const char *alg, const char *kid,
                            const char *payload, size_t len)
{
    return fake_sign_jws(sm_test_pool, key, alg, kid, payload, len);
}

static const char *sign(const cjose_jwk_t *key, const char *alg, const char *kid, json_t *claims)
{
    const char *payload = sm_json_dump(sm_test_pool, claims);

    return sign_raw(key, alg, kid, payload, strlen(payload));
}

static const char *sign_hs(const char *secret, const char *kid, json_t *claims)
{
    cjose_jwk_t *k = cjose_jwk_create_oct_spec((const uint8_t *)secret, strlen(secret), NULL);
    const char *t = sign(k, "HS256", kid, claims);

    cjose_jwk_release(k);
    return t;
}

static const char *b64(const char *s)
{
    return sm_b64url_encode(sm_test_pool, (const unsigned char *)s, strlen(s));
}

/* A token made of given header and payload texts and a signature part. */
static const char *hand_token(const char *hdr, const char *payload, const char *sig)
{
    return apr_pstrcat(sm_test_pool, b64(hdr), ".", b64(payload), ".", sig, NULL);
}

/* Verifies and asserts the result; the detail must never contain token material. */
static json_t *check(const char *token, const json_t *jwks, const sm_jwt_expect_t *e,
                     sm_jwt_result_e want)
{
    json_t *claims = json_null(); /* must be reset */
    const char *detail = NULL;
    sm_jwt_result_e r = sm_jwt_verify_id_token(sm_test_pool, token, jwks, e, &claims, &detail);

    ck_assert_msg(r == want, "got %s (%s), want %s", sm_jwt_result_str(r), detail ? detail : "-",
                  sm_jwt_result_str(want));
    ck_assert_ptr_nonnull(detail);
    ck_assert_ptr_null(strstr(detail, NONCE));
    ck_assert_ptr_null(strstr(detail, SUBJECT));
    ck_assert_ptr_null(strstr(detail, "eyJ"));
    if (want == SM_JWT_OK) {
        ck_assert_ptr_nonnull(claims);
    } else {
        ck_assert_ptr_null(claims);
    }
    return claims;
}

static const char *rs(json_t *claims)
{
    return sign(rsa_key, "RS256", "rsa1", claims);
}

/* ---- valid tokens --------------------------------------------------------------------- */

START_TEST(test_valid_rs256)
{
    sm_jwt_expect_t e = std_expect();
    json_t *c = check(rs(std_claims()), std_jwks(), &e, SM_JWT_OK);

    ck_assert_str_eq(json_string_value(json_object_get(c, "sub")), SUBJECT);
}
END_TEST

START_TEST(test_valid_ps256_es256)
{
    sm_jwt_expect_t e = std_expect();

    check(sign(rsa_key, "PS256", "rsa1", std_claims()), std_jwks(), &e, SM_JWT_OK);
    check(sign(ec_key, "ES256", "ec1", std_claims()), std_jwks(), &e, SM_JWT_OK);
}
END_TEST

START_TEST(test_valid_hs256)
{
    sm_jwt_expect_t e = std_expect();

    e.algs |= SM_ALG_HS256;
    e.client_secret = SECRET;
    check(sign_hs(SECRET, NULL, std_claims()), NULL, &e, SM_JWT_OK);
}
END_TEST

START_TEST(test_other_rsa_sizes)
{
    sm_jwt_expect_t e = std_expect();

    e.algs |= SM_ALG_RS384 | SM_ALG_RS512 | SM_ALG_PS512;
    check(sign(rsa_key, "RS384", "rsa1", std_claims()), std_jwks(), &e, SM_JWT_OK);
    check(sign(rsa_key, "RS512", "rsa1", std_claims()), std_jwks(), &e, SM_JWT_OK);
    check(sign(rsa_key, "PS512", "rsa1", std_claims()), std_jwks(), &e, SM_JWT_OK);
}
END_TEST

START_TEST(test_es384)
{
    sm_jwt_expect_t e = std_expect();
    json_t *jwks = jwks_of(pub_jwk(ec384_key, "ec3", NULL, NULL), NULL, NULL);

    e.algs |= SM_ALG_ES384;
    check(sign(ec384_key, "ES384", "ec3", std_claims()), jwks, &e, SM_JWT_OK);
    /* a P-384 key never serves ES256 */
    check(sign(ec384_key, "ES256", "ec3", std_claims()), jwks, &e, SM_JWT_KID_UNKNOWN);
}
END_TEST

/* ---- algorithms ----------------------------------------------------------------------- */

START_TEST(test_alg_none)
{
    sm_jwt_expect_t e = std_expect();
    const char *p = sm_json_dump(sm_test_pool, std_claims());

    check(hand_token("{\"alg\":\"none\"}", p, "AAAA"), std_jwks(), &e, SM_JWT_ALG);
    /* and with an empty signature part: refused before anything else */
    check(apr_pstrcat(sm_test_pool, b64("{\"alg\":\"none\"}"), ".", b64(p), ".", NULL), std_jwks(),
          &e, SM_JWT_MALFORMED);
    check(hand_token("{\"alg\":\"None\"}", p, "AAAA"), std_jwks(), &e, SM_JWT_ALG);
    check(hand_token("{\"kid\":\"rsa1\"}", p, "AAAA"), std_jwks(), &e, SM_JWT_ALG);
    check(hand_token("{\"alg\":5}", p, "AAAA"), std_jwks(), &e, SM_JWT_ALG);
    check(hand_token("{\"alg\":\"EdDSA\"}", p, "AAAA"), std_jwks(), &e, SM_JWT_ALG);
}
END_TEST

START_TEST(test_alg_not_allowed)
{
    sm_jwt_expect_t e = std_expect();

    e.algs = SM_ALG_ES256;
    check(rs(std_claims()), std_jwks(), &e, SM_JWT_ALG);
    e = std_expect();
    check(sign(rsa_key, "RS512", "rsa1", std_claims()), std_jwks(), &e, SM_JWT_ALG);
}
END_TEST

START_TEST(test_hs256_refused)
{
    sm_jwt_expect_t e = std_expect();
    const char *t = sign_hs(SECRET, NULL, std_claims());

    /* allowed but no secret */
    e.algs |= SM_ALG_HS256;
    check(t, std_jwks(), &e, SM_JWT_ALG);
    e.client_secret = "";
    check(t, std_jwks(), &e, SM_JWT_ALG);
    /* secret but not allowed */
    e = std_expect();
    e.client_secret = SECRET;
    check(t, std_jwks(), &e, SM_JWT_ALG);
    /* wrong secret */
    e.algs |= SM_ALG_HS256;
    e.client_secret = "another-client-secret-of-32-bytes!!";
    check(t, std_jwks(), &e, SM_JWT_SIGNATURE);
}
END_TEST

START_TEST(test_key_confusion)
{
    sm_jwt_expect_t e = std_expect();
    char *pub = cjose_jwk_to_json(rsa_key, false, NULL);
    const char *t = sign_hs(pub, "rsa1", std_claims());
    json_t *oct = json_pack("{s:s, s:s, s:s}", "kty", "oct", "kid", "rsa1", "k", b64(pub));

    /* HMAC keyed with the public key: HS256 not allowed */
    check(t, std_jwks(), &e, SM_JWT_ALG);
    /* HS256 allowed: verified with the client secret only, never with a JWKS key */
    e.algs |= SM_ALG_HS256;
    e.client_secret = SECRET;
    check(t, std_jwks(), &e, SM_JWT_SIGNATURE);
    /* an oct key in the JWKS never serves RS256 */
    e = std_expect();
    check(rs(std_claims()), jwks_of(oct, NULL, NULL), &e, SM_JWT_KID_UNKNOWN);
    free(pub);
}
END_TEST

/* ---- signatures and key selection ----------------------------------------------------- */

START_TEST(test_tampered_payload)
{
    sm_jwt_expect_t e = std_expect();
    const char *t = rs(std_claims());
    json_t *c = std_claims();
    const char *dot1 = strchr(t, '.'), *dot2 = strchr(dot1 + 1, '.');

    json_object_set_new(c, "sub", json_string("mallory"));
    t = apr_pstrcat(sm_test_pool, apr_pstrndup(sm_test_pool, t, (apr_size_t)(dot1 - t)), ".",
                    b64(sm_json_dump(sm_test_pool, c)), dot2, NULL);
    check(t, std_jwks(), &e, SM_JWT_SIGNATURE);
}
END_TEST

START_TEST(test_tampered_signature)
{
    sm_jwt_expect_t e = std_expect();
    char *t = apr_pstrdup(sm_test_pool, rs(std_claims()));
    char *sig = strrchr(t, '.') + 10;

    *sig = *sig == 'A' ? 'B' : 'A';
    check(t, std_jwks(), &e, SM_JWT_SIGNATURE);

    t = apr_pstrdup(sm_test_pool, sign(ec_key, "ES256", "ec1", std_claims()));
    sig = strrchr(t, '.') + 10;
    *sig = *sig == 'A' ? 'B' : 'A';
    check(t, std_jwks(), &e, SM_JWT_SIGNATURE);
}
END_TEST

START_TEST(test_signature_length)
{
    sm_jwt_expect_t e = std_expect();
    const char *t = sign(ec_key, "ES256", "ec1", std_claims());
    const char *dot2 = strrchr(t, '.');
    const char *head = apr_pstrndup(sm_test_pool, t, (apr_size_t)(dot2 - t));
    unsigned char sig[65];

    memset(sig, 1, sizeof(sig));
    /* 65 bytes instead of 64 */
    check(apr_pstrcat(sm_test_pool, head, ".", sm_b64url_encode(sm_test_pool, sig, 65), NULL),
          std_jwks(), &e, SM_JWT_SIGNATURE);
    /* 63 bytes */
    check(apr_pstrcat(sm_test_pool, head, ".", sm_b64url_encode(sm_test_pool, sig, 63), NULL),
          std_jwks(), &e, SM_JWT_SIGNATURE);
}
END_TEST

START_TEST(test_kid)
{
    sm_jwt_expect_t e = std_expect();

    /* unknown kid */
    check(sign(rsa_key, "RS256", "rsa-next", std_claims()), std_jwks(), &e, SM_JWT_KID_UNKNOWN);
    /* the kid of a key of another type */
    check(sign(rsa_key, "RS256", "ec1", std_claims()), std_jwks(), &e, SM_JWT_KID_UNKNOWN);
    /* the kid of an encryption key */
    check(sign(rsa_key2, "RS256", "enc1", std_claims()), std_jwks(), &e, SM_JWT_KID_UNKNOWN);
    /* right kid, other key behind it */
    check(sign(rsa_key2, "RS256", "rsa1", std_claims()), std_jwks(), &e, SM_JWT_SIGNATURE);
    /* no JWKS at all, or no keys member */
    check(rs(std_claims()), NULL, &e, SM_JWT_KID_UNKNOWN);
    check(rs(std_claims()), sm_json_own(sm_test_pool, json_object()), &e, SM_JWT_KID_UNKNOWN);
    /* a key alg that differs */
    check(rs(std_claims()), jwks_of(pub_jwk(rsa_key, "rsa1", NULL, "PS256"), NULL, NULL), &e,
          SM_JWT_KID_UNKNOWN);
}
END_TEST

START_TEST(test_no_kid)
{
    sm_jwt_expect_t e = std_expect();
    json_t *two = jwks_of(pub_jwk(rsa_key2, "a", NULL, NULL), pub_jwk(rsa_key, "b", NULL, NULL),
                          pub_jwk(ec_key, "c", NULL, NULL));

    /* one fitting key (the EC and the encryption keys are not tried) */
    check(sign(rsa_key, "RS256", NULL, std_claims()), std_jwks(), &e, SM_JWT_OK);
    check(sign(ec_key, "ES256", NULL, std_claims()), std_jwks(), &e, SM_JWT_OK);
    /* the second of two RSA keys */
    check(sign(rsa_key, "RS256", NULL, std_claims()), two, &e, SM_JWT_OK);
    /* fitting keys, none verifies */
    check(sign(rsa_key2, "RS256", NULL, std_claims()), std_jwks(), &e, SM_JWT_SIGNATURE);
    /* no fitting key */
    check(sign(ec_key, "ES256", NULL, std_claims()),
          jwks_of(pub_jwk(rsa_key, NULL, NULL, NULL), NULL, NULL), &e, SM_JWT_KID_UNKNOWN);
}
END_TEST

START_TEST(test_bad_jwks_entries)
{
    sm_jwt_expect_t e = std_expect();
    json_t *bad =
        json_pack("{s:s, s:s, s:s, s:s}", "kty", "RSA", "kid", "rsa1", "n", "AQAB", "e", "!!");
    json_t *ops = pub_jwk(rsa_key, "rsa1", NULL, NULL);

    /* a broken key with the right kid is skipped */
    check(rs(std_claims()), jwks_of(bad, json_string("x"), pub_jwk(rsa_key, "rsa1", NULL, NULL)),
          &e, SM_JWT_OK);
    json_object_set_new(ops, "key_ops", json_pack("[s]", "encrypt"));
    check(rs(std_claims()), jwks_of(ops, NULL, NULL), &e, SM_JWT_KID_UNKNOWN);
    ops = pub_jwk(rsa_key, "rsa1", NULL, NULL);
    json_object_set_new(ops, "key_ops", json_pack("[s]", "verify"));
    check(rs(std_claims()), jwks_of(ops, NULL, NULL), &e, SM_JWT_OK);
}
END_TEST

/* ---- header checks -------------------------------------------------------------------- */

START_TEST(test_header_refused)
{
    sm_jwt_expect_t e = std_expect();
    const char *p = sm_json_dump(sm_test_pool, std_claims());
    const char *sig = "c2lnbmF0dXJl";

    check(hand_token("{\"alg\":\"RS256\",\"crit\":[\"exp\"],\"exp\":1}", p, sig), std_jwks(), &e,
          SM_JWT_MALFORMED);
    check(hand_token("{\"alg\":\"RS256\",\"jku\":\"https://evil.example/jwks\"}", p, sig),
          std_jwks(), &e, SM_JWT_MALFORMED);
    check(hand_token("{\"alg\":\"RS256\",\"x5u\":\"https://evil.example/c\"}", p, sig), std_jwks(),
          &e, SM_JWT_MALFORMED);
    check(hand_token("{\"alg\":\"RS256\",\"jwk\":{\"kty\":\"oct\",\"k\":\"AA\"}}", p, sig),
          std_jwks(), &e, SM_JWT_MALFORMED);
    check(hand_token("{\"alg\":\"RS256\",\"kid\":7}", p, sig), std_jwks(), &e, SM_JWT_MALFORMED);
    check(hand_token("{\"alg\":\"none\",\"alg\":\"RS256\"}", p, sig), std_jwks(), &e,
          SM_JWT_MALFORMED);
    check(hand_token("[\"RS256\"]", p, sig), std_jwks(), &e, SM_JWT_MALFORMED);
    check(hand_token("not json", p, sig), std_jwks(), &e, SM_JWT_MALFORMED);
}
END_TEST

/* ---- structure ------------------------------------------------------------------------ */

START_TEST(test_structure)
{
    sm_jwt_expect_t e = std_expect();
    const char *t = rs(std_claims());
    const char *h = "{\"alg\":\"RS256\"}", *p = "{}";
    char *huge;

    check(apr_pstrcat(sm_test_pool, b64(h), ".", b64(p), NULL), std_jwks(), &e, SM_JWT_MALFORMED);
    check(apr_pstrcat(sm_test_pool, t, ".AAAA", NULL), std_jwks(), &e, SM_JWT_MALFORMED);
    check(apr_pstrcat(sm_test_pool, ".", b64(p), ".AAAA", NULL), std_jwks(), &e, SM_JWT_MALFORMED);
    check(apr_pstrcat(sm_test_pool, b64(h), "..AAAA", NULL), std_jwks(), &e, SM_JWT_MALFORMED);
    check(apr_pstrcat(sm_test_pool, t, "=", NULL), std_jwks(), &e, SM_JWT_MALFORMED);
    check(apr_pstrcat(sm_test_pool, "+", t, NULL), std_jwks(), &e, SM_JWT_MALFORMED);
    check(apr_pstrcat(sm_test_pool, t, " ", NULL), std_jwks(), &e, SM_JWT_MALFORMED);
    /* a part of 4n+1 characters, and non-canonical trailing bits ("AB" decodes like "AA") */
    check(apr_pstrcat(sm_test_pool, b64(h), ".", b64(p), "AA.AAAA", NULL), std_jwks(), &e,
          SM_JWT_MALFORMED);
    check(apr_pstrcat(sm_test_pool, b64(h), ".", b64(p), ".AB", NULL), std_jwks(), &e,
          SM_JWT_MALFORMED);
    check("", std_jwks(), &e, SM_JWT_MALFORMED);
    check(NULL, std_jwks(), &e, SM_JWT_MALFORMED);
    huge = apr_palloc(sm_test_pool, 70000);
    memset(huge, 'A', 69999);
    huge[69999] = '\0';
    huge[10] = huge[20] = '.';
    check(huge, std_jwks(), &e, SM_JWT_MALFORMED);
}
END_TEST

START_TEST(test_payload_shape)
{
    sm_jwt_expect_t e = std_expect();
    const char *dup = "{\"iss\":\"" ISSUER "\",\"iss\":\"https://evil\",\"aud\":\"" CLIENT "\"}";

    check(sign_raw(rsa_key, "RS256", "rsa1", "[1,2]", 5), std_jwks(), &e, SM_JWT_MALFORMED);
    check(sign_raw(rsa_key, "RS256", "rsa1", "\"str\"", 5), std_jwks(), &e, SM_JWT_MALFORMED);
    check(sign_raw(rsa_key, "RS256", "rsa1", "{bad", 4), std_jwks(), &e, SM_JWT_MALFORMED);
    check(sign_raw(rsa_key, "RS256", "rsa1", dup, strlen(dup)), std_jwks(), &e, SM_JWT_MALFORMED);
}
END_TEST

/* ---- claims --------------------------------------------------------------------------- */

START_TEST(test_iss)
{
    sm_jwt_expect_t e = std_expect();
    json_t *c = std_claims();

    json_object_set_new(c, "iss", json_string(ISSUER "/"));
    check(rs(c), std_jwks(), &e, SM_JWT_ISS);
    json_object_set_new(c, "iss", json_string("https://OP.example.com"));
    check(rs(c), std_jwks(), &e, SM_JWT_ISS);
    json_object_set_new(c, "iss", json_integer(1));
    check(rs(c), std_jwks(), &e, SM_JWT_ISS);
    json_object_del(c, "iss");
    check(rs(c), std_jwks(), &e, SM_JWT_ISS);
    e.issuer = ISSUER "/";
    check(rs(std_claims()), std_jwks(), &e, SM_JWT_ISS);
}
END_TEST

/* Google: "https://accounts.google.com" or "accounts.google.com", nothing else. */
START_TEST(test_iss_alternative)
{
    sm_jwt_expect_t e = std_expect();
    json_t *c = std_claims();

    e.issuer = "https://accounts.google.com";
    e.issuer_alt = "accounts.google.com";
    json_object_set_new(c, "iss", json_string("accounts.google.com"));
    check(rs(c), std_jwks(), &e, SM_JWT_OK);
    json_object_set_new(c, "iss", json_string("https://accounts.google.com"));
    check(rs(c), std_jwks(), &e, SM_JWT_OK);
    json_object_set_new(c, "iss", json_string("http://accounts.google.com"));
    check(rs(c), std_jwks(), &e, SM_JWT_ISS);
    json_object_set_new(c, "iss", json_string("accounts.google.com/"));
    check(rs(c), std_jwks(), &e, SM_JWT_ISS);
    e.issuer_alt = NULL;
    json_object_set_new(c, "iss", json_string("accounts.google.com"));
    check(rs(c), std_jwks(), &e, SM_JWT_ISS);
}
END_TEST

START_TEST(test_aud_azp)
{
    sm_jwt_expect_t e = std_expect();
    json_t *c = std_claims();

    json_object_del(c, "aud");
    check(rs(c), std_jwks(), &e, SM_JWT_AUD);
    json_object_set_new(c, "aud", json_string("client-2"));
    check(rs(c), std_jwks(), &e, SM_JWT_AUD);
    json_object_set_new(c, "aud", json_pack("[s,s]", "client-2", "client-3"));
    check(rs(c), std_jwks(), &e, SM_JWT_AUD);
    json_object_set_new(c, "aud", json_pack("[]"));
    check(rs(c), std_jwks(), &e, SM_JWT_AUD);
    json_object_set_new(c, "aud", json_pack("[s,i]", CLIENT, 3));
    check(rs(c), std_jwks(), &e, SM_JWT_AUD);
    json_object_set_new(c, "aud", json_pack("{s:s}", "a", CLIENT));
    check(rs(c), std_jwks(), &e, SM_JWT_AUD);
    /* a one-element array is fine without azp */
    json_object_set_new(c, "aud", json_pack("[s]", CLIENT));
    check(rs(c), std_jwks(), &e, SM_JWT_OK);
    /* several audiences: azp required and equal to the client_id */
    json_object_set_new(c, "aud", json_pack("[s,s]", "client-2", CLIENT));
    check(rs(c), std_jwks(), &e, SM_JWT_AZP);
    json_object_set_new(c, "azp", json_string("client-2"));
    check(rs(c), std_jwks(), &e, SM_JWT_AZP);
    json_object_set_new(c, "azp", json_string(CLIENT));
    check(rs(c), std_jwks(), &e, SM_JWT_OK);
    /* azp present with a single audience must still be the client_id */
    json_object_set_new(c, "aud", json_string(CLIENT));
    json_object_set_new(c, "azp", json_string("client-2"));
    check(rs(c), std_jwks(), &e, SM_JWT_AZP);
    json_object_set_new(c, "azp", json_true());
    check(rs(c), std_jwks(), &e, SM_JWT_AZP);
}
END_TEST

START_TEST(test_exp)
{
    sm_jwt_expect_t e = std_expect();
    json_t *c = std_claims();

    json_object_set_new(c, "exp", json_integer(NOW_S - 120));
    check(rs(c), std_jwks(), &e, SM_JWT_EXP);
    json_object_set_new(c, "exp", json_integer(NOW_S - 60));
    check(rs(c), std_jwks(), &e, SM_JWT_EXP);
    json_object_set_new(c, "exp", json_integer(NOW_S - 30)); /* within the skew */
    check(rs(c), std_jwks(), &e, SM_JWT_OK);
    json_object_set_new(c, "exp", json_real(NOW_S + 10.5));
    check(rs(c), std_jwks(), &e, SM_JWT_OK);
    json_object_set_new(c, "exp", json_string("9999999999"));
    check(rs(c), std_jwks(), &e, SM_JWT_EXP);
    json_object_set_new(c, "exp", json_real(1e300));
    check(rs(c), std_jwks(), &e, SM_JWT_EXP);
    json_object_del(c, "exp");
    check(rs(c), std_jwks(), &e, SM_JWT_EXP);
    /* without skew */
    c = std_claims();
    json_object_set_new(c, "exp", json_integer(NOW_S));
    e.skew = 0;
    check(rs(c), std_jwks(), &e, SM_JWT_EXP);
}
END_TEST

START_TEST(test_iat)
{
    sm_jwt_expect_t e = std_expect();
    json_t *c = std_claims();

    json_object_set_new(c, "iat", json_integer(NOW_S + 120));
    check(rs(c), std_jwks(), &e, SM_JWT_IAT);
    json_object_set_new(c, "iat", json_integer(NOW_S + 30));
    check(rs(c), std_jwks(), &e, SM_JWT_OK);
    json_object_set_new(c, "iat", json_string("now"));
    check(rs(c), std_jwks(), &e, SM_JWT_IAT);
    json_object_del(c, "iat");
    check(rs(c), std_jwks(), &e, SM_JWT_IAT);
    /* max_age 300 s: 1000 s old is too old, 330 s is within the skew */
    c = std_claims();
    e.max_age = apr_time_from_sec(300);
    json_object_set_new(c, "iat", json_integer(NOW_S - 1000));
    check(rs(c), std_jwks(), &e, SM_JWT_IAT);
    json_object_set_new(c, "iat", json_integer(NOW_S - 330));
    check(rs(c), std_jwks(), &e, SM_JWT_OK);
    e.max_age = 0;
    json_object_set_new(c, "iat", json_integer(NOW_S - 100000));
    check(rs(c), std_jwks(), &e, SM_JWT_OK);
}
END_TEST

/* max_age sent (linking): auth_time no older than it (plus skew); required for OpenID Providers */
START_TEST(test_auth_time)
{
    sm_jwt_expect_t e = std_expect();
    json_t *c = std_claims();

    e.auth_max_age = apr_time_from_sec(600);
    json_object_set_new(c, "auth_time", json_integer(NOW_S - 100));
    check(rs(c), std_jwks(), &e, SM_JWT_OK);
    json_object_set_new(c, "auth_time", json_integer(NOW_S - 650)); /* within the 60 s skew */
    check(rs(c), std_jwks(), &e, SM_JWT_OK);
    json_object_set_new(c, "auth_time", json_integer(NOW_S - 700));
    check(rs(c), std_jwks(), &e, SM_JWT_AUTH_TIME);
    json_object_set_new(c, "auth_time", json_integer(NOW_S + 120));
    check(rs(c), std_jwks(), &e, SM_JWT_AUTH_TIME);
    json_object_set_new(c, "auth_time", json_string("recently"));
    check(rs(c), std_jwks(), &e, SM_JWT_AUTH_TIME);
    json_object_del(c, "auth_time");
    check(rs(c), std_jwks(), &e, SM_JWT_OK); /* an SNS that does not send it */
    e.auth_time_required = true;
    check(rs(c), std_jwks(), &e, SM_JWT_AUTH_TIME);
    /* without max_age, an old authentication is fine */
    e.auth_max_age = 0;
    json_object_set_new(c, "auth_time", json_integer(NOW_S - 100000));
    check(rs(c), std_jwks(), &e, SM_JWT_OK);
    ck_assert_str_eq(sm_jwt_result_str(SM_JWT_AUTH_TIME), "authentication time");
}
END_TEST

START_TEST(test_nonce)
{
    sm_jwt_expect_t e = std_expect();
    json_t *c = std_claims();

    json_object_set_new(c, "nonce", json_string(NONCE "x"));
    check(rs(c), std_jwks(), &e, SM_JWT_NONCE);
    json_object_set_new(c, "nonce", json_string("n-0S6_WzA2MJ"));
    check(rs(c), std_jwks(), &e, SM_JWT_NONCE);
    json_object_set_new(c, "nonce", json_integer(5));
    check(rs(c), std_jwks(), &e, SM_JWT_NONCE);
    json_object_del(c, "nonce");
    check(rs(c), std_jwks(), &e, SM_JWT_NONCE);
    /* a state without nonce never validates */
    e.nonce = NULL;
    check(rs(std_claims()), std_jwks(), &e, SM_JWT_NONCE);
    e.nonce = "";
    c = std_claims();
    json_object_set_new(c, "nonce", json_string(""));
    check(rs(c), std_jwks(), &e, SM_JWT_NONCE);
}
END_TEST

START_TEST(test_sub)
{
    sm_jwt_expect_t e = std_expect();
    json_t *c = std_claims();
    char big[300];

    json_object_del(c, "sub");
    check(rs(c), std_jwks(), &e, SM_JWT_SUB);
    json_object_set_new(c, "sub", json_string(""));
    check(rs(c), std_jwks(), &e, SM_JWT_SUB);
    json_object_set_new(c, "sub", json_integer(42));
    check(rs(c), std_jwks(), &e, SM_JWT_SUB);
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    json_object_set_new(c, "sub", json_string(big));
    check(rs(c), std_jwks(), &e, SM_JWT_SUB);
    big[255] = '\0';
    json_object_set_new(c, "sub", json_string(big));
    check(rs(c), std_jwks(), &e, SM_JWT_OK);
}
END_TEST

START_TEST(test_alg_bits)
{
    int r;

    ck_assert_uint_eq(sm_jwt_alg_bit("RS256"), SM_ALG_RS256);
    ck_assert_uint_eq(sm_jwt_alg_bit("ES512"), SM_ALG_ES512);
    ck_assert_uint_eq(sm_jwt_alg_bit("HS256"), SM_ALG_HS256);
    ck_assert_uint_eq(sm_jwt_alg_bit("none"), 0);
    ck_assert_uint_eq(sm_jwt_alg_bit("rs256"), 0);
    ck_assert_uint_eq(sm_jwt_alg_bit("HS512"), 0);
    ck_assert_uint_eq(sm_jwt_alg_bit("EdDSA"), 0);
    ck_assert_uint_eq(sm_jwt_alg_bit(NULL), 0);
    for (r = SM_JWT_OK; r <= SM_JWT_SUB; r++) {
        ck_assert_str_ne(sm_jwt_result_str((sm_jwt_result_e)r), "unknown");
    }
}
END_TEST

Suite *sm_suite_jwt(void)
{
    Suite *s = suite_create("jwt");
    TCase *tc = tcase_create("jwt");

    tcase_add_unchecked_fixture(tc, keys_setup, keys_teardown);
    tcase_add_checked_fixture(tc, sm_test_setup, sm_test_teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_valid_rs256);
    tcase_add_test(tc, test_valid_ps256_es256);
    tcase_add_test(tc, test_valid_hs256);
    tcase_add_test(tc, test_other_rsa_sizes);
    tcase_add_test(tc, test_es384);
    tcase_add_test(tc, test_alg_none);
    tcase_add_test(tc, test_alg_not_allowed);
    tcase_add_test(tc, test_hs256_refused);
    tcase_add_test(tc, test_key_confusion);
    tcase_add_test(tc, test_tampered_payload);
    tcase_add_test(tc, test_tampered_signature);
    tcase_add_test(tc, test_signature_length);
    tcase_add_test(tc, test_kid);
    tcase_add_test(tc, test_no_kid);
    tcase_add_test(tc, test_bad_jwks_entries);
    tcase_add_test(tc, test_header_refused);
    tcase_add_test(tc, test_structure);
    tcase_add_test(tc, test_payload_shape);
    tcase_add_test(tc, test_iss);
    tcase_add_test(tc, test_iss_alternative);
    tcase_add_test(tc, test_aud_azp);
    tcase_add_test(tc, test_exp);
    tcase_add_test(tc, test_iat);
    tcase_add_test(tc, test_auth_time);
    tcase_add_test(tc, test_nonce);
    tcase_add_test(tc, test_sub);
    tcase_add_test(tc, test_alg_bits);
    suite_add_tcase(s, tc);
    return s;
}
