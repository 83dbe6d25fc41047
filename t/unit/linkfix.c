/* linkfix.c: the fixture of the linking suites (linkfix.h). */
#include "linkfix.h"
#include "sm_json.h"
#include <apr_file_io.h>
#include <stdlib.h>
#include <string.h>

#define P sm_test_pool

fake_env_t lf_env;
sm_directory_t *lf_dir;
lf_wrap_t lf_w;
static char tmpdir[64];

const sm_identity_t UNIV_A = {"univ", "https://idp.univ.example", "alice@univ.example"};
const sm_identity_t UNIV_B = {"univ", "https://idp.univ.example", "bob@univ.example"};
const sm_identity_t HOSP_A = {"hosp", "https://idp.hosp.example", "alice@hosp.example"};
const sm_identity_t LINE_A = {"line", "https://access.line.me", "U1111"};
const sm_identity_t LINE_B = {"line", "https://access.line.me", "U2222"};
const sm_identity_t GOOG_A = {"google", "https://accounts.google.com", "10769150"};
const sm_identity_t YJ_A = {"yahoojp", "https://auth.login.yahoo.co.jp/yconnect/v2", "YJ1"};

static apr_status_t w_find(void *b, apr_pool_t *p, const sm_identity_t *id, const char **person)
{
    (void)b;
    if (lf_w.fail_find)
        return APR_EGENERAL;
    return lf_dir->find(lf_dir->baton, p, id, person);
}

static apr_status_t w_link(void *b, apr_pool_t *p, const sm_identity_t *id, bool org,
                           const char *person, apr_time_t now, const char **out)
{
    (void)b;
    if (lf_w.fail_link)
        return APR_EGENERAL;
    if (lf_w.steal && sm_identity_eq(lf_w.steal, id)) {
        ck_assert_int_eq(lf_dir->link(lf_dir->baton, P, lf_w.steal, false, NULL, now, &lf_w.thief),
                         APR_SUCCESS);
        lf_w.steal = NULL;
    }
    return lf_dir->link(lf_dir->baton, p, id, org, person, now, out);
}

static apr_status_t w_list(void *b, apr_pool_t *p, const char *person, apr_array_header_t **ids)
{
    (void)b;
    if (lf_w.fail_list)
        return APR_EGENERAL;
    return lf_dir->list(lf_dir->baton, p, person, ids);
}

static apr_status_t w_save(void *b, apr_pool_t *p, const char *person, const char *json,
                           apr_time_t at)
{
    (void)b;
    if (lf_w.fail_save)
        return APR_EGENERAL;
    return lf_dir->save_org_attrs(lf_dir->baton, p, person, json, at);
}

static apr_status_t w_lookup(void *b, apr_pool_t *p, const sm_identity_t *id, const char **person,
                             const char **org_json, apr_time_t *org_at)
{
    (void)b;
    if (lf_w.fail_lookup)
        return APR_EGENERAL;
    return lf_dir->lookup(lf_dir->baton, p, id, person, org_json, org_at);
}

static apr_status_t w_record(void *b, apr_pool_t *p, const char *person, const sm_identity_t *id,
                             const char *org_json, apr_time_t now)
{
    (void)b;
    if (lf_w.fail_record)
        return APR_EGENERAL;
    return lf_dir->record_login(lf_dir->baton, p, person, id, org_json, now);
}

const sm_directory_t *lf_wrapped(void)
{
    memset(&lf_w, 0, sizeof(lf_w));
    lf_w.port = *lf_dir; /* the baton stays the real one for the operations not wrapped */
    lf_w.port.find = w_find;
    lf_w.port.link = w_link;
    lf_w.port.list = w_list;
    lf_w.port.save_org_attrs = w_save;
    lf_w.port.lookup = w_lookup;
    lf_w.port.record_login = w_record;
    return &lf_w.port;
}

void lf_setup(void)
{
    sm_dir_dbd_cfg_t *cfg = NULL;
    const char *err = NULL;

    sm_test_setup();
    fake_env_init(&lf_env, P, LF_T0);
    memset(&lf_w, 0, sizeof(lf_w));
    strcpy(tmpdir, "/tmp/sm-link-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    ck_assert_ptr_null(
        sm_directory_dbd_parse(P, apr_pstrcat(P, "sqlite:", tmpdir, "/selmid.db", NULL), &cfg));
    lf_dir = NULL;
    ck_assert_msg(sm_directory_dbd_open(P, cfg, &lf_env.log.port, &sm_rand_system, &lf_dir, &err) ==
                      APR_SUCCESS,
                  "open: %s", err ? err : "?");
}

void lf_teardown(void)
{
    static const char *const files[] = {"selmid.db", "selmid.db-journal", "selmid.db-wal",
                                        "selmid.db-shm"};
    apr_pool_t *tp;
    size_t i;

    sm_test_teardown(); /* closes the directory's connections */
    lf_dir = NULL;
    apr_pool_create(&tp, NULL);
    for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
        apr_file_remove(apr_pstrcat(tp, tmpdir, "/", files[i], NULL), tp);
    apr_dir_remove(tmpdir, tp);
    apr_pool_destroy(tp);
}

json_t *lf_json(const char *text)
{
    const char *err = NULL;
    json_t *j = sm_json_parse(P, text, strlen(text), &err);
    ck_assert_msg(j != NULL, "bad test JSON %s: %s", text, err ? err : "?");
    return j;
}

json_t *lf_org_claims(const char *sub, const char *eppn)
{
    return sm_json_own(P, json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:s, s:[s,s]}", "sub", sub,
                                    "iss", UNIV_A.issuer, "aud", "selmid", "exp",
                                    (json_int_t)1700000600, "iat", (json_int_t)1700000000, "nonce",
                                    "n-1", "eppn", eppn, "name", "Alice Univ", "affiliation",
                                    "student", "member"));
}

json_t *lf_sns_claims(const char *sub)
{
    return sm_json_own(
        P, json_pack("{s:s, s:s, s:s}", "sub", sub, "name", "LINE Alice", "iss", LINE_A.issuer));
}

const char *lf_str(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

json_t *lf_saved_attrs(const char *person, const char **provider, const char **issuer,
                       apr_time_t *at)
{
    const char *json = NULL;
    json_t *attrs = NULL;

    ck_assert_int_eq(lf_dir->load_org_attrs(lf_dir->baton, P, person, &json, at), APR_SUCCESS);
    ck_assert_msg(sm_link_org_parse(P, json, provider, issuer, &attrs), "not a record: %s", json);
    return attrs;
}

const sm_linked_identity_t *lf_listed(const char *person, const sm_identity_t *id)
{
    apr_array_header_t *ids = NULL;
    int i;

    ck_assert_int_eq(lf_dir->list(lf_dir->baton, P, person, &ids), APR_SUCCESS);
    for (i = 0; i < ids->nelts; i++)
        if (sm_identity_eq(&APR_ARRAY_IDX(ids, i, sm_linked_identity_t).id, id))
            return &APR_ARRAY_IDX(ids, i, sm_linked_identity_t);
    return NULL;
}

int lf_count_ids(const char *person)
{
    apr_array_header_t *ids = NULL;
    ck_assert_int_eq(lf_dir->list(lf_dir->baton, P, person, &ids), APR_SUCCESS);
    return ids->nelts;
}

apr_array_header_t *lf_events(void)
{
    apr_array_header_t *evs = NULL;
    ck_assert_int_eq(lf_dir->read_events(lf_dir->baton, P, 0, 1000, &evs), APR_SUCCESS);
    return evs;
}

int lf_persons_created(void)
{
    apr_array_header_t *evs = lf_events();
    int i, n = 0;
    for (i = 0; i < evs->nelts; i++)
        if (strstr(APR_ARRAY_IDX(evs, i, sm_dir_event_t).detail, "\"new_person\":true"))
            n++;
    return n;
}

const char *lf_find(const sm_identity_t *id)
{
    const char *person = NULL;
    apr_status_t rv = lf_dir->find(lf_dir->baton, P, id, &person);
    ck_assert(rv == APR_SUCCESS || rv == APR_NOTFOUND);
    return person;
}

const char *lf_link_new(const sm_identity_t *id, bool org)
{
    const char *person = NULL;
    ck_assert_int_eq(lf_dir->link(lf_dir->baton, P, id, org, NULL, LF_LINKED_AT, &person),
                     APR_SUCCESS);
    return person;
}

void lf_link_to(const sm_identity_t *id, bool org, const char *person)
{
    ck_assert_int_eq(lf_dir->link(lf_dir->baton, P, id, org, person, LF_LINKED_AT, NULL),
                     APR_SUCCESS);
}
