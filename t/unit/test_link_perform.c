/* test_link_perform.c: sm_link_perform on a real SQLite directory (linkfix.h), one test per
 * outcome: a new person from an organisational and an SNS login, a third identity added from
 * either side, stale or future logins, the same identity twice, no organisational side, already
 * linked, two persons (also two members of one organisation), a provider used already, a race lost
 * between the find and the link, and a failing directory. Each checks what the directory holds
 * afterwards. */
#include "linkfix.h"
#include <string.h>

#define P      sm_test_pool
#define T0     LF_T0
#define SEC(n) LF_SEC(n)

static sm_link_side_t side(const sm_identity_t *id, bool org, apr_time_t at)
{
    sm_link_side_t s;

    memset(&s, 0, sizeof(s));
    s.id = *id;
    s.org = org;
    s.at = at;
    if (org)
        s.attrs = sm_link_org_attrs(P, lf_org_claims(id->subject, id->subject));
    return s;
}

static sm_link_result_e perform(const sm_directory_t *d, const sm_link_side_t *a,
                                const sm_link_side_t *b, const char **person)
{
    return sm_link_perform(&lf_env.env, d, a, b, LF_MAX_AGE, person);
}

/* Asserts that nothing was linked: no person made, the identities still unlinked. */
static void nothing_linked(const sm_identity_t *a, const sm_identity_t *b)
{
    ck_assert_ptr_null(lf_find(a));
    ck_assert_ptr_null(lf_find(b));
    ck_assert_int_eq(lf_persons_created(), 0);
}

START_TEST(ok_new_person_org_and_sns)
{
    int order;

    for (order = 0; order < 2; order++) {
        /* a second pair of identities for the other order */
        const sm_identity_t *org_id = order ? &UNIV_B : &UNIV_A,
                            *sns_id = order ? &LINE_B : &LINE_A;
        sm_link_side_t o = side(org_id, true, T0 - SEC(30)), s = side(sns_id, false, T0 - SEC(400));
        const char *person = NULL, *pr = NULL, *is = NULL;
        const sm_linked_identity_t *li;
        json_t *attrs;
        apr_time_t at = 0;

        if (order == 0)
            ck_assert_int_eq(perform(lf_dir, &s, &o, &person), SM_LINK_OK);
        else
            ck_assert_int_eq(perform(lf_dir, &o, &s, &person), SM_LINK_OK);
        ck_assert_ptr_nonnull(person);
        ck_assert_str_eq(lf_find(org_id), person);
        ck_assert_str_eq(lf_find(sns_id), person);
        ck_assert_int_eq(lf_count_ids(person), 2);
        li = lf_listed(person, org_id);
        ck_assert(li->org);
        ck_assert(li->linked_at == T0);
        ck_assert(!lf_listed(person, sns_id)->org);
        attrs = lf_saved_attrs(person, &pr, &is, &at);
        ck_assert_str_eq(pr, "univ");
        ck_assert_str_eq(is, org_id->issuer);
        ck_assert(json_equal(attrs, o.attrs));
        ck_assert_str_eq(lf_str(attrs, "eppn"), org_id->subject);
        ck_assert(at == T0);
        ck_assert_int_eq(lf_persons_created(), order + 1);
    }
}
END_TEST

START_TEST(ok_third_identity_from_either_side)
{
    const char *alice = lf_link_new(&UNIV_A, true), *person = NULL, *pr, *is;
    sm_link_side_t univ = side(&UNIV_A, true, T0 - SEC(10)), line = side(&LINE_A, false, T0),
                   goog = side(&GOOG_A, false, T0 - SEC(20)), yj = side(&YJ_A, false, T0),
                   hosp = side(&HOSP_A, true, T0 - SEC(5));
    apr_time_t at;

    lf_link_to(&LINE_A, false, alice);
    /* the unlinked side first, an SNS identity of the person second */
    ck_assert_int_eq(perform(lf_dir, &goog, &line, &person), SM_LINK_OK);
    ck_assert_str_eq(person, alice);
    ck_assert_str_eq(lf_find(&GOOG_A), alice);
    ck_assert(!lf_listed(alice, &GOOG_A)->org);
    /* the person's organisational identity first */
    person = NULL;
    ck_assert_int_eq(perform(lf_dir, &univ, &yj, &person), SM_LINK_OK);
    ck_assert_str_eq(person, alice);
    ck_assert_int_eq(lf_count_ids(alice), 4);
    /* a second organisational identity: linked as one, and its attributes become the person's */
    lf_env.clock.now = T0 + SEC(1);
    person = NULL;
    ck_assert_int_eq(perform(lf_dir, &hosp, &line, &person), SM_LINK_OK);
    ck_assert_str_eq(person, alice);
    ck_assert(lf_listed(alice, &HOSP_A)->org);
    ck_assert_str_eq(lf_str(lf_saved_attrs(alice, &pr, &is, &at), "eppn"), HOSP_A.subject);
    ck_assert_str_eq(pr, "hosp");
    ck_assert(at == T0 + SEC(1));
    ck_assert_int_eq(lf_count_ids(alice), 5);
    ck_assert_int_eq(lf_persons_created(), 1);
}
END_TEST

START_TEST(stale_or_future)
{
    sm_link_side_t o = side(&UNIV_A, true, T0), s = side(&LINE_A, false, T0);
    const char *person = "x";

    /* older than max_age, on either side */
    o.at = T0 - LF_MAX_AGE - SEC(1);
    ck_assert_int_eq(perform(lf_dir, &o, &s, &person), SM_LINK_STALE);
    ck_assert_ptr_null(person);
    ck_assert_int_eq(perform(lf_dir, &s, &o, &person), SM_LINK_STALE);
    o.at = T0;
    s.at = T0 - SEC(3600);
    ck_assert_int_eq(perform(lf_dir, &o, &s, &person), SM_LINK_STALE);
    ck_assert_int_eq(perform(lf_dir, &s, &o, &person), SM_LINK_STALE);
    /* in the future */
    s.at = T0 + SEC(60);
    ck_assert_int_eq(perform(lf_dir, &o, &s, &person), SM_LINK_STALE);
    s.at = T0;
    o.at = T0 + SEC(3600);
    ck_assert_int_eq(perform(lf_dir, &s, &o, &person), SM_LINK_STALE);
    /* never */
    o.at = 0;
    ck_assert_int_eq(perform(lf_dir, &o, &s, &person), SM_LINK_STALE);
    nothing_linked(&UNIV_A, &LINE_A);
    /* exactly max_age old is still fresh */
    o.at = T0 - LF_MAX_AGE;
    ck_assert_int_eq(perform(lf_dir, &o, &s, &person), SM_LINK_OK);
    ck_assert_ptr_nonnull(person);
}
END_TEST

START_TEST(same_identity)
{
    sm_link_side_t a = side(&UNIV_A, true, T0), b = side(&UNIV_A, true, T0 - SEC(1));
    sm_link_side_t l1 = side(&LINE_A, false, T0), l2 = side(&LINE_A, false, T0);
    const char *person = "x", *alice;

    ck_assert_int_eq(perform(lf_dir, &a, &b, &person), SM_LINK_SAME);
    ck_assert_ptr_null(person);
    nothing_linked(&UNIV_A, &LINE_A);
    alice = lf_link_new(&LINE_A, false);
    ck_assert_int_eq(perform(lf_dir, &l1, &l2, &person), SM_LINK_SAME);
    ck_assert_int_eq(lf_count_ids(alice), 1);
}
END_TEST

START_TEST(no_org)
{
    sm_link_side_t a = side(&LINE_A, false, T0), b = side(&GOOG_A, false, T0);
    const char *person = "x";

    ck_assert_int_eq(perform(lf_dir, &a, &b, &person), SM_LINK_NO_ORG);
    ck_assert_ptr_null(person);
    ck_assert_int_eq(perform(lf_dir, &b, &a, &person), SM_LINK_NO_ORG);
    nothing_linked(&LINE_A, &GOOG_A);
}
END_TEST

START_TEST(already_linked)
{
    const char *alice = lf_link_new(&UNIV_A, true), *person = NULL;
    sm_link_side_t a = side(&UNIV_A, true, T0), b = side(&LINE_A, false, T0);
    apr_size_t before;

    lf_link_to(&LINE_A, false, alice);
    before = (apr_size_t)lf_events()->nelts;
    ck_assert_int_eq(perform(lf_dir, &b, &a, &person), SM_LINK_ALREADY);
    ck_assert_str_eq(person, alice);
    ck_assert_int_eq(lf_count_ids(alice), 2);
    ck_assert_uint_eq((apr_size_t)lf_events()->nelts, before);
}
END_TEST

START_TEST(other_person)
{
    const char *alice = lf_link_new(&UNIV_A, true), *bob = lf_link_new(&UNIV_B, true);
    const char *person = "x";
    sm_link_side_t a = side(&LINE_A, false, T0), b = side(&UNIV_B, true, T0);

    lf_link_to(&LINE_A, false, alice);
    ck_assert_int_eq(perform(lf_dir, &a, &b, &person), SM_LINK_OTHER_PERSON);
    ck_assert_ptr_null(person);
    ck_assert_int_eq(perform(lf_dir, &b, &a, &person), SM_LINK_OTHER_PERSON);
    ck_assert_str_eq(lf_find(&LINE_A), alice);
    ck_assert_int_eq(lf_count_ids(alice), 2);
    ck_assert_int_eq(lf_count_ids(bob), 1);
}
END_TEST

/* An unlinked identity of an organisational provider a person has is another member of the
 * organisation: another person, from either side, through either of the person's identities. */
START_TEST(other_person_same_org)
{
    static const sm_identity_t UNIV_C = {"univ", "https://idp.univ.example", "carol@univ.example"};
    const char *alice = lf_link_new(&UNIV_A, true), *person = "x";
    sm_link_side_t univ = side(&UNIV_A, true, T0), line = side(&LINE_A, false, T0),
                   carol = side(&UNIV_C, true, T0);

    lf_link_to(&LINE_A, false, alice);
    ck_assert_int_eq(perform(lf_dir, &carol, &univ, &person), SM_LINK_OTHER_PERSON);
    ck_assert_ptr_null(person);
    ck_assert_int_eq(perform(lf_dir, &univ, &carol, &person), SM_LINK_OTHER_PERSON);
    ck_assert_int_eq(perform(lf_dir, &line, &carol, &person), SM_LINK_OTHER_PERSON);
    ck_assert_ptr_null(lf_find(&UNIV_C));
    ck_assert_int_eq(lf_count_ids(alice), 2);
    ck_assert_int_eq(lf_persons_created(), 1);
}
END_TEST

START_TEST(provider_used)
{
    static const sm_identity_t UNIV_C = {"univ", "https://idp.univ.example", "carol@univ.example"};
    static const sm_identity_t LINE_C = {"line", "https://access.line.me", "U3333"};
    const char *alice = lf_link_new(&UNIV_A, true), *person = "x";
    sm_link_side_t univ = side(&UNIV_A, true, T0), line2 = side(&LINE_B, false, T0),
                   bob = side(&UNIV_B, true, T0), carol = side(&UNIV_C, true, T0),
                   line3 = side(&LINE_C, false, T0);

    lf_link_to(&LINE_A, false, alice);
    /* alice has a LINE identity: another one is refused, from either side */
    ck_assert_int_eq(perform(lf_dir, &univ, &line2, &person), SM_LINK_PROVIDER_USED);
    ck_assert_ptr_null(person);
    ck_assert_int_eq(perform(lf_dir, &line2, &univ, &person), SM_LINK_PROVIDER_USED);
    ck_assert_ptr_null(lf_find(&LINE_B));
    ck_assert_ptr_null(lf_find(&UNIV_B));
    ck_assert_int_eq(lf_count_ids(alice), 2);
    /* two unlinked identities of one provider never make one person */
    ck_assert_int_eq(perform(lf_dir, &bob, &carol, &person), SM_LINK_PROVIDER_USED);
    ck_assert_ptr_null(person);
    ck_assert_int_eq(perform(lf_dir, &line2, &line3, &person), SM_LINK_PROVIDER_USED);
    ck_assert_ptr_null(lf_find(&UNIV_B));
    ck_assert_ptr_null(lf_find(&UNIV_C));
    ck_assert_ptr_null(lf_find(&LINE_C));
    ck_assert_int_eq(lf_persons_created(), 1);
}
END_TEST

/* The identity being added is linked to someone else between the find and the link. */
START_TEST(taken_adding_to_person)
{
    const sm_directory_t *d = lf_wrapped();
    const char *alice = lf_link_new(&UNIV_A, true), *person = "x";
    sm_link_side_t univ = side(&UNIV_A, true, T0), line = side(&LINE_A, false, T0);

    lf_w.steal = &LINE_A;
    ck_assert_int_eq(perform(d, &univ, &line, &person), SM_LINK_TAKEN);
    ck_assert_ptr_null(person);
    ck_assert_ptr_null(lf_w.steal); /* the race happened */
    ck_assert_str_ne(lf_w.thief, alice);
    ck_assert_str_eq(lf_find(&LINE_A), lf_w.thief);
    ck_assert_int_eq(lf_count_ids(alice), 1);
}
END_TEST

/* Two unlinked identities: the SNS one is taken after the anchor's person was made, or the
 * anchor itself is taken. */
START_TEST(taken_new_person)
{
    const sm_directory_t *d = lf_wrapped();
    const char *person = "x", *anchor;
    sm_link_side_t univ = side(&UNIV_A, true, T0), line = side(&LINE_A, false, T0);
    sm_link_side_t bob = side(&UNIV_B, true, T0), goog = side(&GOOG_A, false, T0);

    lf_w.steal = &LINE_A;
    ck_assert_int_eq(perform(d, &line, &univ, &person), SM_LINK_TAKEN);
    ck_assert_ptr_null(person);
    ck_assert_str_eq(lf_find(&LINE_A), lf_w.thief);
    /* the anchor's new person stands on its own, with its attributes */
    anchor = lf_find(&UNIV_A);
    ck_assert_ptr_nonnull(anchor);
    ck_assert_str_ne(anchor, lf_w.thief);
    ck_assert_int_eq(lf_count_ids(anchor), 1);

    lf_w.steal = &UNIV_B;
    ck_assert_int_eq(perform(d, &bob, &goog, &person), SM_LINK_TAKEN);
    ck_assert_ptr_null(person);
    ck_assert_str_eq(lf_find(&UNIV_B), lf_w.thief);
    ck_assert_ptr_null(lf_find(&GOOG_A));
    ck_assert_int_eq(lf_persons_created(), 3); /* two thieves and one anchor */
}
END_TEST

START_TEST(directory_failing)
{
    const sm_directory_t *d = lf_wrapped();
    const char *alice = lf_link_new(&UNIV_A, true), *person = "x";
    sm_link_side_t univ = side(&UNIV_A, true, T0), line = side(&LINE_A, false, T0);
    sm_link_side_t bob = side(&UNIV_B, true, T0), goog = side(&GOOG_A, false, T0);

    lf_w.fail_find = true;
    ck_assert_int_eq(perform(d, &univ, &line, &person), SM_LINK_DIRECTORY);
    ck_assert_ptr_null(person);
    ck_assert_int_eq(perform(d, &bob, &goog, &person), SM_LINK_DIRECTORY);
    lf_w.fail_find = false;
    lf_w.fail_list = true;
    ck_assert_int_eq(perform(d, &univ, &line, &person), SM_LINK_DIRECTORY);
    lf_w.fail_list = false;
    lf_w.fail_link = true;
    ck_assert_int_eq(perform(d, &univ, &line, &person), SM_LINK_DIRECTORY);
    ck_assert_int_eq(perform(d, &bob, &goog, &person), SM_LINK_DIRECTORY);
    ck_assert_ptr_null(person);
    ck_assert_ptr_null(lf_find(&LINE_A));
    ck_assert_ptr_null(lf_find(&UNIV_B));
    ck_assert_int_eq(lf_count_ids(alice), 1);
    /* the attributes cannot be saved */
    lf_w.fail_link = false;
    lf_w.fail_save = true;
    ck_assert_int_eq(perform(d, &bob, &goog, &person), SM_LINK_DIRECTORY);
    ck_assert_ptr_null(person);
}
END_TEST

Suite *sm_suite_link_perform(void)
{
    Suite *s = suite_create("link_perform");
    TCase *tc = tcase_create("link_perform");

    tcase_add_checked_fixture(tc, lf_setup, lf_teardown);
    tcase_add_test(tc, ok_new_person_org_and_sns);
    tcase_add_test(tc, ok_third_identity_from_either_side);
    tcase_add_test(tc, stale_or_future);
    tcase_add_test(tc, same_identity);
    tcase_add_test(tc, no_org);
    tcase_add_test(tc, already_linked);
    tcase_add_test(tc, other_person);
    tcase_add_test(tc, other_person_same_org);
    tcase_add_test(tc, provider_used);
    tcase_add_test(tc, taken_adding_to_person);
    tcase_add_test(tc, taken_new_person);
    tcase_add_test(tc, directory_failing);
    suite_add_tcase(s, tc);
    return s;
}
