/* sm_crypto.h: key derivation, authenticated encryption, hashes, encodings (OpenSSL 3). */
#ifndef SM_CRYPTO_H
#define SM_CRYPTO_H

#include "sm_core.h"

#define SM_KEY_LEN    32
#define SM_SHA256_LEN 32
/* Sealed format: version byte 0x01 || 12-byte IV || ciphertext || 16-byte GCM tag. */
#define SM_AEAD_OVERHEAD (1 + 12 + 16)
/* The shortest SelmidSecret accepted (bytes). */
#define SM_SECRET_MIN_LEN 32

/* HKDF-SHA256 (RFC 5869). Returns APR_EGENERAL on failure. */
apr_status_t sm_hkdf_sha256(const unsigned char *ikm, apr_size_t ikm_len, const char *salt,
                            const char *info, unsigned char *out, apr_size_t out_len);
/* The same with binary salt and info (either may be NULL/0). */
apr_status_t sm_hkdf_sha256_raw(const unsigned char *ikm, apr_size_t ikm_len,
                                const unsigned char *salt, apr_size_t salt_len,
                                const unsigned char *info, apr_size_t info_len, unsigned char *out,
                                apr_size_t out_len);

/* AES-256-GCM with a fresh random IV. aad binds the ciphertext to its context. */
apr_status_t sm_aead_seal(apr_pool_t *p, const sm_rand_t *rnd, const unsigned char key[SM_KEY_LEN],
                          const void *aad, apr_size_t aad_len, const void *pt, apr_size_t pt_len,
                          unsigned char **out, apr_size_t *out_len);
/* Any failure (short input, unknown version, wrong key, tampering, wrong aad): APR_EGENERAL.
 * The plaintext is NUL-terminated (not counted in pt_len). */
apr_status_t sm_aead_open(apr_pool_t *p, const unsigned char key[SM_KEY_LEN], const void *aad,
                          apr_size_t aad_len, const unsigned char *in, apr_size_t in_len,
                          unsigned char **pt, apr_size_t *pt_len);

/* base64url without padding (RFC 4648 section 5). */
char *sm_b64url_encode(apr_pool_t *p, const unsigned char *in, apr_size_t len);
/* Strict: only the base64url alphabet, no padding, no whitespace, canonical trailing bits.
 * Output is NUL-terminated (not counted). APR_EINVAL on bad input. */
apr_status_t sm_b64url_decode(apr_pool_t *p, const char *in, apr_size_t in_len, unsigned char **out,
                              apr_size_t *out_len);
char *sm_hex_encode(apr_pool_t *p, const unsigned char *in, apr_size_t len);

void sm_sha256(const void *in, apr_size_t len, unsigned char out[SM_SHA256_LEN]);
void sm_hmac_sha256(const unsigned char *key, apr_size_t key_len, const void *in, apr_size_t len,
                    unsigned char out[SM_SHA256_LEN]);
/* Constant-time comparison of two strings (different lengths compare unequal). */
bool sm_ct_streq(const char *a, const char *b);

/* base64url of nbytes random bytes; NULL when the random source fails. */
char *sm_random_token(apr_pool_t *p, const sm_rand_t *rnd, apr_size_t nbytes);

/* PKCE S256 code challenge of a verifier (RFC 7636). */
char *sm_pkce_challenge(apr_pool_t *p, const char *verifier);

/* Wipes len bytes (OPENSSL_cleanse). */
void sm_wipe(void *buf, apr_size_t len);

#endif
