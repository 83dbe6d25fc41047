/* sm_link_tx.c: links in progress, sealed in the session store (sm_link_tx.h). */
#include "sm_link_tx.h"
#include "sm_json.h"
#include "sm_store.h"
#include <string.h>

#define TX_AAD      "selmid-link-v1:"
#define TX_MAX_BODY (64 * 1024)

apr_status_t sm_link_tx_new(const sm_env_t *env, const sm_keys_t *keys, const sm_session_t *s,
                            bool a_org, const char *want, const char *target, sm_link_tx_t **out)
{
    sm_link_tx_t *tx = apr_pcalloc(env->pool, sizeof(*tx));

    tx->id = sm_random_token(env->pool, env->rand, 32);
    if (!tx->id)
        return APR_EGENERAL;
    tx->session_key = sm_store_key(env->pool, keys, "s:", s->id);
    tx->want = want;
    tx->target = target ? target : "";
    tx->a.id.provider = s->provider;
    tx->a.id.issuer = s->issuer;
    tx->a.id.subject = s->sub;
    tx->a.org = a_org;
    tx->a.at = s->created;
    /* an organisational session's claims are its own: the attributes to save when linked */
    tx->a.attrs = a_org ? sm_link_org_attrs(env->pool, s->claims) : NULL;
    tx->a.display = sm_link_display(env->pool, s->claims);
    tx->created = sm_now(env);
    *out = tx;
    return APR_SUCCESS;
}

static json_t *side_json(const sm_link_side_t *s)
{
    json_t *j = json_pack("{s:s, s:s, s:s, s:b, s:I}", "p", s->id.provider, "i", s->id.issuer, "s",
                          s->id.subject, "o", s->org, "at", (json_int_t)s->at);
    if (j && ((s->attrs && json_object_set(j, "c", s->attrs) != 0) ||
              (s->display && json_object_set_new(j, "n", json_string(s->display)) != 0))) {
        json_decref(j);
        j = NULL;
    }
    return j;
}

static bool side_parse(apr_pool_t *p, const json_t *j, sm_link_side_t *s)
{
    json_t *at = json_object_get(j, "at"), *o = json_object_get(j, "o"),
           *c = json_object_get(j, "c");

    s->id.provider = sm_json_str(p, j, "p");
    s->id.issuer = sm_json_str(p, j, "i");
    s->id.subject = sm_json_str(p, j, "s");
    if (!s->id.provider || !s->id.issuer || !s->id.subject || !json_is_integer(at) ||
        !json_is_boolean(o) || (c && !json_is_object(c)))
        return false;
    s->at = (apr_time_t)json_integer_value(at);
    s->org = json_is_true(o);
    s->attrs = c; /* kept alive by the parsed document, which p owns */
    s->display = sm_json_str(p, j, "n");
    return true;
}

apr_status_t sm_link_tx_save(const sm_env_t *env, const sm_keys_t *keys, const sm_link_tx_t *tx,
                             apr_interval_time_t lifetime)
{
    apr_pool_t *p = env->pool;
    json_t *j =
        json_pack("{s:i, s:s, s:s, s:s, s:I, s:o}", "v", 1, "sk", tx->session_key, "w", tx->want,
                  "t", tx->target, "c", (json_int_t)tx->created, "a", side_json(&tx->a));
    unsigned char *sealed = NULL;
    apr_size_t len = 0;
    apr_status_t rv = APR_EGENERAL;

    if (!j)
        goto leave;
    if (tx->has_b && json_object_set_new(j, "b", side_json(&tx->b)) != 0)
        goto leave;
    rv = sm_seal_json(env, keys->state, apr_pstrcat(p, TX_AAD, tx->id, NULL), j, &sealed, &len);
    if (rv != APR_SUCCESS)
        goto leave;
    rv = env->store->set(env->store->baton, p, sm_store_key(p, keys, "l:", tx->id), sealed, len,
                         tx->created + lifetime);
leave:
    json_decref(j);
    return rv;
}

apr_status_t sm_link_tx_load(const sm_env_t *env, const sm_keys_t *keys, const char *id,
                             sm_link_tx_t **out)
{
    apr_pool_t *p = env->pool;
    unsigned char *sealed = NULL, *text = NULL;
    apr_size_t len = 0, text_len = 0;
    const char *aad, *err = NULL;
    json_t *j, *b, *c;
    sm_link_tx_t *tx;
    apr_status_t rv;

    if (!sm_session_id_wellformed(id)) /* ids are made like session ids */
        return APR_EINVAL;
    rv = env->store->get(env->store->baton, p, sm_store_key(p, keys, "l:", id), &sealed, &len);
    if (rv != APR_SUCCESS)
        return rv;
    aad = apr_pstrcat(p, TX_AAD, id, NULL);
    if (len > TX_MAX_BODY ||
        sm_aead_open(p, keys->state, aad, strlen(aad), sealed, len, &text, &text_len) !=
            APR_SUCCESS ||
        !(j = sm_json_parse(p, (const char *)text, text_len, &err)))
        return APR_EINVAL;
    tx = apr_pcalloc(p, sizeof(*tx));
    tx->id = id;
    tx->session_key = sm_json_str(p, j, "sk");
    tx->want = sm_json_str(p, j, "w");
    tx->target = sm_json_str(p, j, "t");
    c = json_object_get(j, "c");
    b = json_object_get(j, "b");
    if (json_integer_value(json_object_get(j, "v")) != 1 || !tx->session_key || !tx->want ||
        !tx->target || !json_is_integer(c) || !side_parse(p, json_object_get(j, "a"), &tx->a) ||
        (b && !side_parse(p, b, &tx->b)))
        return APR_EINVAL;
    tx->created = (apr_time_t)json_integer_value(c);
    tx->has_b = b != NULL;
    *out = tx;
    return APR_SUCCESS;
}

apr_status_t sm_link_tx_consume(const sm_env_t *env, const sm_keys_t *keys, const char *id,
                                apr_interval_time_t lifetime)
{
    static const unsigned char used = '1';
    apr_pool_t *p = env->pool;
    apr_status_t rv;

    rv = env->store->add(env->store->baton, p, sm_store_key(p, keys, "lu:", id), &used, 1,
                         sm_now(env) + lifetime + apr_time_from_sec(60));
    if (rv == APR_SUCCESS)
        (void)env->store->del(env->store->baton, p, sm_store_key(p, keys, "l:", id));
    return rv;
}

bool sm_link_tx_owned_by(apr_pool_t *p, const sm_keys_t *keys, const sm_link_tx_t *tx,
                         const char *session_id)
{
    return session_id && sm_session_id_wellformed(session_id) &&
           sm_ct_streq(tx->session_key, sm_store_key(p, keys, "s:", session_id));
}
