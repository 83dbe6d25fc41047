/* sm_directory.h: the durable directory port (issue 6): persons, the identities linked to them,
 * the organisational attributes captured at a person's last organisational login, and an
 * append-only event log. One identity (provider, issuer, subject) belongs to at most one person.
 *
 * Times cross the port as apr_time_t and are stored as whole seconds. Every function returns
 * APR_SUCCESS, APR_NOTFOUND / APR_EEXIST where documented, or another status when the directory
 * cannot be reached or fails (the caller fails closed; the adapter has logged the cause). */
#ifndef SM_DIRECTORY_H
#define SM_DIRECTORY_H

#include "sm_core.h"

/* The longest values an identity may have (bytes): together they stay within the key size an
 * index can hold on both back ends (PostgreSQL's btree: about 2700 bytes). Longer ones are
 * refused (APR_EINVAL). */
#define SM_DIR_PROVIDER_MAX 64
#define SM_DIR_ID_MAX       1024

typedef struct sm_identity_t {
    const char *provider; /* the SelmidProvider name */
    const char *issuer;   /* the issuer (OIDC iss, SAML IdP entity id) */
    const char *subject;  /* sub / persistent id */
} sm_identity_t;

/* One linked identity of a person (sm_directory_t.list). */
typedef struct sm_linked_identity_t {
    sm_identity_t id;
    bool org; /* an organisational identity (the anchor of the person's attributes) */
    apr_time_t linked_at;
    apr_time_t last_used;
} sm_linked_identity_t;

/* One event of the append-only log. Types used so far: "link", "unlink", "login". */
typedef struct sm_dir_event_t {
    apr_int64_t id;       /* assigned by the directory, increasing; ignored on append */
    const char *type;     /* 1..32 characters of [a-z_] */
    const char *person;   /* person id */
    const char *provider; /* "" when not about one provider */
    apr_time_t at;
    const char *detail; /* a small JSON text ("{}" when NULL on append), at most 4096 bytes */
} sm_dir_event_t;

#define SM_DIR_EVENT_DETAIL_MAX 4096

typedef struct sm_directory_t {
    /* The person an identity is linked to; APR_NOTFOUND when it is not linked. */
    apr_status_t (*find)(void *baton, apr_pool_t *p, const sm_identity_t *id, const char **person);
    /* Links id to person, or to a new person (a fresh 128-bit random id) when person is NULL; the
     * person's id is returned in *person_out. Records a "link" event in the same transaction.
     * APR_EEXIST when the identity is already linked (to anyone; nothing is changed then, and no
     * person is created), also when two links of the same identity race: the database's unique
     * constraint decides. APR_NOTFOUND when person is given but does not exist. */
    apr_status_t (*link)(void *baton, apr_pool_t *p, const sm_identity_t *id, bool org,
                         const char *person, apr_time_t now, const char **person_out);
    /* Removes the link of id to person and records an "unlink" event, atomically; APR_NOTFOUND
     * when id is not linked to that person. */
    apr_status_t (*unlink)(void *baton, apr_pool_t *p, const char *person, const sm_identity_t *id,
                           apr_time_t now);
    /* The identities of a person (sm_linked_identity_t, ordered by linked_at then provider); an
     * empty array for an unknown person. */
    apr_status_t (*list)(void *baton, apr_pool_t *p, const char *person, apr_array_header_t **ids);
    /* Sets last_used of a linked identity; APR_NOTFOUND when it is not linked. */
    apr_status_t (*touch)(void *baton, apr_pool_t *p, const sm_identity_t *id, apr_time_t now);
    /* Replaces the organisational attributes of a person (a JSON text) and their capture time;
     * APR_NOTFOUND when the person does not exist. */
    apr_status_t (*save_org_attrs)(void *baton, apr_pool_t *p, const char *person, const char *json,
                                   apr_time_t at);
    /* APR_NOTFOUND when none were saved for the person. */
    apr_status_t (*load_org_attrs)(void *baton, apr_pool_t *p, const char *person,
                                   const char **json, apr_time_t *at);
    /* Appends an event (APR_EINVAL for a bad type or an oversized detail). */
    apr_status_t (*append_event)(void *baton, apr_pool_t *p, const sm_dir_event_t *ev);
    /* Up to max events (sm_dir_event_t) with an id greater than after_id, in id order (for an
     * export: pass the last id seen to continue). Ids are assigned at insertion, so an event of a
     * transaction still running may later appear with an id below the last one read. */
    apr_status_t (*read_events)(void *baton, apr_pool_t *p, apr_int64_t after_id, int max,
                                apr_array_header_t **events);
    /* One indexed read for a login: the person an identity is linked to and that person's
     * organisational attributes (*org_json NULL when none were saved). APR_NOTFOUND when the
     * identity is not linked. */
    apr_status_t (*lookup)(void *baton, apr_pool_t *p, const sm_identity_t *id, const char **person,
                           const char **org_json, apr_time_t *org_at);
    /* After a login of a linked identity, in one transaction: last_used, the organisational
     * attributes when org_json is not NULL (an organisational login), and a "login" event.
     * APR_NOTFOUND (nothing changed) when the identity is not linked to person. */
    apr_status_t (*record_login)(void *baton, apr_pool_t *p, const char *person,
                                 const sm_identity_t *id, const char *org_json, apr_time_t now);
    const char *name; /* "sqlite", "pgsql": for log lines */
    void *baton;
} sm_directory_t;

/* ---- the APR-util DBD adapter (sm_directory_dbd.c) ------------------------------------------
 * spec: "sqlite:/absolute/path/file.db" or "pgsql:<libpq conninfo>". parse() checks the spec (at
 * configuration time) and returns NULL or an error message naming the problem. */
typedef struct sm_dir_dbd_cfg_t sm_dir_dbd_cfg_t;
const char *sm_directory_dbd_parse(apr_pool_t *p, const char *spec, sm_dir_dbd_cfg_t **cfg);
/* The back end's name ("sqlite", "pgsql") and its target (the file, or the conninfo). */
const char *sm_directory_dbd_backend(const sm_dir_dbd_cfg_t *cfg);

/* The schema version this code creates and migrates to. */
#define SM_DIR_SCHEMA_VERSION 2

/* Opens the directory for one process: loads the APR-util DBD driver, creates the SQLite file
 * (mode 0600) when missing, creates or migrates the schema (refusing a newer version, see *err),
 * and builds a connection pool that lives as long as pool. log and rnd must outlive pool. On
 * failure, *err (when err is not NULL) says why in words for the administrator; APR_EINVAL means
 * the schema is newer than this code knows (retrying cannot help), anything else that the
 * directory could not be reached or set up. */
apr_status_t sm_directory_dbd_open(apr_pool_t *pool, const sm_dir_dbd_cfg_t *cfg,
                                   const sm_log_t *log, const sm_rand_t *rnd, sm_directory_t **dir,
                                   const char **err);

#endif
