/* dirfix.c: the fixture of the directory suites (dirfix.h). */
#include "dirfix.h"
#include <apr_file_io.h>
#include <stdlib.h>
#include <string.h>

#define P sm_test_pool

char df_tmpdir[64];
const char *df_dbfile;
const char *df_spec;
const char *df_pg_conninfo; /* SM_TEST_PGSQL */
bool df_use_pg;
fake_log_t df_log;

static void df_setup(void)
{
    strcpy(df_tmpdir, "/tmp/sm-dir-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(df_tmpdir));
    df_dbfile = apr_pstrcat(P, df_tmpdir, "/selmid.db", NULL);
    fake_log_init(&df_log, P);
    if (df_use_pg) {
        df_raw_t r;
        df_spec = apr_pstrcat(P, "pgsql:", df_pg_conninfo, NULL);
        r = df_raw_open();
        df_raw_exec(&r, "DROP SCHEMA IF EXISTS public CASCADE");
        df_raw_exec(&r, "CREATE SCHEMA public");
        apr_dbd_close(r.drv, r.h);
    } else
        df_spec = apr_pstrcat(P, "sqlite:", df_dbfile, NULL);
}

void df_sqlite_setup(void)
{
    df_use_pg = false;
    df_setup();
}

void df_pg_setup(void)
{
    df_use_pg = true;
    df_setup();
}

void df_teardown(void)
{
    static const char *const files[] = {"selmid.db", "selmid.db-journal", "selmid.db-wal",
                                        "selmid.db-shm"};
    apr_pool_t *tp;
    size_t i;

    apr_pool_create(&tp, NULL);
    for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
        apr_file_remove(apr_pstrcat(tp, df_tmpdir, "/", files[i], NULL), tp);
    apr_dir_remove(df_tmpdir, tp);
    apr_pool_destroy(tp);
}

sm_directory_t *df_open(apr_pool_t *p)
{
    sm_dir_dbd_cfg_t *cfg = NULL;
    sm_directory_t *d = NULL;
    const char *err = NULL;

    ck_assert_ptr_null(sm_directory_dbd_parse(p, df_spec, &cfg));
    ck_assert_msg(sm_directory_dbd_open(p, cfg, &df_log.port, &sm_rand_system, &d, &err) ==
                      APR_SUCCESS,
                  "open: %s", err ? err : "?");
    ck_assert_ptr_nonnull(d);
    return d;
}

/* Raw SQL on the test database, independent of the adapter. */
df_raw_t df_raw_open(void)
{
    df_raw_t r;
    const char *err = NULL;

    ck_assert_int_eq(apr_dbd_init(P), APR_SUCCESS);
    ck_assert_int_eq(apr_dbd_get_driver(P, df_use_pg ? "pgsql" : "sqlite3", &r.drv), APR_SUCCESS);
    ck_assert_msg(apr_dbd_open_ex(r.drv, P, df_use_pg ? df_pg_conninfo : df_dbfile, &r.h, &err) ==
                      APR_SUCCESS,
                  "raw open: %s", err ? err : "?");
    return r;
}

/* True when the query fails (for example on a table that does not exist). */
bool df_raw_fails(df_raw_t *r, const char *sql)
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

void df_raw_exec(df_raw_t *r, const char *sql)
{
    int n = 0;
    int rc = apr_dbd_query(r->drv, r->h, &n, sql);
    ck_assert_msg(rc == 0, "%s: %s", sql, apr_dbd_error(r->drv, r->h, rc));
}

/* The first column of the first row of a query, as text (NULL when no row). */
const char *df_raw_value(df_raw_t *r, const char *sql)
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

void df_add_cases(Suite *s, void (*add_common)(TCase *tc), void (*add_sqlite)(TCase *tc),
                  void (*add_pg)(TCase *tc))
{
    TCase *tc = tcase_create("sqlite");

    tcase_set_timeout(tc, 30);
    tcase_add_checked_fixture(tc, sm_test_setup, sm_test_teardown);
    tcase_add_checked_fixture(tc, df_sqlite_setup, df_teardown);
    add_common(tc);
    if (add_sqlite)
        add_sqlite(tc);
    suite_add_tcase(s, tc);

    df_pg_conninfo = getenv("SM_TEST_PGSQL");
    if (df_pg_conninfo && *df_pg_conninfo) {
        tc = tcase_create("pgsql");
        tcase_set_timeout(tc, 30);
        tcase_add_checked_fixture(tc, sm_test_setup, sm_test_teardown);
        tcase_add_checked_fixture(tc, df_pg_setup, df_teardown);
        add_common(tc);
        if (add_pg)
            add_pg(tc);
        suite_add_tcase(s, tc);
    }
}
