/* test_link.c: account linking's decisions (sm_link.c) on a real SQLite directory in a temporary
 * directory (linkfix.h): the organisational attributes kept and their record, the name shown for
 * an account, login resolution
 * (org and SNS logins, linked or not, a failing directory), and which identities may be unlinked.
 * sm_link_perform: test_link_perform.c. */
#include "linkfix.h"
#include "sm_json.h"
#include <string.h>

#define P      sm_test_pool
#define T0     LF_T0
#define SEC(n) LF_SEC(n)

/* ---- organisational attributes and their record ---------------------------------------- */

START_TEST(org_attrs_drop_protocol_claims)
{
    static const char *const protocol[] = {"iss",       "aud",     "exp",    "iat",    "nbf",
                                           "nonce",     "at_hash", "c_hash", "s_hash", "azp",
                                           "auth_time", "sid",     "jti",    "acr",    "amr"};
    json_t *claims = lf_json("{\"sub\":\"alice\",\"eppn\":\"alice@univ.example\","
                             "\"affiliation\":[\"student\"],\"name\":\"Alice\","
                             "\"issuer_note\":\"kept\",\"nested\":{\"iss\":\"kept too\"}}");
    json_t *attrs;
    size_t i;

    for (i = 0; i < sizeof(protocol) / sizeof(protocol[0]); i++)
        json_object_set_new(claims, protocol[i], json_string("x"));
    attrs = sm_link_org_attrs(P, claims);
    ck_assert_ptr_nonnull(attrs);
    for (i = 0; i < sizeof(protocol) / sizeof(protocol[0]); i++)
        ck_assert_msg(json_object_get(attrs, protocol[i]) == NULL, "%s kept", protocol[i]);
    ck_assert_uint_eq(json_object_size(attrs), 6);
    ck_assert_str_eq(lf_str(attrs, "sub"), "alice");
    ck_assert_str_eq(lf_str(attrs, "eppn"), "alice@univ.example");
    ck_assert_str_eq(lf_str(attrs, "issuer_note"), "kept");
    ck_assert(json_equal(json_object_get(attrs, "affiliation"), lf_json("[\"student\"]")));
    ck_assert(json_equal(json_object_get(attrs, "nested"), lf_json("{\"iss\":\"kept too\"}")));
    /* the login's claims are left as they were */
    ck_assert_uint_eq(json_object_size(claims), 6 + sizeof(protocol) / sizeof(protocol[0]));
    /* no claims: no attributes */
    ck_assert_uint_eq(json_object_size(sm_link_org_attrs(P, NULL)), 0);
    ck_assert_uint_eq(json_object_size(sm_link_org_attrs(P, lf_json("[1,2]"))), 0);
}
END_TEST

START_TEST(org_record_round_trip)
{
    json_t *attrs = lf_json("{\"eppn\":\"alice@univ.example\",\"name\":\"\\u5c71\\u7530\","
                            "\"affiliation\":[\"student\",\"member\"],\"n\":3}");
    const char *rec = sm_link_org_record(P, "univ", UNIV_A.issuer, attrs), *pr = NULL, *is = NULL;
    json_t *back = NULL;

    ck_assert_ptr_nonnull(rec);
    ck_assert(sm_link_org_parse(P, rec, &pr, &is, &back));
    ck_assert_str_eq(pr, "univ");
    ck_assert_str_eq(is, UNIV_A.issuer);
    ck_assert(json_equal(back, attrs));
    /* empty attributes are a record too */
    rec = sm_link_org_record(P, "univ", UNIV_A.issuer, lf_json("{}"));
    ck_assert(sm_link_org_parse(P, rec, &pr, &is, &back));
    ck_assert_uint_eq(json_object_size(back), 0);
    /* nothing to record without a provider, an issuer or attributes */
    ck_assert_ptr_null(sm_link_org_record(P, NULL, UNIV_A.issuer, attrs));
    ck_assert_ptr_null(sm_link_org_record(P, "univ", NULL, attrs));
    ck_assert_ptr_null(sm_link_org_record(P, "univ", UNIV_A.issuer, NULL));
}
END_TEST

START_TEST(org_parse_refuses_malformed)
{
    static const char *const bad[] = {
        "",
        "not json",
        "[]",
        "\"text\"",
        "{}",
        "{\"p\":\"univ\",\"i\":\"https://idp\"}",
        "{\"p\":\"univ\",\"i\":\"https://idp\",\"c\":[]}",
        "{\"p\":\"univ\",\"i\":\"https://idp\",\"c\":\"eppn\"}",
        "{\"p\":\"univ\",\"i\":\"https://idp\",\"c\":null}",
        "{\"p\":1,\"i\":\"https://idp\",\"c\":{}}",
        "{\"i\":\"https://idp\",\"c\":{}}",
        "{\"p\":\"univ\",\"i\":true,\"c\":{}}",
        "{\"p\":\"univ\",\"c\":{}}",
        "{\"p\":\"univ\",\"i\":\"https://idp\",\"c\":{}",
    };
    const char *pr, *is;
    json_t *attrs;
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        attrs = NULL;
        ck_assert_msg(!sm_link_org_parse(P, bad[i], &pr, &is, &attrs), "accepted: %s", bad[i]);
        ck_assert_ptr_null(attrs);
    }
    ck_assert(!sm_link_org_parse(P, NULL, &pr, &is, &attrs));
    ck_assert(
        sm_link_org_parse(P, "{\"p\":\"univ\",\"i\":\"https://idp\",\"c\":{}}", &pr, &is, &attrs));
}
END_TEST

START_TEST(display_name)
{
    char *ja = apr_palloc(P, 3 * 150 + 1), *mixed;
    const char *d;
    int i;

    ck_assert_str_eq(sm_link_display(P, lf_json("{\"email\":\"e@x\",\"eppn\":\"a@u\","
                                                "\"name\":\"Alice\"}")),
                     "Alice");
    ck_assert_str_eq(sm_link_display(P, lf_json("{\"name\":\"\",\"eppn\":\"a@u\"}")), "a@u");
    ck_assert_str_eq(sm_link_display(P, lf_json("{\"name\":5,\"email\":\"e@x\","
                                                "\"preferred_username\":\"al\"}")),
                     "al");
    ck_assert_str_eq(sm_link_display(P, lf_json("{\"sub\":\"1\",\"email\":\"e@x\"}")), "e@x");
    ck_assert_ptr_null(sm_link_display(P, lf_json("{\"sub\":\"1\",\"name\":null}")));
    ck_assert_ptr_null(sm_link_display(P, NULL));
    /* at most 100 characters, never a character cut in two */
    for (i = 0; i < 150; i++)
        memcpy(ja + 3 * i, "\xe3\x81\x82", 3);
    ja[3 * 150] = '\0';
    d = sm_link_display(P, sm_json_own(P, json_pack("{s:s}", "name", ja)));
    ck_assert_uint_eq(strlen(d), 300);
    ck_assert_int_eq(strncmp(d, ja, 300), 0);
    mixed = apr_pstrcat(P,
                        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                        "aaaaaaaaaaaaaaaaaaaaaaaaa",
                        "\xf0\x9f\x98\x80z", NULL); /* 99 + a 4-byte character + 1 */
    d = sm_link_display(P, sm_json_own(P, json_pack("{s:s}", "name", mixed)));
    ck_assert_uint_eq(strlen(d), 103);
    ck_assert_str_eq(d + 99, "\xf0\x9f\x98\x80");
    d = sm_link_display(P, sm_json_own(P, json_pack("{s:s}", "name", "short")));
    ck_assert_str_eq(d, "short");
}
END_TEST

START_TEST(result_strings)
{
    int r, k;

    for (r = SM_LINK_OK; r <= SM_LINK_DIRECTORY; r++) {
        ck_assert_str_ne(sm_link_result_str((sm_link_result_e)r), "?");
        for (k = SM_LINK_OK; k < r; k++)
            ck_assert_str_ne(sm_link_result_str((sm_link_result_e)r),
                             sm_link_result_str((sm_link_result_e)k));
    }
}
END_TEST

/* ---- login resolution -------------------------------------------------------------------- */

START_TEST(resolve_org_unlinked)
{
    sm_session_t t;
    json_t *claims = lf_org_claims(UNIV_A.subject, "alice@univ.example");

    ck_assert_int_eq(
        sm_link_resolve_login(&lf_env.env, lf_dir, true, "univ", UNIV_A.issuer, claims, &t),
        APR_SUCCESS);
    ck_assert_ptr_null(t.person);
    ck_assert_ptr_null(t.org_provider);
    ck_assert_ptr_null(t.org_issuer);
    ck_assert_str_eq(t.provider, "univ");
    ck_assert_str_eq(t.issuer, UNIV_A.issuer);
    ck_assert_str_eq(t.sub, UNIV_A.subject);
    ck_assert_ptr_eq(t.claims, claims);
    /* nothing written */
    ck_assert_ptr_null(lf_find(&UNIV_A));
    ck_assert_int_eq(lf_events()->nelts, 0);
}
END_TEST

START_TEST(resolve_org_linked_records_login)
{
    const char *alice = lf_link_new(&UNIV_A, true), *pr = NULL, *is = NULL;
    json_t *claims = lf_org_claims(UNIV_A.subject, "alice@univ.example"), *attrs;
    apr_array_header_t *evs;
    const sm_dir_event_t *e;
    sm_session_t t;
    apr_time_t at = 0;

    lf_link_to(&LINE_A, false, alice);
    lf_env.clock.now = T0 + SEC(100);
    ck_assert_int_eq(
        sm_link_resolve_login(&lf_env.env, lf_dir, true, "univ", UNIV_A.issuer, claims, &t),
        APR_SUCCESS);
    ck_assert_str_eq(t.person, alice);
    ck_assert_str_eq(t.org_provider, "univ");
    ck_assert_str_eq(t.org_issuer, UNIV_A.issuer);
    ck_assert_str_eq(t.sub, UNIV_A.subject);
    ck_assert_ptr_eq(t.claims, claims); /* an organisational login keeps its own claims */

    attrs = lf_saved_attrs(alice, &pr, &is, &at);
    ck_assert_str_eq(pr, "univ");
    ck_assert_str_eq(is, UNIV_A.issuer);
    ck_assert(at == T0 + SEC(100));
    ck_assert(json_equal(attrs, sm_link_org_attrs(P, claims)));
    ck_assert_str_eq(lf_str(attrs, "eppn"), "alice@univ.example");
    ck_assert_ptr_null(json_object_get(attrs, "nonce"));
    ck_assert_ptr_null(json_object_get(attrs, "exp"));

    ck_assert(lf_listed(alice, &UNIV_A)->last_used == T0 + SEC(100));
    ck_assert(lf_listed(alice, &LINE_A)->last_used == LF_LINKED_AT); /* the other is untouched */
    evs = lf_events();
    e = &APR_ARRAY_IDX(evs, evs->nelts - 1, sm_dir_event_t);
    ck_assert_str_eq(e->type, "login");
    ck_assert_str_eq(e->person, alice);
    ck_assert_str_eq(e->provider, "univ");
    ck_assert_str_eq(e->detail, "{\"org\":true}");
    ck_assert(e->at == T0 + SEC(100));

    /* the next organisational login replaces the attributes */
    lf_env.clock.now = T0 + SEC(200);
    ck_assert_int_eq(sm_link_resolve_login(&lf_env.env, lf_dir, true, "univ", UNIV_A.issuer,
                                           lf_org_claims(UNIV_A.subject, "alice2@univ.example"),
                                           &t),
                     APR_SUCCESS);
    attrs = lf_saved_attrs(alice, &pr, &is, &at);
    ck_assert_str_eq(lf_str(attrs, "eppn"), "alice2@univ.example");
    ck_assert(at == T0 + SEC(200));
}
END_TEST

START_TEST(resolve_sns_linked_gets_org_attrs)
{
    const char *alice = lf_link_new(&UNIV_A, true), *pr = NULL, *is = NULL;
    json_t *claims = lf_sns_claims(LINE_A.subject), *before;
    apr_array_header_t *evs;
    const sm_dir_event_t *e;
    sm_session_t t;
    apr_time_t at = 0;

    lf_link_to(&LINE_A, false, alice);
    lf_env.clock.now = T0 + SEC(100);
    ck_assert_int_eq(sm_link_resolve_login(&lf_env.env, lf_dir, true, "univ", UNIV_A.issuer,
                                           lf_org_claims(UNIV_A.subject, "alice@univ.example"), &t),
                     APR_SUCCESS);
    before = lf_saved_attrs(alice, &pr, &is, &at);

    lf_env.clock.now = T0 + SEC(500);
    ck_assert_int_eq(
        sm_link_resolve_login(&lf_env.env, lf_dir, false, "line", LINE_A.issuer, claims, &t),
        APR_SUCCESS);
    ck_assert_str_eq(t.person, alice);
    ck_assert_str_eq(t.provider, "line");
    ck_assert_str_eq(t.issuer, LINE_A.issuer);
    ck_assert_str_eq(t.sub, "U1111"); /* the session's sub stays the SNS one */
    ck_assert_str_eq(t.org_provider, "univ");
    ck_assert_str_eq(t.org_issuer, UNIV_A.issuer);
    ck_assert(json_equal(t.claims, before));
    ck_assert_str_eq(lf_str(t.claims, "eppn"), "alice@univ.example");
    ck_assert_str_eq(lf_str(t.claims, "name"), "Alice Univ"); /* not the LINE profile's */
    ck_assert_str_eq(lf_str(t.claims, "sub"), UNIV_A.subject);

    /* the SNS login changed last_used and the log, never the attributes */
    ck_assert(lf_listed(alice, &LINE_A)->last_used == T0 + SEC(500));
    ck_assert(json_equal(lf_saved_attrs(alice, &pr, &is, &at), before));
    ck_assert(at == T0 + SEC(100));
    evs = lf_events();
    e = &APR_ARRAY_IDX(evs, evs->nelts - 1, sm_dir_event_t);
    ck_assert_str_eq(e->type, "login");
    ck_assert_str_eq(e->provider, "line");
    ck_assert_str_eq(e->detail, "{\"org\":false}");
    ck_assert(e->at == T0 + SEC(500));
}
END_TEST

START_TEST(resolve_sns_linked_without_attrs)
{
    const char *alice = lf_link_new(&UNIV_A, true);
    json_t *claims = lf_sns_claims(LINE_A.subject);
    sm_session_t t;

    lf_link_to(&LINE_A, false, alice);
    ck_assert_int_eq(
        sm_link_resolve_login(&lf_env.env, lf_dir, false, "line", LINE_A.issuer, claims, &t),
        APR_SUCCESS);
    ck_assert_str_eq(t.person, alice);
    ck_assert_ptr_eq(t.claims, claims);
    ck_assert_ptr_null(t.org_provider);
    ck_assert_ptr_null(t.org_issuer);
    ck_assert(lf_listed(alice, &LINE_A)->last_used == T0);
    ck_assert(!fake_log_has(&lf_env.log, "SM26001"));
}
END_TEST

START_TEST(resolve_sns_unlinked_own_claims)
{
    json_t *claims = lf_sns_claims(LINE_A.subject);
    sm_session_t t;

    lf_link_new(&UNIV_A, true);
    ck_assert_int_eq(
        sm_link_resolve_login(&lf_env.env, lf_dir, false, "line", LINE_A.issuer, claims, &t),
        APR_SUCCESS);
    ck_assert_ptr_null(t.person);
    ck_assert_ptr_null(t.org_provider);
    ck_assert_ptr_eq(t.claims, claims);
    ck_assert_str_eq(t.sub, "U1111");
    ck_assert_int_eq(lf_events()->nelts, 1); /* the link made above only */
}
END_TEST

START_TEST(resolve_unreadable_attrs_own_claims)
{
    const char *alice = lf_link_new(&UNIV_A, true);
    json_t *claims = lf_sns_claims(LINE_A.subject);
    sm_session_t t;

    lf_link_to(&LINE_A, false, alice);
    ck_assert_int_eq(
        lf_dir->save_org_attrs(lf_dir->baton, P, alice, "{\"eppn\":\"no record\"}", T0),
        APR_SUCCESS);
    ck_assert_int_eq(
        sm_link_resolve_login(&lf_env.env, lf_dir, false, "line", LINE_A.issuer, claims, &t),
        APR_SUCCESS);
    ck_assert_str_eq(t.person, alice);
    ck_assert_ptr_eq(t.claims, claims);
    ck_assert_ptr_null(t.org_provider);
    ck_assert(fake_log_has(&lf_env.log, "SM26001"));
}
END_TEST

START_TEST(resolve_directory_failing)
{
    const sm_directory_t *d = lf_wrapped();
    const char *alice = lf_link_new(&UNIV_A, true);
    json_t *oc = lf_org_claims(UNIV_A.subject, "alice@univ.example"), *sc = lf_sns_claims("U1111");
    sm_session_t t;

    lf_link_to(&LINE_A, false, alice);
    ck_assert_int_eq(lf_dir->save_org_attrs(
                         lf_dir->baton, P, alice,
                         sm_link_org_record(P, "univ", UNIV_A.issuer, sm_link_org_attrs(P, oc)),
                         T0),
                     APR_SUCCESS);
    lf_w.fail_lookup = true;
    ck_assert_int_ne(sm_link_resolve_login(&lf_env.env, d, false, "line", LINE_A.issuer, sc, &t),
                     APR_SUCCESS);
    ck_assert_ptr_null(t.person);
    ck_assert_ptr_null(t.org_provider);
    ck_assert_ptr_null(t.org_issuer);
    ck_assert_ptr_eq(t.claims, sc);
    ck_assert_str_eq(t.provider, "line");
    ck_assert_str_eq(t.issuer, LINE_A.issuer);
    ck_assert_str_eq(t.sub, "U1111");
    ck_assert_int_ne(sm_link_resolve_login(&lf_env.env, d, true, "univ", UNIV_A.issuer, oc, &t),
                     APR_SUCCESS);
    ck_assert_ptr_null(t.person);
    ck_assert_ptr_null(t.org_provider);
    ck_assert_ptr_eq(t.claims, oc);
    ck_assert_str_eq(t.sub, UNIV_A.subject);
    ck_assert(lf_listed(alice, &LINE_A)->last_used == LF_LINKED_AT);

    /* a lost login record does not deny a known person */
    lf_w.fail_lookup = false;
    lf_w.fail_record = true;
    ck_assert_int_eq(sm_link_resolve_login(&lf_env.env, d, false, "line", LINE_A.issuer, sc, &t),
                     APR_SUCCESS);
    ck_assert_str_eq(t.person, alice);
    ck_assert_str_eq(t.org_provider, "univ");
    ck_assert(fake_log_has(&lf_env.log, "SM26002"));
}
END_TEST

START_TEST(resolve_without_sub)
{
    sm_session_t t;
    json_t *claims = lf_json("{\"name\":\"nobody\"}");

    ck_assert_int_eq(
        sm_link_resolve_login(&lf_env.env, lf_dir, false, "line", LINE_A.issuer, claims, &t),
        APR_EINVAL);
    ck_assert_ptr_null(t.person);
    ck_assert_ptr_null(t.sub);
}
END_TEST

/* ---- which identities may be removed ----------------------------------------------------- */

static apr_array_header_t *ids_of(int n, const sm_identity_t *const *ids, const bool *org)
{
    apr_array_header_t *a = apr_array_make(P, n, sizeof(sm_linked_identity_t));
    int i;
    for (i = 0; i < n; i++) {
        sm_linked_identity_t *li = apr_array_push(a);
        li->id = *ids[i];
        li->org = org[i];
        li->linked_at = li->last_used = T0;
    }
    return a;
}

START_TEST(may_unlink)
{
    const sm_identity_t *two[] = {&UNIV_A, &LINE_A};
    const bool two_org[] = {true, false};
    const sm_identity_t *three[] = {&UNIV_A, &LINE_A, &HOSP_A};
    const bool three_org[] = {true, false, true};
    apr_array_header_t *ids = ids_of(2, two, two_org);
    sm_identity_t line_copy = {"line", "https://access.line.me", "U1111"};
    const char *why;

    /* not linked to this person (another subject, another issuer) */
    why = sm_link_may_unlink(ids, &LINE_B);
    ck_assert_ptr_nonnull(why);
    ck_assert_ptr_nonnull(strstr(why, "not linked"));
    ck_assert_ptr_nonnull(
        sm_link_may_unlink(ids, &(sm_identity_t){"line", "https://other.example", "U1111"}));
    ck_assert_ptr_nonnull(
        sm_link_may_unlink(apr_array_make(P, 1, sizeof(sm_linked_identity_t)), &LINE_A));
    /* the last organisational identity stays */
    why = sm_link_may_unlink(ids, &UNIV_A);
    ck_assert_ptr_nonnull(why);
    ck_assert_ptr_nonnull(strstr(why, "last organisational"));
    /* an SNS identity may go (compared by value) */
    ck_assert_ptr_null(sm_link_may_unlink(ids, &line_copy));
    /* with a second organisational identity, either may go */
    ids = ids_of(3, three, three_org);
    ck_assert_ptr_null(sm_link_may_unlink(ids, &UNIV_A));
    ck_assert_ptr_null(sm_link_may_unlink(ids, &HOSP_A));
    ck_assert_ptr_null(sm_link_may_unlink(ids, &LINE_A));
}
END_TEST

Suite *sm_suite_link(void)
{
    Suite *s = suite_create("link");
    TCase *tc = tcase_create("link");

    tcase_add_checked_fixture(tc, lf_setup, lf_teardown);
    tcase_add_test(tc, org_attrs_drop_protocol_claims);
    tcase_add_test(tc, org_record_round_trip);
    tcase_add_test(tc, org_parse_refuses_malformed);
    tcase_add_test(tc, display_name);
    tcase_add_test(tc, result_strings);
    tcase_add_test(tc, resolve_org_unlinked);
    tcase_add_test(tc, resolve_org_linked_records_login);
    tcase_add_test(tc, resolve_sns_linked_gets_org_attrs);
    tcase_add_test(tc, resolve_sns_linked_without_attrs);
    tcase_add_test(tc, resolve_sns_unlinked_own_claims);
    tcase_add_test(tc, resolve_unreadable_attrs_own_claims);
    tcase_add_test(tc, resolve_directory_failing);
    tcase_add_test(tc, resolve_without_sub);
    tcase_add_test(tc, may_unlink);
    suite_add_tcase(s, tc);
    return s;
}
