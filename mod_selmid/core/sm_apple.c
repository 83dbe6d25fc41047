/* sm_apple.c: Sign in with Apple: key checks, the ES256 JWT client secret (signed with OpenSSL 3
 * EVP, cached per process) and the first-login `user` form field. */
#include "sm_apple.h"
#include "sm_crypto.h"
#include "sm_json.h"
#include <apr_thread_mutex.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>

/* The longest first or last name taken from the user field. */
#define NAME_PART_MAX 256

static EVP_PKEY *read_p256(const char *pem, apr_size_t len)
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
    BIO_free(bio);
    if (!ok) {
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }
    return pkey;
}

bool sm_ec_p256_pem_ok(const char *pem, apr_size_t len)
{
    EVP_PKEY *pkey = read_p256(pem, len);
    bool ok = pkey != NULL;

    EVP_PKEY_free(pkey);
    return ok;
}

static char *b64_json(apr_pool_t *p, json_t *j)
{
    char *text = j ? sm_json_dump(p, j) : NULL;

    json_decref(j);
    return text ? sm_b64url_encode(p, (const unsigned char *)text, strlen(text)) : NULL;
}

char *sm_apple_sign_client_secret(apr_pool_t *p, const char *pem, const char *team_id,
                                  const char *key_id, const char *client_id, apr_time_t now,
                                  const char **err)
{
    EVP_PKEY *pkey = NULL;
    EVP_MD_CTX *md = NULL;
    ECDSA_SIG *sig = NULL;
    const BIGNUM *r, *s;
    unsigned char *der = NULL, raw[64];
    const unsigned char *q;
    size_t der_len = 0;
    char *hdr, *claims, *input, *out = NULL;
    json_int_t iat = (json_int_t)apr_time_sec(now);

    *err = NULL;
    if (!team_id || !key_id || !client_id) {
        *err = "team id, key id or client id missing";
        goto leave;
    }
    if (!(pkey = read_p256(pem, pem ? strlen(pem) : 0))) {
        *err = "the key is not a P-256 private key";
        goto leave;
    }
    hdr = b64_json(p, json_pack("{s:s, s:s}", "alg", "ES256", "kid", key_id));
    claims = b64_json(p, json_pack("{s:s, s:I, s:I, s:s, s:s}", "iss", team_id, "iat", iat, "exp",
                                   iat + (json_int_t)apr_time_sec(SM_APPLE_SECRET_LIFETIME), "aud",
                                   SM_APPLE_AUDIENCE, "sub", client_id));
    if (!hdr || !claims) {
        *err = "cannot encode the JWT";
        goto leave;
    }
    input = apr_pstrcat(p, hdr, ".", claims, NULL);
    if (!(md = EVP_MD_CTX_new()) || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pkey) != 1 ||
        EVP_DigestSign(md, NULL, &der_len, (const unsigned char *)input, strlen(input)) != 1 ||
        !(der = OPENSSL_malloc(der_len)) ||
        EVP_DigestSign(md, der, &der_len, (const unsigned char *)input, strlen(input)) != 1) {
        *err = "ECDSA signing failed";
        goto leave;
    }
    /* JWS (RFC 7518 3.4): the DER ECDSA-Sig-Value becomes the fixed-size r || s */
    q = der;
    if (!(sig = d2i_ECDSA_SIG(NULL, &q, (long)der_len))) {
        *err = "cannot decode the ECDSA signature";
        goto leave;
    }
    ECDSA_SIG_get0(sig, &r, &s);
    if (BN_bn2binpad(r, raw, 32) != 32 || BN_bn2binpad(s, raw + 32, 32) != 32) {
        *err = "ECDSA signature of an unexpected size";
        goto leave;
    }
    out = apr_pstrcat(p, input, ".", sm_b64url_encode(p, raw, sizeof(raw)), NULL);
leave:
    ECDSA_SIG_free(sig);
    OPENSSL_free(der);
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(pkey);
    return out;
}

struct sm_apple_secret_t {
    apr_thread_mutex_t *mu;
    char *jwt; /* malloc'd (shared by the threads of a process), under mu */
    apr_time_t made;
};

static apr_status_t secret_cleanup(void *data)
{
    sm_apple_secret_t *c = data;

    if (c->jwt) {
        sm_wipe(c->jwt, strlen(c->jwt));
        free(c->jwt);
        c->jwt = NULL;
    }
    return APR_SUCCESS;
}

sm_apple_secret_t *sm_apple_secret_create(apr_pool_t *pchild)
{
    sm_apple_secret_t *c = apr_pcalloc(pchild, sizeof(*c));

    if (apr_thread_mutex_create(&c->mu, APR_THREAD_MUTEX_DEFAULT, pchild) != APR_SUCCESS)
        return NULL;
    apr_pool_cleanup_register(pchild, c, secret_cleanup, apr_pool_cleanup_null);
    return c;
}

const char *sm_apple_client_secret(const sm_env_t *env, sm_apple_secret_t *c,
                                   const sm_provider_cfg_t *cfg)
{
    apr_time_t now = sm_now(env);
    const char *out = NULL, *err = NULL;
    char *fresh, *copy;

    apr_thread_mutex_lock(c->mu);
    if (c->jwt && now >= c->made && now - c->made < SM_APPLE_SECRET_REFRESH) {
        out = apr_pstrdup(env->pool, c->jwt);
        goto leave;
    }
    fresh = sm_apple_sign_client_secret(env->pool, cfg->apple_key_pem, cfg->apple_team_id,
                                        cfg->apple_key_id, cfg->client_id, now, &err);
    if (!fresh) {
        sm_log(env->log, SM_LOG_ERROR, "SM21010: provider %s: cannot sign the client secret: %s",
               cfg->name, err ? err : "-");
        goto leave;
    }
    if (!(copy = strdup(fresh)))
        goto leave;
    secret_cleanup(c);
    c->jwt = copy;
    c->made = now;
    out = fresh;
    sm_log(env->log, SM_LOG_INFO, "SM21011: provider %s: signed a new client secret (key %s)",
           cfg->name, cfg->apple_key_id);
leave:
    apr_thread_mutex_unlock(c->mu);
    return out;
}

/* A name part: a string of 1 to NAME_PART_MAX bytes without control characters (jansson
 * guarantees UTF-8). */
static bool name_part_ok(const json_t *v)
{
    const unsigned char *s;
    size_t n;

    if (!json_is_string(v))
        return false;
    n = json_string_length(v);
    if (n == 0 || n > NAME_PART_MAX)
        return false;
    for (s = (const unsigned char *)json_string_value(v); n--; s++)
        if (*s < 0x20 || *s == 0x7f)
            return false;
    return true;
}

static void set_absent(json_t *claims, const char *name, const char *value)
{
    if (!json_object_get(claims, name))
        json_object_set_new(claims, name, json_string(value));
}

void sm_apple_take_user(const sm_env_t *env, const char *provider, const char *user, json_t *claims)
{
    apr_pool_t *p = env->pool;
    const json_t *j, *name, *first, *last, *email;
    const char *err = NULL, *why = NULL, *tok_email;

    if (!user)
        return;
    if (strlen(user) > SM_APPLE_USER_MAX) {
        why = "oversized";
        goto ignored;
    }
    j = sm_json_parse(p, user, strlen(user), &err);
    if (!j || !json_is_object(j)) {
        why = "not a JSON object";
        goto ignored;
    }
    name = json_object_get(j, "name");
    if (name && !json_is_object(name)) {
        why = "name is not an object";
        goto ignored;
    }
    first = name ? json_object_get(name, "firstName") : NULL;
    last = name ? json_object_get(name, "lastName") : NULL;
    if ((first && !name_part_ok(first)) || (last && !name_part_ok(last))) {
        why = "a name part is not a short string";
        goto ignored;
    }
    email = json_object_get(j, "email");
    tok_email = sm_json_str(p, claims, "email");
    if (email &&
        (!json_is_string(email) || !tok_email || strcmp(json_string_value(email), tok_email) != 0))
        sm_log(env->log, SM_LOG_NOTICE,
               "SM21021: provider %s: the user field's email differs from the ID token's, which "
               "is used",
               provider);
    if (first)
        set_absent(claims, "given_name", json_string_value(first));
    if (last)
        set_absent(claims, "family_name", json_string_value(last));
    if (first || last)
        set_absent(claims, "name",
                   first && last ? apr_pstrcat(p, json_string_value(first), " ",
                                               json_string_value(last), NULL)
                                 : json_string_value(first ? first : last));
    return;
ignored:
    sm_log(env->log, SM_LOG_WARN, "SM21020: provider %s: the user form field was ignored (%s)",
           provider, why);
}
