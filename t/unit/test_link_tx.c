/* test_link_tx.c: links in progress (sm_link_tx.c) in the fake store with a fake clock: the round
 * trip with and without the second side, unknown, malformed, tampered and expired records, a store
 * that is down, single use, and the binding to the session it was made from. */
#include "sm_tests.h"
#include "fakes.h"
#include "sm_link_tx.h"
#include "sm_crypto.h"
#include "sm_json.h"
#include <apr_hash.h>
#include <string.h>

#define P        sm_test_pool
#define T0       apr_time_from_sec(1700000000)
#define SEC(n)   apr_time_from_sec(n)
#define LIFETIME apr_time_from_sec(600)

static fake_env_t fe;
static sm_keys_t keys;
static sm_session_t sess; /* an organisational session, logged in 30 s before T0 */

static json_t *jparse(const char *text)
{
    const char *err = NULL;
    json_t *j = sm_json_parse(P, text, strlen(text), &err);
    ck_assert_msg(j != NULL, "bad test JSON %s: %s", text, err ? err : "?");
    return j;
}

static void setup(void)
{
    static const char secret[] = "an example secret of more than 32 bytes";

    sm_test_setup();
    fake_env_init(&fe, P, T0);
    ck_assert_int_eq(sm_keys_derive((const unsigned char *)secret, strlen(secret), &keys), 0);
    memset(&sess, 0, sizeof(sess));
    sess.id = "SessSessSessSessSessSessSessSessSessSess123";
    sess.created = T0 - SEC(30);
    sess.accessed = T0;
    sess.provider = "univ";
    sess.issuer = "https://idp.univ.example";
    sess.sub = "alice@univ.example";
    sess.claims = jparse("{\"sub\":\"alice@univ.example\",\"iss\":\"https://idp.univ.example\","
                         "\"nonce\":\"n\",\"exp\":1700000600,\"eppn\":\"alice@univ.example\","
                         "\"affiliation\":[\"student\"]}");
}

static sm_link_tx_t *new_tx(bool org, const char *target)
{
    sm_link_tx_t *tx = NULL;

    ck_assert(sm_session_id_wellformed(sess.id));
    ck_assert_int_eq(sm_link_tx_new(&fe.env, &keys, &sess, org, "line", target, &tx), APR_SUCCESS);
    ck_assert_ptr_nonnull(tx);
    return tx;
}

static void same_side(const sm_link_side_t *a, const sm_link_side_t *b)
{
    ck_assert_str_eq(a->id.provider, b->id.provider);
    ck_assert_str_eq(a->id.issuer, b->id.issuer);
    ck_assert_str_eq(a->id.subject, b->id.subject);
    ck_assert(a->org == b->org);
    ck_assert(a->at == b->at);
    if (a->display)
        ck_assert_str_eq(a->display, b->display);
    else
        ck_assert_ptr_null(b->display);
    if (a->attrs)
        ck_assert(json_equal(a->attrs, b->attrs));
    else
        ck_assert_ptr_null(b->attrs);
}

/* The only stored item's key. */
static const char *only_key(void)
{
    apr_hash_index_t *hi = apr_hash_first(P, fe.store.items);
    ck_assert_uint_eq(apr_hash_count(fe.store.items), 1);
    return apr_hash_this_key(hi);
}

START_TEST(new_fields)
{
    sm_link_tx_t *tx = new_tx(true, "/app/"), *tx2 = new_tx(false, NULL);

    ck_assert(sm_session_id_wellformed(tx->id)); /* 43 characters of base64url */
    ck_assert_str_ne(tx->id, tx2->id);
    ck_assert_str_eq(tx->want, "line");
    ck_assert_str_eq(tx->target, "/app/");
    ck_assert_str_eq(tx2->target, "");
    ck_assert(tx->created == T0);
    ck_assert_str_eq(tx->a.id.provider, "univ");
    ck_assert_str_eq(tx->a.id.subject, "alice@univ.example");
    ck_assert(tx->a.at == T0 - SEC(30));
    ck_assert(tx->a.org && !tx2->a.org);
    ck_assert(!tx->has_b);
    /* an organisational session's attributes, without the protocol's claims */
    ck_assert_str_eq(json_string_value(json_object_get(tx->a.attrs, "eppn")), "alice@univ.example");
    ck_assert_ptr_null(json_object_get(tx->a.attrs, "iss"));
    ck_assert_ptr_null(json_object_get(tx->a.attrs, "nonce"));
    ck_assert_ptr_null(tx2->a.attrs);
    /* what the person knows the account by */
    ck_assert_str_eq(tx->a.display, "alice@univ.example");
    ck_assert_int_eq(fe.store.writes, 0); /* not saved yet */
    /* no randomness, no transaction */
    fe.rand.fail = true;
    tx2 = NULL;
    ck_assert_int_ne(sm_link_tx_new(&fe.env, &keys, &sess, true, "line", "", &tx2), APR_SUCCESS);
    ck_assert_ptr_null(tx2);
}
END_TEST

START_TEST(round_trip_side_a)
{
    sm_link_tx_t *tx = new_tx(true, "/app/?x=1"), *l = NULL;

    ck_assert_int_eq(sm_link_tx_save(&fe.env, &keys, tx, LIFETIME), APR_SUCCESS);
    /* the store sees neither the id nor the content */
    ck_assert_ptr_null(strstr(only_key(), tx->id));
    ck_assert_int_eq(sm_link_tx_load(&fe.env, &keys, tx->id, &l), APR_SUCCESS);
    ck_assert_str_eq(l->id, tx->id);
    ck_assert_str_eq(l->session_key, tx->session_key);
    ck_assert_str_eq(l->want, "line");
    ck_assert_str_eq(l->target, "/app/?x=1");
    ck_assert(l->created == T0);
    ck_assert(!l->has_b);
    same_side(&tx->a, &l->a);
    ck_assert_ptr_nonnull(l->a.attrs);
    ck_assert(json_equal(l->a.attrs, jparse("{\"sub\":\"alice@univ.example\",\"eppn\":"
                                            "\"alice@univ.example\",\"affiliation\":"
                                            "[\"student\"]}")));
}
END_TEST

START_TEST(round_trip_side_b)
{
    sm_link_tx_t *tx = new_tx(false, NULL), *l = NULL;

    tx->has_b = true;
    tx->b.id = (sm_identity_t){"hosp", "https://idp.hosp.example", "alice@hosp.example"};
    tx->b.org = true;
    tx->b.at = T0 + SEC(20);
    tx->b.attrs = jparse("{\"eppn\":\"alice@hosp.example\",\"dept\":[\"cardiology\"]}");
    tx->b.display = "\xe5\xb1\xb1\xe7\x94\xb0 Alice";
    fe.clock.now = T0 + SEC(20);
    ck_assert_int_eq(sm_link_tx_save(&fe.env, &keys, tx, LIFETIME), APR_SUCCESS);
    ck_assert_int_eq(sm_link_tx_load(&fe.env, &keys, tx->id, &l), APR_SUCCESS);
    ck_assert(l->has_b);
    ck_assert(l->created == T0); /* saving again keeps the creation time */
    ck_assert_str_eq(l->target, "");
    same_side(&tx->a, &l->a);
    ck_assert_ptr_null(l->a.attrs);
    same_side(&tx->b, &l->b);
    /* an SNS second side without attributes */
    tx->b =
        (sm_link_side_t){{"line", "https://access.line.me", "U1111"}, false, T0 + SEC(20), NULL};
    ck_assert_int_eq(sm_link_tx_save(&fe.env, &keys, tx, LIFETIME), APR_SUCCESS);
    ck_assert_int_eq(sm_link_tx_load(&fe.env, &keys, tx->id, &l), APR_SUCCESS);
    same_side(&tx->b, &l->b);
}
END_TEST

START_TEST(unknown_and_malformed_ids)
{
    sm_link_tx_t *l = NULL;
    sm_link_tx_t *tx = new_tx(true, NULL);

    ck_assert_int_eq(sm_link_tx_save(&fe.env, &keys, tx, LIFETIME), APR_SUCCESS);
    ck_assert_int_eq(
        sm_link_tx_load(&fe.env, &keys, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &l),
        APR_NOTFOUND);
    ck_assert_int_eq(sm_link_tx_load(&fe.env, &keys, NULL, &l), APR_EINVAL);
    ck_assert_int_eq(sm_link_tx_load(&fe.env, &keys, "", &l), APR_EINVAL);
    ck_assert_int_eq(sm_link_tx_load(&fe.env, &keys, "abc", &l), APR_EINVAL);
    ck_assert_int_eq(sm_link_tx_load(&fe.env, &keys, apr_pstrcat(P, tx->id, "A", NULL), &l),
                     APR_EINVAL);
    ck_assert_int_eq(
        sm_link_tx_load(&fe.env, &keys, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", &l),
        APR_EINVAL);
    ck_assert_ptr_null(l);
}
END_TEST

START_TEST(tampered_is_einval)
{
    sm_link_tx_t *tx = new_tx(true, NULL), *other = new_tx(true, NULL), *l = NULL;
    const char *k;
    unsigned char *v, *copy;
    apr_size_t n;

    ck_assert_int_eq(sm_link_tx_save(&fe.env, &keys, tx, LIFETIME), APR_SUCCESS);
    k = only_key();
    ck_assert_int_eq(fe.store.port.get(fe.store.port.baton, P, k, &v, &n), APR_SUCCESS);
    copy = apr_pmemdup(P, v, n);
    /* one bit flipped */
    v[n / 2] ^= 1;
    fe.store.port.set(fe.store.port.baton, P, k, v, n, T0 + LIFETIME);
    ck_assert_int_eq(sm_link_tx_load(&fe.env, &keys, tx->id, &l), APR_EINVAL);
    ck_assert_ptr_null(l);
    /* truncated, or no bytes at all */
    fe.store.port.set(fe.store.port.baton, P, k, copy, n - 1, T0 + LIFETIME);
    ck_assert_int_eq(sm_link_tx_load(&fe.env, &keys, tx->id, &l), APR_EINVAL);
    fe.store.port.set(fe.store.port.baton, P, k, copy, 0, T0 + LIFETIME);
    ck_assert_int_eq(sm_link_tx_load(&fe.env, &keys, tx->id, &l), APR_EINVAL);
    /* the intact record under another transaction's key: bound to its own id */
    fe.store.port.set(fe.store.port.baton, P, sm_store_key(P, &keys, "l:", other->id), copy, n,
                      T0 + LIFETIME);
    ck_assert_int_eq(sm_link_tx_load(&fe.env, &keys, other->id, &l), APR_EINVAL);
    /* and restored, it loads */
    fe.store.port.set(fe.store.port.baton, P, k, copy, n, T0 + LIFETIME);
    ck_assert_int_eq(sm_link_tx_load(&fe.env, &keys, tx->id, &l), APR_SUCCESS);
}
END_TEST

START_TEST(other_secret_cannot_read)
{
    static const char other[] = "another example secret of more than 32 bytes";
    sm_link_tx_t *tx = new_tx(true, NULL), *l = NULL;
    sm_keys_t k2;

    ck_assert_int_eq(sm_link_tx_save(&fe.env, &keys, tx, LIFETIME), APR_SUCCESS);
    ck_assert_int_eq(sm_keys_derive((const unsigned char *)other, strlen(other), &k2), 0);
    ck_assert_int_eq(sm_link_tx_load(&fe.env, &k2, tx->id, &l), APR_NOTFOUND);
    ck_assert_ptr_null(l);
}
END_TEST

START_TEST(expiry_honoured)
{
    sm_link_tx_t *tx = new_tx(true, NULL), *l = NULL;

    ck_assert_int_eq(sm_link_tx_save(&fe.env, &keys, tx, LIFETIME), APR_SUCCESS);
    fe.clock.now = T0 + LIFETIME - SEC(1);
    ck_assert_int_eq(sm_link_tx_load(&fe.env, &keys, tx->id, &l), APR_SUCCESS);
    /* saved again later: still alive only until created + lifetime */
    ck_assert_int_eq(sm_link_tx_save(&fe.env, &keys, tx, LIFETIME), APR_SUCCESS);
    fe.clock.now = T0 + LIFETIME;
    l = NULL;
    ck_assert_int_eq(sm_link_tx_load(&fe.env, &keys, tx->id, &l), APR_NOTFOUND);
    ck_assert_ptr_null(l);
}
END_TEST

START_TEST(store_down)
{
    sm_link_tx_t *tx = new_tx(true, NULL), *l = NULL;
    apr_status_t rv;

    ck_assert_int_eq(sm_link_tx_save(&fe.env, &keys, tx, LIFETIME), APR_SUCCESS);
    fe.store.down = true;
    rv = sm_link_tx_load(&fe.env, &keys, tx->id, &l);
    ck_assert_int_ne(rv, APR_SUCCESS);
    ck_assert_int_ne(rv, APR_NOTFOUND);
    ck_assert_int_ne(rv, APR_EINVAL);
    ck_assert_ptr_null(l);
    ck_assert_int_ne(sm_link_tx_save(&fe.env, &keys, tx, LIFETIME), APR_SUCCESS);
    rv = sm_link_tx_consume(&fe.env, &keys, tx->id, LIFETIME);
    ck_assert_int_ne(rv, APR_SUCCESS);
    ck_assert_int_ne(rv, APR_EEXIST);
    /* back up: the transaction is still there, unused */
    fe.store.down = false;
    ck_assert_int_eq(sm_link_tx_load(&fe.env, &keys, tx->id, &l), APR_SUCCESS);
    ck_assert_int_eq(sm_link_tx_consume(&fe.env, &keys, tx->id, LIFETIME), APR_SUCCESS);
}
END_TEST

START_TEST(consume_single_use)
{
    sm_link_tx_t *tx = new_tx(true, NULL), *other = new_tx(true, NULL), *l = NULL;

    ck_assert_int_eq(sm_link_tx_save(&fe.env, &keys, tx, LIFETIME), APR_SUCCESS);
    ck_assert_int_eq(sm_link_tx_save(&fe.env, &keys, other, LIFETIME), APR_SUCCESS);
    fe.clock.now = T0 + SEC(60);
    ck_assert_int_eq(sm_link_tx_consume(&fe.env, &keys, tx->id, LIFETIME), APR_SUCCESS);
    ck_assert_int_eq(sm_link_tx_consume(&fe.env, &keys, tx->id, LIFETIME), APR_EEXIST);
    /* the record is gone */
    ck_assert_int_eq(sm_link_tx_load(&fe.env, &keys, tx->id, &l), APR_NOTFOUND);
    ck_assert_ptr_null(l);
    /* a replayed record (saved again) is still used up, also after the record's lifetime */
    ck_assert_int_eq(sm_link_tx_save(&fe.env, &keys, tx, LIFETIME), APR_SUCCESS);
    fe.clock.now = T0 + LIFETIME + SEC(30);
    ck_assert_int_eq(sm_link_tx_consume(&fe.env, &keys, tx->id, LIFETIME), APR_EEXIST);
    /* the other transaction is untouched */
    fe.clock.now = T0 + SEC(60);
    ck_assert_int_eq(sm_link_tx_load(&fe.env, &keys, other->id, &l), APR_SUCCESS);
    ck_assert_int_eq(sm_link_tx_consume(&fe.env, &keys, other->id, LIFETIME), APR_SUCCESS);
}
END_TEST

START_TEST(owned_by_its_session_only)
{
    static const char other[] = "another example secret of more than 32 bytes";
    sm_link_tx_t *tx = new_tx(true, NULL), *l = NULL;
    sm_keys_t k2;

    ck_assert_int_eq(sm_link_tx_save(&fe.env, &keys, tx, LIFETIME), APR_SUCCESS);
    ck_assert_int_eq(sm_link_tx_load(&fe.env, &keys, tx->id, &l), APR_SUCCESS);
    ck_assert(sm_link_tx_owned_by(P, &keys, l, sess.id));
    ck_assert(sm_link_tx_owned_by(P, &keys, tx, sess.id));
    ck_assert(!sm_link_tx_owned_by(P, &keys, l, "SessSessSessSessSessSessSessSessSessSess124"));
    ck_assert(!sm_link_tx_owned_by(P, &keys, l, tx->id)); /* its own id is not a session */
    ck_assert(!sm_link_tx_owned_by(P, &keys, l, NULL));
    ck_assert(!sm_link_tx_owned_by(P, &keys, l, ""));
    ck_assert(!sm_link_tx_owned_by(P, &keys, l, "SessSessSessSessSessSessSessSessSessSess12"));
    ck_assert(!sm_link_tx_owned_by(P, &keys, l, l->session_key));
    ck_assert_int_eq(sm_keys_derive((const unsigned char *)other, strlen(other), &k2), 0);
    ck_assert(!sm_link_tx_owned_by(P, &k2, l, sess.id));
}
END_TEST

Suite *sm_suite_link_tx(void)
{
    Suite *s = suite_create("link_tx");
    TCase *tc = tcase_create("link_tx");

    tcase_add_checked_fixture(tc, setup, sm_test_teardown);
    tcase_add_test(tc, new_fields);
    tcase_add_test(tc, round_trip_side_a);
    tcase_add_test(tc, round_trip_side_b);
    tcase_add_test(tc, unknown_and_malformed_ids);
    tcase_add_test(tc, tampered_is_einval);
    tcase_add_test(tc, other_secret_cannot_read);
    tcase_add_test(tc, expiry_honoured);
    tcase_add_test(tc, store_down);
    tcase_add_test(tc, consume_single_use);
    tcase_add_test(tc, owned_by_its_session_only);
    suite_add_tcase(s, tc);
    return s;
}
