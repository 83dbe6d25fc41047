/* sm_directory_ops.c: the operations of the directory port on APR-util DBD: each takes a pooled
 * connection, runs prepared statements (several in one transaction where they must hold together)
 * and gives the connection back. Uniqueness of an identity is decided by the database. */
#include "sm_directory_dbd_int.h"
#include "sm_crypto.h"
#include <string.h>

static bool identity_ok(const sm_identity_t *id)
{
    return id && id->provider && *id->provider && id->issuer && *id->issuer && id->subject &&
           *id->subject && strlen(id->provider) <= SM_DIR_PROVIDER_MAX &&
           strlen(id->issuer) <= SM_DIR_ID_MAX && strlen(id->subject) <= SM_DIR_ID_MAX;
}

static apr_status_t dir_link(void *baton, apr_pool_t *p, const sm_identity_t *id, bool org,
                             const char *person, apr_time_t now, const char **person_out)
{
    dir_t *d = baton;
    conn_t *c = NULL;
    bool tx = false;
    apr_status_t rv = APR_SUCCESS;
    const char *pid = person, *ts = sm_dbd_secs(p, now);
    int rc, n = 0;

    if (person_out)
        *person_out = NULL;
    if (!identity_ok(id) || (person && !*person))
        return APR_EINVAL;
    if (!pid) {
        pid = sm_random_token(p, d->rnd, PERSON_ID_BYTES);
        if (!pid) {
            sm_log(d->log, SM_LOG_ERROR, "SM24005: directory: no randomness for a person id");
            return APR_EGENERAL;
        }
    }
    if ((rv = sm_dbd_acquire(d, &c)) != APR_SUCCESS)
        return rv;
    rc = sm_dbd_tx_begin(d, c->handle);
    tx = rc == 0;
    if (rc != 0) {
        sm_dbd_log_fail(d, c, "begin (link)", rc);
        rv = APR_EGENERAL;
        goto leave;
    }
    if (!person) {
        const char *args[] = {pid, ts, NULL};
        rc = sm_dbd_exec(d, c, p, ST_PERSON_NEW, NULL, args);
        if (rc != 0) {
            sm_dbd_log_fail(d, c, "new person", rc);
            rv = APR_EGENERAL;
            goto leave;
        }
    }
    {
        const char *args[] = {id->provider, id->issuer, id->subject, org ? "1" : "0",
                              ts,           ts,         pid,         NULL};
        rc = sm_dbd_exec(d, c, p, ST_LINK, &n, args);
    }
    if (rc != 0) {
        sm_dbd_log_fail(d, c, "link", rc);
        rv = APR_EGENERAL;
        goto leave;
    }
    if (n == 0) {
        /* Nothing inserted: the identity is linked already (the primary key of identities
         * decided), or the given person does not exist. The insert holds the write lock now. */
        apr_array_header_t *rows = NULL;
        const char *args[] = {pid, NULL};
        rc = sm_dbd_select_rows(d, c, p, ST_PERSON_EXISTS, 1, &rows, args);
        if (rc != 0) {
            sm_dbd_log_fail(d, c, "person lookup", rc);
            rv = APR_EGENERAL;
        } else
            rv = rows->nelts == 0 ? APR_NOTFOUND : APR_EEXIST;
        goto leave;
    }
    {
        const char *detail = apr_psprintf(p, "{\"org\":%s,\"new_person\":%s}",
                                          org ? "true" : "false", person ? "false" : "true");
        const char *args[] = {"link", pid, id->provider, ts, detail, NULL};
        rc = sm_dbd_exec(d, c, p, ST_EVENT_ADD, NULL, args);
    }
    if (rc != 0) {
        sm_dbd_log_fail(d, c, "link event", rc);
        rv = APR_EGENERAL;
        goto leave;
    }
leave:
    rv = sm_dbd_tx_finish(d, c, tx, rv, "commit (link)");
    sm_dbd_release(d, c, p, rv != APR_SUCCESS && rv != APR_EEXIST && rv != APR_NOTFOUND);
    if (rv == APR_SUCCESS && person_out)
        *person_out = pid;
    return rv;
}

static apr_status_t dir_unlink(void *baton, apr_pool_t *p, const char *person,
                               const sm_identity_t *id, apr_time_t now)
{
    dir_t *d = baton;
    conn_t *c = NULL;
    bool tx = false;
    apr_status_t rv = APR_SUCCESS;
    int rc, n = 0;

    if (!identity_ok(id) || !person || !*person)
        return APR_EINVAL;
    if ((rv = sm_dbd_acquire(d, &c)) != APR_SUCCESS)
        return rv;
    rc = sm_dbd_tx_begin(d, c->handle);
    tx = rc == 0;
    if (rc != 0) {
        sm_dbd_log_fail(d, c, "begin (unlink)", rc);
        rv = APR_EGENERAL;
        goto leave;
    }
    {
        const char *args[] = {id->provider, id->issuer, id->subject, person, NULL};
        rc = sm_dbd_exec(d, c, p, ST_UNLINK, &n, args);
    }
    if (rc != 0) {
        sm_dbd_log_fail(d, c, "unlink", rc);
        rv = APR_EGENERAL;
        goto leave;
    }
    if (n == 0) {
        rv = APR_NOTFOUND;
        goto leave;
    }
    {
        const char *args[] = {"unlink", person, id->provider, sm_dbd_secs(p, now), "{}", NULL};
        rc = sm_dbd_exec(d, c, p, ST_EVENT_ADD, NULL, args);
    }
    if (rc != 0) {
        sm_dbd_log_fail(d, c, "unlink event", rc);
        rv = APR_EGENERAL;
    }
leave:
    rv = sm_dbd_tx_finish(d, c, tx, rv, "commit (unlink)");
    sm_dbd_release(d, c, p, rv != APR_SUCCESS && rv != APR_NOTFOUND);
    return rv;
}

static apr_status_t dir_list(void *baton, apr_pool_t *p, const char *person,
                             apr_array_header_t **ids)
{
    dir_t *d = baton;
    conn_t *c = NULL;
    apr_array_header_t *rows = NULL;
    apr_status_t rv = APR_SUCCESS;
    int rc, i;

    *ids = NULL;
    if (!person || !*person)
        return APR_EINVAL;
    if ((rv = sm_dbd_acquire(d, &c)) != APR_SUCCESS)
        return rv;
    {
        const char *args[] = {person, NULL};
        rc = sm_dbd_select_rows(d, c, p, ST_LIST, 6, &rows, args);
    }
    if (rc != 0) {
        sm_dbd_log_fail(d, c, "list", rc);
        rv = APR_EGENERAL;
        goto leave;
    }
    *ids = apr_array_make(p, rows->nelts ? rows->nelts : 1, sizeof(sm_linked_identity_t));
    for (i = 0; i < rows->nelts; i++) {
        const char **v = APR_ARRAY_IDX(rows, i, const char **);
        sm_linked_identity_t *li = apr_array_push(*ids);
        li->id.provider = v[0];
        li->id.issuer = v[1];
        li->id.subject = v[2];
        li->org = v[3] && strcmp(v[3], "0") != 0;
        li->linked_at = sm_dbd_from_secs(v[4]);
        li->last_used = sm_dbd_from_secs(v[5]);
    }
leave:
    sm_dbd_release(d, c, p, rv != APR_SUCCESS);
    return rv;
}

static apr_status_t dir_touch(void *baton, apr_pool_t *p, const sm_identity_t *id, apr_time_t now)
{
    dir_t *d = baton;
    conn_t *c = NULL;
    apr_status_t rv;
    int rc, n = 0;

    if (!identity_ok(id))
        return APR_EINVAL;
    if ((rv = sm_dbd_acquire(d, &c)) != APR_SUCCESS)
        return rv;
    {
        const char *args[] = {sm_dbd_secs(p, now), id->provider, id->issuer, id->subject, NULL};
        rc = sm_dbd_write(d, c, p, ST_TOUCH, &n, args);
    }
    if (rc != 0) {
        sm_dbd_log_fail(d, c, "touch", rc);
        rv = APR_EGENERAL;
    } else if (n == 0)
        rv = APR_NOTFOUND;
    sm_dbd_release(d, c, p, rv != APR_SUCCESS && rv != APR_NOTFOUND);
    return rv;
}

static apr_status_t dir_org_save(void *baton, apr_pool_t *p, const char *person, const char *json,
                                 apr_time_t at)
{
    dir_t *d = baton;
    conn_t *c = NULL;
    apr_status_t rv;
    int rc, n = 0;

    if (!person || !*person || !json)
        return APR_EINVAL;
    if ((rv = sm_dbd_acquire(d, &c)) != APR_SUCCESS)
        return rv;
    {
        const char *args[] = {json, sm_dbd_secs(p, at), person, NULL};
        rc = sm_dbd_write(d, c, p, ST_ORG_SAVE, &n, args);
    }
    if (rc != 0) {
        sm_dbd_log_fail(d, c, "save org attributes", rc);
        rv = APR_EGENERAL;
    } else if (n == 0)
        rv = APR_NOTFOUND; /* no such person */
    sm_dbd_release(d, c, p, rv != APR_SUCCESS && rv != APR_NOTFOUND);
    return rv;
}

static apr_status_t dir_org_load(void *baton, apr_pool_t *p, const char *person, const char **json,
                                 apr_time_t *at)
{
    dir_t *d = baton;
    conn_t *c = NULL;
    apr_array_header_t *rows = NULL;
    apr_status_t rv;
    int rc;

    *json = NULL;
    if (at)
        *at = 0;
    if (!person || !*person)
        return APR_EINVAL;
    if ((rv = sm_dbd_acquire(d, &c)) != APR_SUCCESS)
        return rv;
    {
        const char *args[] = {person, NULL};
        rc = sm_dbd_select_rows(d, c, p, ST_ORG_LOAD, 2, &rows, args);
    }
    if (rc != 0) {
        sm_dbd_log_fail(d, c, "load org attributes", rc);
        rv = APR_EGENERAL;
    } else if (rows->nelts == 0) {
        rv = APR_NOTFOUND;
    } else {
        const char **v = APR_ARRAY_IDX(rows, 0, const char **);
        *json = v[0];
        if (at)
            *at = sm_dbd_from_secs(v[1]);
    }
    sm_dbd_release(d, c, p, rv != APR_SUCCESS && rv != APR_NOTFOUND);
    return rv;
}

static bool event_type_ok(const char *t)
{
    apr_size_t n = 0;

    if (!t)
        return false;
    for (; t[n]; n++)
        if (!((t[n] >= 'a' && t[n] <= 'z') || t[n] == '_'))
            return false;
    return n >= 1 && n <= 32;
}

static apr_status_t dir_event_add(void *baton, apr_pool_t *p, const sm_dir_event_t *ev)
{
    dir_t *d = baton;
    conn_t *c = NULL;
    apr_status_t rv;
    const char *detail = ev->detail ? ev->detail : "{}";
    int rc;

    if (!event_type_ok(ev->type) || !ev->person || !*ev->person ||
        strlen(detail) > SM_DIR_EVENT_DETAIL_MAX)
        return APR_EINVAL;
    if ((rv = sm_dbd_acquire(d, &c)) != APR_SUCCESS)
        return rv;
    {
        const char *args[] = {
            ev->type, ev->person, ev->provider ? ev->provider : "", sm_dbd_secs(p, ev->at),
            detail,   NULL};
        rc = sm_dbd_write(d, c, p, ST_EVENT_ADD, NULL, args);
    }
    if (rc != 0) {
        sm_dbd_log_fail(d, c, "append event", rc);
        rv = APR_EGENERAL;
    }
    sm_dbd_release(d, c, p, rv != APR_SUCCESS);
    return rv;
}

static apr_status_t dir_events(void *baton, apr_pool_t *p, apr_int64_t after_id, int max,
                               apr_array_header_t **events)
{
    dir_t *d = baton;
    conn_t *c = NULL;
    apr_array_header_t *rows = NULL;
    apr_status_t rv;
    int rc, i;

    *events = NULL;
    if (max <= 0)
        return APR_EINVAL;
    if ((rv = sm_dbd_acquire(d, &c)) != APR_SUCCESS)
        return rv;
    {
        const char *args[] = {apr_psprintf(p, "%" APR_INT64_T_FMT, after_id),
                              apr_psprintf(p, "%d", max), NULL};
        rc = sm_dbd_select_rows(d, c, p, ST_EVENTS, 6, &rows, args);
    }
    if (rc != 0) {
        sm_dbd_log_fail(d, c, "read events", rc);
        rv = APR_EGENERAL;
        goto leave;
    }
    *events = apr_array_make(p, rows->nelts ? rows->nelts : 1, sizeof(sm_dir_event_t));
    for (i = 0; i < rows->nelts; i++) {
        const char **v = APR_ARRAY_IDX(rows, i, const char **);
        sm_dir_event_t *e = apr_array_push(*events);
        e->id = v[0] ? apr_atoi64(v[0]) : 0;
        e->type = v[1];
        e->person = v[2];
        e->provider = v[3];
        e->at = sm_dbd_from_secs(v[4]);
        e->detail = v[5];
    }
leave:
    sm_dbd_release(d, c, p, rv != APR_SUCCESS);
    return rv;
}

static apr_status_t dir_lookup(void *baton, apr_pool_t *p, const sm_identity_t *id,
                               const char **person, const char **org_json, apr_time_t *org_at)
{
    dir_t *d = baton;
    conn_t *c = NULL;
    apr_array_header_t *rows = NULL;
    apr_status_t rv;
    int rc;

    *person = NULL;
    *org_json = NULL;
    if (org_at)
        *org_at = 0;
    if (!identity_ok(id))
        return APR_EINVAL;
    if ((rv = sm_dbd_acquire(d, &c)) != APR_SUCCESS)
        return rv;
    {
        const char *args[] = {id->provider, id->issuer, id->subject, NULL};
        rc = sm_dbd_select_rows(d, c, p, ST_LOOKUP, 3, &rows, args);
    }
    if (rc != 0) {
        sm_dbd_log_fail(d, c, "lookup", rc);
        rv = APR_EGENERAL;
    } else if (rows->nelts == 0) {
        rv = APR_NOTFOUND;
    } else {
        const char **v = APR_ARRAY_IDX(rows, 0, const char **);
        *person = v[0];
        *org_json = v[1];
        if (org_at && v[1])
            *org_at = sm_dbd_from_secs(v[2]);
    }
    sm_dbd_release(d, c, p, rv != APR_SUCCESS && rv != APR_NOTFOUND);
    return rv;
}

/* The person alone: the same indexed read as a login's lookup. */
static apr_status_t dir_find(void *baton, apr_pool_t *p, const sm_identity_t *id,
                             const char **person)
{
    const char *org_json = NULL;
    return dir_lookup(baton, p, id, person, &org_json, NULL);
}

static apr_status_t dir_record_login(void *baton, apr_pool_t *p, const char *person,
                                     const sm_identity_t *id, const char *org_json, apr_time_t now)
{
    dir_t *d = baton;
    conn_t *c = NULL;
    bool tx = false;
    apr_status_t rv;
    const char *ts = sm_dbd_secs(p, now);
    int rc, n = 0;

    if (!identity_ok(id) || !person || !*person)
        return APR_EINVAL;
    if ((rv = sm_dbd_acquire(d, &c)) != APR_SUCCESS)
        return rv;
    rc = sm_dbd_tx_begin(d, c->handle);
    tx = rc == 0;
    if (rc == 0) {
        const char *args[] = {ts, id->provider, id->issuer, id->subject, person, NULL};
        rc = sm_dbd_exec(d, c, p, ST_TOUCH_PERSON, &n, args);
    }
    if (rc != 0) {
        sm_dbd_log_fail(d, c, "record login", rc);
        rv = APR_EGENERAL;
        goto leave;
    }
    if (n == 0) {
        rv = APR_NOTFOUND;
        goto leave;
    }
    if (org_json) {
        const char *args[] = {org_json, ts, person, NULL};
        rc = sm_dbd_exec(d, c, p, ST_ORG_SAVE, NULL, args);
    }
    if (rc == 0) {
        const char *args[] = {
            "login", person, id->provider, ts, org_json ? "{\"org\":true}" : "{\"org\":false}",
            NULL};
        rc = sm_dbd_exec(d, c, p, ST_EVENT_ADD, NULL, args);
    }
    if (rc != 0) {
        sm_dbd_log_fail(d, c, "record login", rc);
        rv = APR_EGENERAL;
    }
leave:
    rv = sm_dbd_tx_finish(d, c, tx, rv, "commit (record login)");
    sm_dbd_release(d, c, p, rv != APR_SUCCESS && rv != APR_NOTFOUND);
    return rv;
}

void sm_dbd_set_ops(sm_directory_t *port)
{
    port->lookup = dir_lookup;
    port->record_login = dir_record_login;
    port->find = dir_find;
    port->link = dir_link;
    port->unlink = dir_unlink;
    port->list = dir_list;
    port->touch = dir_touch;
    port->save_org_attrs = dir_org_save;
    port->load_org_attrs = dir_org_load;
    port->append_event = dir_event_add;
    port->read_events = dir_events;
}
