/* sm_apple.c: Sign in with Apple: key checks and the ES256 JWT client secret. */
#include "sm_apple.h"
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <string.h>

bool sm_ec_p256_pem_ok(const char *pem, apr_size_t len)
{
    BIO *bio = NULL;
    EVP_PKEY *pkey = NULL;
    char curve[64];
    bool ok = false;

    if (!pem || len == 0 || len > 16384)
        goto leave;
    if (!(bio = BIO_new_mem_buf(pem, (int)len)))
        goto leave;
    if (!(pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)))
        goto leave;
    if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC)
        goto leave;
    if (!EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, curve, sizeof(curve),
                                        NULL))
        goto leave;
    ok = strcmp(curve, "prime256v1") == 0 || strcmp(curve, "P-256") == 0;
leave:
    EVP_PKEY_free(pkey);
    BIO_free(bio);
    return ok;
}
