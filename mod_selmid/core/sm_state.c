/* sm_state.c: the login state of one login in flight (state, nonce, PKCE verifier, provider,
 * target), sealed into a short-lived cookie bound to this browser, and its single-use marker. */
#include "sm_session.h"
#include "sm_json.h"
#include "sm_store.h"
#include <stdlib.h>
#include <string.h>

#define STATE_AAD        "selmid-state-v1"
#define STATE_COOKIE_MAX 4096

apr_status_t sm_state_new(const sm_env_t *env, const char *provider, const char *target,
                          sm_login_state_t **out)
{
    sm_login_state_t *st = apr_pcalloc(env->pool, sizeof(*st));

    st->state = sm_random_token(env->pool, env->rand, 32);
    st->nonce = sm_random_token(env->pool, env->rand, 32);
    st->verifier = sm_random_token(env->pool, env->rand, 32); /* 43 chars (RFC 7636: 43-128) */
    if (!st->state || !st->nonce || !st->verifier)
        return APR_EGENERAL;
    st->provider = provider;
    st->target = target;
    st->created = sm_now(env);
    *out = st;
    return APR_SUCCESS;
}

char *sm_state_cookie_name(apr_pool_t *p, const char *state)
{
    unsigned char h[SM_SHA256_LEN];

    sm_sha256(state, strlen(state), h);
    return apr_pstrcat(p, SM_STATE_COOKIE_PREFIX, sm_hex_encode(p, h, 8), NULL);
}

char *sm_state_seal(const sm_env_t *env, const sm_keys_t *keys, const sm_login_state_t *st)
{
    json_t *j;
    unsigned char *sealed;
    apr_size_t sealed_len;
    char *out = NULL;

    j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "s", st->state, "n", st->nonce, "v",
                  st->verifier, "p", st->provider, "t", st->target, "c", (json_int_t)st->created);
    if (j &&
        ((st->link && json_object_set_new(j, "l", json_string(st->link)) != 0) ||
         (st->max_age > 0 &&
          json_object_set_new(j, "m", json_integer((json_int_t)apr_time_sec(st->max_age))) != 0))) {
        json_decref(j);
        j = NULL;
    }
    if (sm_seal_json(env, keys->state, STATE_AAD, j, &sealed, &sealed_len) == APR_SUCCESS)
        out = sm_b64url_encode(env->pool, sealed, sealed_len);
    json_decref(j);
    return out;
}

apr_status_t sm_state_open(const sm_env_t *env, const sm_keys_t *keys, const char *cookie_value,
                           const char *expected_state, sm_login_state_t **out, const char **why)
{
    apr_pool_t *p = env->pool;
    unsigned char *sealed, *text;
    apr_size_t sealed_len, text_len;
    const char *err;
    json_t *j, *c;
    sm_login_state_t *st;
    apr_time_t now = sm_now(env);

    *why = "malformed";
    if (!cookie_value || strlen(cookie_value) > STATE_COOKIE_MAX ||
        sm_b64url_decode(p, cookie_value, strlen(cookie_value), &sealed, &sealed_len) !=
            APR_SUCCESS)
        return APR_EINVAL;
    *why = "does not decrypt";
    if (sm_aead_open(p, keys->state, STATE_AAD, strlen(STATE_AAD), sealed, sealed_len, &text,
                     &text_len) != APR_SUCCESS)
        return APR_EINVAL;
    *why = "malformed content";
    j = sm_json_parse(p, (const char *)text, text_len, &err);
    if (!j)
        return APR_EINVAL;
    st = apr_pcalloc(p, sizeof(*st));
    st->state = sm_json_str(p, j, "s");
    st->nonce = sm_json_str(p, j, "n");
    st->verifier = sm_json_str(p, j, "v");
    st->provider = sm_json_str(p, j, "p");
    st->target = sm_json_str(p, j, "t");
    st->link = sm_json_str(p, j, "l");
    if (json_is_integer(json_object_get(j, "m")) &&
        json_integer_value(json_object_get(j, "m")) > 0 &&
        json_integer_value(json_object_get(j, "m")) <= 86400)
        st->max_age = apr_time_from_sec(json_integer_value(json_object_get(j, "m")));
    c = json_object_get(j, "c");
    if (!st->state || !st->nonce || !st->verifier || !st->provider || !st->target ||
        !json_is_integer(c))
        return APR_EINVAL;
    st->created = (apr_time_t)json_integer_value(c);
    *why = "expired";
    if (now - st->created > SM_STATE_LIFETIME || st->created - now > apr_time_from_sec(60))
        return APR_EINVAL;
    *why = "belongs to another state";
    if (!expected_state || !sm_ct_streq(st->state, expected_state))
        return APR_EINVAL;
    *why = NULL;
    *out = st;
    return APR_SUCCESS;
}

apr_status_t sm_state_consume(const sm_env_t *env, const sm_keys_t *keys, const char *state)
{
    static const unsigned char used = '1';

    return env->store->add(env->store->baton, env->pool, sm_store_key(env->pool, keys, "u:", state),
                           &used, 1, sm_now(env) + SM_STATE_LIFETIME + apr_time_from_sec(60));
}
