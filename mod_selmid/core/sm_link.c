/* sm_link.c: account linking's decisions on top of the directory port (sm_link.h). */
#include "sm_link.h"
#include "sm_json.h"
#include <string.h>

static const char *const protocol_claims[] = {"iss",       "aud",     "exp",    "iat",    "nbf",
                                              "nonce",     "at_hash", "c_hash", "s_hash", "azp",
                                              "auth_time", "sid",     "jti",    "acr",    "amr"};

json_t *sm_link_org_attrs(apr_pool_t *p, json_t *claims)
{
    json_t *out = sm_json_own(p, json_object());
    const char *k;
    json_t *v;
    size_t i;

    if (!out || !json_is_object(claims))
        return out;
    json_object_foreach(claims, k, v)
    {
        bool skip = false;
        for (i = 0; i < sizeof(protocol_claims) / sizeof(protocol_claims[0]); i++)
            if (strcmp(k, protocol_claims[i]) == 0)
                skip = true;
        if (!skip)
            json_object_set(out, k, v);
    }
    return out;
}

const char *sm_link_display(apr_pool_t *p, const json_t *claims)
{
    static const char *const names[] = {"name", "eppn", "preferred_username", "email"};
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const char *v = sm_json_str(p, claims, names[i]), *c;
        int chars = 0;
        if (!v || !*v)
            continue;
        /* at most 100 characters, cut on a character boundary (jansson keeps valid UTF-8) */
        for (c = v; *c && chars < 100; chars++)
            for (c++; ((unsigned char)*c & 0xC0) == 0x80; c++)
                ;
        return apr_pstrndup(p, v, (apr_size_t)(c - v));
    }
    return NULL;
}

char *sm_link_org_record(apr_pool_t *p, const char *provider, const char *issuer, json_t *attrs)
{
    json_t *j =
        sm_json_own(p, json_pack("{s:s, s:s, s:O}", "p", provider, "i", issuer, "c", attrs));
    return j ? sm_json_dump(p, j) : NULL;
}

bool sm_link_org_parse(apr_pool_t *p, const char *text, const char **provider, const char **issuer,
                       json_t **attrs)
{
    const char *err = NULL;
    json_t *j = text ? sm_json_parse(p, text, strlen(text), &err) : NULL;
    json_t *c = j ? json_object_get(j, "c") : NULL;

    *provider = j ? sm_json_str(p, j, "p") : NULL;
    *issuer = j ? sm_json_str(p, j, "i") : NULL;
    if (!*provider || !*issuer || !json_is_object(c))
        return false;
    *attrs = c; /* kept alive by j, which p owns */
    return true;
}

apr_status_t sm_link_resolve_login(const sm_env_t *env, const sm_directory_t *dir, bool org,
                                   const char *provider, const char *issuer, json_t *claims,
                                   sm_session_t *tmpl)
{
    apr_pool_t *p = env->pool;
    sm_identity_t id;
    const char *person = NULL, *org_json = NULL, *record = NULL;
    apr_status_t rv;

    memset(tmpl, 0, sizeof(*tmpl));
    tmpl->provider = provider;
    tmpl->issuer = issuer;
    tmpl->sub = sm_json_str(p, claims, "sub");
    tmpl->claims = claims;
    if (!tmpl->sub)
        return APR_EINVAL;
    id.provider = provider;
    id.issuer = issuer;
    id.subject = tmpl->sub;
    rv = dir->lookup(dir->baton, p, &id, &person, &org_json, NULL);
    if (rv == APR_NOTFOUND)
        return APR_SUCCESS; /* not linked: the login alone */
    if (rv != APR_SUCCESS)
        return rv;
    if (org) {
        record = sm_link_org_record(p, provider, issuer, sm_link_org_attrs(p, claims));
        tmpl->org_provider = provider;
        tmpl->org_issuer = issuer;
    } else {
        const char *op = NULL, *oi = NULL;
        json_t *attrs = NULL;
        if (org_json && sm_link_org_parse(p, org_json, &op, &oi, &attrs)) {
            tmpl->claims = attrs;
            tmpl->org_provider = op;
            tmpl->org_issuer = oi;
        } else if (org_json) {
            sm_log(env->log, SM_LOG_ERROR,
                   "SM26001: directory: the organisational attributes of a person are not "
                   "readable; the login gets its own claims only");
        }
    }
    tmpl->person = person;
    rv = dir->record_login(dir->baton, p, person, &id, record, sm_now(env));
    if (rv != APR_SUCCESS)
        sm_log(env->log, SM_LOG_WARN,
               "SM26002: directory (%s): could not record the login of a linked identity (%d)",
               dir->name, rv);
    return APR_SUCCESS; /* the person is known; a lost last-used time is not worth a denial */
}

const char *sm_link_result_str(sm_link_result_e r)
{
    switch (r) {
    case SM_LINK_OK:
        return "linked";
    case SM_LINK_STALE:
        return "a login is too old";
    case SM_LINK_SAME:
        return "both logins are the same identity";
    case SM_LINK_NO_ORG:
        return "neither identity is organisational or linked";
    case SM_LINK_ALREADY:
        return "already linked to this person";
    case SM_LINK_OTHER_PERSON:
        return "the identities belong to different persons";
    case SM_LINK_PROVIDER_USED:
        return "the person has an identity of this provider already";
    case SM_LINK_TAKEN:
        return "the identity was linked by someone else meanwhile";
    case SM_LINK_DIRECTORY:
        return "directory error";
    }
    return "?";
}

bool sm_identity_eq(const sm_identity_t *a, const sm_identity_t *b)
{
    return strcmp(a->provider, b->provider) == 0 && strcmp(a->issuer, b->issuer) == 0 &&
           strcmp(a->subject, b->subject) == 0;
}

static bool fresh(const sm_link_side_t *s, apr_time_t now, apr_interval_time_t max_age)
{
    return s->at > 0 && s->at <= now + apr_time_from_sec(5) && now - s->at <= max_age;
}

/* Whether person already has an identity of provider. */
static sm_link_result_e provider_used(const sm_env_t *env, const sm_directory_t *dir,
                                      const char *person, const char *provider)
{
    apr_array_header_t *ids = NULL;
    int i;

    if (dir->list(dir->baton, env->pool, person, &ids) != APR_SUCCESS)
        return SM_LINK_DIRECTORY;
    for (i = 0; i < ids->nelts; i++)
        if (strcmp(APR_ARRAY_IDX(ids, i, sm_linked_identity_t).id.provider, provider) == 0)
            return SM_LINK_PROVIDER_USED;
    return SM_LINK_OK;
}

static sm_link_result_e link_one(const sm_env_t *env, const sm_directory_t *dir,
                                 const sm_link_side_t *s, const char *person, const char **out)
{
    apr_status_t rv = dir->link(dir->baton, env->pool, &s->id, s->org, person, sm_now(env), out);

    if (rv == APR_EEXIST)
        return SM_LINK_TAKEN;
    if (rv != APR_SUCCESS)
        return SM_LINK_DIRECTORY;
    if (s->org && s->attrs) {
        const char *rec = sm_link_org_record(env->pool, s->id.provider, s->id.issuer, s->attrs);
        if (!rec ||
            dir->save_org_attrs(dir->baton, env->pool, *out, rec, sm_now(env)) != APR_SUCCESS)
            return SM_LINK_DIRECTORY;
    }
    return SM_LINK_OK;
}

sm_link_result_e sm_link_perform(const sm_env_t *env, const sm_directory_t *dir,
                                 const sm_link_side_t *a, const sm_link_side_t *b,
                                 apr_interval_time_t max_age, const char **person)
{
    apr_time_t now = sm_now(env);
    const char *pa = NULL, *pb = NULL, *anchor_person = NULL, *linked = NULL;
    const sm_link_side_t *anchor, *other;
    apr_status_t rv;
    sm_link_result_e res;

    *person = NULL;
    if (!fresh(a, now, max_age) || !fresh(b, now, max_age))
        return SM_LINK_STALE;
    if (sm_identity_eq(&a->id, &b->id))
        return SM_LINK_SAME;
    rv = dir->find(dir->baton, env->pool, &a->id, &pa);
    if (rv != APR_SUCCESS && rv != APR_NOTFOUND)
        return SM_LINK_DIRECTORY;
    rv = dir->find(dir->baton, env->pool, &b->id, &pb);
    if (rv != APR_SUCCESS && rv != APR_NOTFOUND)
        return SM_LINK_DIRECTORY;
    if (pa && pb) {
        if (strcmp(pa, pb) != 0)
            return SM_LINK_OTHER_PERSON;
        *person = pa;
        return SM_LINK_ALREADY;
    }
    if (pa || pb) { /* add the unlinked side to the linked side's person */
        const char *p = pa ? pa : pb;
        other = pa ? b : a;
        /* a second identity of a provider the person has: for an organisational provider that
         * is another member of the organisation, so another person */
        if ((res = provider_used(env, dir, p, other->id.provider)) != SM_LINK_OK)
            return res == SM_LINK_PROVIDER_USED && other->org ? SM_LINK_OTHER_PERSON : res;
        if ((res = link_one(env, dir, other, p, &linked)) == SM_LINK_OK)
            *person = p;
        return res;
    }
    if (strcmp(a->id.provider, b->id.provider) == 0)
        return SM_LINK_PROVIDER_USED; /* one person, one identity per provider */
    if (a->org)
        anchor = a, other = b;
    else if (b->org)
        anchor = b, other = a;
    else
        return SM_LINK_NO_ORG;
    if ((res = link_one(env, dir, anchor, NULL, &anchor_person)) != SM_LINK_OK)
        return res;
    /* the anchor's person stands on its own if the second link loses a race */
    if ((res = link_one(env, dir, other, anchor_person, &linked)) == SM_LINK_OK)
        *person = anchor_person;
    return res;
}

const char *sm_link_may_unlink(const apr_array_header_t *ids, const sm_identity_t *id)
{
    int i, orgs = 0;
    const sm_linked_identity_t *found = NULL;

    for (i = 0; i < ids->nelts; i++) {
        const sm_linked_identity_t *li = &APR_ARRAY_IDX(ids, i, sm_linked_identity_t);
        if (li->org)
            orgs++;
        if (sm_identity_eq(&li->id, id))
            found = li;
    }
    if (!found)
        return "the identity is not linked to this person";
    if (found->org && orgs <= 1)
        return "the last organisational identity of a person cannot be removed";
    return NULL;
}
