/* test_directory.c: the directory port's APR-util DBD adapter against a real SQLite database in
 * a temporary directory (the driver libaprutil1-dbd-sqlite3): schema creation and migration (also
 * by processes opening at once), links and their uniqueness (also under a race of two threads or
 * two processes), organisational attributes, logins (lookup, record_login), events, and the spec
 * parser. With SM_TEST_PGSQL set to a libpq conninfo (a throwaway database: every test drops and
 * recreates its public schema), the same tests also run on PostgreSQL through the driver
 * libaprutil1-dbd-pgsql. */
#include "sm_tests.h"
#include "fakes.h"
#include "sm_directory.h"
#include <apr_dbd.h>
#include <apr_file_info.h>
#include <apr_file_io.h>
#include <apr_thread_proc.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#define P  sm_test_pool
#define T0 apr_time_from_sec(1700000000)

static char tmpdir[64];
static const char *dbfile;
static const char *spec;
static const char *pg_conninfo; /* SM_TEST_PGSQL */
static bool use_pg;
static fake_log_t flog;

typedef struct raw_t {
    const apr_dbd_driver_t *drv;
    apr_dbd_t *h;
} raw_t;
static raw_t raw_open(void);
static void raw_exec(raw_t *r, const char *sql);

static void dir_setup(void)
{
    strcpy(tmpdir, "/tmp/sm-dir-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    dbfile = apr_pstrcat(P, tmpdir, "/selmid.db", NULL);
    fake_log_init(&flog, P);
    if (use_pg) {
        raw_t r;
        spec = apr_pstrcat(P, "pgsql:", pg_conninfo, NULL);
        r = raw_open();
        raw_exec(&r, "DROP SCHEMA IF EXISTS public CASCADE");
        raw_exec(&r, "CREATE SCHEMA public");
        apr_dbd_close(r.drv, r.h);
    } else
        spec = apr_pstrcat(P, "sqlite:", dbfile, NULL);
}

static void sqlite_setup(void)
{
    use_pg = false;
    dir_setup();
}

static void pg_setup(void)
{
    use_pg = true;
    dir_setup();
}

static void dir_teardown(void)
{
    static const char *const files[] = {"selmid.db", "selmid.db-journal", "selmid.db-wal",
                                        "selmid.db-shm"};
    apr_pool_t *tp;
    size_t i;

    apr_pool_create(&tp, NULL);
    for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
        apr_file_remove(apr_pstrcat(tp, tmpdir, "/", files[i], NULL), tp);
    apr_dir_remove(tmpdir, tp);
    apr_pool_destroy(tp);
}

static sm_directory_t *open_dir(apr_pool_t *p)
{
    sm_dir_dbd_cfg_t *cfg = NULL;
    sm_directory_t *d = NULL;
    const char *err = NULL;

    ck_assert_ptr_null(sm_directory_dbd_parse(p, spec, &cfg));
    ck_assert_msg(sm_directory_dbd_open(p, cfg, &flog.port, &sm_rand_system, &d, &err) ==
                      APR_SUCCESS,
                  "open: %s", err ? err : "?");
    ck_assert_ptr_nonnull(d);
    return d;
}

/* Raw SQL on the test database, independent of the adapter. */
static raw_t raw_open(void)
{
    raw_t r;
    const char *err = NULL;

    ck_assert_int_eq(apr_dbd_init(P), APR_SUCCESS);
    ck_assert_int_eq(apr_dbd_get_driver(P, use_pg ? "pgsql" : "sqlite3", &r.drv), APR_SUCCESS);
    ck_assert_msg(apr_dbd_open_ex(r.drv, P, use_pg ? pg_conninfo : dbfile, &r.h, &err) ==
                      APR_SUCCESS,
                  "raw open: %s", err ? err : "?");
    return r;
}

/* True when the query fails (for example on a table that does not exist). */
static bool raw_fails(raw_t *r, const char *sql)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    int rc = apr_dbd_select(r->drv, P, r->h, &res, sql, 1);

    if (rc != 0)
        return true;
    while ((rc = apr_dbd_get_row(r->drv, P, res, &row, -1)) == 0)
        ;
    return rc != -1;
}

static void raw_exec(raw_t *r, const char *sql)
{
    int n = 0;
    int rc = apr_dbd_query(r->drv, r->h, &n, sql);
    ck_assert_msg(rc == 0, "%s: %s", sql, apr_dbd_error(r->drv, r->h, rc));
}

/* The first column of the first row of a query, as text (NULL when no row). */
static const char *raw_value(raw_t *r, const char *sql)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    const char *out = NULL;
    int rc = apr_dbd_select(r->drv, P, r->h, &res, sql, 1);

    ck_assert_msg(rc == 0, "%s: %s", sql, apr_dbd_error(r->drv, r->h, rc));
    while (apr_dbd_get_row(r->drv, P, res, &row, -1) == 0)
        if (!out)
            out = apr_pstrdup(P, apr_dbd_get_entry(r->drv, row, 0));
    return out;
}

static const sm_identity_t LINE_A = {"line", "https://access.line.me", "U1111"};
static const sm_identity_t UNIV_A = {"univ", "https://idp.univ.example", "alice@univ.example"};
static const sm_identity_t GOOG_A = {"google", "https://accounts.google.com", "10769150"};

START_TEST(spec_parser)
{
    sm_dir_dbd_cfg_t *cfg = NULL;
    const char *e;

    ck_assert_ptr_null(sm_directory_dbd_parse(P, "sqlite:/var/lib/selmid/selmid.db", &cfg));
    ck_assert_str_eq(sm_directory_dbd_backend(cfg), "sqlite");
    ck_assert_ptr_null(
        sm_directory_dbd_parse(P, "pgsql:host=/run/postgresql dbname=selmid user=selmid", &cfg));
    ck_assert_str_eq(sm_directory_dbd_backend(cfg), "pgsql");

    e = sm_directory_dbd_parse(P, "", &cfg);
    ck_assert_ptr_nonnull(strstr(e, "empty"));
    ck_assert_ptr_null(cfg);
    e = sm_directory_dbd_parse(P, "sqlite:", &cfg);
    ck_assert_ptr_nonnull(strstr(e, "needs a file"));
    e = sm_directory_dbd_parse(P, "sqlite:selmid.db", &cfg);
    ck_assert_ptr_nonnull(strstr(e, "'selmid.db' must be an absolute path"));
    e = sm_directory_dbd_parse(P, "sqlite:/var/lib/selmid/", &cfg);
    ck_assert_ptr_nonnull(strstr(e, "names a directory"));
    e = sm_directory_dbd_parse(P, "sqlite:/var/lib/../tmp/x.db", &cfg);
    ck_assert_ptr_nonnull(strstr(e, "must not contain"));
    e = sm_directory_dbd_parse(P, "pgsql:   ", &cfg);
    ck_assert_ptr_nonnull(strstr(e, "needs a connection string"));
    e = sm_directory_dbd_parse(P, "mysql:host=db", &cfg);
    ck_assert_ptr_nonnull(strstr(e, "unknown back end 'mysql'"));
    e = sm_directory_dbd_parse(P, "/var/lib/selmid.db", &cfg);
    ck_assert_ptr_nonnull(strstr(e, "unknown back end '/var/lib/selmid.db'"));
    ck_assert_ptr_null(cfg);
}
END_TEST

START_TEST(sqlite_file_0600)
{
    apr_finfo_t fi;

    open_dir(P);
    ck_assert_int_eq(apr_stat(&fi, dbfile, APR_FINFO_PROT, P), APR_SUCCESS);
    ck_assert_int_eq(fi.protection, APR_FPROT_UREAD | APR_FPROT_UWRITE);
}
END_TEST

START_TEST(schema_created)
{
    raw_t r;

    open_dir(P);
    r = raw_open();
    ck_assert_str_eq(raw_value(&r, "SELECT version FROM selmid_schema"), "2");
    ck_assert_str_eq(raw_value(&r, "SELECT COUNT(*) FROM persons"), "0");
    ck_assert_str_eq(raw_value(&r, "SELECT COUNT(*) FROM identities"), "0");
    ck_assert_str_eq(raw_value(&r, "SELECT COUNT(*) FROM org_attributes"), "0");
    ck_assert_str_eq(raw_value(&r, "SELECT COUNT(*) FROM events"), "0");
    ck_assert(fake_log_has(&flog, "SM24010"));
}
END_TEST

START_TEST(link_find_list_unlink)
{
    sm_directory_t *d = open_dir(P);
    const char *person = NULL, *found = NULL, *p2 = NULL;
    apr_array_header_t *ids = NULL;
    sm_linked_identity_t *li;
    apr_size_t i;

    ck_assert_int_eq(d->find(d->baton, P, &UNIV_A, &found), APR_NOTFOUND);
    ck_assert_int_eq(d->link(d->baton, P, &UNIV_A, true, NULL, T0, &person), APR_SUCCESS);
    ck_assert_uint_eq(strlen(person), 22); /* 16 random bytes, base64url */
    for (i = 0; person[i]; i++)
        ck_assert(
            strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", person[i]));
    ck_assert_int_eq(d->link(d->baton, P, &LINE_A, false, person, T0 + apr_time_from_sec(60), &p2),
                     APR_SUCCESS);
    ck_assert_str_eq(p2, person);
    ck_assert_int_eq(d->find(d->baton, P, &LINE_A, &found), APR_SUCCESS);
    ck_assert_str_eq(found, person);
    ck_assert_int_eq(d->find(d->baton, P, &UNIV_A, &found), APR_SUCCESS);
    ck_assert_str_eq(found, person);
    /* an identity differing only in the issuer is another identity */
    {
        sm_identity_t other = {"line", "https://other.example", "U1111"};
        ck_assert_int_eq(d->find(d->baton, P, &other, &found), APR_NOTFOUND);
    }

    ck_assert_int_eq(d->touch(d->baton, P, &LINE_A, T0 + apr_time_from_sec(300)), APR_SUCCESS);
    ck_assert_int_eq(d->touch(d->baton, P, &GOOG_A, T0), APR_NOTFOUND);
    ck_assert_int_eq(d->list(d->baton, P, person, &ids), APR_SUCCESS);
    ck_assert_int_eq(ids->nelts, 2);
    li = &APR_ARRAY_IDX(ids, 0, sm_linked_identity_t);
    ck_assert_str_eq(li->id.provider, "univ");
    ck_assert_str_eq(li->id.issuer, UNIV_A.issuer);
    ck_assert_str_eq(li->id.subject, UNIV_A.subject);
    ck_assert(li->org);
    ck_assert(li->linked_at == T0 && li->last_used == T0);
    li = &APR_ARRAY_IDX(ids, 1, sm_linked_identity_t);
    ck_assert_str_eq(li->id.provider, "line");
    ck_assert(!li->org);
    ck_assert(li->linked_at == T0 + apr_time_from_sec(60));
    ck_assert(li->last_used == T0 + apr_time_from_sec(300));

    /* unlink: only by the owning person */
    ck_assert_int_eq(d->unlink(d->baton, P, "no-such-person", &LINE_A, T0), APR_NOTFOUND);
    ck_assert_int_eq(d->find(d->baton, P, &LINE_A, &found), APR_SUCCESS);
    ck_assert_int_eq(d->unlink(d->baton, P, person, &LINE_A, T0), APR_SUCCESS);
    ck_assert_int_eq(d->find(d->baton, P, &LINE_A, &found), APR_NOTFOUND);
    ck_assert_int_eq(d->unlink(d->baton, P, person, &LINE_A, T0), APR_NOTFOUND);
    ck_assert_int_eq(d->list(d->baton, P, person, &ids), APR_SUCCESS);
    ck_assert_int_eq(ids->nelts, 1);
    ck_assert_int_eq(d->list(d->baton, P, "no-such-person", &ids), APR_SUCCESS);
    ck_assert_int_eq(ids->nelts, 0);
    /* bad input */
    {
        sm_identity_t empty = {"line", "", "U1"};
        ck_assert_int_eq(d->find(d->baton, P, &empty, &found), APR_EINVAL);
    }
}
END_TEST

START_TEST(linked_elsewhere_eexist)
{
    sm_directory_t *d = open_dir(P);
    const char *alice = NULL, *bob = NULL, *found = NULL, *out = NULL;
    apr_array_header_t *ids = NULL;
    raw_t r;

    ck_assert_int_eq(d->link(d->baton, P, &UNIV_A, true, NULL, T0, &alice), APR_SUCCESS);
    ck_assert_int_eq(d->link(d->baton, P, &LINE_A, false, alice, T0, NULL), APR_SUCCESS);
    ck_assert_int_eq(d->link(d->baton, P, &GOOG_A, false, NULL, T0, &bob), APR_SUCCESS);
    ck_assert_str_ne(alice, bob);

    /* LINE_A to bob: refused, nothing changes */
    ck_assert_int_eq(d->link(d->baton, P, &LINE_A, false, bob, T0, &out), APR_EEXIST);
    ck_assert_ptr_null(out);
    /* the same identity to alice again, and to a new person: refused, no person created */
    ck_assert_int_eq(d->link(d->baton, P, &LINE_A, false, alice, T0, &out), APR_EEXIST);
    ck_assert_int_eq(d->link(d->baton, P, &LINE_A, false, NULL, T0, &out), APR_EEXIST);
    /* a person that does not exist */
    ck_assert_int_eq(d->link(d->baton, P, &(sm_identity_t){"x", "https://x", "1"}, false,
                             "no-such-person", T0, &out),
                     APR_NOTFOUND);

    ck_assert_int_eq(d->find(d->baton, P, &LINE_A, &found), APR_SUCCESS);
    ck_assert_str_eq(found, alice);
    ck_assert_int_eq(d->list(d->baton, P, bob, &ids), APR_SUCCESS);
    ck_assert_int_eq(ids->nelts, 1);
    ck_assert_int_eq(d->list(d->baton, P, alice, &ids), APR_SUCCESS);
    ck_assert_int_eq(ids->nelts, 2);
    r = raw_open();
    ck_assert_str_eq(raw_value(&r, "SELECT COUNT(*) FROM persons"), "2");
    ck_assert_str_eq(raw_value(&r, "SELECT COUNT(*) FROM identities"), "3");
    ck_assert_str_eq(raw_value(&r, "SELECT COUNT(*) FROM events"), "3"); /* the 3 links only */
}
END_TEST

START_TEST(reopen_keeps_data)
{
    apr_pool_t *p1;
    sm_directory_t *d;
    const char *person = NULL, *found = NULL;

    apr_pool_create(&p1, P);
    d = open_dir(p1);
    ck_assert_int_eq(d->link(d->baton, p1, &UNIV_A, true, NULL, T0, &person), APR_SUCCESS);
    person = apr_pstrdup(P, person);
    apr_pool_destroy(p1); /* closes every connection */

    d = open_dir(P);
    ck_assert_int_eq(d->find(d->baton, P, &UNIV_A, &found), APR_SUCCESS);
    ck_assert_str_eq(found, person);
    ck_assert(!fake_log_has(&flog, "from version 2")); /* no second migration */
}
END_TEST

START_TEST(migrates_version_1)
{
    raw_t r = raw_open();
    sm_directory_t *d;
    const char *found = NULL, *person = NULL;
    apr_array_header_t *ids = NULL, *evs = NULL;

    /* the layout of schema version 1, made by hand */
    raw_exec(&r, "CREATE TABLE selmid_schema (id INTEGER PRIMARY KEY, version INTEGER NOT NULL)");
    raw_exec(&r, "INSERT INTO selmid_schema (id, version) VALUES (1, 1)");
    raw_exec(&r, "CREATE TABLE persons (id TEXT PRIMARY KEY, created_at BIGINT NOT NULL)");
    raw_exec(&r, "CREATE TABLE identities (provider TEXT NOT NULL, issuer TEXT NOT NULL, "
                 "subject TEXT NOT NULL, person_id TEXT NOT NULL REFERENCES persons (id), "
                 "linked_at BIGINT NOT NULL, last_used BIGINT NOT NULL, "
                 "PRIMARY KEY (provider, issuer, subject))");
    raw_exec(&r, "CREATE INDEX identities_person ON identities (person_id)");
    raw_exec(&r, "INSERT INTO persons VALUES ('old-person-1', 1600000000)");
    raw_exec(&r, "INSERT INTO identities VALUES ('line', 'https://access.line.me', 'U1111', "
                 "'old-person-1', 1600000000, 1600000100)");
    apr_dbd_close(r.drv, r.h);

    d = open_dir(P);
    ck_assert(fake_log_has(&flog, "schema migrated from version 1 to 2"));
    r = raw_open();
    ck_assert_str_eq(raw_value(&r, "SELECT version FROM selmid_schema"), "2");
    ck_assert_int_eq(d->find(d->baton, P, &LINE_A, &found), APR_SUCCESS);
    ck_assert_str_eq(found, "old-person-1");
    ck_assert_int_eq(d->list(d->baton, P, "old-person-1", &ids), APR_SUCCESS);
    ck_assert_int_eq(ids->nelts, 1);
    ck_assert(!APR_ARRAY_IDX(ids, 0, sm_linked_identity_t).org);
    ck_assert(APR_ARRAY_IDX(ids, 0, sm_linked_identity_t).last_used ==
              apr_time_from_sec(1600000100));
    /* the new tables work */
    ck_assert_int_eq(d->link(d->baton, P, &UNIV_A, true, "old-person-1", T0, &person), APR_SUCCESS);
    ck_assert_int_eq(d->save_org_attrs(d->baton, P, "old-person-1", "{}", T0), APR_SUCCESS);
    ck_assert_int_eq(d->read_events(d->baton, P, 0, 10, &evs), APR_SUCCESS);
    ck_assert_int_eq(evs->nelts, 1);
}
END_TEST

START_TEST(newer_version_refused)
{
    raw_t r = raw_open();
    sm_dir_dbd_cfg_t *cfg = NULL;
    sm_directory_t *d = NULL;
    const char *err = NULL;

    raw_exec(&r, "CREATE TABLE selmid_schema (id INTEGER PRIMARY KEY, version INTEGER NOT NULL)");
    raw_exec(&r, "INSERT INTO selmid_schema (id, version) VALUES (1, 3)");
    raw_exec(&r, "CREATE TABLE persons (id TEXT PRIMARY KEY, created_at BIGINT NOT NULL)");
    ck_assert_ptr_null(sm_directory_dbd_parse(P, spec, &cfg));
    ck_assert_int_ne(sm_directory_dbd_open(P, cfg, &flog.port, &sm_rand_system, &d, &err),
                     APR_SUCCESS);
    ck_assert_ptr_null(d);
    ck_assert_ptr_nonnull(err);
    ck_assert_ptr_nonnull(strstr(err, "schema version is 3"));
    ck_assert_ptr_nonnull(strstr(err, "versions up to 2"));
    ck_assert(fake_log_has(&flog, "SM24011"));
    /* untouched */
    ck_assert_str_eq(raw_value(&r, "SELECT version FROM selmid_schema"), "3");
    ck_assert(raw_fails(&r, "SELECT COUNT(*) FROM events"));
    ck_assert(!raw_fails(&r, "SELECT COUNT(*) FROM persons"));
}
END_TEST

START_TEST(pg_unreachable)
{
    sm_dir_dbd_cfg_t *cfg = NULL;
    sm_directory_t *d = NULL;
    const char *err = NULL;

    ck_assert_ptr_null(sm_directory_dbd_parse(
        P, apr_pstrcat(P, "pgsql:host=", tmpdir, " port=1 dbname=none user=none", NULL), &cfg));
    ck_assert_int_ne(sm_directory_dbd_open(P, cfg, &flog.port, &sm_rand_system, &d, &err),
                     APR_SUCCESS);
    ck_assert_ptr_null(d);
    ck_assert_ptr_nonnull(strstr(err, "cannot open the pgsql directory"));
}
END_TEST

START_TEST(open_failures)
{
    sm_dir_dbd_cfg_t *cfg = NULL;
    sm_directory_t *d = NULL;
    const char *err = NULL;

    ck_assert_ptr_null(sm_directory_dbd_parse(
        P, apr_pstrcat(P, "sqlite:", tmpdir, "/missing-dir/selmid.db", NULL), &cfg));
    ck_assert_int_ne(sm_directory_dbd_open(P, cfg, &flog.port, &sm_rand_system, &d, &err),
                     APR_SUCCESS);
    ck_assert_ptr_null(d);
    ck_assert_ptr_nonnull(strstr(err, "cannot create or open the SQLite file"));
}
END_TEST

typedef struct racer_t {
    sm_directory_t *d;
    apr_pool_t *pool;
    pthread_barrier_t *barrier;
    const sm_identity_t *id;
    apr_status_t rv;
    const char *person;
} racer_t;

static void *racer(void *arg)
{
    racer_t *r = arg;

    pthread_barrier_wait(r->barrier);
    r->rv = r->d->link(r->d->baton, r->pool, r->id, false, NULL, T0, &r->person);
    return NULL;
}

START_TEST(race_two_links)
{
    sm_directory_t *d = open_dir(P);
    pthread_barrier_t barrier;
    int round, k, wins_total = 0;
    raw_t r;

    for (round = 0; round < 20; round++) {
        sm_identity_t id = {"line", "https://access.line.me", apr_psprintf(P, "Urace%d", round)};
        racer_t rs[2];
        pthread_t th[2];
        const char *found = NULL;
        int wins = 0, refused = 0;
        apr_time_t started = apr_time_now();

        ck_assert_int_eq(pthread_barrier_init(&barrier, NULL, 2), 0);
        for (k = 0; k < 2; k++) {
            rs[k] = (racer_t){d, NULL, &barrier, &id, APR_EGENERAL, NULL};
            apr_pool_create(&rs[k].pool, NULL);
            ck_assert_int_eq(pthread_create(&th[k], NULL, racer, &rs[k]), 0);
        }
        for (k = 0; k < 2; k++)
            ck_assert_int_eq(pthread_join(th[k], NULL), 0);
        pthread_barrier_destroy(&barrier);
        /* writers of one process never wait out SQLite's busy timeout (5 s) for each other */
        ck_assert_msg(apr_time_now() - started < apr_time_from_sec(2), "round %d took %d ms", round,
                      (int)apr_time_as_msec(apr_time_now() - started));
        for (k = 0; k < 2; k++) {
            if (rs[k].rv == APR_SUCCESS) {
                wins++;
                ck_assert_int_eq(d->find(d->baton, P, &id, &found), APR_SUCCESS);
                ck_assert_str_eq(found, rs[k].person);
            } else if (rs[k].rv == APR_EEXIST)
                refused++;
            apr_pool_destroy(rs[k].pool);
        }
        ck_assert_msg(wins == 1 && refused == 1, "round %d: %d won, %d refused", round, wins,
                      refused);
        wins_total += wins;
    }
    r = raw_open();
    /* the losers' new persons were rolled back */
    ck_assert_str_eq(raw_value(&r, "SELECT COUNT(*) FROM persons"),
                     apr_psprintf(P, "%d", wins_total));
    ck_assert_str_eq(raw_value(&r, "SELECT COUNT(*) FROM identities"), "20");
}
END_TEST

/* Runs n child processes: each runs prep(k) (when not NULL), then all run act(k) at once (each
 * blocks on a pipe that the parent closes once every child is prepared); their exit statuses go to
 * codes (-1 when a child did not exit normally). */
static void run_children(int n, void (*prep)(int k), int (*act)(int k), int *codes)
{
    int start[2], ready[2], k, status;
    pid_t pids[8];
    char c;

    ck_assert_int_le(n, 8);
    ck_assert_int_eq(pipe(start), 0);
    ck_assert_int_eq(pipe(ready), 0);
    for (k = 0; k < n; k++) {
        pids[k] = fork();
        ck_assert_int_ge(pids[k], 0);
        if (pids[k] == 0) {
            close(start[1]);
            close(ready[0]);
            if (prep)
                prep(k);
            if (write(ready[1], "r", 1) != 1)
                _exit(8);
            while (read(start[0], &c, 1) > 0) /* end of file: the start */
                ;
            _exit(act(k));
        }
    }
    close(start[0]);
    close(ready[1]);
    for (k = 0; k < n; k++) /* a child that died early ends this with end of file */
        if (read(ready[0], &c, 1) != 1)
            break;
    close(ready[0]);
    close(start[1]);
    for (k = 0; k < n; k++) {
        ck_assert_int_eq(waitpid(pids[k], &status, 0), pids[k]);
        codes[k] = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
}

/* In a child: the directory opened in a pool of its own (the exit status 9 when it fails). */
static sm_directory_t *child_open(fake_log_t *lg)
{
    apr_pool_t *cp;
    sm_dir_dbd_cfg_t *cfg = NULL;
    sm_directory_t *d = NULL;
    const char *err = NULL;

    apr_pool_create(&cp, NULL);
    fake_log_init(lg, cp);
    if (sm_directory_dbd_parse(cp, spec, &cfg) != NULL ||
        sm_directory_dbd_open(cp, cfg, &lg->port, &sm_rand_system, &d, &err) != APR_SUCCESS) {
        fprintf(stderr, "child open: %s\n", err ? err : "?");
        _exit(9);
    }
    return d;
}

/* 1 when this process migrated the schema, else 0. */
static int opener(int k)
{
    fake_log_t lg;

    (void)k;
    child_open(&lg);
    return fake_log_has(&lg, "schema migrated from version 0 to 2") ? 1 : 0;
}

/* Processes opening a fresh directory at once (httpd's children): all succeed, one migrates. */
START_TEST(concurrent_open_migrates_once)
{
    int codes[3], k, migrated = 0;
    sm_directory_t *d;
    raw_t r;

    run_children(3, NULL, opener, codes);
    for (k = 0; k < 3; k++) {
        ck_assert_msg(codes[k] == 0 || codes[k] == 1, "opener %d: status %d", k, codes[k]);
        migrated += codes[k];
    }
    ck_assert_int_eq(migrated, 1);
    d = open_dir(P);
    ck_assert(!fake_log_has(&flog, "schema migrated"));
    ck_assert_int_eq(d->link(d->baton, P, &UNIV_A, true, NULL, T0, NULL), APR_SUCCESS);
    r = raw_open();
    ck_assert_str_eq(raw_value(&r, "SELECT version FROM selmid_schema"), "2");
    ck_assert_str_eq(raw_value(&r, "SELECT COUNT(*) FROM identities"), "1");
}
END_TEST

static int race_round;
static sm_directory_t *child_dir; /* a child's own */
static fake_log_t child_log;

static void linker_prep(int k)
{
    (void)k;
    child_dir = child_open(&child_log);
}

/* 0 when this process linked the identity of the round, 1 when it was refused (EEXIST). */
static int linker(int k)
{
    sm_identity_t id = {"line", "https://access.line.me",
                        apr_psprintf(child_log.pool, "Uproc%d", race_round)};
    apr_status_t rv = child_dir->link(child_dir->baton, child_log.pool, &id, false, NULL, T0, NULL);

    (void)k;
    return rv == APR_SUCCESS ? 0 : rv == APR_EEXIST ? 1 : 2;
}

/* Two processes linking one identity at once: the database decides, one wins. */
START_TEST(race_two_processes)
{
    int codes[2];
    raw_t r;

    open_dir(P); /* the schema first: the race is on the link */
    for (race_round = 0; race_round < 4; race_round++) {
        run_children(2, linker_prep, linker, codes);
        ck_assert_msg((codes[0] == 0 && codes[1] == 1) || (codes[0] == 1 && codes[1] == 0),
                      "round %d: statuses %d, %d", race_round, codes[0], codes[1]);
    }
    r = raw_open();
    ck_assert_str_eq(raw_value(&r, "SELECT COUNT(*) FROM persons"), "4");
    ck_assert_str_eq(raw_value(&r, "SELECT COUNT(*) FROM identities"), "4");
}
END_TEST

START_TEST(org_attributes)
{
    sm_directory_t *d = open_dir(P);
    const char *person = NULL, *json = NULL;
    apr_time_t at = 0;

    ck_assert_int_eq(d->link(d->baton, P, &UNIV_A, true, NULL, T0, &person), APR_SUCCESS);
    ck_assert_int_eq(d->load_org_attrs(d->baton, P, person, &json, &at), APR_NOTFOUND);
    ck_assert_int_eq(
        d->save_org_attrs(d->baton, P, person, "{\"eppn\":\"alice@univ.example\"}", T0),
        APR_SUCCESS);
    ck_assert_int_eq(d->load_org_attrs(d->baton, P, person, &json, &at), APR_SUCCESS);
    ck_assert_str_eq(json, "{\"eppn\":\"alice@univ.example\"}");
    ck_assert(at == T0);
    ck_assert_int_eq(d->save_org_attrs(d->baton, P, person,
                                       "{\"eppn\":\"alice@univ.example\",\"affiliation\":"
                                       "[\"student\"]}",
                                       T0 + apr_time_from_sec(3600)),
                     APR_SUCCESS);
    ck_assert_int_eq(d->load_org_attrs(d->baton, P, person, &json, &at), APR_SUCCESS);
    ck_assert_str_eq(json, "{\"eppn\":\"alice@univ.example\",\"affiliation\":[\"student\"]}");
    ck_assert(at == T0 + apr_time_from_sec(3600));
    ck_assert_int_eq(d->save_org_attrs(d->baton, P, "no-such-person", "{}", T0), APR_NOTFOUND);
    ck_assert_int_eq(d->load_org_attrs(d->baton, P, "no-such-person", &json, &at), APR_NOTFOUND);
}
END_TEST

START_TEST(events_in_order)
{
    sm_directory_t *d = open_dir(P);
    const char *person = NULL;
    apr_array_header_t *evs = NULL;
    sm_dir_event_t ev = {0}, *e;
    char *big;
    int i;

    ck_assert_int_eq(d->link(d->baton, P, &UNIV_A, true, NULL, T0, &person), APR_SUCCESS);
    for (i = 0; i < 5; i++) {
        ev = (sm_dir_event_t){0,
                              "login",
                              person,
                              "univ",
                              T0 + apr_time_from_sec(i + 1),
                              apr_psprintf(P, "{\"n\":%d}", i)};
        ck_assert_int_eq(d->append_event(d->baton, P, &ev), APR_SUCCESS);
    }
    ck_assert_int_eq(d->unlink(d->baton, P, person, &UNIV_A, T0 + apr_time_from_sec(10)),
                     APR_SUCCESS);

    ck_assert_int_eq(d->read_events(d->baton, P, 0, 100, &evs), APR_SUCCESS);
    ck_assert_int_eq(evs->nelts, 7);
    e = &APR_ARRAY_IDX(evs, 0, sm_dir_event_t);
    ck_assert_str_eq(e->type, "link");
    ck_assert_str_eq(e->person, person);
    ck_assert_str_eq(e->provider, "univ");
    ck_assert_str_eq(e->detail, "{\"org\":true,\"new_person\":true}");
    ck_assert(e->at == T0);
    for (i = 1; i <= 5; i++) {
        e = &APR_ARRAY_IDX(evs, i, sm_dir_event_t);
        ck_assert_str_eq(e->type, "login");
        ck_assert_str_eq(e->detail, apr_psprintf(P, "{\"n\":%d}", i - 1));
        ck_assert(e->at == T0 + apr_time_from_sec(i));
        ck_assert(e->id > APR_ARRAY_IDX(evs, i - 1, sm_dir_event_t).id);
    }
    e = &APR_ARRAY_IDX(evs, 6, sm_dir_event_t);
    ck_assert_str_eq(e->type, "unlink");

    /* paging from an id */
    {
        apr_int64_t after = APR_ARRAY_IDX(evs, 2, sm_dir_event_t).id;
        apr_array_header_t *page = NULL;
        ck_assert_int_eq(d->read_events(d->baton, P, after, 2, &page), APR_SUCCESS);
        ck_assert_int_eq(page->nelts, 2);
        ck_assert(APR_ARRAY_IDX(page, 0, sm_dir_event_t).id ==
                  APR_ARRAY_IDX(evs, 3, sm_dir_event_t).id);
        ck_assert(APR_ARRAY_IDX(page, 1, sm_dir_event_t).id ==
                  APR_ARRAY_IDX(evs, 4, sm_dir_event_t).id);
        ck_assert_int_eq(
            d->read_events(d->baton, P, APR_ARRAY_IDX(evs, 6, sm_dir_event_t).id, 10, &page),
            APR_SUCCESS);
        ck_assert_int_eq(page->nelts, 0);
    }

    /* invalid events */
    ev = (sm_dir_event_t){0, "Login", person, "univ", T0, NULL};
    ck_assert_int_eq(d->append_event(d->baton, P, &ev), APR_EINVAL);
    ev.type = "";
    ck_assert_int_eq(d->append_event(d->baton, P, &ev), APR_EINVAL);
    big = apr_palloc(P, SM_DIR_EVENT_DETAIL_MAX + 2);
    memset(big, 'a', SM_DIR_EVENT_DETAIL_MAX + 1);
    big[SM_DIR_EVENT_DETAIL_MAX + 1] = '\0';
    ev = (sm_dir_event_t){0, "login", person, "univ", T0, big};
    ck_assert_int_eq(d->append_event(d->baton, P, &ev), APR_EINVAL);
    /* a NULL detail is stored as {} */
    ev = (sm_dir_event_t){0, "login", person, NULL, T0, NULL};
    ck_assert_int_eq(d->append_event(d->baton, P, &ev), APR_SUCCESS);
    ck_assert_int_eq(d->read_events(d->baton, P, 0, 100, &evs), APR_SUCCESS);
    ck_assert_int_eq(evs->nelts, 8);
    ck_assert_str_eq(APR_ARRAY_IDX(evs, 7, sm_dir_event_t).detail, "{}");
    ck_assert_str_eq(APR_ARRAY_IDX(evs, 7, sm_dir_event_t).provider, "");
}
END_TEST

START_TEST(lookup_org_attrs)
{
    sm_directory_t *d = open_dir(P);
    const char *alice = NULL, *bob = NULL, *person = "x", *json = "x";
    apr_time_t at = 1;

    ck_assert_int_eq(d->lookup(d->baton, P, &UNIV_A, &person, &json, &at), APR_NOTFOUND);
    ck_assert_ptr_null(person);
    ck_assert_ptr_null(json);
    ck_assert(at == 0);
    ck_assert_int_eq(d->link(d->baton, P, &UNIV_A, true, NULL, T0, &alice), APR_SUCCESS);
    ck_assert_int_eq(d->link(d->baton, P, &LINE_A, false, alice, T0, NULL), APR_SUCCESS);
    ck_assert_int_eq(d->link(d->baton, P, &GOOG_A, false, NULL, T0, &bob), APR_SUCCESS);
    /* linked, no attributes saved yet */
    at = 1;
    ck_assert_int_eq(d->lookup(d->baton, P, &LINE_A, &person, &json, &at), APR_SUCCESS);
    ck_assert_str_eq(person, alice);
    ck_assert_ptr_null(json);
    ck_assert(at == 0);
    /* the person's attributes, through any of the person's identities; org_at is optional */
    ck_assert_int_eq(d->save_org_attrs(d->baton, P, alice, "{\"c\":{\"eppn\":\"a\"}}",
                                       T0 + apr_time_from_sec(7)),
                     APR_SUCCESS);
    ck_assert_int_eq(d->lookup(d->baton, P, &LINE_A, &person, &json, &at), APR_SUCCESS);
    ck_assert_str_eq(person, alice);
    ck_assert_str_eq(json, "{\"c\":{\"eppn\":\"a\"}}");
    ck_assert(at == T0 + apr_time_from_sec(7));
    ck_assert_int_eq(d->lookup(d->baton, P, &UNIV_A, &person, &json, NULL), APR_SUCCESS);
    ck_assert_str_eq(person, alice);
    ck_assert_str_eq(json, "{\"c\":{\"eppn\":\"a\"}}");
    /* never another person's */
    ck_assert_int_eq(d->lookup(d->baton, P, &GOOG_A, &person, &json, &at), APR_SUCCESS);
    ck_assert_str_eq(person, bob);
    ck_assert_ptr_null(json);
    {
        sm_identity_t other = {"line", "https://other.example", "U1111"}, bad = {"line", "", "U1"};
        ck_assert_int_eq(d->lookup(d->baton, P, &other, &person, &json, &at), APR_NOTFOUND);
        ck_assert_ptr_null(person);
        ck_assert_int_eq(d->lookup(d->baton, P, &bad, &person, &json, &at), APR_EINVAL);
    }
}
END_TEST

/* The last event, which must be a login of person by provider at t with detail. */
static void last_login_event(sm_directory_t *d, int count, const char *person, const char *provider,
                             apr_time_t t, const char *detail)
{
    apr_array_header_t *evs = NULL;
    const sm_dir_event_t *e;

    ck_assert_int_eq(d->read_events(d->baton, P, 0, 100, &evs), APR_SUCCESS);
    ck_assert_int_eq(evs->nelts, count);
    e = &APR_ARRAY_IDX(evs, count - 1, sm_dir_event_t);
    ck_assert_str_eq(e->type, "login");
    ck_assert_str_eq(e->person, person);
    ck_assert_str_eq(e->provider, provider);
    ck_assert(e->at == t);
    ck_assert_str_eq(e->detail, detail);
}

static apr_time_t last_used(sm_directory_t *d, const char *person, const sm_identity_t *id)
{
    apr_array_header_t *ids = NULL;
    int i;

    ck_assert_int_eq(d->list(d->baton, P, person, &ids), APR_SUCCESS);
    for (i = 0; i < ids->nelts; i++) {
        const sm_linked_identity_t *li = &APR_ARRAY_IDX(ids, i, sm_linked_identity_t);
        if (strcmp(li->id.provider, id->provider) == 0 && strcmp(li->id.subject, id->subject) == 0)
            return li->last_used;
    }
    ck_abort_msg("%s is not linked", id->subject);
    return 0;
}

START_TEST(record_login)
{
    sm_directory_t *d = open_dir(P);
    const char *alice = NULL, *bob = NULL, *json = NULL;
    apr_time_t at = 0, t1 = T0 + apr_time_from_sec(100), t2 = T0 + apr_time_from_sec(200);

    ck_assert_int_eq(d->link(d->baton, P, &UNIV_A, true, NULL, T0, &alice), APR_SUCCESS);
    ck_assert_int_eq(d->link(d->baton, P, &LINE_A, false, alice, T0, NULL), APR_SUCCESS);
    ck_assert_int_eq(d->link(d->baton, P, &GOOG_A, false, NULL, T0, &bob), APR_SUCCESS);

    /* an SNS login: last_used and the event, no attributes */
    ck_assert_int_eq(d->record_login(d->baton, P, alice, &LINE_A, NULL, t1), APR_SUCCESS);
    ck_assert(last_used(d, alice, &LINE_A) == t1);
    ck_assert(last_used(d, alice, &UNIV_A) == T0);
    ck_assert_int_eq(d->load_org_attrs(d->baton, P, alice, &json, &at), APR_NOTFOUND);
    last_login_event(d, 4, alice, "line", t1, "{\"org\":false}");

    /* an organisational login saves the attributes too */
    ck_assert_int_eq(d->record_login(d->baton, P, alice, &UNIV_A, "{\"eppn\":\"a\"}", t2),
                     APR_SUCCESS);
    ck_assert(last_used(d, alice, &UNIV_A) == t2);
    ck_assert(last_used(d, alice, &LINE_A) == t1);
    ck_assert_int_eq(d->load_org_attrs(d->baton, P, alice, &json, &at), APR_SUCCESS);
    ck_assert_str_eq(json, "{\"eppn\":\"a\"}");
    ck_assert(at == t2);
    last_login_event(d, 5, alice, "univ", t2, "{\"org\":true}");

    /* a later login without attributes leaves them as they were */
    ck_assert_int_eq(d->record_login(d->baton, P, alice, &LINE_A, NULL, t2 + apr_time_from_sec(1)),
                     APR_SUCCESS);
    ck_assert_int_eq(d->load_org_attrs(d->baton, P, alice, &json, &at), APR_SUCCESS);
    ck_assert_str_eq(json, "{\"eppn\":\"a\"}");
    ck_assert(at == t2);
    last_login_event(d, 6, alice, "line", t2 + apr_time_from_sec(1), "{\"org\":false}");

    /* an identity of another person, or of none: NOTFOUND, and nothing changed */
    ck_assert_int_eq(d->record_login(d->baton, P, alice, &GOOG_A, "{\"eppn\":\"b\"}", T0 + 1),
                     APR_NOTFOUND);
    ck_assert_int_eq(d->record_login(d->baton, P, bob, &UNIV_A, "{\"eppn\":\"b\"}", T0 + 1),
                     APR_NOTFOUND);
    ck_assert_int_eq(d->record_login(d->baton, P, "no-such-person", &LINE_A, NULL, T0 + 1),
                     APR_NOTFOUND);
    {
        sm_identity_t none = {"line", "https://access.line.me", "U9999"};
        ck_assert_int_eq(d->record_login(d->baton, P, alice, &none, "{}", T0 + 1), APR_NOTFOUND);
    }
    ck_assert(last_used(d, bob, &GOOG_A) == T0);
    ck_assert(last_used(d, alice, &UNIV_A) == t2);
    ck_assert(last_used(d, alice, &LINE_A) == t2 + apr_time_from_sec(1));
    ck_assert_int_eq(d->load_org_attrs(d->baton, P, alice, &json, &at), APR_SUCCESS);
    ck_assert_str_eq(json, "{\"eppn\":\"a\"}");
    ck_assert_int_eq(d->load_org_attrs(d->baton, P, bob, &json, &at), APR_NOTFOUND);
    last_login_event(d, 6, alice, "line", t2 + apr_time_from_sec(1), "{\"org\":false}");
    /* bad input */
    ck_assert_int_eq(d->record_login(d->baton, P, "", &LINE_A, NULL, T0), APR_EINVAL);
    ck_assert_int_eq(d->record_login(d->baton, P, NULL, &LINE_A, NULL, T0), APR_EINVAL);
}
END_TEST

static void add_common(TCase *tc)
{
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, spec_parser);
    tcase_add_test(tc, schema_created);
    tcase_add_test(tc, link_find_list_unlink);
    tcase_add_test(tc, linked_elsewhere_eexist);
    tcase_add_test(tc, reopen_keeps_data);
    tcase_add_test(tc, migrates_version_1);
    tcase_add_test(tc, newer_version_refused);
    tcase_add_test(tc, race_two_links);
    tcase_add_test(tc, race_two_processes);
    tcase_add_test(tc, concurrent_open_migrates_once);
    tcase_add_test(tc, org_attributes);
    tcase_add_test(tc, events_in_order);
    tcase_add_test(tc, lookup_org_attrs);
    tcase_add_test(tc, record_login);
}

Suite *sm_suite_directory(void)
{
    Suite *s = suite_create("directory");
    TCase *tc = tcase_create("sqlite");

    tcase_add_checked_fixture(tc, sm_test_setup, sm_test_teardown);
    tcase_add_checked_fixture(tc, sqlite_setup, dir_teardown);
    add_common(tc);
    tcase_add_test(tc, sqlite_file_0600);
    tcase_add_test(tc, open_failures);
    suite_add_tcase(s, tc);

    pg_conninfo = getenv("SM_TEST_PGSQL");
    if (pg_conninfo && *pg_conninfo) {
        tc = tcase_create("pgsql");
        tcase_add_checked_fixture(tc, sm_test_setup, sm_test_teardown);
        tcase_add_checked_fixture(tc, pg_setup, dir_teardown);
        add_common(tc);
        tcase_add_test(tc, pg_unreachable);
        suite_add_tcase(s, tc);
    }
    return s;
}
