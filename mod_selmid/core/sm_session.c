/* sm_session.c: server-side sessions. The store holds, under a key derived from the session id
 * with HMAC (so that a reader of the store cannot rebuild a cookie), the AES-256-GCM encrypted
 * session body bound to its id by the AAD. */
#include "sm_session.h"
#include "sm_json.h"
#include "sm_store.h"
#include <stdlib.h>
#include <string.h>

#define SESSION_ID_BYTES 32
#define SESSION_ID_CHARS 43 /* base64url of 32 bytes */
#define SESSION_AAD      "selmid-session-v1:"
#define SESSION_MAX_BODY (256 * 1024)

apr_status_t sm_keys_derive(const unsigned char *secret, apr_size_t len, sm_keys_t *keys)
{
    if (sm_hkdf_sha256(secret, len, "mod_selmid", "session-aead-v1", keys->session, SM_KEY_LEN) ||
        sm_hkdf_sha256(secret, len, "mod_selmid", "state-aead-v1", keys->state, SM_KEY_LEN) ||
        sm_hkdf_sha256(secret, len, "mod_selmid", "store-index-v1", keys->index, SM_KEY_LEN))
        return APR_EGENERAL;
    return APR_SUCCESS;
}

const char *sm_sess_result_str(sm_sess_result_e r)
{
    switch (r) {
    case SM_SESS_OK:
        return "ok";
    case SM_SESS_NONE:
        return "no session cookie";
    case SM_SESS_MALFORMED:
        return "malformed session cookie";
    case SM_SESS_UNKNOWN:
        return "unknown or expired session";
    case SM_SESS_CORRUPT:
        return "stored session does not decrypt";
    case SM_SESS_IDLE:
        return "idle timeout";
    case SM_SESS_EXPIRED:
        return "absolute timeout";
    case SM_SESS_STORE:
        return "session store unreachable";
    }
    return "?";
}

bool sm_session_id_wellformed(const char *id)
{
    const char *s;

    if (!id || strlen(id) != SESSION_ID_CHARS)
        return false;
    for (s = id; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              *s == '-' || *s == '_'))
            return false;
    return true;
}

const char *sm_store_key(apr_pool_t *p, const sm_keys_t *keys, const char *kind, const char *id)
{
    unsigned char mac[SM_SHA256_LEN];
    const char *msg = apr_pstrcat(p, kind, id, NULL);

    sm_hmac_sha256(keys->index, SM_KEY_LEN, msg, strlen(msg), mac);
    return apr_pstrcat(p, "selmid:", kind, sm_b64url_encode(p, mac, sizeof(mac)), NULL);
}

static apr_time_t session_expiry(const sm_session_policy_t *pol, const sm_session_t *s)
{
    apr_time_t idle_end = s->accessed + pol->idle, abs_end = s->created + pol->absolute;
    return idle_end < abs_end ? idle_end : abs_end;
}

apr_status_t sm_seal_json(const sm_env_t *env, const unsigned char key[SM_KEY_LEN], const char *aad,
                          const json_t *j, unsigned char **out, apr_size_t *out_len)
{
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    apr_status_t rv;

    if (!text)
        return APR_EGENERAL;
    rv =
        sm_aead_seal(env->pool, env->rand, key, aad, strlen(aad), text, strlen(text), out, out_len);
    sm_wipe(text, strlen(text));
    free(text);
    return rv;
}

static apr_status_t session_save(const sm_env_t *env, const sm_keys_t *keys,
                                 const sm_session_policy_t *pol, const sm_session_t *s)
{
    apr_pool_t *p = env->pool;
    json_t *body;
    unsigned char *sealed;
    apr_size_t sealed_len;
    apr_status_t rv;

    body = json_pack("{s:i, s:I, s:I, s:s, s:s, s:s, s:O}", "v", 1, "c", (json_int_t)s->created,
                     "a", (json_int_t)s->accessed, "p", s->provider, "i", s->issuer, "s", s->sub,
                     "claims", s->claims);
    if (body && s->person &&
        (json_object_set_new(body, "person", json_string(s->person)) ||
         (s->org_provider && json_object_set_new(body, "op", json_string(s->org_provider))) ||
         (s->org_issuer && json_object_set_new(body, "oi", json_string(s->org_issuer))))) {
        json_decref(body);
        body = NULL;
    }
    rv = sm_seal_json(env, keys->session, apr_pstrcat(p, SESSION_AAD, s->id, NULL), body, &sealed,
                      &sealed_len);
    json_decref(body);
    if (rv != APR_SUCCESS)
        return rv;
    rv = env->store->set(env->store->baton, p, sm_store_key(p, keys, "s:", s->id), sealed,
                         sealed_len, session_expiry(pol, s));
    if (rv != APR_SUCCESS)
        sm_log(env->log, SM_LOG_ERROR, "SM20001: cannot write session to the %s store (%d)",
               env->store->name, rv);
    return rv;
}

apr_status_t sm_session_create_from(const sm_env_t *env, const sm_keys_t *keys,
                                    const sm_session_policy_t *pol, const sm_session_t *tmpl,
                                    sm_session_t **out)
{
    sm_session_t *s = apr_pcalloc(env->pool, sizeof(*s));
    apr_status_t rv = APR_EGENERAL;

    if (!tmpl->provider || !tmpl->issuer || !tmpl->sub || !json_is_object(tmpl->claims))
        goto leave;
    *s = *tmpl;
    s->id = sm_random_token(env->pool, env->rand, SESSION_ID_BYTES);
    if (!s->id)
        goto leave;
    s->accessed = sm_now(env);
    if (!s->created || s->created > s->accessed)
        s->created = s->accessed;
    rv = session_save(env, keys, pol, s);
    if (rv == APR_SUCCESS)
        *out = s;
leave:
    return rv;
}

apr_status_t sm_session_create(const sm_env_t *env, const sm_keys_t *keys,
                               const sm_session_policy_t *pol, const char *provider,
                               const char *issuer, json_t *claims, sm_session_t **out)
{
    sm_session_t t = {.provider = provider, .issuer = issuer, .claims = claims};

    t.sub = sm_json_str(env->pool, claims, "sub");
    return sm_session_create_from(env, keys, pol, &t, out);
}

static bool session_parse(apr_pool_t *p, const char *text, apr_size_t len, sm_session_t *s)
{
    const char *err;
    json_t *j = sm_json_parse(p, text, len, &err);
    json_t *c, *a, *claims;

    if (!j || json_integer_value(json_object_get(j, "v")) != 1)
        return false;
    c = json_object_get(j, "c");
    a = json_object_get(j, "a");
    claims = json_object_get(j, "claims");
    s->provider = sm_json_str(p, j, "p");
    s->issuer = sm_json_str(p, j, "i");
    s->sub = sm_json_str(p, j, "s");
    if (!json_is_integer(c) || !json_is_integer(a) || !json_is_object(claims) || !s->provider ||
        !s->issuer || !s->sub)
        return false;
    s->created = (apr_time_t)json_integer_value(c);
    s->accessed = (apr_time_t)json_integer_value(a);
    s->claims = claims; /* kept alive by j, which p owns */
    s->person = sm_json_str(p, j, "person");
    s->org_provider = sm_json_str(p, j, "op");
    s->org_issuer = sm_json_str(p, j, "oi");
    return true;
}

sm_sess_result_e sm_session_load(const sm_env_t *env, const sm_keys_t *keys,
                                 const sm_session_policy_t *pol, const char *cookie_value,
                                 sm_session_t **out)
{
    apr_pool_t *p = env->pool;
    sm_session_t *s;
    unsigned char *sealed = NULL, *text = NULL;
    apr_size_t sealed_len = 0, text_len = 0;
    const char *aad, *key;
    apr_time_t now;
    apr_status_t rv;
    sm_sess_result_e res;

    if (!cookie_value)
        return SM_SESS_NONE;
    if (!sm_session_id_wellformed(cookie_value))
        return SM_SESS_MALFORMED;
    s = apr_pcalloc(p, sizeof(*s));
    s->id = cookie_value;
    key = sm_store_key(p, keys, "s:", s->id);
    rv = env->store->get(env->store->baton, p, key, &sealed, &sealed_len);
    if (rv == APR_NOTFOUND)
        return SM_SESS_UNKNOWN;
    if (rv != APR_SUCCESS) {
        sm_log(env->log, SM_LOG_ERROR, "SM20002: cannot read session from the %s store (%d)",
               env->store->name, rv);
        return SM_SESS_STORE;
    }
    if (!sm_session_cache_get(env->session_cache, p, key, sealed, sealed_len, s)) {
        aad = apr_pstrcat(p, SESSION_AAD, s->id, NULL);
        if (sealed_len > SESSION_MAX_BODY ||
            sm_aead_open(p, keys->session, aad, strlen(aad), sealed, sealed_len, &text,
                         &text_len) != APR_SUCCESS ||
            !session_parse(p, (const char *)text, text_len, s)) {
            res = SM_SESS_CORRUPT;
            goto drop;
        }
        sm_session_cache_put(env->session_cache, key, sealed, sealed_len, s);
    }
    now = sm_now(env);
    if (now >= s->created + pol->absolute) {
        res = SM_SESS_EXPIRED;
        goto drop;
    }
    if (now >= s->accessed + pol->idle) {
        res = SM_SESS_IDLE;
        goto drop;
    }
    *out = s;
    return SM_SESS_OK;
drop:
    sm_session_cache_drop(env->session_cache, key);
    env->store->del(env->store->baton, p, key);
    return res;
}

apr_status_t sm_session_touch(const sm_env_t *env, const sm_keys_t *keys,
                              const sm_session_policy_t *pol, sm_session_t *s)
{
    apr_time_t now = sm_now(env);

    if (now - s->accessed < pol->touch)
        return APR_SUCCESS;
    s->accessed = now;
    return session_save(env, keys, pol, s);
}

apr_status_t sm_session_destroy(const sm_env_t *env, const sm_keys_t *keys, const char *id)
{
    const char *key;

    if (!sm_session_id_wellformed(id))
        return APR_SUCCESS;
    key = sm_store_key(env->pool, keys, "s:", id);
    sm_session_cache_drop(env->session_cache, key);
    return env->store->del(env->store->baton, env->pool, key);
}
