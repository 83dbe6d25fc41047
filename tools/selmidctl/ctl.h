/* ctl.h: what the files of selmidctl share: selmidctl.c (options, directory, dispatch),
 * ctl_cmds.c (the commands), ctl_util.c (input checks, output, redaction). */
#ifndef SELMIDCTL_CTL_H
#define SELMIDCTL_CTL_H

#include "sm_directory.h"
#include <stdio.h>

/* Exit codes. */
enum { CTL_OK = 0, CTL_NOTFOUND = 1, CTL_USAGE = 2, CTL_FAIL = 3 };

/* The longest PERSON, PROVIDER, ISSUER or SUBJECT accepted on the command line. */
#define CTL_VALUE_MAX 1024

typedef struct ctl_t {
    apr_pool_t *pool;
    const char *spec;            /* the directory spec (never printed) */
    apr_array_header_t *secrets; /* const char *: strings never to print (see ctl_secrets) */
    sm_log_t log;                /* the adapter's log: stderr, "selmidctl: " first */
    int errors_logged;           /* error lines the adapter printed */
    sm_directory_t *dir;
    /* options */
    bool json, org, force;
    bool has_after, has_limit, has_person, has_page;
    apr_int64_t after;
    apr_int64_t limit;
    const char *person; /* --person */
    int page;           /* --page-size */
} ctl_t;

/* ctl_util.c */
/* Prints "selmidctl: " and the message to stderr on one line, with the secrets redacted. */
void ctl_err(const ctl_t *c, const char *fmt, ...) SM_PRINTF(2, 3);
/* NULL when v is a usable value (1..CTL_VALUE_MAX bytes of UTF-8, no control character), else
 * why not, naming what. */
const char *ctl_check_value(apr_pool_t *p, const char *what, const char *v);
/* The strings of a directory spec that must never be printed: the password of a libpq conninfo
 * (password=... or the one of a postgresql:// URI), raw and unquoted. */
apr_array_header_t *ctl_secrets(apr_pool_t *p, const char *spec);
/* msg on one line (control characters become spaces) with every secret replaced by "***". */
const char *ctl_redact(apr_pool_t *p, const apr_array_header_t *secrets, const char *msg);
/* "2024-05-01T10:00:00Z" */
const char *ctl_iso(apr_pool_t *p, apr_time_t t);
/* Parses a decimal integer in [min, max]; false on anything else. */
bool ctl_parse_int(const char *s, apr_int64_t min, apr_int64_t max, apr_int64_t *out);
/* The invoking user's login name, as well as it can be known. */
const char *ctl_user(apr_pool_t *p);
/* The sm_log_t emitter: baton is the ctl_t. */
void ctl_log_emit(void *baton, sm_log_level_e level, const char *msg);

/* ctl_cmds.c: each returns an exit code; args are the command's operands (already checked). */
int ctl_find(ctl_t *c, const char *const *args);
int ctl_show(ctl_t *c, const char *const *args);
int ctl_link(ctl_t *c, const char *const *args);
int ctl_unlink(ctl_t *c, const char *const *args);
int ctl_events(ctl_t *c, const char *const *args);

#endif
