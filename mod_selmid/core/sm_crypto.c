/* sm_crypto.c: HKDF, AES-256-GCM sealing, hashes, HMAC, base64url/hex encodings, random tokens
 * and PKCE, on OpenSSL 3. */
#include "sm_crypto.h"
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#define AEAD_VERSION 0x01
#define AEAD_IV_LEN  12
#define AEAD_TAG_LEN 16
/* EVP lengths are ints: refuse anything near that limit. */
#define AEAD_MAX_LEN ((apr_size_t)INT_MAX - 64)

apr_status_t sm_hkdf_sha256_raw(const unsigned char *ikm, apr_size_t ikm_len,
                                const unsigned char *salt, apr_size_t salt_len,
                                const unsigned char *info, apr_size_t info_len, unsigned char *out,
                                apr_size_t out_len)
{
    apr_status_t rv = APR_EGENERAL;
    EVP_KDF *kdf = NULL;
    EVP_KDF_CTX *kctx = NULL;
    OSSL_PARAM params[5], *pp = params;
    char digest[] = "SHA256";
    static unsigned char empty[1];

    if (!out || out_len == 0 || out_len > 255 * SM_SHA256_LEN || (!ikm && ikm_len))
        goto leave;
    kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    if (!kdf)
        goto leave;
    kctx = EVP_KDF_CTX_new(kdf);
    if (!kctx)
        goto leave;
    *pp++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
    /* The params API takes non-const buffers that OpenSSL only reads. */
    *pp++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
                                              ikm_len ? (void *)(uintptr_t)ikm : empty, ikm_len);
    if (salt && salt_len)
        *pp++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)(uintptr_t)salt,
                                                  salt_len);
    if (info && info_len)
        *pp++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)(uintptr_t)info,
                                                  info_len);
    *pp = OSSL_PARAM_construct_end();
    if (EVP_KDF_derive(kctx, out, out_len, params) != 1) {
        OPENSSL_cleanse(out, out_len);
        goto leave;
    }
    rv = APR_SUCCESS;
leave:
    EVP_KDF_CTX_free(kctx);
    EVP_KDF_free(kdf);
    return rv;
}

apr_status_t sm_hkdf_sha256(const unsigned char *ikm, apr_size_t ikm_len, const char *salt,
                            const char *info, unsigned char *out, apr_size_t out_len)
{
    return sm_hkdf_sha256_raw(ikm, ikm_len, (const unsigned char *)salt, salt ? strlen(salt) : 0,
                              (const unsigned char *)info, info ? strlen(info) : 0, out, out_len);
}

/* Algorithms fetched once per process: OpenSSL 3's implicit fetch (EVP_aes_256_gcm() and the
 * like) looks the algorithm up, under a lock, on every use, which costs on the per-request path. */
static CRYPTO_ONCE algs_once = CRYPTO_ONCE_STATIC_INIT;
static EVP_CIPHER *aes_256_gcm;
static EVP_MD *sha_256;

static void algs_fetch(void)
{
    aes_256_gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
    sha_256 = EVP_MD_fetch(NULL, "SHA2-256", NULL);
}

static const EVP_CIPHER *alg_aes_gcm(void)
{
    if (!CRYPTO_THREAD_run_once(&algs_once, algs_fetch) || !aes_256_gcm)
        return EVP_aes_256_gcm();
    return aes_256_gcm;
}

static const EVP_MD *alg_sha256(void)
{
    if (!CRYPTO_THREAD_run_once(&algs_once, algs_fetch) || !sha_256)
        return EVP_sha256();
    return sha_256;
}

/* Feeds the version byte and then the caller's aad as GCM additional data. */
static bool aead_add_aad(EVP_CIPHER_CTX *ctx, bool enc, const void *aad, apr_size_t aad_len)
{
    const unsigned char ver = AEAD_VERSION;
    int outl = 0;

    if ((enc ? EVP_EncryptUpdate(ctx, NULL, &outl, &ver, 1)
             : EVP_DecryptUpdate(ctx, NULL, &outl, &ver, 1)) != 1)
        return false;
    if (aad_len == 0)
        return true;
    return (enc ? EVP_EncryptUpdate(ctx, NULL, &outl, aad, (int)aad_len)
                : EVP_DecryptUpdate(ctx, NULL, &outl, aad, (int)aad_len)) == 1;
}

apr_status_t sm_aead_seal(apr_pool_t *p, const sm_rand_t *rnd, const unsigned char key[SM_KEY_LEN],
                          const void *aad, apr_size_t aad_len, const void *pt, apr_size_t pt_len,
                          unsigned char **out, apr_size_t *out_len)
{
    apr_status_t rv = APR_EGENERAL;
    EVP_CIPHER_CTX *ctx = NULL;
    unsigned char *buf, *iv, *ct;
    int outl = 0, finl = 0;

    *out = NULL;
    *out_len = 0;
    if (!rnd)
        rnd = &sm_rand_system;
    if (!key || pt_len > AEAD_MAX_LEN || aad_len > AEAD_MAX_LEN || (!pt && pt_len) ||
        (!aad && aad_len))
        goto leave;
    buf = apr_palloc(p, pt_len + SM_AEAD_OVERHEAD);
    buf[0] = AEAD_VERSION;
    iv = buf + 1;
    ct = iv + AEAD_IV_LEN;
    if (rnd->fill(rnd->baton, iv, AEAD_IV_LEN) != APR_SUCCESS)
        goto leave;
    ctx = EVP_CIPHER_CTX_new();
    if (!ctx || EVP_EncryptInit_ex(ctx, alg_aes_gcm(), NULL, key, iv) != 1)
        goto leave;
    if (!aead_add_aad(ctx, true, aad, aad_len))
        goto leave;
    if (pt_len && EVP_EncryptUpdate(ctx, ct, &outl, pt, (int)pt_len) != 1)
        goto leave;
    if (EVP_EncryptFinal_ex(ctx, ct + outl, &finl) != 1 || (apr_size_t)(outl + finl) != pt_len)
        goto leave;
    if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, AEAD_TAG_LEN, ct + pt_len) != 1)
        goto leave;
    *out = buf;
    *out_len = pt_len + SM_AEAD_OVERHEAD;
    rv = APR_SUCCESS;
leave:
    EVP_CIPHER_CTX_free(ctx);
    return rv;
}

apr_status_t sm_aead_open(apr_pool_t *p, const unsigned char key[SM_KEY_LEN], const void *aad,
                          apr_size_t aad_len, const unsigned char *in, apr_size_t in_len,
                          unsigned char **pt, apr_size_t *pt_len)
{
    apr_status_t rv = APR_EGENERAL;
    EVP_CIPHER_CTX *ctx = NULL;
    unsigned char iv[AEAD_IV_LEN], tag[AEAD_TAG_LEN], *buf = NULL;
    apr_size_t ct_len = 0;
    int outl = 0, finl = 0;

    *pt = NULL;
    *pt_len = 0;
    if (!key || !in || in_len < SM_AEAD_OVERHEAD || in[0] != AEAD_VERSION ||
        in_len - SM_AEAD_OVERHEAD > AEAD_MAX_LEN || aad_len > AEAD_MAX_LEN || (!aad && aad_len))
        goto leave;
    ct_len = in_len - SM_AEAD_OVERHEAD;
    memcpy(iv, in + 1, AEAD_IV_LEN);
    memcpy(tag, in + 1 + AEAD_IV_LEN + ct_len, AEAD_TAG_LEN);
    buf = apr_palloc(p, ct_len + 1);
    ctx = EVP_CIPHER_CTX_new();
    if (!ctx || EVP_DecryptInit_ex(ctx, alg_aes_gcm(), NULL, key, iv) != 1)
        goto leave;
    if (!aead_add_aad(ctx, false, aad, aad_len))
        goto leave;
    if (ct_len && EVP_DecryptUpdate(ctx, buf, &outl, in + 1 + AEAD_IV_LEN, (int)ct_len) != 1)
        goto leave;
    if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, AEAD_TAG_LEN, tag) != 1)
        goto leave;
    if (EVP_DecryptFinal_ex(ctx, buf + outl, &finl) != 1 || (apr_size_t)(outl + finl) != ct_len)
        goto leave;
    buf[ct_len] = '\0';
    *pt = buf;
    *pt_len = ct_len;
    rv = APR_SUCCESS;
leave:
    /* Never hand out (or leave behind) unauthenticated plaintext. */
    if (rv != APR_SUCCESS && buf)
        OPENSSL_cleanse(buf, ct_len + 1);
    EVP_CIPHER_CTX_free(ctx);
    return rv;
}

static const char b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *sm_b64url_encode(apr_pool_t *p, const unsigned char *in, apr_size_t len)
{
    char *out, *o;
    apr_size_t i;

    if (!in)
        len = 0;
    out = o = apr_palloc(p, (len / 3) * 4 + 4 + 1);
    for (i = 0; i + 2 < len; i += 3) {
        unsigned long v =
            ((unsigned long)in[i] << 16) | ((unsigned long)in[i + 1] << 8) | in[i + 2];
        *o++ = b64url_alphabet[(v >> 18) & 63];
        *o++ = b64url_alphabet[(v >> 12) & 63];
        *o++ = b64url_alphabet[(v >> 6) & 63];
        *o++ = b64url_alphabet[v & 63];
    }
    if (len - i == 1) {
        *o++ = b64url_alphabet[in[i] >> 2];
        *o++ = b64url_alphabet[(in[i] & 3) << 4];
    } else if (len - i == 2) {
        *o++ = b64url_alphabet[in[i] >> 2];
        *o++ = b64url_alphabet[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
        *o++ = b64url_alphabet[(in[i + 1] & 15) << 2];
    }
    *o = '\0';
    return out;
}

/* The 6-bit value of a base64url character, or -1. */
static int b64url_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

apr_status_t sm_b64url_decode(apr_pool_t *p, const char *in, apr_size_t in_len, unsigned char **out,
                              apr_size_t *out_len)
{
    apr_status_t rv = APR_EINVAL;
    const unsigned char *s = (const unsigned char *)in;
    unsigned char *buf = NULL, *o;
    apr_size_t i, rem = in_len % 4;
    unsigned long acc = 0;
    int nbits = 0;

    *out = NULL;
    *out_len = 0;
    if ((!in && in_len) || rem == 1)
        goto leave;
    buf = o = apr_palloc(p, (in_len / 4) * 3 + 3 + 1);
    for (i = 0; i < in_len; i++) {
        int v = b64url_value(s[i]);
        if (v < 0)
            goto leave;
        acc = (acc << 6) | (unsigned long)v;
        nbits += 6;
        if (nbits >= 8) {
            nbits -= 8;
            *o++ = (unsigned char)(acc >> nbits);
            acc &= (1UL << nbits) - 1;
        }
    }
    /* Leftover bits (2 or 4) must be zero, or the encoding is not canonical. */
    if (acc != 0)
        goto leave;
    *o = '\0';
    *out = buf;
    *out_len = (apr_size_t)(o - buf);
    rv = APR_SUCCESS;
leave:
    return rv;
}

char *sm_hex_encode(apr_pool_t *p, const unsigned char *in, apr_size_t len)
{
    static const char digits[] = "0123456789abcdef";
    char *out;
    apr_size_t i;

    if (!in)
        len = 0;
    out = apr_palloc(p, len * 2 + 1);
    for (i = 0; i < len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * len] = '\0';
    return out;
}

/* On an (out of memory) failure the output must not be predictable: fill it with fresh random
 * bytes so that no comparison against it can succeed. */
static void unpredictable_fill(unsigned char out[SM_SHA256_LEN])
{
    if (RAND_bytes(out, SM_SHA256_LEN) != 1)
        memset(out, 0xA5, SM_SHA256_LEN);
}

void sm_sha256(const void *in, apr_size_t len, unsigned char out[SM_SHA256_LEN])
{
    static const unsigned char empty[1];

    if (EVP_Digest(len ? in : empty, len, out, NULL, alg_sha256(), NULL) != 1)
        unpredictable_fill(out);
}

/* HMAC (RFC 2104) over the prefetched SHA-256: HMAC() and EVP_MAC look SHA-256 up on every
 * call in OpenSSL 3, and this runs on every request (session store keys). */
void sm_hmac_sha256(const unsigned char *key, apr_size_t key_len, const void *in, apr_size_t len,
                    unsigned char out[SM_SHA256_LEN])
{
    enum { BLOCK = 64 };
    unsigned char k[BLOCK], pad[BLOCK], inner[SM_SHA256_LEN];
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    const EVP_MD *md = alg_sha256();
    bool ok = false;
    int i;

    memset(k, 0, sizeof(k));
    if (!ctx || (!key && key_len) || (!in && len))
        goto leave;
    if (key_len > BLOCK) {
        if (EVP_Digest(key, key_len, k, NULL, md, NULL) != 1)
            goto leave;
    } else if (key_len) {
        memcpy(k, key, key_len);
    }
    for (i = 0; i < BLOCK; i++)
        pad[i] = k[i] ^ 0x36;
    if (EVP_DigestInit_ex(ctx, md, NULL) != 1 || EVP_DigestUpdate(ctx, pad, BLOCK) != 1 ||
        (len && EVP_DigestUpdate(ctx, in, len) != 1) || EVP_DigestFinal_ex(ctx, inner, NULL) != 1)
        goto leave;
    for (i = 0; i < BLOCK; i++)
        pad[i] = k[i] ^ 0x5c;
    if (EVP_DigestInit_ex(ctx, md, NULL) != 1 || EVP_DigestUpdate(ctx, pad, BLOCK) != 1 ||
        EVP_DigestUpdate(ctx, inner, sizeof(inner)) != 1 || EVP_DigestFinal_ex(ctx, out, NULL) != 1)
        goto leave;
    ok = true;
leave:
    if (!ok)
        unpredictable_fill(out);
    OPENSSL_cleanse(k, sizeof(k));
    OPENSSL_cleanse(pad, sizeof(pad));
    OPENSSL_cleanse(inner, sizeof(inner));
    EVP_MD_CTX_free(ctx);
}

bool sm_ct_streq(const char *a, const char *b)
{
    apr_size_t la, lb;

    if (!a || !b)
        return false;
    la = strlen(a);
    lb = strlen(b);
    if (la != lb)
        return false;
    return CRYPTO_memcmp(a, b, la) == 0;
}

char *sm_random_token(apr_pool_t *p, const sm_rand_t *rnd, apr_size_t nbytes)
{
    char *tok = NULL;
    unsigned char *buf;

    if (!rnd)
        rnd = &sm_rand_system;
    buf = apr_palloc(p, nbytes ? nbytes : 1);
    if (nbytes && rnd->fill(rnd->baton, buf, nbytes) != APR_SUCCESS)
        goto leave;
    tok = sm_b64url_encode(p, buf, nbytes);
leave:
    OPENSSL_cleanse(buf, nbytes ? nbytes : 1);
    return tok;
}

char *sm_pkce_challenge(apr_pool_t *p, const char *verifier)
{
    unsigned char md[SM_SHA256_LEN];

    if (!verifier)
        return NULL;
    sm_sha256(verifier, strlen(verifier), md);
    return sm_b64url_encode(p, md, sizeof(md));
}

void sm_wipe(void *buf, apr_size_t len)
{
    if (buf && len)
        OPENSSL_cleanse(buf, len);
}
