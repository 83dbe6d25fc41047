/* test_crypto.c: HKDF, AEAD sealing, hashes, HMAC, base64url, hex, tokens, PKCE. */
#include "sm_tests.h"
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include "sm_crypto.h"
#include "fakes.h"
#include <stdio.h>
#include <string.h>

static const unsigned char test_key[SM_KEY_LEN] = "0123456789abcdef0123456789abcdef";
static unsigned char sentinel[] = "sentinel";

static unsigned char *hex_bytes(const char *hex, apr_size_t *len)
{
    apr_size_t n = strlen(hex) / 2, i;
    unsigned char *out = apr_palloc(sm_test_pool, n + 1);

    for (i = 0; i < n; i++) {
        unsigned int v;
        ck_assert_int_eq(sscanf(hex + 2 * i, "%2x", &v), 1);
        out[i] = (unsigned char)v;
    }
    *len = n;
    return out;
}

START_TEST(hkdf_rfc5869_case1)
{
    apr_size_t ikm_len, salt_len, info_len;
    unsigned char *ikm = hex_bytes("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", &ikm_len);
    unsigned char *salt = hex_bytes("000102030405060708090a0b0c", &salt_len);
    unsigned char *info = hex_bytes("f0f1f2f3f4f5f6f7f8f9", &info_len);
    unsigned char okm[42];

    ck_assert_int_eq(
        sm_hkdf_sha256_raw(ikm, ikm_len, salt, salt_len, info, info_len, okm, sizeof(okm)),
        APR_SUCCESS);
    ck_assert_str_eq(sm_hex_encode(sm_test_pool, okm, sizeof(okm)),
                     "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b8"
                     "87185865");
}
END_TEST

START_TEST(hkdf_rfc5869_case3_string_api)
{
    apr_size_t ikm_len;
    unsigned char *ikm = hex_bytes("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", &ikm_len);
    unsigned char okm[42], okm2[42];

    /* Test case 3: no salt, no info; NULL and "" are the same. */
    ck_assert_int_eq(sm_hkdf_sha256(ikm, ikm_len, NULL, NULL, okm, sizeof(okm)), APR_SUCCESS);
    ck_assert_str_eq(sm_hex_encode(sm_test_pool, okm, sizeof(okm)),
                     "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4"
                     "b61a96c8");
    ck_assert_int_eq(sm_hkdf_sha256(ikm, ikm_len, "", "", okm2, sizeof(okm2)), APR_SUCCESS);
    ck_assert_mem_eq(okm, okm2, sizeof(okm));
    /* A different info gives a different key. */
    ck_assert_int_eq(sm_hkdf_sha256(ikm, ikm_len, "salt", "session", okm, 32), APR_SUCCESS);
    ck_assert_int_eq(sm_hkdf_sha256(ikm, ikm_len, "salt", "state", okm2, 32), APR_SUCCESS);
    ck_assert(memcmp(okm, okm2, 32) != 0);
    /* Impossible lengths. */
    ck_assert_int_eq(sm_hkdf_sha256(ikm, ikm_len, NULL, NULL, okm, 0), APR_EGENERAL);
}
END_TEST

static void seal(fake_rand_t *r, const char *aad, const char *pt, unsigned char **out,
                 apr_size_t *len)
{
    ck_assert_int_eq(
        sm_aead_seal(sm_test_pool, &r->port, test_key, aad, strlen(aad), pt, strlen(pt), out, len),
        APR_SUCCESS);
    ck_assert_uint_eq(*len, strlen(pt) + SM_AEAD_OVERHEAD);
}

static apr_status_t open_blob(const char *aad, const unsigned char *in, apr_size_t len,
                              unsigned char **pt, apr_size_t *pt_len)
{
    return sm_aead_open(sm_test_pool, test_key, aad, strlen(aad), in, len, pt, pt_len);
}

START_TEST(aead_round_trip)
{
    fake_rand_t r;
    unsigned char *blob, *pt;
    apr_size_t len, pt_len;

    fake_rand_init(&r);
    seal(&r, "ctx", "hello world", &blob, &len);
    ck_assert_int_eq(blob[0], 0x01);
    ck_assert(memcmp(blob + 1 + 12, "hello", 5) != 0);
    ck_assert_int_eq(open_blob("ctx", blob, len, &pt, &pt_len), APR_SUCCESS);
    ck_assert_uint_eq(pt_len, 11);
    ck_assert_str_eq((char *)pt, "hello world");
    /* Empty plaintext and empty aad. */
    seal(&r, "", "", &blob, &len);
    ck_assert_uint_eq(len, SM_AEAD_OVERHEAD);
    ck_assert_int_eq(open_blob("", blob, len, &pt, &pt_len), APR_SUCCESS);
    ck_assert_uint_eq(pt_len, 0);
    ck_assert_str_eq((char *)pt, "");
}
END_TEST

START_TEST(aead_large_and_binary)
{
    apr_size_t n = 200000, i, len, pt_len;
    unsigned char *big = apr_palloc(sm_test_pool, n), *blob, *pt;

    for (i = 0; i < n; i++)
        big[i] = (unsigned char)(i * 7);
    ck_assert_int_eq(
        sm_aead_seal(sm_test_pool, &sm_rand_system, test_key, "a", 1, big, n, &blob, &len),
        APR_SUCCESS);
    ck_assert_int_eq(sm_aead_open(sm_test_pool, test_key, "a", 1, blob, len, &pt, &pt_len),
                     APR_SUCCESS);
    ck_assert_uint_eq(pt_len, n);
    ck_assert_mem_eq(pt, big, n);
}
END_TEST

START_TEST(aead_fresh_iv)
{
    unsigned char *b1, *b2;
    apr_size_t l1, l2;

    ck_assert_int_eq(
        sm_aead_seal(sm_test_pool, &sm_rand_system, test_key, "x", 1, "same", 4, &b1, &l1),
        APR_SUCCESS);
    ck_assert_int_eq(
        sm_aead_seal(sm_test_pool, &sm_rand_system, test_key, "x", 1, "same", 4, &b2, &l2),
        APR_SUCCESS);
    ck_assert_uint_eq(l1, l2);
    ck_assert(memcmp(b1 + 1, b2 + 1, 12) != 0);
    ck_assert(memcmp(b1, b2, l1) != 0);
}
END_TEST

START_TEST(aead_tamper_every_byte)
{
    fake_rand_t r;
    unsigned char *blob, *copy, *pt;
    apr_size_t len, pt_len, i;
    int bit;

    fake_rand_init(&r);
    seal(&r, "session", "{\"sub\":\"alice\"}", &blob, &len);
    copy = apr_pmemdup(sm_test_pool, blob, len);
    /* Version byte, IV, ciphertext and tag: every bit of every byte matters. */
    for (i = 0; i < len; i++) {
        for (bit = 0; bit < 8; bit++) {
            copy[i] ^= (unsigned char)(1u << bit);
            pt = sentinel;
            ck_assert_int_eq(open_blob("session", copy, len, &pt, &pt_len), APR_EGENERAL);
            ck_assert_ptr_null(pt);
            ck_assert_uint_eq(pt_len, 0);
            copy[i] ^= (unsigned char)(1u << bit);
        }
    }
    ck_assert_int_eq(open_blob("session", copy, len, &pt, &pt_len), APR_SUCCESS);
}
END_TEST

START_TEST(aead_wrong_key_aad_version_truncated)
{
    fake_rand_t r;
    unsigned char *blob, *pt, other_key[SM_KEY_LEN];
    apr_size_t len, pt_len, i;

    fake_rand_init(&r);
    seal(&r, "state", "payload", &blob, &len);
    memcpy(other_key, test_key, SM_KEY_LEN);
    other_key[31] ^= 1;
    ck_assert_int_eq(sm_aead_open(sm_test_pool, other_key, "state", 5, blob, len, &pt, &pt_len),
                     APR_EGENERAL);
    ck_assert_int_eq(open_blob("session", blob, len, &pt, &pt_len), APR_EGENERAL);
    ck_assert_int_eq(open_blob("", blob, len, &pt, &pt_len), APR_EGENERAL);
    ck_assert_int_eq(open_blob("state\0", blob, len, &pt, &pt_len), APR_SUCCESS);
    ck_assert_int_eq(sm_aead_open(sm_test_pool, test_key, "state\0", 6, blob, len, &pt, &pt_len),
                     APR_EGENERAL);
    /* Truncated at every length, and extended. */
    for (i = 0; i < len; i++)
        ck_assert_int_eq(open_blob("state", blob, i, &pt, &pt_len), APR_EGENERAL);
    ck_assert_int_eq(open_blob("state", NULL, 0, &pt, &pt_len), APR_EGENERAL);
    {
        unsigned char *longer = apr_palloc(sm_test_pool, len + 1);
        memcpy(longer, blob, len);
        longer[len] = 0;
        ck_assert_int_eq(open_blob("state", longer, len + 1, &pt, &pt_len), APR_EGENERAL);
    }
    /* Unknown versions, even with an otherwise valid blob. */
    blob[0] = 0x02;
    ck_assert_int_eq(open_blob("state", blob, len, &pt, &pt_len), APR_EGENERAL);
    blob[0] = 0x00;
    ck_assert_int_eq(open_blob("state", blob, len, &pt, &pt_len), APR_EGENERAL);
    blob[0] = 0x01;
    ck_assert_int_eq(open_blob("state", blob, len, &pt, &pt_len), APR_SUCCESS);
    ck_assert_str_eq((char *)pt, "payload");
}
END_TEST

START_TEST(aead_rand_failure)
{
    fake_rand_t r;
    unsigned char *blob = sentinel;
    apr_size_t len = 1;

    fake_rand_init(&r);
    r.fail = true;
    ck_assert_int_eq(sm_aead_seal(sm_test_pool, &r.port, test_key, "", 0, "pt", 2, &blob, &len),
                     APR_EGENERAL);
    ck_assert_ptr_null(blob);
    ck_assert_uint_eq(len, 0);
}
END_TEST

START_TEST(hashes_and_hmac)
{
    unsigned char md[SM_SHA256_LEN];

    sm_sha256("abc", 3, md);
    ck_assert_str_eq(sm_hex_encode(sm_test_pool, md, sizeof(md)),
                     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    sm_sha256(NULL, 0, md);
    ck_assert_str_eq(sm_hex_encode(sm_test_pool, md, sizeof(md)),
                     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    /* RFC 4231 test case 2. */
    sm_hmac_sha256((const unsigned char *)"Jefe", 4, "what do ya want for nothing?", 28, md);
    ck_assert_str_eq(sm_hex_encode(sm_test_pool, md, sizeof(md)),
                     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}
END_TEST

/* RFC 4231 test case 6 (a key longer than the block), and agreement with OpenSSL's own HMAC()
 * for every key length around the block size and several message lengths. */
START_TEST(hmac_long_keys_and_openssl_agreement)
{
    unsigned char key[200], msg[300], a[SM_SHA256_LEN], b[SM_SHA256_LEN];
    unsigned int blen;
    size_t kl, ml, i;
    static const size_t mls[] = {0, 1, 55, 56, 64, 65, 300};

    memset(key, 0xaa, 131);
    sm_hmac_sha256(key, 131, "Test Using Larger Than Block-Size Key - Hash Key First", 54, a);
    ck_assert_str_eq(sm_hex_encode(sm_test_pool, a, sizeof(a)),
                     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    for (i = 0; i < sizeof(key); i++)
        key[i] = (unsigned char)(i * 7 + 3);
    for (i = 0; i < sizeof(msg); i++)
        msg[i] = (unsigned char)(i * 13 + 1);
    for (kl = 0; kl <= 140; kl++) {
        for (i = 0; i < sizeof(mls) / sizeof(mls[0]); i++) {
            ml = mls[i];
            sm_hmac_sha256(key, kl, msg, ml, a);
            ck_assert_ptr_nonnull(HMAC(EVP_sha256(), key, (int)kl, msg, ml, b, &blen));
            ck_assert_msg(memcmp(a, b, sizeof(a)) == 0, "key %zu msg %zu", kl, ml);
        }
    }
}
END_TEST

START_TEST(hex_encoding)
{
    const unsigned char in[] = {0x00, 0xff, 0x1a, 0x80};

    ck_assert_str_eq(sm_hex_encode(sm_test_pool, in, sizeof(in)), "00ff1a80");
    ck_assert_str_eq(sm_hex_encode(sm_test_pool, in, 0), "");
}
END_TEST

START_TEST(b64url_vectors)
{
    /* RFC 4648 section 10, in the url alphabet without padding. */
    static const char *const vec[][2] = {
        {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},          {"foo", "Zm9v"},
        {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"},
    };
    const unsigned char bin[] = {0xfb, 0xff, 0xfe};
    unsigned char *out;
    apr_size_t len, i;

    for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
        ck_assert_str_eq(
            sm_b64url_encode(sm_test_pool, (const unsigned char *)vec[i][0], strlen(vec[i][0])),
            vec[i][1]);
        ck_assert_int_eq(sm_b64url_decode(sm_test_pool, vec[i][1], strlen(vec[i][1]), &out, &len),
                         APR_SUCCESS);
        ck_assert_uint_eq(len, strlen(vec[i][0]));
        ck_assert_str_eq((char *)out, vec[i][0]);
    }
    ck_assert_str_eq(sm_b64url_encode(sm_test_pool, bin, 2), "-_8");
    ck_assert_str_eq(sm_b64url_encode(sm_test_pool, bin, 3), "-__-");
    ck_assert_int_eq(sm_b64url_decode(sm_test_pool, "-__-", 4, &out, &len), APR_SUCCESS);
    ck_assert_uint_eq(len, 3);
    ck_assert_mem_eq(out, bin, 3);
    /* Only in_len bytes are read. */
    ck_assert_int_eq(sm_b64url_decode(sm_test_pool, "Zm9v!!", 4, &out, &len), APR_SUCCESS);
    ck_assert_str_eq((char *)out, "foo");
}
END_TEST

START_TEST(b64url_rejects)
{
    static const char *const bad[] = {
        "Zg==",         /* padding */
        "Zm8=",         /* padding */
        "Zh",           /* non-canonical trailing bits */
        "Zm9",          /* non-canonical trailing bits */
        "Z",            /* impossible length */
        "Zm9vY",        /* impossible length */
        "Zm9v Yg",      /* space */
        "Zm9v\nYg",     /* newline */
        "Zm9v+g",       /* standard alphabet */
        "Zm9v/g",       /* standard alphabet */
        "Zm9v.g",       /* other punctuation */
        "Zm9v\xc3\xa9", /* non-ASCII */
    };
    unsigned char *out = sentinel;
    apr_size_t len = 7, i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(sm_b64url_decode(sm_test_pool, bad[i], strlen(bad[i]), &out, &len) ==
                          APR_EINVAL,
                      "accepted bad[%zu]", i);
        ck_assert_ptr_null(out);
        ck_assert_uint_eq(len, 0);
    }
    /* An embedded NUL inside the given length. */
    ck_assert_int_eq(sm_b64url_decode(sm_test_pool, "Zm\0v", 4, &out, &len), APR_EINVAL);
    ck_assert_int_eq(sm_b64url_decode(sm_test_pool, NULL, 4, &out, &len), APR_EINVAL);
    ck_assert_int_eq(sm_b64url_decode(sm_test_pool, NULL, 0, &out, &len), APR_SUCCESS);
    ck_assert_uint_eq(len, 0);
}
END_TEST

START_TEST(ct_streq)
{
    ck_assert(sm_ct_streq("abc", "abc"));
    ck_assert(sm_ct_streq("", ""));
    ck_assert(!sm_ct_streq("abc", "abd"));
    ck_assert(!sm_ct_streq("abc", "ab"));
    ck_assert(!sm_ct_streq("ab", "abc"));
    ck_assert(!sm_ct_streq("", "a"));
    ck_assert(!sm_ct_streq(NULL, "a"));
    ck_assert(!sm_ct_streq("a", NULL));
    ck_assert(!sm_ct_streq(NULL, NULL));
}
END_TEST

START_TEST(random_tokens)
{
    fake_rand_t r;
    char *t1, *t2;

    fake_rand_init(&r);
    t1 = sm_random_token(sm_test_pool, &r.port, 32);
    t2 = sm_random_token(sm_test_pool, &r.port, 32);
    ck_assert_uint_eq(strlen(t1), 43);
    ck_assert_str_ne(t1, t2);
    ck_assert_uint_eq(
        strspn(t1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), 43);
    ck_assert_uint_eq(strlen(sm_random_token(sm_test_pool, &sm_rand_system, 16)), 22);
    r.fail = true;
    ck_assert_ptr_null(sm_random_token(sm_test_pool, &r.port, 32));
}
END_TEST

START_TEST(pkce_rfc7636_appendix_b)
{
    ck_assert_str_eq(sm_pkce_challenge(sm_test_pool, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
                     "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    ck_assert_ptr_null(sm_pkce_challenge(sm_test_pool, NULL));
}
END_TEST

START_TEST(wipe)
{
    char buf[8] = "secret!";

    sm_wipe(buf, sizeof(buf));
    ck_assert_mem_eq(buf, "\0\0\0\0\0\0\0\0", 8);
    sm_wipe(NULL, 4);
}
END_TEST

Suite *sm_suite_crypto(void)
{
    Suite *s = suite_create("crypto");
    TCase *tc = tcase_create("crypto");

    tcase_add_checked_fixture(tc, sm_test_setup, sm_test_teardown);
    tcase_add_test(tc, hkdf_rfc5869_case1);
    tcase_add_test(tc, hkdf_rfc5869_case3_string_api);
    tcase_add_test(tc, aead_round_trip);
    tcase_add_test(tc, aead_large_and_binary);
    tcase_add_test(tc, aead_fresh_iv);
    tcase_add_test(tc, aead_tamper_every_byte);
    tcase_add_test(tc, aead_wrong_key_aad_version_truncated);
    tcase_add_test(tc, aead_rand_failure);
    tcase_add_test(tc, hashes_and_hmac);
    tcase_add_test(tc, hmac_long_keys_and_openssl_agreement);
    tcase_add_test(tc, hex_encoding);
    tcase_add_test(tc, b64url_vectors);
    tcase_add_test(tc, b64url_rejects);
    tcase_add_test(tc, ct_streq);
    tcase_add_test(tc, random_tokens);
    tcase_add_test(tc, pkce_rfc7636_appendix_b);
    tcase_add_test(tc, wipe);
    suite_add_tcase(s, tc);
    return s;
}
