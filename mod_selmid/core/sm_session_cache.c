/* sm_session_cache.c: a direct-mapped, lock-striped cache of decrypted sessions. An entry is
 * used only when the store returned byte for byte the sealed body that was decrypted to make it,
 * under the same store key; otherwise the body is decrypted as usual and replaces the entry. */
#include "sm_session.h"
#include "sm_json.h"
#include <apr_thread_mutex.h>
#include <stdlib.h>
#include <string.h>

#define STRIPES 16
#define KEY_MAX 96

typedef struct slot_t {
    char key[KEY_MAX]; /* "" when empty */
    unsigned char *sealed;
    apr_size_t sealed_len;
    apr_time_t created, accessed;
    char *provider, *issuer, *sub;
    char *person, *org_provider, *org_issuer; /* NULL when unset */
    json_t *claims;
} slot_t;

struct sm_session_cache_t {
    unsigned nslots;
    slot_t *slots;
    apr_thread_mutex_t *mu[STRIPES];
};

static void slot_clear(slot_t *s)
{
    free(s->sealed);
    free(s->provider);
    free(s->issuer);
    free(s->sub);
    free(s->person);
    free(s->org_provider);
    free(s->org_issuer);
    json_decref(s->claims);
    memset(s, 0, sizeof(*s));
}

static apr_status_t cache_cleanup(void *data)
{
    sm_session_cache_t *c = data;
    unsigned i;

    for (i = 0; i < c->nslots; i++)
        slot_clear(&c->slots[i]);
    free(c->slots);
    c->slots = NULL;
    c->nslots = 0;
    return APR_SUCCESS;
}

sm_session_cache_t *sm_session_cache_create(apr_pool_t *pchild, unsigned slots)
{
    sm_session_cache_t *c = apr_pcalloc(pchild, sizeof(*c));
    int i;

    if (slots == 0 || !(c->slots = calloc(slots, sizeof(slot_t))))
        return NULL;
    c->nslots = slots;
    for (i = 0; i < STRIPES; i++)
        if (apr_thread_mutex_create(&c->mu[i], APR_THREAD_MUTEX_DEFAULT, pchild) != APR_SUCCESS)
            return NULL;
    apr_pool_cleanup_register(pchild, c, cache_cleanup, apr_pool_cleanup_null);
    return c;
}

/* FNV-1a of the store key (itself an HMAC, so evenly spread). */
static unsigned slot_of(const sm_session_cache_t *c, const char *key)
{
    unsigned h = 2166136261u;

    for (; *key; key++)
        h = (h ^ (unsigned char)*key) * 16777619u;
    return h % c->nslots;
}

static apr_thread_mutex_t *stripe(const sm_session_cache_t *c, unsigned slot)
{
    return c->mu[slot % STRIPES];
}

bool sm_session_cache_get(sm_session_cache_t *c, apr_pool_t *p, const char *key,
                          const unsigned char *sealed, apr_size_t len, sm_session_t *s)
{
    unsigned i;
    slot_t *e;
    bool hit = false;

    if (!c || strlen(key) >= KEY_MAX)
        return false;
    i = slot_of(c, key);
    e = &c->slots[i];
    apr_thread_mutex_lock(stripe(c, i));
    if (e->sealed && strcmp(e->key, key) == 0 && e->sealed_len == len &&
        memcmp(e->sealed, sealed, len) == 0) {
        s->created = e->created;
        s->accessed = e->accessed;
        s->provider = apr_pstrdup(p, e->provider);
        s->issuer = apr_pstrdup(p, e->issuer);
        s->sub = apr_pstrdup(p, e->sub);
        s->person = e->person ? apr_pstrdup(p, e->person) : NULL;
        s->org_provider = e->org_provider ? apr_pstrdup(p, e->org_provider) : NULL;
        s->org_issuer = e->org_issuer ? apr_pstrdup(p, e->org_issuer) : NULL;
        s->claims = json_incref(e->claims);
        hit = true;
    }
    apr_thread_mutex_unlock(stripe(c, i));
    if (hit) /* the request's reference goes with its pool */
        sm_json_own(p, s->claims);
    return hit;
}

void sm_session_cache_put(sm_session_cache_t *c, const char *key, const unsigned char *sealed,
                          apr_size_t len, const sm_session_t *s)
{
    unsigned i;
    slot_t n, *e;

    if (!c || strlen(key) >= KEY_MAX)
        return;
    memset(&n, 0, sizeof(n));
    strcpy(n.key, key);
    n.sealed = malloc(len ? len : 1);
    n.provider = strdup(s->provider);
    n.issuer = strdup(s->issuer);
    n.sub = strdup(s->sub);
    n.person = s->person ? strdup(s->person) : NULL;
    n.org_provider = s->org_provider ? strdup(s->org_provider) : NULL;
    n.org_issuer = s->org_issuer ? strdup(s->org_issuer) : NULL;
    if (!n.sealed || !n.provider || !n.issuer || !n.sub || (s->person && !n.person) ||
        (s->org_provider && !n.org_provider) || (s->org_issuer && !n.org_issuer)) {
        slot_clear(&n);
        return;
    }
    memcpy(n.sealed, sealed, len);
    n.sealed_len = len;
    n.created = s->created;
    n.accessed = s->accessed;
    n.claims = json_incref(s->claims);
    i = slot_of(c, key);
    e = &c->slots[i];
    apr_thread_mutex_lock(stripe(c, i));
    slot_clear(e);
    *e = n;
    apr_thread_mutex_unlock(stripe(c, i));
}

void sm_session_cache_drop(sm_session_cache_t *c, const char *key)
{
    unsigned i;

    if (!c)
        return;
    i = slot_of(c, key);
    apr_thread_mutex_lock(stripe(c, i));
    if (strcmp(c->slots[i].key, key) == 0)
        slot_clear(&c->slots[i]);
    apr_thread_mutex_unlock(stripe(c, i));
}
