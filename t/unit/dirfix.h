/* dirfix.h: the fixture of the directory suites (test_directory.c, test_directory_race.c): a fresh
 * SQLite file in a temporary directory per test, or with SM_TEST_PGSQL=<libpq conninfo> (a
 * throwaway database: each test drops and recreates its public schema) also PostgreSQL; raw SQL on
 * the test database, independent of the adapter. */
#ifndef SM_DIRFIX_H
#define SM_DIRFIX_H

#include "sm_tests.h"
#include "fakes.h"
#include "sm_directory.h"
#include <apr_dbd.h>

#define DF_T0 apr_time_from_sec(1700000000)

extern char df_tmpdir[64];
extern const char *df_dbfile;      /* the SQLite file (made by the adapter) */
extern const char *df_spec;        /* the SelmidDirectory value of this test */
extern const char *df_pg_conninfo; /* SM_TEST_PGSQL */
extern bool df_use_pg;
extern fake_log_t df_log; /* the adapter's log */

static const sm_identity_t LINE_A = {"line", "https://access.line.me", "U1111"};
static const sm_identity_t UNIV_A = {"univ", "https://idp.univ.example", "alice@univ.example"};
static const sm_identity_t GOOG_A = {"google", "https://accounts.google.com", "10769150"};

void df_sqlite_setup(void);
void df_pg_setup(void);
void df_teardown(void);
/* The adapter on the test database, opened in p (the test fails when it cannot be). */
sm_directory_t *df_open(apr_pool_t *p);

typedef struct df_raw_t {
    const apr_dbd_driver_t *drv;
    apr_dbd_t *h;
} df_raw_t;
df_raw_t df_raw_open(void);
/* True when the query fails (for example on a table that does not exist). */
bool df_raw_fails(df_raw_t *r, const char *sql);
void df_raw_exec(df_raw_t *r, const char *sql);
/* The first column of the first row of a query, as text (NULL when no row). */
const char *df_raw_value(df_raw_t *r, const char *sql);

/* Adds the test cases "sqlite" and, with SM_TEST_PGSQL, "pgsql" to s: add_common adds the tests
 * of both, add_sqlite and add_pg (may be NULL) those of one back end. */
void df_add_cases(Suite *s, void (*add_common)(TCase *tc), void (*add_sqlite)(TCase *tc),
                  void (*add_pg)(TCase *tc));

#endif
