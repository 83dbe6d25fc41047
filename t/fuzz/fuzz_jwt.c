/* fuzz_jwt.c: libFuzzer target for the ID token validator and the JSON parser. Each input is
 * tried
 * - as a compact token against a fixed JWKS (an RSA and a P-256 key whose private halves signed
 *   the seed tokens in t/fuzz/corpus/jwt and were then thrown away) and an HS256 client secret;
 * - as "header\npayload" (or just a payload under {"alg":"HS256"}) that the target signs with
 *   that client secret, so that arbitrary headers and claims reach the claim checks;
 * - as a JSON text and as a discovery document. */
#include "sm_crypto.h"
#include "sm_json.h"
#include "sm_jwt.h"
#include "sm_oidc.h"

#include <apr_general.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char jwks_text[] =
    "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"fz-rsa\",\"e\":\"AQAB\",\"n\":\"r91S-EEi7rBfdDkrbM"
    "t3B1Ev87nALF4VDJ4hnuYXHSJ4cgkmkw_vWHzdPj4pqUL2X7IdMLIYxkakAcUlNoK8lhbBTbIr02BnXWBhUbAJCN"
    "o6LaVylzitJSylLMNRFiY-JREOya74Mp94L1pq-BbkvC53zq21U0xUGTH-kOtBh5mdH7ZWDJdGoGgDHKYJj3JHws"
    "aD4oMEZQfZ8qLTHQKpPVF-AapF4Mpz7ev7MMmLGGp_bRnslhtq3QM9hTKFHMHJ_yj30IjcTkBkRCmJc83iYPfexn"
    "AG8IX1AOrKJyLAjglw8zV4u3e93uz4PZNcAySyLgrn3gNY2pUmAeexI2tpPw\",\"use\":\"sig\"},{\"kty\""
    ":\"EC\",\"kid\":\"fz-ec\",\"crv\":\"P-256\",\"x\":\"HRQV7O_i4t2QCk1pTWROhN5ApTFHsqCuBX8t"
    "Uql_qrw\",\"y\":\"Gk6BV8IXNTBP2jn1pROwtlnjApEAzjYYF477PWJKbwA\",\"alg\":\"ES256\"}]}";

#define FUZZ_SECRET "fuzz-client-secret-0123456789abcdef"

static apr_pool_t *root;
static const json_t *jwks;

static void fuzz_init(void)
{
    apr_initialize();
    apr_pool_create(&root, NULL);
    jwks = sm_json_parse(root, jwks_text, sizeof(jwks_text) - 1, NULL);
}

/* The input as header and payload of a token signed with the HS256 client secret. */
static char *sign_input(apr_pool_t *p, const uint8_t *data, size_t size)
{
    static const char dflt[] = "{\"alg\":\"HS256\"}";
    const uint8_t *nl = memchr(data, '\n', size);
    const unsigned char *hdr = (const unsigned char *)dflt, *pl = data;
    size_t hdr_len = sizeof(dflt) - 1, pl_len = size;
    unsigned char mac[SM_SHA256_LEN];
    char *input;

    if (nl) {
        hdr = data;
        hdr_len = (size_t)(nl - data);
        pl = nl + 1;
        pl_len = size - hdr_len - 1;
    }
    input = apr_pstrcat(p, sm_b64url_encode(p, hdr, hdr_len), ".", sm_b64url_encode(p, pl, pl_len),
                        NULL);
    sm_hmac_sha256((const unsigned char *)FUZZ_SECRET, sizeof(FUZZ_SECRET) - 1, input,
                   strlen(input), mac);
    return apr_pstrcat(p, input, ".", sm_b64url_encode(p, mac, sizeof(mac)), NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    char *token;
    json_t *claims;
    const char *detail, *err;
    sm_op_meta_t *meta;
    sm_jwt_expect_t expect = {
        .issuer = "https://op.example",
        .client_id = "fuzz-client",
        .nonce = "fuzz-nonce",
        .client_secret = FUZZ_SECRET,
        .algs = SM_ALG_DEFAULT | SM_ALG_RS384 | SM_ALG_RS512 | SM_ALG_PS384 | SM_ALG_PS512 |
                SM_ALG_ES384 | SM_ALG_ES512 | SM_ALG_HS256,
        .now = apr_time_from_sec(1700000100),
        .skew = apr_time_from_sec(60),
        .max_age = apr_time_from_sec(3600),
    };

    if (!root) {
        fuzz_init();
    }
    apr_pool_create(&p, root);
    token = apr_pstrmemdup(p, (const char *)data, size);
    sm_jwt_verify_id_token(p, token, jwks, &expect, &claims, &detail);
    sm_jwt_verify_id_token(p, sign_input(p, data, size), jwks, &expect, &claims, &detail);
    sm_json_parse(p, (const char *)data, size, &err);
    sm_oidc_parse_discovery(p, (const char *)data, size, "https://op.example", &meta, &err);
    apr_pool_destroy(p);
    return 0;
}
