/* test_session.c: sessions (encryption bound to the id, store keys, timeouts, store outage) and
 * the login state cookie (sealing, expiry, mismatch, single use). */
#include "sm_tests.h"
#include "fakes.h"
#include "sm_session.h"
#include "sm_crypto.h"
#include "sm_json.h"
#include <apr_hash.h>
#include <string.h>

#define P  sm_test_pool
#define T0 apr_time_from_sec(1700000000)

static fake_env_t fe;
static sm_keys_t keys;
static const sm_session_policy_t pol = {.idle = apr_time_from_sec(1800),
                                        .absolute = apr_time_from_sec(28800),
                                        .touch = apr_time_from_sec(60)};

static void setup(void)
{
    static const char secret[] = "an example secret of more than 32 bytes";

    sm_test_setup();
    fake_env_init(&fe, P, T0);
    ck_assert_int_eq(sm_keys_derive((const unsigned char *)secret, strlen(secret), &keys), 0);
}

static json_t *claims(const char *sub)
{
    return sm_json_own(P, json_pack("{s:s, s:s, s:[s,s]}", "sub", sub, "email", "a@example.ac.jp",
                                    "groups", "staff", "lab;1"));
}

static sm_session_t *new_session(void)
{
    sm_session_t *s = NULL;
    ck_assert_int_eq(
        sm_session_create(&fe.env, &keys, &pol, "campus", "https://idp", claims("alice"), &s),
        APR_SUCCESS);
    return s;
}

/* The only stored item's key (the fake store holds one session in these tests). */
static const char *only_key(void)
{
    apr_hash_index_t *hi = apr_hash_first(P, fe.store.items);
    ck_assert_ptr_nonnull(hi);
    return apr_hash_this_key(hi);
}

START_TEST(create_and_load)
{
    sm_session_t *s = new_session(), *l = NULL;

    ck_assert(sm_session_id_wellformed(s->id));
    ck_assert_int_eq(sm_session_load(&fe.env, &keys, &pol, s->id, &l), SM_SESS_OK);
    ck_assert_str_eq(l->sub, "alice");
    ck_assert_str_eq(l->provider, "campus");
    ck_assert_str_eq(json_string_value(json_object_get(l->claims, "email")), "a@example.ac.jp");
    ck_assert_int_eq(l->created, T0);
}
END_TEST

START_TEST(store_never_sees_id_or_claims)
{
    sm_session_t *s = new_session();
    const char *k = only_key();
    unsigned char *v;
    apr_size_t n;

    ck_assert_ptr_null(strstr(k, s->id));
    ck_assert_int_eq(fe.store.port.get(fe.store.port.baton, P, k, &v, &n), 0);
    ck_assert_ptr_null(memmem(v, n, "alice", 5));
    ck_assert_ptr_null(memmem(v, n, "example.ac.jp", 13));
}
END_TEST

START_TEST(fresh_ids)
{
    sm_session_t *a = new_session(), *b = new_session();
    ck_assert_str_ne(a->id, b->id);
}
END_TEST

START_TEST(malformed_and_unknown)
{
    sm_session_t *l = NULL;

    ck_assert_int_eq(sm_session_load(&fe.env, &keys, &pol, NULL, &l), SM_SESS_NONE);
    ck_assert_int_eq(sm_session_load(&fe.env, &keys, &pol, "", &l), SM_SESS_MALFORMED);
    ck_assert_int_eq(sm_session_load(&fe.env, &keys, &pol, "abc", &l), SM_SESS_MALFORMED);
    ck_assert_int_eq(
        sm_session_load(&fe.env, &keys, &pol, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", &l),
        SM_SESS_MALFORMED);
    ck_assert_int_eq(
        sm_session_load(&fe.env, &keys, &pol, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &l),
        SM_SESS_UNKNOWN);
}
END_TEST

START_TEST(tampered_body_is_corrupt)
{
    sm_session_t *s = new_session(), *l = NULL;
    const char *k = only_key();
    unsigned char *v;
    apr_size_t n;

    fe.store.port.get(fe.store.port.baton, P, k, &v, &n);
    v[n / 2] ^= 1;
    fe.store.port.set(fe.store.port.baton, P, k, v, n, T0 + apr_time_from_sec(100));
    ck_assert_int_eq(sm_session_load(&fe.env, &keys, &pol, s->id, &l), SM_SESS_CORRUPT);
    /* and it is dropped from the store */
    ck_assert_int_eq(fe.store.port.get(fe.store.port.baton, P, k, &v, &n), APR_NOTFOUND);
}
END_TEST

START_TEST(body_moved_to_other_id_is_corrupt)
{
    sm_session_t *a = new_session();
    const char *ka = only_key();
    unsigned char *v;
    apr_size_t n;
    sm_session_t *l = NULL;
    const char *other = "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";

    fe.store.port.get(fe.store.port.baton, P, ka, &v, &n);
    fe.store.port.set(fe.store.port.baton, P, sm_store_key(P, &keys, "s:", other), v, n,
                      T0 + apr_time_from_sec(100));
    ck_assert_int_eq(sm_session_load(&fe.env, &keys, &pol, other, &l), SM_SESS_CORRUPT);
    ck_assert_int_eq(sm_session_load(&fe.env, &keys, &pol, a->id, &l), SM_SESS_OK);
}
END_TEST

START_TEST(other_secret_cannot_read)
{
    sm_session_t *s = new_session(), *l = NULL;
    sm_keys_t k2;
    const char *other = "another example secret of more than 32 bytes";
    const char *k = only_key();
    unsigned char *v;
    apr_size_t n;

    sm_keys_derive((const unsigned char *)other, strlen(other), &k2);
    /* the other key derives another store key: the session is simply unknown there */
    ck_assert_int_eq(sm_session_load(&fe.env, &k2, &pol, s->id, &l), SM_SESS_UNKNOWN);
    /* and even placed under that key, it does not decrypt */
    fe.store.port.get(fe.store.port.baton, P, k, &v, &n);
    fe.store.port.set(fe.store.port.baton, P, sm_store_key(P, &k2, "s:", s->id), v, n,
                      T0 + apr_time_from_sec(100));
    ck_assert_int_eq(sm_session_load(&fe.env, &k2, &pol, s->id, &l), SM_SESS_CORRUPT);
}
END_TEST

START_TEST(idle_timeout_and_touch)
{
    sm_session_t *s = new_session(), *l = NULL;
    int writes;

    fe.clock.now = T0 + apr_time_from_sec(30);
    ck_assert_int_eq(sm_session_load(&fe.env, &keys, &pol, s->id, &l), SM_SESS_OK);
    writes = fe.store.writes;
    ck_assert_int_eq(sm_session_touch(&fe.env, &keys, &pol, l), 0);
    ck_assert_int_eq(fe.store.writes, writes); /* within the touch interval: no write */
    fe.clock.now = T0 + apr_time_from_sec(1700);
    ck_assert_int_eq(sm_session_load(&fe.env, &keys, &pol, s->id, &l), SM_SESS_OK);
    ck_assert_int_eq(sm_session_touch(&fe.env, &keys, &pol, l), 0);
    ck_assert_int_eq(fe.store.writes, writes + 1);
    /* 1700 + 1799 s: still alive thanks to the touch */
    fe.clock.now = T0 + apr_time_from_sec(1700 + 1799);
    ck_assert_int_eq(sm_session_load(&fe.env, &keys, &pol, s->id, &l), SM_SESS_OK);
    fe.clock.now = T0 + apr_time_from_sec(1700 + 1800);
    ck_assert_int_ne(sm_session_load(&fe.env, &keys, &pol, s->id, &l), SM_SESS_OK);
}
END_TEST

START_TEST(idle_detected_even_if_store_keeps_it)
{
    sm_session_policy_t longer = pol;
    sm_session_t *s = NULL, *l = NULL;

    /* written with a long policy, so the store keeps it; read under the real policy */
    longer.idle = apr_time_from_sec(100000);
    longer.absolute = apr_time_from_sec(200000);
    ck_assert_int_eq(
        sm_session_create(&fe.env, &keys, &longer, "campus", "https://idp", claims("alice"), &s),
        APR_SUCCESS);
    fe.clock.now = T0 + apr_time_from_sec(1800);
    ck_assert_int_eq(sm_session_load(&fe.env, &keys, &pol, s->id, &l), SM_SESS_IDLE);
    ck_assert_int_eq(
        sm_session_create(&fe.env, &keys, &longer, "campus", "https://idp", claims("alice"), &s),
        APR_SUCCESS);
    fe.clock.now = T0 + apr_time_from_sec(1800 + 28800);
    ck_assert_int_eq(sm_session_load(&fe.env, &keys, &pol, s->id, &l), SM_SESS_EXPIRED);
}
END_TEST

START_TEST(absolute_timeout)
{
    sm_session_t *s = new_session(), *l = NULL;
    apr_time_t t;

    for (t = 1000; t < 28800; t += 1000) {
        fe.clock.now = T0 + apr_time_from_sec(t);
        ck_assert_int_eq(sm_session_load(&fe.env, &keys, &pol, s->id, &l), SM_SESS_OK);
        ck_assert_int_eq(sm_session_touch(&fe.env, &keys, &pol, l), 0);
    }
    fe.clock.now = T0 + apr_time_from_sec(28800);
    ck_assert_int_ne(sm_session_load(&fe.env, &keys, &pol, s->id, &l), SM_SESS_OK);
}
END_TEST

START_TEST(store_down_fails_closed)
{
    sm_session_t *s = new_session(), *l = NULL;

    fe.store.down = true;
    ck_assert_int_eq(sm_session_load(&fe.env, &keys, &pol, s->id, &l), SM_SESS_STORE);
    ck_assert_ptr_null(l);
    ck_assert(fake_log_has(&fe.log, "SM20002"));
    ck_assert_int_ne(
        sm_session_create(&fe.env, &keys, &pol, "campus", "https://idp", claims("bob"), &l),
        APR_SUCCESS);
}
END_TEST

START_TEST(destroy)
{
    sm_session_t *s = new_session(), *l = NULL;

    ck_assert_int_eq(sm_session_destroy(&fe.env, &keys, s->id), 0);
    ck_assert_int_eq(sm_session_load(&fe.env, &keys, &pol, s->id, &l), SM_SESS_UNKNOWN);
    ck_assert_int_eq(sm_session_destroy(&fe.env, &keys, "garbage"), 0);
}
END_TEST

START_TEST(random_failure_no_session)
{
    sm_session_t *l = NULL;

    fe.rand.fail = true;
    ck_assert_int_ne(
        sm_session_create(&fe.env, &keys, &pol, "campus", "https://idp", claims("bob"), &l),
        APR_SUCCESS);
    ck_assert_ptr_null(l);
}
END_TEST

/* ---- the decrypted-session cache ---- */

START_TEST(cache_hit_shares_claims_and_sees_store_changes)
{
    sm_session_t *s = new_session(), *a = NULL, *b = NULL;
    const char *k = only_key();
    unsigned char *v;
    apr_size_t n;

    fe.env.session_cache = sm_session_cache_create(P, 64);
    ck_assert_ptr_nonnull(fe.env.session_cache);
    ck_assert_int_eq(sm_session_load(&fe.env, &keys, &pol, s->id, &a), SM_SESS_OK);
    ck_assert_int_eq(sm_session_load(&fe.env, &keys, &pol, s->id, &b), SM_SESS_OK);
    ck_assert_ptr_eq(a->claims, b->claims); /* the second load was a hit */
    ck_assert_str_eq(b->sub, "alice");
    ck_assert_int_eq(b->created, T0);

    /* a tampered body in the store is never masked by the cache */
    fe.store.port.get(fe.store.port.baton, P, k, &v, &n);
    v[n - 1] ^= 1;
    fe.store.port.set(fe.store.port.baton, P, k, v, n, T0 + apr_time_from_sec(100));
    ck_assert_int_eq(sm_session_load(&fe.env, &keys, &pol, s->id, &b), SM_SESS_CORRUPT);
}
END_TEST

START_TEST(cache_sees_logout_touch_and_timeouts)
{
    sm_session_t *s = new_session(), *a = NULL;
    fake_env_t other;

    fe.env.session_cache = sm_session_cache_create(P, 64);
    ck_assert_int_eq(sm_session_load(&fe.env, &keys, &pol, s->id, &a), SM_SESS_OK);
    /* another process (no shared cache) refreshes the idle timer */
    other = fe;
    other.env.session_cache = NULL;
    other.env.clock = &fe.clock.port;
    fe.clock.now = T0 + apr_time_from_sec(1000);
    ck_assert_int_eq(sm_session_load(&other.env, &keys, &pol, s->id, &a), SM_SESS_OK);
    ck_assert_int_eq(sm_session_touch(&other.env, &keys, &pol, a), 0);
    ck_assert_int_eq(sm_session_load(&fe.env, &keys, &pol, s->id, &a), SM_SESS_OK);
    ck_assert_int_eq(a->accessed, T0 + apr_time_from_sec(1000));
    /* idle timeout applies to a cached session (the fake store also lets it expire) */
    fe.clock.now = T0 + apr_time_from_sec(1000 + 1800);
    ck_assert_int_ne(sm_session_load(&fe.env, &keys, &pol, s->id, &a), SM_SESS_OK);
    /* logout elsewhere: gone from the store, so gone here */
    fe.clock.now = T0;
    s = new_session();
    ck_assert_int_eq(sm_session_load(&fe.env, &keys, &pol, s->id, &a), SM_SESS_OK);
    ck_assert_int_eq(sm_session_destroy(&other.env, &keys, s->id), 0);
    ck_assert_int_eq(sm_session_load(&fe.env, &keys, &pol, s->id, &a), SM_SESS_UNKNOWN);
}
END_TEST

START_TEST(cache_slot_collisions_stay_correct)
{
    sm_session_t *ids[20], *l = NULL;
    int i, round;

    fe.env.session_cache = sm_session_cache_create(P, 3); /* far fewer slots than sessions */
    for (i = 0; i < 20; i++) {
        ck_assert_int_eq(sm_session_create(&fe.env, &keys, &pol, "campus", "https://idp",
                                           claims(apr_psprintf(P, "user%d", i)), &ids[i]),
                         APR_SUCCESS);
    }
    for (round = 0; round < 3; round++)
        for (i = 0; i < 20; i++) {
            ck_assert_int_eq(sm_session_load(&fe.env, &keys, &pol, ids[i]->id, &l), SM_SESS_OK);
            ck_assert_str_eq(l->sub, apr_psprintf(P, "user%d", i));
            ck_assert_str_eq(json_string_value(json_object_get(l->claims, "sub")),
                             apr_psprintf(P, "user%d", i));
        }
}
END_TEST

/* ---- login state ---- */

START_TEST(state_round_trip)
{
    sm_login_state_t *st = NULL, *o = NULL;
    const char *why, *sealed;

    ck_assert_int_eq(sm_state_new(&fe.env, "campus", "/app?x=1", &st), 0);
    ck_assert_uint_ge(strlen(st->verifier), 43);
    ck_assert_str_ne(st->state, st->nonce);
    sealed = sm_state_seal(&fe.env, &keys, st);
    ck_assert_ptr_nonnull(sealed);
    ck_assert_ptr_null(strstr(sealed, st->nonce));
    ck_assert_int_eq(sm_state_open(&fe.env, &keys, sealed, st->state, &o, &why), 0);
    ck_assert_str_eq(o->nonce, st->nonce);
    ck_assert_str_eq(o->verifier, st->verifier);
    ck_assert_str_eq(o->target, "/app?x=1");
    ck_assert_str_eq(o->provider, "campus");
    ck_assert_ptr_null(o->link);
    ck_assert_int_eq(o->max_age, 0);
    /* a login for linking carries its link in progress and the max_age it asked for */
    st->link = "L1nk-in-progress";
    st->max_age = apr_time_from_sec(600);
    sealed = sm_state_seal(&fe.env, &keys, st);
    ck_assert_int_eq(sm_state_open(&fe.env, &keys, sealed, st->state, &o, &why), 0);
    ck_assert_str_eq(o->link, "L1nk-in-progress");
    ck_assert_int_eq(o->max_age, apr_time_from_sec(600));
}
END_TEST

START_TEST(state_refusals)
{
    sm_login_state_t *st = NULL, *o = NULL;
    const char *why;
    char *sealed, *bad;
    sm_keys_t k2;
    const char *other = "another example secret of more than 32 bytes";

    sm_state_new(&fe.env, "campus", "/", &st);
    sealed = sm_state_seal(&fe.env, &keys, st);
    ck_assert_int_ne(sm_state_open(&fe.env, &keys, sealed, "other-state", &o, &why), 0);
    ck_assert_str_eq(why, "belongs to another state");
    ck_assert_int_ne(sm_state_open(&fe.env, &keys, sealed, NULL, &o, &why), 0);
    ck_assert_int_ne(sm_state_open(&fe.env, &keys, "!!!", st->state, &o, &why), 0);
    ck_assert_int_ne(sm_state_open(&fe.env, &keys, "", st->state, &o, &why), 0);
    bad = apr_pstrdup(P, sealed);
    bad[10] = bad[10] == 'A' ? 'B' : 'A';
    ck_assert_int_ne(sm_state_open(&fe.env, &keys, bad, st->state, &o, &why), 0);
    sm_keys_derive((const unsigned char *)other, strlen(other), &k2);
    ck_assert_int_ne(sm_state_open(&fe.env, &k2, sealed, st->state, &o, &why), 0);
    /* a session key must not open a state cookie (separate keys per purpose) */
    ck_assert_int_ne(memcmp(keys.session, keys.state, SM_KEY_LEN), 0);
    fe.clock.now = T0 + SM_STATE_LIFETIME + apr_time_from_sec(1);
    ck_assert_int_ne(sm_state_open(&fe.env, &keys, sealed, st->state, &o, &why), 0);
    ck_assert_str_eq(why, "expired");
}
END_TEST

START_TEST(state_single_use)
{
    sm_login_state_t *st = NULL;

    sm_state_new(&fe.env, "campus", "/", &st);
    ck_assert_int_eq(sm_state_consume(&fe.env, &keys, st->state), APR_SUCCESS);
    ck_assert_int_eq(sm_state_consume(&fe.env, &keys, st->state), APR_EEXIST);
    fe.store.down = true;
    ck_assert_int_ne(sm_state_consume(&fe.env, &keys, "x"), APR_SUCCESS);
}
END_TEST

START_TEST(state_cookie_name)
{
    char *a = sm_state_cookie_name(P, "state-a"), *b = sm_state_cookie_name(P, "state-b");

    ck_assert_str_ne(a, b);
    ck_assert_uint_eq(strlen(a), strlen(SM_STATE_COOKIE_PREFIX) + 16);
    ck_assert_int_eq(strncmp(a, SM_STATE_COOKIE_PREFIX, strlen(SM_STATE_COOKIE_PREFIX)), 0);
    ck_assert_str_eq(a, sm_state_cookie_name(P, "state-a"));
}
END_TEST

Suite *sm_suite_session(void)
{
    Suite *s = suite_create("session");
    TCase *tc = tcase_create("session");

    tcase_add_checked_fixture(tc, setup, sm_test_teardown);
    tcase_add_test(tc, create_and_load);
    tcase_add_test(tc, store_never_sees_id_or_claims);
    tcase_add_test(tc, fresh_ids);
    tcase_add_test(tc, malformed_and_unknown);
    tcase_add_test(tc, tampered_body_is_corrupt);
    tcase_add_test(tc, body_moved_to_other_id_is_corrupt);
    tcase_add_test(tc, other_secret_cannot_read);
    tcase_add_test(tc, idle_timeout_and_touch);
    tcase_add_test(tc, idle_detected_even_if_store_keeps_it);
    tcase_add_test(tc, absolute_timeout);
    tcase_add_test(tc, store_down_fails_closed);
    tcase_add_test(tc, destroy);
    tcase_add_test(tc, random_failure_no_session);
    tcase_add_test(tc, cache_hit_shares_claims_and_sees_store_changes);
    tcase_add_test(tc, cache_sees_logout_touch_and_timeouts);
    tcase_add_test(tc, cache_slot_collisions_stay_correct);
    tcase_add_test(tc, state_round_trip);
    tcase_add_test(tc, state_refusals);
    tcase_add_test(tc, state_single_use);
    tcase_add_test(tc, state_cookie_name);
    suite_add_tcase(s, tc);
    return s;
}
