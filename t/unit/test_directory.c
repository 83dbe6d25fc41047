/* test_directory.c: the directory port's APR-util DBD adapter against a real SQLite database in
 * a temporary directory (the driver libaprutil1-dbd-sqlite3): schema creation and migration, links
 * and their uniqueness, organisational attributes, logins (lookup, record_login), events, and the
 * spec parser. With SM_TEST_PGSQL set to a libpq conninfo, the same tests also run on PostgreSQL
 * through the driver libaprutil1-dbd-pgsql (dirfix.h). Races: test_directory_race.c. */
#include "dirfix.h"
#include <apr_file_info.h>
#include <string.h>

#define P  sm_test_pool
#define T0 DF_T0

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

    df_open(P);
    ck_assert_int_eq(apr_stat(&fi, df_dbfile, APR_FINFO_PROT, P), APR_SUCCESS);
    ck_assert_int_eq(fi.protection, APR_FPROT_UREAD | APR_FPROT_UWRITE);
}
END_TEST

START_TEST(schema_created)
{
    df_raw_t r;

    df_open(P);
    r = df_raw_open();
    ck_assert_str_eq(df_raw_value(&r, "SELECT version FROM selmid_schema"), "2");
    ck_assert_str_eq(df_raw_value(&r, "SELECT COUNT(*) FROM persons"), "0");
    ck_assert_str_eq(df_raw_value(&r, "SELECT COUNT(*) FROM identities"), "0");
    ck_assert_str_eq(df_raw_value(&r, "SELECT COUNT(*) FROM org_attributes"), "0");
    ck_assert_str_eq(df_raw_value(&r, "SELECT COUNT(*) FROM events"), "0");
    ck_assert(fake_log_has(&df_log, "SM24010"));
}
END_TEST

START_TEST(link_find_list_unlink)
{
    sm_directory_t *d = df_open(P);
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
    sm_directory_t *d = df_open(P);
    const char *alice = NULL, *bob = NULL, *found = NULL, *out = NULL;
    apr_array_header_t *ids = NULL;
    df_raw_t r;

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
    r = df_raw_open();
    ck_assert_str_eq(df_raw_value(&r, "SELECT COUNT(*) FROM persons"), "2");
    ck_assert_str_eq(df_raw_value(&r, "SELECT COUNT(*) FROM identities"), "3");
    ck_assert_str_eq(df_raw_value(&r, "SELECT COUNT(*) FROM events"), "3"); /* the 3 links only */
}
END_TEST

START_TEST(reopen_keeps_data)
{
    apr_pool_t *p1;
    sm_directory_t *d;
    const char *person = NULL, *found = NULL;

    apr_pool_create(&p1, P);
    d = df_open(p1);
    ck_assert_int_eq(d->link(d->baton, p1, &UNIV_A, true, NULL, T0, &person), APR_SUCCESS);
    person = apr_pstrdup(P, person);
    apr_pool_destroy(p1); /* closes every connection */

    d = df_open(P);
    ck_assert_int_eq(d->find(d->baton, P, &UNIV_A, &found), APR_SUCCESS);
    ck_assert_str_eq(found, person);
    ck_assert(!fake_log_has(&df_log, "from version 2")); /* no second migration */
}
END_TEST

START_TEST(migrates_version_1)
{
    df_raw_t r = df_raw_open();
    sm_directory_t *d;
    const char *found = NULL, *person = NULL;
    apr_array_header_t *ids = NULL, *evs = NULL;

    /* the layout of schema version 1, made by hand */
    df_raw_exec(&r,
                "CREATE TABLE selmid_schema (id INTEGER PRIMARY KEY, version INTEGER NOT NULL)");
    df_raw_exec(&r, "INSERT INTO selmid_schema (id, version) VALUES (1, 1)");
    df_raw_exec(&r, "CREATE TABLE persons (id TEXT PRIMARY KEY, created_at BIGINT NOT NULL)");
    df_raw_exec(&r, "CREATE TABLE identities (provider TEXT NOT NULL, issuer TEXT NOT NULL, "
                    "subject TEXT NOT NULL, person_id TEXT NOT NULL REFERENCES persons (id), "
                    "linked_at BIGINT NOT NULL, last_used BIGINT NOT NULL, "
                    "PRIMARY KEY (provider, issuer, subject))");
    df_raw_exec(&r, "CREATE INDEX identities_person ON identities (person_id)");
    df_raw_exec(&r, "INSERT INTO persons VALUES ('old-person-1', 1600000000)");
    df_raw_exec(&r, "INSERT INTO identities VALUES ('line', 'https://access.line.me', 'U1111', "
                    "'old-person-1', 1600000000, 1600000100)");
    apr_dbd_close(r.drv, r.h);

    d = df_open(P);
    ck_assert(fake_log_has(&df_log, "schema migrated from version 1 to 2"));
    r = df_raw_open();
    ck_assert_str_eq(df_raw_value(&r, "SELECT version FROM selmid_schema"), "2");
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
    df_raw_t r = df_raw_open();
    sm_dir_dbd_cfg_t *cfg = NULL;
    sm_directory_t *d = NULL;
    const char *err = NULL;

    df_raw_exec(&r,
                "CREATE TABLE selmid_schema (id INTEGER PRIMARY KEY, version INTEGER NOT NULL)");
    df_raw_exec(&r, "INSERT INTO selmid_schema (id, version) VALUES (1, 3)");
    df_raw_exec(&r, "CREATE TABLE persons (id TEXT PRIMARY KEY, created_at BIGINT NOT NULL)");
    ck_assert_ptr_null(sm_directory_dbd_parse(P, df_spec, &cfg));
    ck_assert_int_ne(sm_directory_dbd_open(P, cfg, &df_log.port, &sm_rand_system, &d, &err),
                     APR_SUCCESS);
    ck_assert_ptr_null(d);
    ck_assert_ptr_nonnull(err);
    ck_assert_ptr_nonnull(strstr(err, "schema version is 3"));
    ck_assert_ptr_nonnull(strstr(err, "versions up to 2"));
    ck_assert(fake_log_has(&df_log, "SM24011"));
    /* untouched */
    ck_assert_str_eq(df_raw_value(&r, "SELECT version FROM selmid_schema"), "3");
    ck_assert(df_raw_fails(&r, "SELECT COUNT(*) FROM events"));
    ck_assert(!df_raw_fails(&r, "SELECT COUNT(*) FROM persons"));
}
END_TEST

START_TEST(pg_unreachable)
{
    sm_dir_dbd_cfg_t *cfg = NULL;
    sm_directory_t *d = NULL;
    const char *err = NULL;

    ck_assert_ptr_null(sm_directory_dbd_parse(
        P, apr_pstrcat(P, "pgsql:host=", df_tmpdir, " port=1 dbname=none user=none", NULL), &cfg));
    ck_assert_int_ne(sm_directory_dbd_open(P, cfg, &df_log.port, &sm_rand_system, &d, &err),
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
        P, apr_pstrcat(P, "sqlite:", df_tmpdir, "/missing-dir/selmid.db", NULL), &cfg));
    ck_assert_int_ne(sm_directory_dbd_open(P, cfg, &df_log.port, &sm_rand_system, &d, &err),
                     APR_SUCCESS);
    ck_assert_ptr_null(d);
    ck_assert_ptr_nonnull(strstr(err, "cannot create or open the SQLite file"));
}
END_TEST

START_TEST(org_attributes)
{
    sm_directory_t *d = df_open(P);
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
    sm_directory_t *d = df_open(P);
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
    sm_directory_t *d = df_open(P);
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
    sm_directory_t *d = df_open(P);
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
    tcase_add_test(tc, spec_parser);
    tcase_add_test(tc, schema_created);
    tcase_add_test(tc, link_find_list_unlink);
    tcase_add_test(tc, linked_elsewhere_eexist);
    tcase_add_test(tc, reopen_keeps_data);
    tcase_add_test(tc, migrates_version_1);
    tcase_add_test(tc, newer_version_refused);
    tcase_add_test(tc, org_attributes);
    tcase_add_test(tc, events_in_order);
    tcase_add_test(tc, lookup_org_attrs);
    tcase_add_test(tc, record_login);
}

static void add_sqlite(TCase *tc)
{
    tcase_add_test(tc, sqlite_file_0600);
    tcase_add_test(tc, open_failures);
}

static void add_pg(TCase *tc)
{
    tcase_add_test(tc, pg_unreachable);
}

Suite *sm_suite_directory(void)
{
    Suite *s = suite_create("directory");

    df_add_cases(s, add_common, add_sqlite, add_pg);
    return s;
}
