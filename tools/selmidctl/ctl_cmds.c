/* ctl_cmds.c: selmidctl's commands, each through the directory port only (sm_directory.h):
 * find, show, link, unlink, events. Operands have been checked (ctl_check_value) before. */
#include "ctl.h"
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- output ----------------------------------------------------------------------------- */

/* A JSON string of s; bytes that are not UTF-8 (never written by mod_selmid) become U+FFFD. */
static json_t *jstr(const char *s)
{
    json_t *j;
    char *fixed;
    apr_size_t i, n = 0, len;

    if (!s)
        return json_null();
    j = json_string(s);
    if (j)
        return j;
    len = strlen(s);
    fixed = malloc(len * 3 + 1);
    if (!fixed)
        return json_null();
    for (i = 0; i < len; i++) {
        if ((unsigned char)s[i] < 0x80) {
            fixed[n++] = s[i];
        } else {
            memcpy(fixed + n, "\xef\xbf\xbd", 3);
            n += 3;
        }
    }
    fixed[n] = '\0';
    j = json_string(fixed);
    free(fixed);
    return j ? j : json_null();
}

/* Prints j on one line and releases it; false when it cannot be written. */
static bool print_json(json_t *j)
{
    char *s = j ? json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    bool ok = s && printf("%s\n", s) >= 0;

    free(s);
    json_decref(j);
    return ok;
}

/* A time as "at" (ISO 8601, UTC) and "at_epoch" (seconds) members of o. */
static void set_time(json_t *o, apr_pool_t *p, const char *key, apr_time_t t)
{
    json_object_set_new(o, key, json_string(ctl_iso(p, t)));
    json_object_set_new(o, apr_pstrcat(p, key, "_epoch", NULL),
                        json_integer((json_int_t)apr_time_sec(t)));
}

static int dir_failed(const ctl_t *c, const char *what)
{
    ctl_err(c, "SM25030: %s failed in the directory (%s); the line above says why", what,
            c->dir->name);
    return CTL_FAIL;
}

/* ---- the administrator's event ----------------------------------------------------------- */

/* Appends the "admin" event that says an administrator did action (the event the port records
 * for the link or unlink itself comes just before it, for the same person and provider). */
static int admin_event(ctl_t *c, const char *action, const char *person, const char *provider,
                       apr_time_t now, json_t *extra)
{
    json_t *d = json_object();
    char *text;
    sm_dir_event_t ev = {0};
    apr_status_t rv = APR_EGENERAL;

    json_object_set_new(d, "by", json_string("selmidctl"));
    json_object_set_new(d, "user", jstr(ctl_user(c->pool)));
    json_object_set_new(d, "uid", json_integer((json_int_t)getuid()));
    json_object_set_new(d, "action", json_string(action));
    json_object_update(d, extra);
    json_decref(extra);
    text = json_dumps(d, JSON_COMPACT);
    json_decref(d);
    if (text) {
        ev.type = "admin";
        ev.person = person;
        ev.provider = provider;
        ev.at = now;
        ev.detail = apr_pstrdup(c->pool, text);
        free(text);
        rv = c->dir->append_event(c->dir->baton, c->pool, &ev);
    }
    if (rv != APR_SUCCESS) {
        ctl_err(c,
                "SM25031: the %s was done, but the administrator's \"admin\" event could not be "
                "recorded in the event log",
                action);
        return CTL_FAIL;
    }
    return CTL_OK;
}

/* ---- find ------------------------------------------------------------------------------- */

int ctl_find(ctl_t *c, const char *const *a)
{
    sm_identity_t id = {.provider = a[0], .issuer = a[1], .subject = a[2]};
    const char *person = NULL;
    apr_status_t rv = c->dir->find(c->dir->baton, c->pool, &id, &person);

    if (rv == APR_NOTFOUND) {
        ctl_err(c, "SM25010: this %s identity is not linked to any person", id.provider);
        return CTL_NOTFOUND;
    }
    if (rv != APR_SUCCESS)
        return dir_failed(c, "find");
    printf("%s\n", person);
    return CTL_OK;
}

/* ---- show ------------------------------------------------------------------------------- */

int ctl_show(ctl_t *c, const char *const *a)
{
    const char *person = a[0], *attrs = NULL;
    apr_array_header_t *ids = NULL;
    apr_time_t captured = 0;
    apr_status_t rv;
    bool have_attrs;
    int i;

    rv = c->dir->list(c->dir->baton, c->pool, person, &ids);
    if (rv != APR_SUCCESS)
        return dir_failed(c, "list");
    rv = c->dir->load_org_attrs(c->dir->baton, c->pool, person, &attrs, &captured);
    if (rv != APR_SUCCESS && rv != APR_NOTFOUND)
        return dir_failed(c, "load_org_attrs");
    have_attrs = rv == APR_SUCCESS;
    if (ids->nelts == 0 && !have_attrs) {
        ctl_err(c, "SM25011: no person %s (no linked identity, no organisational attributes)",
                person);
        return CTL_NOTFOUND;
    }
    if (c->json) {
        json_t *o = json_object(), *arr = json_array();
        json_object_set_new(o, "person", jstr(person));
        if (have_attrs)
            set_time(o, c->pool, "org_attributes_captured", captured);
        else {
            json_object_set_new(o, "org_attributes_captured", json_null());
            json_object_set_new(o, "org_attributes_captured_epoch", json_null());
        }
        for (i = 0; i < ids->nelts; i++) {
            const sm_linked_identity_t *li = &APR_ARRAY_IDX(ids, i, sm_linked_identity_t);
            json_t *e = json_object();
            json_object_set_new(e, "provider", jstr(li->id.provider));
            json_object_set_new(e, "issuer", jstr(li->id.issuer));
            json_object_set_new(e, "subject", jstr(li->id.subject));
            json_object_set_new(e, "org", json_boolean(li->org));
            set_time(e, c->pool, "linked_at", li->linked_at);
            set_time(e, c->pool, "last_used", li->last_used);
            json_array_append_new(arr, e);
        }
        json_object_set_new(o, "identities", arr);
        return print_json(o) ? CTL_OK : CTL_FAIL;
    }
    printf("person: %s\n", person);
    printf("organisational attributes captured: %s\n",
           have_attrs ? ctl_iso(c->pool, captured) : "never");
    printf("identities: %d\n", ids->nelts);
    for (i = 0; i < ids->nelts; i++) {
        const sm_linked_identity_t *li = &APR_ARRAY_IDX(ids, i, sm_linked_identity_t);
        printf("  provider=%s issuer=%s subject=%s org=%s linked_at=%s last_used=%s\n",
               li->id.provider, li->id.issuer, li->id.subject, li->org ? "yes" : "no",
               ctl_iso(c->pool, li->linked_at), ctl_iso(c->pool, li->last_used));
    }
    return CTL_OK;
}

/* ---- link, unlink ----------------------------------------------------------------------- */

int ctl_link(ctl_t *c, const char *const *a)
{
    const char *person = strcmp(a[0], "new") == 0 ? NULL : a[0], *out = NULL, *owner = NULL;
    sm_identity_t id = {.provider = a[1], .issuer = a[2], .subject = a[3]};
    apr_time_t now = apr_time_now();
    apr_status_t rv;
    json_t *extra;
    int code;

    rv = c->dir->link(c->dir->baton, c->pool, &id, c->org, person, now, &out);
    if (rv == APR_EEXIST) {
        if (c->dir->find(c->dir->baton, c->pool, &id, &owner) == APR_SUCCESS)
            ctl_err(c, "SM25012: this %s identity is already linked to person %s", id.provider,
                    owner);
        else
            ctl_err(c, "SM25013: this %s identity is already linked", id.provider);
        return CTL_NOTFOUND;
    }
    if (rv == APR_NOTFOUND) {
        ctl_err(c, "SM25014: no person %s (use \"new\" to create one)", person);
        return CTL_NOTFOUND;
    }
    if (rv != APR_SUCCESS)
        return dir_failed(c, "link");
    extra = json_pack("{s:b,s:b}", "org", (int)c->org, "new_person", person == NULL);
    code = admin_event(c, "link", out, id.provider, now, extra);
    printf("%s\n", out);
    return code;
}

int ctl_unlink(ctl_t *c, const char *const *a)
{
    const char *person = a[0];
    sm_identity_t id = {.provider = a[1], .issuer = a[2], .subject = a[3]};
    apr_array_header_t *ids = NULL;
    const sm_linked_identity_t *it = NULL;
    apr_time_t now = apr_time_now();
    apr_status_t rv;
    int i, orgs = 0;
    bool last_org;

    rv = c->dir->list(c->dir->baton, c->pool, person, &ids);
    if (rv != APR_SUCCESS)
        return dir_failed(c, "list");
    for (i = 0; i < ids->nelts; i++) {
        const sm_linked_identity_t *li = &APR_ARRAY_IDX(ids, i, sm_linked_identity_t);
        if (li->org)
            orgs++;
        if (strcmp(li->id.provider, id.provider) == 0 && strcmp(li->id.issuer, id.issuer) == 0 &&
            strcmp(li->id.subject, id.subject) == 0)
            it = li;
    }
    if (!it) {
        ctl_err(c, "SM25015: this %s identity is not linked to person %s", id.provider, person);
        return CTL_NOTFOUND;
    }
    /* The self-service rule: never the person's last organisational link (here: unless --force). */
    last_org = it->org && orgs == 1;
    if (last_org && !c->force) {
        ctl_err(c,
                "SM25016: refused: this is the last organisational identity of person %s "
                "(--force removes it anyway)",
                person);
        return CTL_NOTFOUND;
    }
    rv = c->dir->unlink(c->dir->baton, c->pool, person, &id, now);
    if (rv == APR_NOTFOUND) {
        ctl_err(c, "SM25015: this %s identity is not linked to person %s", id.provider, person);
        return CTL_NOTFOUND;
    }
    if (rv != APR_SUCCESS)
        return dir_failed(c, "unlink");
    return admin_event(c, "unlink", person, id.provider, now,
                       json_pack("{s:b,s:b}", "org", (int)it->org, "forced", (int)last_org));
}

/* ---- events ----------------------------------------------------------------------------- */

static bool print_event(apr_pool_t *p, const sm_dir_event_t *e)
{
    json_t *o = json_object(), *detail;

    json_object_set_new(o, "id", json_integer((json_int_t)e->id));
    json_object_set_new(o, "type", jstr(e->type));
    json_object_set_new(o, "person", jstr(e->person));
    json_object_set_new(o, "provider", jstr(e->provider ? e->provider : ""));
    set_time(o, p, "at", e->at);
    /* The detail is a JSON object as stored; anything else (never written by mod_selmid) is
     * kept as a string so that the line stays valid JSON. */
    detail = e->detail ? json_loads(e->detail, JSON_REJECT_DUPLICATES, NULL) : json_object();
    if (!json_is_object(detail)) {
        json_decref(detail);
        detail = jstr(e->detail);
    }
    json_object_set_new(o, "detail", detail);
    return print_json(o);
}

int ctl_events(ctl_t *c, const char *const *a)
{
    apr_int64_t after = c->has_after ? c->after : 0, printed = 0;
    int page = c->has_page ? c->page : 500, i, code = CTL_OK;
    apr_pool_t *pp = NULL;
    bool more = true;

    (void)a;
    apr_pool_create(&pp, c->pool);
    while (more) {
        apr_array_header_t *evs = NULL;
        apr_status_t rv;

        apr_pool_clear(pp);
        rv = c->dir->read_events(c->dir->baton, pp, after, page, &evs);
        if (rv != APR_SUCCESS) {
            code = dir_failed(c, "read_events");
            goto leave;
        }
        more = evs->nelts == page;
        for (i = 0; i < evs->nelts; i++) {
            const sm_dir_event_t *e = &APR_ARRAY_IDX(evs, i, sm_dir_event_t);
            after = e->id;
            if (c->has_person && strcmp(e->person, c->person) != 0)
                continue;
            if (!print_event(pp, e)) {
                ctl_err(c, "SM25032: cannot write the events");
                code = CTL_FAIL;
                goto leave;
            }
            if (c->has_limit && ++printed >= c->limit)
                goto leave;
        }
    }
leave:
    apr_pool_destroy(pp);
    return code;
}
