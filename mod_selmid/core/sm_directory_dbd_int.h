/* sm_directory_dbd_int.h: what the two files of the DBD directory adapter share:
 * sm_directory_dbd.c (spec, connections, statements, schema, open) and sm_directory_ops.c (the
 * operations of the port). Not for other files. */
#ifndef SM_DIRECTORY_DBD_INT_H
#define SM_DIRECTORY_DBD_INT_H

#include "sm_directory.h"
#include <apr_dbd.h>
#include <apr_reslist.h>
#include <apr_thread_mutex.h>

#define PERSON_ID_BYTES 16

typedef enum { BK_SQLITE, BK_PGSQL } backend_e;

struct sm_dir_dbd_cfg_t {
    backend_e backend;
    const char *target; /* file or conninfo */
};

/* The prepared statements, by label index (texts in sm_directory_dbd.c). */
enum {
    ST_PERSON_NEW,
    ST_PERSON_EXISTS,
    ST_LINK,
    ST_UNLINK,
    ST_LIST,
    ST_TOUCH,
    ST_ORG_SAVE,
    ST_ORG_LOAD,
    ST_EVENT_ADD,
    ST_EVENTS,
    ST_LOOKUP,
    ST_TOUCH_PERSON,
    ST_COUNT
};

typedef struct dir_t {
    const sm_dir_dbd_cfg_t *cfg;
    const apr_dbd_driver_t *driver;
    const char *params;
    const sm_log_t *log;
    const sm_rand_t *rnd;
    apr_reslist_t *conns;
    apr_thread_mutex_t *wlock; /* SQLite: this process's writers, one at a time; else NULL */
    sm_directory_t port;
} dir_t;

typedef struct conn_t {
    apr_pool_t *pool;
    apr_dbd_t *handle;
    apr_dbd_prepared_t *st[ST_COUNT];
} conn_t;

/* Connections and statements (sm_directory_dbd.c). */
const char *sm_dbd_error(const dir_t *d, apr_dbd_t *h, int rc);
apr_status_t sm_dbd_acquire(dir_t *d, conn_t **c);
/* Returns a connection to the pool, or drops it when it is broken. */
void sm_dbd_release(dir_t *d, conn_t *c, apr_pool_t *p, bool failed);
const char *sm_dbd_secs(apr_pool_t *p, apr_time_t t);
apr_time_t sm_dbd_from_secs(const char *s);
void sm_dbd_log_fail(const dir_t *d, conn_t *c, const char *what, int rc);
/* A prepared select, every row: rows is an array of const char ** of ncols entries. */
int sm_dbd_select_rows(dir_t *d, conn_t *c, apr_pool_t *p, int st, int ncols,
                       apr_array_header_t **rows, const char **args);
int sm_dbd_exec(dir_t *d, conn_t *c, apr_pool_t *p, int st, int *nrows, const char **args);
/* A write outside a transaction: sm_dbd_exec under the process's write lock. */
int sm_dbd_write(dir_t *d, conn_t *c, apr_pool_t *p, int st, int *nrows, const char **args);
/* A write transaction: holds the process's write lock from a successful begin to the end. */
int sm_dbd_tx_begin(const dir_t *d, apr_dbd_t *h);
int sm_dbd_tx_end(const dir_t *d, apr_dbd_t *h, bool commit);
/* Ends a transaction when begun: commits when rv is APR_SUCCESS, else rolls back; a failed commit
 * (logged as what) makes the result APR_EGENERAL. Returns the operation's status. */
apr_status_t sm_dbd_tx_finish(const dir_t *d, conn_t *c, bool begun, apr_status_t rv,
                              const char *what);

/* The operations of the port (sm_directory_ops.c). */
void sm_dbd_set_ops(sm_directory_t *port);

#endif
