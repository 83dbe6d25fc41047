/* sm_directory_dbd.c: the directory port on APR-util DBD (apr_dbd), drivers "sqlite3" and "pgsql":
 * the spec, connections, statement texts, schema migrations and open (the operations are in
 * sm_directory_ops.c).
 *
 * - Prepared statements only (apr_dbd_prepare with labels, per connection); the only unprepared SQL
 *   is the constant DDL of the migrations and the SQLite pragmas.
 * - The same DML text on SQLite (3.24+: ON CONFLICT) and PostgreSQL: times are integer seconds,
 *   ids are TEXT (persons: 128-bit random base64url); only the events' id column is spelt per
 *   back end in the DDL (SQLite INTEGER PRIMARY KEY AUTOINCREMENT, PostgreSQL an identity column).
 *   The pgsql driver declares every parameter varchar, so numbers are passed as CAST(%s AS ...).
 * - Connections: an apr_reslist pool per process (like mod_dbd), for both back ends; each
 *   connection is used by one thread at a time. SQLite allows several connections to one file;
 *   writers of different processes are serialised by its lock (busy timeout 5 s, plus the
 *   driver's own retries). Writers of one process are serialised by a mutex first (wlock): the
 *   sqlite3 driver runs every call under one process-wide mutex (apr_dbd_mutex_lock), so a thread
 *   waiting in SQLite's busy handler for a lock held by another connection of its own process
 *   would keep that connection from ever finishing, and stall every directory call of the process
 *   for the whole busy timeout.
 * - Several statements that must hold together run in one transaction; uniqueness of an
 *   identity is decided by the primary key of identities (INSERT ... ON CONFLICT DO NOTHING and the
 *   count of inserted rows), never by a read before the write.
 * - Schema: selmid_schema(id=1, version); migrations are an ordered list of statements applied in
 *   one transaction at open, after taking the row lock of selmid_schema so that processes opening
 *   at the same time migrate once. A database with a newer version than this code knows is refused.
 */
#include "sm_directory_dbd_int.h"
#include "sm_crypto.h"
#include <apr_file_io.h>
#include <stdlib.h>
#include <string.h>

#define DIR_BUSY_TIMEOUT_MS 5000
#define DIR_POOL_HMAX       8
#define DIR_POOL_SMAX       2
#define DIR_POOL_TTL        apr_time_from_sec(120)
#define DIR_ACQUIRE_TIMEOUT apr_time_from_sec(10)
#define SM_STR_(x)          #x
#define SM_STR(x)           SM_STR_(x)

/* ---- spec ------------------------------------------------------------------------------- */

const char *sm_directory_dbd_parse(apr_pool_t *p, const char *spec, sm_dir_dbd_cfg_t **cfg)
{
    sm_dir_dbd_cfg_t *c;
    const char *rest;

    *cfg = NULL;
    if (!spec || !*spec)
        return "SelmidDirectory: empty directory (use sqlite:/path/file.db or pgsql:<conninfo>)";
    c = apr_pcalloc(p, sizeof(*c));
    if (strncmp(spec, "sqlite:", 7) == 0) {
        rest = spec + 7;
        c->backend = BK_SQLITE;
        if (!*rest)
            return "SelmidDirectory: sqlite: needs a file, as in sqlite:/var/lib/selmid/selmid.db";
        if (rest[0] != '/')
            return apr_psprintf(p, "SelmidDirectory: the SQLite file '%s' must be an absolute path",
                                rest);
        if (rest[strlen(rest) - 1] == '/')
            return apr_psprintf(p, "SelmidDirectory: '%s' names a directory, not a SQLite file",
                                rest);
        if (strstr(rest, "/../") || strstr(rest, "/./"))
            return apr_psprintf(p, "SelmidDirectory: the SQLite path '%s' must not contain . or ..",
                                rest);
    } else if (strncmp(spec, "pgsql:", 6) == 0) {
        rest = spec + 6;
        c->backend = BK_PGSQL;
        while (*rest == ' ' || *rest == '\t')
            rest++;
        if (!*rest)
            return "SelmidDirectory: pgsql: needs a connection string, as in "
                   "pgsql:\"host=/run/postgresql dbname=selmid user=selmid\"";
    } else {
        const char *colon = strchr(spec, ':');
        return apr_psprintf(p,
                            "SelmidDirectory: unknown back end '%s' (use sqlite:/path/file.db or "
                            "pgsql:<conninfo>)",
                            colon ? apr_pstrndup(p, spec, (apr_size_t)(colon - spec)) : spec);
    }
    c->target = apr_pstrdup(p, rest);
    *cfg = c;
    return NULL;
}

const char *sm_directory_dbd_backend(const sm_dir_dbd_cfg_t *cfg)
{
    return cfg->backend == BK_SQLITE ? "sqlite" : "pgsql";
}

/* ---- statements ------------------------------------------------------------------------- */

static const struct {
    const char *label;
    const char *sql;
} stmts[ST_COUNT] = {
    [ST_PERSON_NEW] = {"sm_person_new",
                       "INSERT INTO persons (id, created_at) VALUES (%s, CAST(%s AS BIGINT))"},
    [ST_PERSON_EXISTS] = {"sm_person_exists", "SELECT id FROM persons WHERE id = %s"},
    [ST_LINK] = {"sm_link",
                 "INSERT INTO identities (provider, issuer, subject, person_id, org, linked_at, "
                 "last_used) SELECT %s, %s, %s, id, CAST(%s AS INTEGER), CAST(%s AS BIGINT), "
                 "CAST(%s AS BIGINT) FROM persons WHERE id = %s ON CONFLICT DO NOTHING"},
    [ST_UNLINK] = {"sm_unlink",
                   "DELETE FROM identities WHERE provider = %s AND issuer = %s AND subject = %s "
                   "AND person_id = %s"},
    [ST_LIST] = {"sm_list",
                 "SELECT provider, issuer, subject, org, linked_at, last_used FROM identities "
                 "WHERE person_id = %s ORDER BY linked_at, provider, issuer, subject"},
    [ST_TOUCH] = {"sm_touch", "UPDATE identities SET last_used = CAST(%s AS BIGINT) WHERE provider "
                              "= %s AND issuer = %s AND "
                              "subject = %s"},
    [ST_ORG_SAVE] = {"sm_org_save",
                     "INSERT INTO org_attributes (person_id, attrs, captured_at) SELECT id, "
                     "CAST(%s AS TEXT), CAST(%s AS BIGINT) FROM persons WHERE id = %s "
                     "ON CONFLICT (person_id) DO UPDATE SET attrs = excluded.attrs, "
                     "captured_at = excluded.captured_at"},
    [ST_ORG_LOAD] = {"sm_org_load",
                     "SELECT attrs, captured_at FROM org_attributes WHERE person_id = %s"},
    [ST_EVENT_ADD] = {"sm_event_add",
                      "INSERT INTO events (type, person_id, provider, at, detail) VALUES (%s, %s, "
                      "%s, CAST(%s AS BIGINT), %s)"},
    [ST_EVENTS] = {"sm_events", "SELECT id, type, person_id, provider, at, detail FROM events "
                                "WHERE id > CAST(%s AS BIGINT) "
                                "ORDER BY id LIMIT CAST(%s AS INTEGER)"},
    [ST_LOOKUP] = {"sm_lookup",
                   "SELECT i.person_id, o.attrs, o.captured_at FROM identities i LEFT JOIN "
                   "org_attributes o ON o.person_id = i.person_id WHERE i.provider = %s AND "
                   "i.issuer = %s AND i.subject = %s"},
    [ST_TOUCH_PERSON] = {"sm_touch_person",
                         "UPDATE identities SET last_used = CAST(%s AS BIGINT) WHERE provider = "
                         "%s AND issuer = %s AND subject = %s AND person_id = %s"},
};

/* ---- migrations ------------------------------------------------------------------------- */

typedef struct migration_t {
    int version; /* the version reached after this statement's group */
    const char *sqlite;
    const char *pgsql; /* NULL: the same text as sqlite */
} migration_t;

static const migration_t migrations[] = {
    /* 1: persons and their identities */
    {1, "CREATE TABLE persons (id TEXT PRIMARY KEY, created_at BIGINT NOT NULL)", NULL},
    {1,
     "CREATE TABLE identities (provider TEXT NOT NULL, issuer TEXT NOT NULL, subject TEXT NOT "
     "NULL, "
     "person_id TEXT NOT NULL REFERENCES persons (id), linked_at BIGINT NOT NULL, "
     "last_used BIGINT NOT NULL, PRIMARY KEY (provider, issuer, subject))",
     NULL},
    {1, "CREATE INDEX identities_person ON identities (person_id)", NULL},
    /* 2: the organisational flag, organisational attributes, the event log */
    {2, "ALTER TABLE identities ADD COLUMN org INTEGER NOT NULL DEFAULT 0", NULL},
    {2,
     "CREATE TABLE org_attributes (person_id TEXT PRIMARY KEY REFERENCES persons (id), "
     "attrs TEXT NOT NULL, captured_at BIGINT NOT NULL)",
     NULL},
    {2,
     "CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT, type TEXT NOT NULL, "
     "person_id TEXT NOT NULL, provider TEXT NOT NULL, at BIGINT NOT NULL, detail TEXT NOT NULL)",
     "CREATE TABLE events (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, type TEXT NOT NULL, "
     "person_id TEXT NOT NULL, provider TEXT NOT NULL, at BIGINT NOT NULL, detail TEXT NOT NULL)"},
    {2, "CREATE INDEX events_person ON events (person_id)", NULL},
};

/* ---- connections ------------------------------------------------------------------------ */

const char *sm_dbd_error(const dir_t *d, apr_dbd_t *h, int rc)
{
    const char *e = h ? apr_dbd_error(d->driver, h, rc) : NULL;
    return e ? e : "(no message)";
}

/* Opens one connection and sets the SQLite pragmas. */
static apr_status_t conn_open(const dir_t *d, apr_pool_t *cp, apr_dbd_t **h, const char **err)
{
    const char *e = NULL;
    apr_status_t rv = apr_dbd_open_ex(d->driver, cp, d->params, h, &e);
    int rc, n = 0;

    if (rv != APR_SUCCESS) {
        *err = apr_psprintf(cp, "cannot open the %s directory: %s",
                            sm_directory_dbd_backend(d->cfg), e ? e : "(no message)");
        return rv;
    }
    if (d->cfg->backend == BK_SQLITE) {
        apr_dbd_results_t *res = NULL;
        apr_dbd_row_t *row = NULL;

        rc = apr_dbd_query(d->driver, *h, &n, "PRAGMA foreign_keys = ON");
        if (rc == 0)
            rc = apr_dbd_select(d->driver, cp, *h, &res, "PRAGMA busy_timeout = 5000", 0);
        if (rc == 0)
            while (apr_dbd_get_row(d->driver, cp, res, &row, -1) == 0)
                ;
        if (rc != 0) {
            *err = apr_psprintf(cp, "cannot set up the SQLite connection: %s",
                                sm_dbd_error(d, *h, rc));
            apr_dbd_close(d->driver, *h);
            *h = NULL;
            return APR_EGENERAL;
        }
    }
    return APR_SUCCESS;
}

static apr_status_t conn_ctor(void **resource, void *params, apr_pool_t *rpool)
{
    dir_t *d = params;
    conn_t *c;
    apr_pool_t *cp;
    const char *err = NULL;
    apr_status_t rv;
    int i, rc;

    (void)rpool;
    /* A root pool per connection: constructors may run concurrently. */
    rv = apr_pool_create(&cp, NULL);
    if (rv != APR_SUCCESS)
        return rv;
    c = apr_pcalloc(cp, sizeof(*c));
    c->pool = cp;
    rv = conn_open(d, cp, &c->handle, &err);
    if (rv != APR_SUCCESS) {
        sm_log(d->log, SM_LOG_ERROR, "SM24001: directory: %s", err);
        goto leave;
    }
    for (i = 0; i < ST_COUNT; i++) {
        rc = apr_dbd_prepare(d->driver, cp, c->handle, stmts[i].sql, stmts[i].label, &c->st[i]);
        if (rc != 0) {
            sm_log(d->log, SM_LOG_ERROR, "SM24002: directory: cannot prepare %s: %s",
                   stmts[i].label, sm_dbd_error(d, c->handle, rc));
            apr_dbd_close(d->driver, c->handle);
            rv = APR_EGENERAL;
            goto leave;
        }
    }
    *resource = c;
leave:
    if (rv != APR_SUCCESS)
        apr_pool_destroy(cp);
    return rv;
}

static apr_status_t conn_dtor(void *resource, void *params, apr_pool_t *rpool)
{
    dir_t *d = params;
    conn_t *c = resource;

    (void)rpool;
    apr_dbd_close(d->driver, c->handle);
    apr_pool_destroy(c->pool);
    return APR_SUCCESS;
}

apr_status_t sm_dbd_acquire(dir_t *d, conn_t **c)
{
    void *r = NULL;
    apr_status_t rv = apr_reslist_acquire(d->conns, &r);

    if (rv != APR_SUCCESS) {
        sm_log(d->log, SM_LOG_ERROR, "SM24003: directory (%s): no connection available (%d)",
               d->port.name, rv);
        return rv;
    }
    *c = r;
    return APR_SUCCESS;
}

/* Returns a connection to the pool, or drops it when it is broken. */
void sm_dbd_release(dir_t *d, conn_t *c, apr_pool_t *p, bool failed)
{
    if (failed && apr_dbd_check_conn(d->driver, p, c->handle) != APR_SUCCESS)
        apr_reslist_invalidate(d->conns, c);
    else
        apr_reslist_release(d->conns, c);
}

const char *sm_dbd_secs(apr_pool_t *p, apr_time_t t)
{
    return apr_psprintf(p, "%" APR_INT64_T_FMT, (apr_int64_t)apr_time_sec(t));
}

apr_time_t sm_dbd_from_secs(const char *s)
{
    return s ? apr_time_from_sec(apr_atoi64(s)) : 0;
}

void sm_dbd_log_fail(const dir_t *d, conn_t *c, const char *what, int rc)
{
    sm_log(d->log, SM_LOG_ERROR, "SM24004: directory (%s): %s failed: %s", d->port.name, what,
           sm_dbd_error(d, c->handle, rc));
}

/* Runs a prepared select and collects every row. Random access: the pgsql driver reports a
 * failing query only then (a sequential select may fail late and look like an empty result);
 * rows is an array of const char ** of ncols entries (NULL for SQL NULL), allocated in p. */
int sm_dbd_select_rows(dir_t *d, conn_t *c, apr_pool_t *p, int st, int ncols,
                       apr_array_header_t **rows, const char **args)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    int rc, i, nargs = 0;

    while (args[nargs])
        nargs++;
    rc = apr_dbd_pselect(d->driver, p, c->handle, &res, c->st[st], 1, nargs, args);
    if (rc != 0)
        return rc;
    *rows = apr_array_make(p, 4, sizeof(const char **));
    while ((rc = apr_dbd_get_row(d->driver, p, res, &row, -1)) == 0) {
        const char **vals = apr_pcalloc(p, sizeof(*vals) * (apr_size_t)ncols);
        for (i = 0; i < ncols; i++) {
            const char *v = apr_dbd_get_entry(d->driver, row, i);
            char *ignored = NULL;
            /* SQL NULL is NULL: the pgsql driver's get_entry gives "" for it, datum_get tells */
            if (v &&
                apr_dbd_datum_get(d->driver, row, i, APR_DBD_TYPE_STRING, &ignored) == APR_ENOENT)
                v = NULL;
            vals[i] = v ? apr_pstrdup(p, v) : NULL;
        }
        APR_ARRAY_PUSH(*rows, const char **) = vals;
    }
    return rc == -1 ? 0 : rc;
}

int sm_dbd_exec(dir_t *d, conn_t *c, apr_pool_t *p, int st, int *nrows, const char **args)
{
    int nargs = 0, n = 0;
    int rc;

    while (args[nargs])
        nargs++;
    rc = apr_dbd_pquery(d->driver, p, c->handle, nrows ? nrows : &n, c->st[st], nargs, args);
    return rc;
}

/* The process's SQLite writers, one at a time (see the top of this file); nothing for pgsql. */
static void write_lock(const dir_t *d)
{
#if APR_HAS_THREADS
    if (d->wlock)
        apr_thread_mutex_lock(d->wlock);
#else
    (void)d;
#endif
}

static void write_unlock(const dir_t *d)
{
#if APR_HAS_THREADS
    if (d->wlock)
        apr_thread_mutex_unlock(d->wlock);
#else
    (void)d;
#endif
}

/* Transactions are begun and ended here rather than with apr_dbd_transaction_start/end: SQLite
 * needs BEGIN IMMEDIATE (the write lock first, waiting under the busy timeout) so that two
 * writers never deadlock on a read lock upgraded to a write lock, which SQLite reports at once as
 * SQLITE_BUSY without waiting. */
int sm_dbd_tx_begin(const dir_t *d, apr_dbd_t *h)
{
    int n = 0, rc;

    write_lock(d);
    rc =
        apr_dbd_query(d->driver, h, &n, d->cfg->backend == BK_SQLITE ? "BEGIN IMMEDIATE" : "BEGIN");
    if (rc != 0)
        write_unlock(d);
    return rc;
}

/* Commits (when commit) or rolls back; a failed commit is rolled back. 0 when committed. */
int sm_dbd_tx_end(const dir_t *d, apr_dbd_t *h, bool commit)
{
    int n = 0, rc = -1;

    if (commit)
        rc = apr_dbd_query(d->driver, h, &n, "COMMIT");
    if (rc != 0)
        (void)apr_dbd_query(d->driver, h, &n, "ROLLBACK");
    write_unlock(d);
    return commit ? rc : 0;
}

apr_status_t sm_dbd_tx_finish(const dir_t *d, conn_t *c, bool begun, apr_status_t rv,
                              const char *what)
{
    int rc;

    if (!begun)
        return rv;
    rc = sm_dbd_tx_end(d, c->handle, rv == APR_SUCCESS);
    if (rc != 0 && rv == APR_SUCCESS) {
        sm_dbd_log_fail(d, c, what, rc);
        rv = APR_EGENERAL;
    }
    return rv;
}

int sm_dbd_write(dir_t *d, conn_t *c, apr_pool_t *p, int st, int *nrows, const char **args)
{
    int rc;

    write_lock(d);
    rc = sm_dbd_exec(d, c, p, st, nrows, args);
    write_unlock(d);
    return rc;
}

/* ---- open: schema ----------------------------------------------------------------------- */

/* Reads selmid_schema's version (0 for a fresh row). */
static int schema_version(const dir_t *d, apr_pool_t *p, apr_dbd_t *h, int *version)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    int rc;

    *version = -1;
    rc = apr_dbd_select(d->driver, p, h, &res, "SELECT version FROM selmid_schema WHERE id = 1", 1);
    if (rc != 0)
        return rc;
    while ((rc = apr_dbd_get_row(d->driver, p, res, &row, -1)) == 0) {
        const char *v = apr_dbd_get_entry(d->driver, row, 0);
        *version = v ? atoi(v) : -1;
    }
    return rc == -1 ? 0 : rc;
}

/* *final is set when retrying cannot help (a newer schema). */
static apr_status_t migrate(dir_t *d, apr_pool_t *p, apr_dbd_t *h, const char **err, bool *final)
{
    apr_status_t rv = APR_SUCCESS;
    int rc, n = 0, version = -1;
    size_t i;

    /* Two processes may race to create the table; the loser's attempt fails, its retry finds it. */
    rc = apr_dbd_query(d->driver, h, &n,
                       "CREATE TABLE IF NOT EXISTS selmid_schema (id INTEGER PRIMARY KEY, "
                       "version INTEGER NOT NULL)");
    if (rc != 0)
        rc = apr_dbd_query(d->driver, h, &n,
                           "CREATE TABLE IF NOT EXISTS selmid_schema (id INTEGER PRIMARY KEY, "
                           "version INTEGER NOT NULL)");
    if (rc != 0) {
        *err = apr_psprintf(p, "cannot create selmid_schema: %s", sm_dbd_error(d, h, rc));
        return APR_EGENERAL;
    }
    rc = sm_dbd_tx_begin(d, h);
    if (rc != 0) {
        *err = apr_psprintf(p, "cannot begin the migration: %s", sm_dbd_error(d, h, rc));
        return APR_EGENERAL;
    }
    /* The first statement writes: it takes the lock that serialises migrating processes. */
    rc = apr_dbd_query(
        d->driver, h, &n,
        "INSERT INTO selmid_schema (id, version) VALUES (1, 0) ON CONFLICT DO NOTHING");
    if (rc == 0)
        rc = apr_dbd_query(d->driver, h, &n,
                           "UPDATE selmid_schema SET version = version WHERE id = 1");
    if (rc == 0)
        rc = schema_version(d, p, h, &version);
    if (rc != 0) {
        *err = apr_psprintf(p, "cannot read the schema version: %s", sm_dbd_error(d, h, rc));
        rv = APR_EGENERAL;
        goto leave;
    }
    if (version > SM_DIR_SCHEMA_VERSION || version < 0) {
        *final = true;
        *err = apr_psprintf(p,
                            "the directory's schema version is %d, but this mod_selmid supports "
                            "versions up to %d: upgrade mod_selmid",
                            version, SM_DIR_SCHEMA_VERSION);
        rv = APR_EINVAL;
        goto leave;
    }
    if (version == SM_DIR_SCHEMA_VERSION)
        goto leave;
    for (i = 0; i < sizeof(migrations) / sizeof(migrations[0]); i++) {
        const migration_t *m = &migrations[i];
        const char *sql = (d->cfg->backend == BK_PGSQL && m->pgsql) ? m->pgsql : m->sqlite;
        if (m->version <= version)
            continue;
        rc = apr_dbd_query(d->driver, h, &n, sql);
        if (rc != 0) {
            *err = apr_psprintf(p, "migration to schema version %d failed: %s", m->version,
                                sm_dbd_error(d, h, rc));
            rv = APR_EGENERAL;
            goto leave;
        }
    }
    /* A constant of this code (not input), spelt into the literal at compile time. */
    rc = apr_dbd_query(
        d->driver, h, &n,
        "UPDATE selmid_schema SET version = " SM_STR(SM_DIR_SCHEMA_VERSION) " WHERE id = 1");
    if (rc != 0) {
        *err = apr_psprintf(p, "cannot record the schema version: %s", sm_dbd_error(d, h, rc));
        rv = APR_EGENERAL;
        goto leave;
    }
    sm_log(d->log, SM_LOG_NOTICE, "SM24010: directory (%s): schema migrated from version %d to %d",
           d->port.name, version, SM_DIR_SCHEMA_VERSION);
leave:
    rc = sm_dbd_tx_end(d, h, rv == APR_SUCCESS);
    if (rc != 0 && rv == APR_SUCCESS) {
        *err = apr_psprintf(p, "cannot commit the migration: %s", sm_dbd_error(d, h, rc));
        rv = APR_EGENERAL;
    }
    return rv;
}

apr_status_t sm_directory_dbd_open(apr_pool_t *pool, const sm_dir_dbd_cfg_t *cfg,
                                   const sm_log_t *log, const sm_rand_t *rnd, sm_directory_t **dir,
                                   const char **err)
{
    dir_t *d = apr_pcalloc(pool, sizeof(*d));
    apr_pool_t *tmp = NULL;
    apr_dbd_t *h = NULL;
    const char *e = NULL, *drv = cfg->backend == BK_SQLITE ? "sqlite3" : "pgsql";
    apr_status_t rv;
    int attempt;

    *dir = NULL;
    d->cfg = cfg;
    d->log = log;
    d->rnd = rnd;
    d->params = cfg->target;
    d->port.name = sm_directory_dbd_backend(cfg);
    apr_pool_create(&tmp, pool);
    rv = apr_dbd_init(pool);
    if (rv == APR_SUCCESS)
        rv = apr_dbd_get_driver(pool, drv, &d->driver);
    if (rv != APR_SUCCESS) {
        e = apr_psprintf(tmp,
                         "the APR-util DBD driver '%s' cannot be loaded (%d; Debian: install "
                         "libaprutil1-dbd-%s)",
                         drv, rv, drv);
        goto leave;
    }
    if (cfg->backend == BK_SQLITE) {
        /* Create the file with mode 0600 before SQLite would create it with 0644. */
        apr_file_t *f = NULL;
        rv = apr_file_open(&f, cfg->target, APR_FOPEN_CREATE | APR_FOPEN_WRITE,
                           APR_FPROT_UREAD | APR_FPROT_UWRITE, tmp);
        if (rv != APR_SUCCESS) {
            char buf[120];
            e = apr_psprintf(tmp, "cannot create or open the SQLite file %s: %s", cfg->target,
                             apr_strerror(rv, buf, sizeof(buf)));
            goto leave;
        }
        apr_file_close(f);
    }
#if APR_HAS_THREADS
    if (cfg->backend == BK_SQLITE &&
        apr_thread_mutex_create(&d->wlock, APR_THREAD_MUTEX_DEFAULT, pool) != APR_SUCCESS) {
        rv = APR_ENOMEM;
        e = "cannot create the write mutex";
        goto leave;
    }
#endif
    rv = conn_open(d, tmp, &h, &e);
    if (rv != APR_SUCCESS)
        goto leave;
    /* Another process migrating at the same moment can make a statement fail once (SQLite:
     * "database schema has changed"); the migration is all-or-nothing, so it is simply retried. */
    for (attempt = 0; attempt < 5; attempt++) {
        bool final = false;
        rv = migrate(d, tmp, h, &e, &final);
        if (rv == APR_SUCCESS || final)
            break;
        sm_log(log, SM_LOG_INFO, "SM24012: directory (%s): migration attempt %d: %s, retrying",
               d->port.name, attempt + 1, e);
    }
    apr_dbd_close(d->driver, h);
    if (rv != APR_SUCCESS)
        goto leave;
    rv = apr_reslist_create(&d->conns, 0, DIR_POOL_SMAX, DIR_POOL_HMAX, DIR_POOL_TTL, conn_ctor,
                            conn_dtor, d, pool);
    if (rv != APR_SUCCESS) {
        e = "cannot create the connection pool";
        goto leave;
    }
    apr_reslist_timeout_set(d->conns, DIR_ACQUIRE_TIMEOUT);
    sm_dbd_set_ops(&d->port);
    d->port.baton = d;
    *dir = &d->port;
leave:
    if (rv != APR_SUCCESS) {
        sm_log(log, SM_LOG_ERROR, "SM24011: directory (%s): %s", d->port.name, e);
        if (err)
            *err = apr_pstrdup(pool, e);
    }
    apr_pool_destroy(tmp);
    return rv;
}
