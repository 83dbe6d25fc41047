/* test_attrmap.c: outputs in selmid and shibboleth modes, dotted paths, REMOTE_USER order, the
 * Shib-* variables and the scrub rule. */
#include "sm_tests.h"
#include "sm_attrmap.h"
#include "sm_json.h"
#include "sm_crypto.h"
#include <openssl/hmac.h>
#include <string.h>

static const unsigned char key[SM_KEY_LEN + 1] = "0123456789abcdef0123456789abcdef";

static json_t *claims_of(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);

    ck_assert_msg(j != NULL, "bad test JSON: %s", e.text);
    return sm_json_own(sm_test_pool, j);
}

static sm_dir_cfg_t *dir(int mode)
{
    sm_dir_cfg_t *d = sm_dir_cfg_create(sm_test_pool);

    d->attr_mode = mode;
    return d;
}

static void map(sm_dir_cfg_t *d, const char *claim, const char *name)
{
    sm_attr_map_t *m;

    if (!d->attr_map)
        d->attr_map = apr_array_make(sm_test_pool, 4, sizeof(sm_attr_map_t));
    m = apr_array_push(d->attr_map);
    m->claim = claim;
    m->name = name;
}

static sm_attrmap_result_t run(const sm_dir_cfg_t *d, json_t *claims)
{
    sm_attrmap_input_t in = {
        .claims = claims,
        .provider = "campus",
        .provider_type = "oidc",
        .issuer = "https://idp.example.edu/idp/shibboleth",
        .session_id = "session-id-1",
        .login_time = apr_time_from_sec(1714555805) + 123000, /* 2024-05-01T09:30:05.123Z */
        .index_key = key,
    };
    sm_attrmap_result_t res;

    sm_attrmap_compute(sm_test_pool, d, &in, &res);
    ck_assert_ptr_nonnull(res.outputs);
    return res;
}

/* The effective value of name (a later output replaces an earlier one), NULL when not set. */
static const char *get(const sm_attrmap_result_t *res, const char *name)
{
    const char *v = NULL;
    int i;

    for (i = 0; i < res->outputs->nelts; i++)
        if (strcmp(APR_ARRAY_IDX(res->outputs, i, sm_attr_out_t).name, name) == 0)
            v = APR_ARRAY_IDX(res->outputs, i, sm_attr_out_t).value;
    return v;
}

static const char *ALICE =
    "{\"sub\":\"alice-0001\",\"email\":\"alice@example.edu\",\"email_verified\":true,"
    "\"name\":\"Alice A\","
    "\"given_name\":\"Alice\",\"family_name\":\"A\",\"groups\":[\"students\",\"physics;lab\"],"
    "\"address\":{\"locality\":\"Kyoto\",\"country\":{\"code\":\"JP\"}},\"acr\":\"urn:x:mfa\","
    "\"auth_time\":1714555000}";

START_TEST(selmid_mode)
{
    sm_dir_cfg_t *d = dir(SM_UNSET);
    sm_attrmap_result_t res;

    map(d, "address.locality", "X-City");
    map(d, "address.country.code", "country");
    map(d, "missing", "absent");
    res = run(d, claims_of(ALICE));
    ck_assert_str_eq(get(&res, "SELMID_sub"), "alice-0001");
    ck_assert_str_eq(get(&res, "SELMID_groups"), "students;physics\\;lab");
    ck_assert_str_eq(get(&res, "SELMID_name"), "Alice A");
    ck_assert_str_eq(get(&res, "SELMID_address"), "{\"locality\":\"Kyoto\",\"country\":{\"code\":"
                                                  "\"JP\"}}");
    ck_assert_str_eq(get(&res, "X-City"), "Kyoto");
    ck_assert_str_eq(get(&res, "country"), "JP");
    ck_assert_ptr_null(get(&res, "absent"));
    ck_assert_str_eq(get(&res, "SELMID_PROVIDER"), "campus");
    ck_assert_str_eq(get(&res, "SELMID_PROVIDER_TYPE"), "oidc");
    /* no Shibboleth names in selmid mode */
    ck_assert_ptr_null(get(&res, "mail"));
    ck_assert_ptr_null(get(&res, "Shib-Session-ID"));
    ck_assert_str_eq(res.remote_user, "alice-0001");
}
END_TEST

START_TEST(selmid_mode_fixed_names_win)
{
    sm_dir_cfg_t *d = dir(SM_ATTR_MODE_SELMID);
    sm_attrmap_result_t res;

    /* a claim "PROVIDER" would be SELMID_PROVIDER: mod_selmid's own value wins */
    res = run(d, claims_of("{\"sub\":\"x\",\"PROVIDER\":\"evil\"}"));
    ck_assert_str_eq(get(&res, "SELMID_PROVIDER"), "campus");
}
END_TEST

START_TEST(selmid_mode_remote_user)
{
    sm_dir_cfg_t *d = dir(SM_ATTR_MODE_SELMID);
    sm_attrmap_result_t res;

    d->remote_user = apr_array_make(sm_test_pool, 3, sizeof(const char *));
    APR_ARRAY_PUSH(d->remote_user, const char *) = "eppn";
    APR_ARRAY_PUSH(d->remote_user, const char *) = "address.locality";
    APR_ARRAY_PUSH(d->remote_user, const char *) = "sub";
    res = run(d, claims_of(ALICE));
    ck_assert_str_eq(res.remote_user, "Kyoto");
    /* an array: its first value */
    APR_ARRAY_IDX(d->remote_user, 1, const char *) = "groups";
    res = run(d, claims_of(ALICE));
    ck_assert_str_eq(res.remote_user, "students");
    /* an empty value counts as absent */
    res = run(d, claims_of("{\"sub\":\"s\",\"eppn\":\"\",\"groups\":[]}"));
    ck_assert_str_eq(res.remote_user, "s");
    /* none present */
    res = run(d, claims_of("{\"email\":\"a@b\"}"));
    ck_assert_ptr_null(res.remote_user);
}
END_TEST

START_TEST(shibboleth_mode_names)
{
    sm_dir_cfg_t *d = dir(SM_ATTR_MODE_SHIBBOLETH);
    sm_attrmap_result_t res;
    int i;

    map(d, "groups", "isMemberOf");
    map(d, "sub", "eppn");
    res = run(d, claims_of(ALICE));
    ck_assert_str_eq(get(&res, "mail"), "alice@example.edu");
    ck_assert_str_eq(get(&res, "displayName"), "Alice A");
    ck_assert_str_eq(get(&res, "givenName"), "Alice");
    ck_assert_str_eq(get(&res, "sn"), "A");
    ck_assert_str_eq(get(&res, "isMemberOf"), "students;physics\\;lab");
    /* a single value's ';' is escaped too, as mod_shib does */
    res = run(d, claims_of("{\"sub\":\"s\",\"name\":\"Bob Smith; Jr.\",\"eppn\":\"e\"}"));
    ck_assert_str_eq(get(&res, "displayName"), "Bob Smith\\; Jr.");
    res = run(d, claims_of(ALICE));
    ck_assert_str_eq(get(&res, "eppn"), "alice-0001");
    ck_assert_str_eq(get(&res, "SELMID_PROVIDER"), "campus");
    ck_assert_str_eq(get(&res, "SELMID_PROVIDER_TYPE"), "oidc");
    /* only mapped names: no prefixed claims, no unmapped ones */
    for (i = 0; i < res.outputs->nelts; i++) {
        const char *n = APR_ARRAY_IDX(res.outputs, i, sm_attr_out_t).name;
        ck_assert_msg(strncmp(n, "SELMID_", 7) != 0 || strncmp(n, "SELMID_PROVIDER", 15) == 0,
                      "unexpected output %s", n);
    }
    ck_assert_ptr_null(get(&res, "email"));
    ck_assert_ptr_null(get(&res, "groups"));
    ck_assert_ptr_null(get(&res, "uid"));
    ck_assert_str_eq(res.remote_user, "alice-0001");
}
END_TEST

START_TEST(shibboleth_mode_builtin_order_and_override)
{
    sm_dir_cfg_t *d = dir(SM_ATTR_MODE_SHIBBOLETH);
    sm_attrmap_result_t res;

    /* a claim that is already a Shibboleth id wins over the OIDC synonym */
    res = run(d, claims_of("{\"sub\":\"s\",\"mail\":\"m@x\",\"email\":\"e@x\",\"email_verified\":"
                           "true,\"eppn\":\"a@x\"}"));
    ck_assert_str_eq(get(&res, "mail"), "m@x");
    ck_assert_str_eq(get(&res, "eppn"), "a@x");
    /* an explicit SelmidAttribute line for a name replaces the built-in entries for it, even
     * when its claim is absent */
    map(d, "preferred_username", "mail");
    res = run(d, claims_of("{\"sub\":\"s\",\"email\":\"e@x\",\"email_verified\":true,\"preferred_"
                           "username\":\"p\"}"));
    ck_assert_str_eq(get(&res, "mail"), "p");
    res = run(d, claims_of("{\"sub\":\"s\",\"email\":\"e@x\",\"email_verified\":true}"));
    ck_assert_ptr_null(get(&res, "mail"));
    /* several lines of one NAME: the first present wins */
    map(d, "email", "mail");
    res = run(d, claims_of("{\"sub\":\"s\",\"email\":\"e@x\",\"email_verified\":true}"));
    ck_assert_str_eq(get(&res, "mail"), "e@x");
}
END_TEST

START_TEST(unverified_email_is_not_mapped)
{
    sm_dir_cfg_t *d = dir(SM_ATTR_MODE_SHIBBOLETH);
    sm_attrmap_result_t res;

    map(d, "email", "eppn");
    /* unverified, or a provider that does not say so: neither mail nor eppn */
    res = run(d, claims_of("{\"sub\":\"s\",\"email\":\"victim@x\",\"email_verified\":false}"));
    ck_assert_ptr_null(get(&res, "mail"));
    ck_assert_ptr_null(get(&res, "eppn"));
    ck_assert_ptr_null(res.remote_user);
    res = run(d, claims_of("{\"sub\":\"s\",\"email\":\"victim@x\",\"email_verified\":\"false\"}"));
    ck_assert_ptr_null(get(&res, "eppn"));
    res = run(d, claims_of("{\"sub\":\"s\",\"email\":\"victim@x\"}"));
    ck_assert_ptr_null(get(&res, "eppn"));
    /* Apple's string form counts */
    res = run(d, claims_of("{\"sub\":\"s\",\"email\":\"a@x\",\"email_verified\":\"true\"}"));
    ck_assert_str_eq(get(&res, "eppn"), "a@x");
    ck_assert_str_eq(get(&res, "mail"), "a@x");
    /* the raw claim still reaches selmid mode, with email_verified for the app to judge */
    d = dir(SM_UNSET);
    res = run(d, claims_of("{\"sub\":\"s\",\"email\":\"victim@x\",\"email_verified\":false}"));
    ck_assert_str_eq(get(&res, "SELMID_email"), "victim@x");
    ck_assert_str_eq(get(&res, "SELMID_email_verified"), "false");
    /* LINE and Facebook return only confirmed addresses and send no email_verified */
    ck_assert(sm_attrmap_email_verified(claims_of("{\"email\":\"a@x\"}"), "line"));
    ck_assert(sm_attrmap_email_verified(claims_of("{\"email\":\"a@x\"}"), "facebook"));
    ck_assert(!sm_attrmap_email_verified(claims_of("{\"email\":\"a@x\"}"), "oidc"));
    ck_assert(!sm_attrmap_email_verified(claims_of("{\"email\":\"a@x\"}"), NULL));
    ck_assert(!sm_attrmap_email_verified(claims_of("{\"email_verified\":1}"), "google"));
}
END_TEST

START_TEST(shibboleth_mode_remote_user_order)
{
    sm_dir_cfg_t *d = dir(SM_ATTR_MODE_SHIBBOLETH);
    sm_attrmap_result_t res;

    res = run(d, claims_of("{\"sub\":\"s\",\"persistent-id\":\"p\",\"pairwise-id\":\"w\","
                           "\"subject-id\":\"j\",\"eppn\":\"e\"}"));
    ck_assert_str_eq(res.remote_user, "e");
    res = run(d, claims_of("{\"sub\":\"s\",\"persistent-id\":\"p\",\"pairwise-id\":\"w\","
                           "\"subject-id\":\"j\"}"));
    ck_assert_str_eq(res.remote_user, "j");
    res = run(d, claims_of("{\"sub\":\"s\",\"persistent-id\":\"p\",\"pairwise-id\":\"w\"}"));
    ck_assert_str_eq(res.remote_user, "w");
    res = run(d, claims_of("{\"sub\":\"s\",\"persistent-id\":[\"p1\",\"p2\"]}"));
    ck_assert_str_eq(res.remote_user, "p1");
    ck_assert_str_eq(get(&res, "persistent-id"), "p1;p2");
    /* names are output names: "sub" is not one in shibboleth mode */
    res = run(d, claims_of("{\"sub\":\"s\",\"email\":\"e@x\",\"email_verified\":true}"));
    ck_assert_ptr_null(res.remote_user);
    d->remote_user = apr_array_make(sm_test_pool, 2, sizeof(const char *));
    APR_ARRAY_PUSH(d->remote_user, const char *) = "sub";
    APR_ARRAY_PUSH(d->remote_user, const char *) = "mail";
    res = run(d, claims_of("{\"sub\":\"s\",\"email\":\"e@x\",\"email_verified\":true}"));
    ck_assert_str_eq(res.remote_user, "e@x");
    /* a SelmidAttribute output can be named */
    map(d, "sub", "sub");
    res = run(d, claims_of("{\"sub\":\"s\",\"email\":\"e@x\",\"email_verified\":true}"));
    ck_assert_str_eq(res.remote_user, "s");
}
END_TEST

START_TEST(shib_variables)
{
    sm_dir_cfg_t *d = dir(SM_ATTR_MODE_SHIBBOLETH);
    sm_attrmap_result_t res = run(d, claims_of(ALICE));
    unsigned char mac[32];
    unsigned int len = 0;
    char hex[40];
    const char *msg = "shib-session-idsession-id-1";
    int i;

    HMAC(EVP_sha256(), key, SM_KEY_LEN, (const unsigned char *)msg, strlen(msg), mac, &len);
    hex[0] = '_';
    for (i = 0; i < 16; i++)
        sprintf(hex + 1 + 2 * i, "%02x", mac[i]);
    ck_assert_str_eq(get(&res, "Shib-Session-ID"), hex);
    ck_assert_int_eq(strlen(get(&res, "Shib-Session-ID")), 33);
    ck_assert_str_eq(get(&res, "Shib-Identity-Provider"), "https://idp.example.edu/idp/shibboleth");
    /* auth_time 1714555000 */
    ck_assert_str_eq(get(&res, "Shib-Authentication-Instant"), "2024-05-01T09:16:40.000Z");
    ck_assert_str_eq(get(&res, "Shib-AuthnContext-Class"), "urn:x:mfa");
    ck_assert_str_eq(get(&res, "Shib-Authentication-Method"), "urn:x:mfa");
    ck_assert_str_eq(get(&res, "Shib-Application-ID"), "default");
    /* without auth_time and acr: the login time and "unspecified" */
    res = run(d, claims_of("{\"sub\":\"s\",\"eppn\":\"e\"}"));
    ck_assert_str_eq(get(&res, "Shib-Authentication-Instant"), "2024-05-01T09:30:05.123Z");
    ck_assert_str_eq(get(&res, "Shib-AuthnContext-Class"), SM_SHIB_ACR_UNSPECIFIED);
    ck_assert_str_eq(get(&res, "Shib-Authentication-Method"), SM_SHIB_ACR_UNSPECIFIED);
    /* an auth_time beyond year 9999 (or negative) is nonsense: the login time, no overflow */
    res = run(d, claims_of("{\"sub\":\"s\",\"eppn\":\"e\",\"auth_time\":9000000000000000000}"));
    ck_assert_str_eq(get(&res, "Shib-Authentication-Instant"), "2024-05-01T09:30:05.123Z");
    res = run(d, claims_of("{\"sub\":\"s\",\"eppn\":\"e\",\"auth_time\":-5}"));
    ck_assert_str_eq(get(&res, "Shib-Authentication-Instant"), "2024-05-01T09:30:05.123Z");
    /* not the session id, and it depends on it */
    ck_assert_str_ne(sm_attrmap_shib_session_id(sm_test_pool, key, "a"),
                     sm_attrmap_shib_session_id(sm_test_pool, key, "b"));
    ck_assert_ptr_null(strstr(get(&res, "Shib-Session-ID"), "session-id-1"));
}
END_TEST

START_TEST(iso8601)
{
    ck_assert_str_eq(sm_attrmap_iso8601(sm_test_pool, 0), "1970-01-01T00:00:00.000Z");
    ck_assert_str_eq(sm_attrmap_iso8601(sm_test_pool, apr_time_from_sec(951782400) + 999999),
                     "2000-02-29T00:00:00.999Z");
}
END_TEST

START_TEST(dotted_paths)
{
    json_t *c = claims_of("{\"a\":{\"b\":{\"c\":\"deep\"},\"n\":null},\"x.y\":\"whole\","
                          "\"x\":{\"y\":\"nested\"},\"arr\":[{\"k\":1}],\"s\":\"str\"}");

    ck_assert_str_eq(json_string_value(sm_attrmap_lookup(c, "a.b.c")), "deep");
    ck_assert(json_is_object(sm_attrmap_lookup(c, "a.b")));
    ck_assert_str_eq(json_string_value(sm_attrmap_lookup(c, "x.y")), "whole");
    ck_assert_ptr_null(sm_attrmap_lookup(c, "a.b.c.d"));
    ck_assert_ptr_null(sm_attrmap_lookup(c, "arr.k"));
    ck_assert_ptr_null(sm_attrmap_lookup(c, "s.len"));
    ck_assert_ptr_null(sm_attrmap_lookup(c, "a..b"));
    ck_assert_ptr_null(sm_attrmap_lookup(c, "nope"));
    ck_assert_ptr_null(sm_attrmap_lookup(c, ""));
    ck_assert(json_is_null(sm_attrmap_lookup(c, "a.n")));
}
END_TEST

START_TEST(scrub_rules)
{
    sm_dir_cfg_t *d = dir(SM_UNSET);
    const char *pfx = "SELMID_";

    map(d, "address.locality", "X-City");
    /* prefix, fixed names, HTTP_ forms */
    ck_assert(sm_attrmap_scrub(d, pfx, "selmid-email"));
    ck_assert(sm_attrmap_scrub(d, pfx, "Remote-User"));
    ck_assert(sm_attrmap_scrub(d, pfx, "HTTP_AUTH_TYPE"));
    ck_assert(sm_attrmap_scrub(d, "OIDC_", "Selmid-Provider"));
    ck_assert(sm_attrmap_scrub(d, "OIDC_", "selmid.provider.type"));
    ck_assert(!sm_attrmap_scrub(d, "OIDC_", "Selmid-Providers"));
    /* every Shib-* name, any spelling, in both modes */
    ck_assert(sm_attrmap_scrub(d, pfx, "Shib-Session-ID"));
    ck_assert(sm_attrmap_scrub(d, pfx, "Shib_Session_ID"));
    ck_assert(sm_attrmap_scrub(d, pfx, "shib-session-id"));
    ck_assert(sm_attrmap_scrub(d, pfx, "Shib_Identity_Provider"));
    ck_assert(sm_attrmap_scrub(d, pfx, "HTTP_SHIB_APPLICATION_ID"));
    ck_assert(sm_attrmap_scrub(d, pfx, "shib.anything"));
    /* SelmidAttribute names */
    ck_assert(sm_attrmap_scrub(d, pfx, "X-City"));
    ck_assert(sm_attrmap_scrub(d, pfx, "x_city"));
    ck_assert(sm_attrmap_scrub(d, pfx, "HTTP_X_CITY"));
    ck_assert(!sm_attrmap_scrub(d, pfx, "X-City2"));
    /* built-in shibboleth names only in shibboleth mode */
    ck_assert(!sm_attrmap_scrub(d, pfx, "eppn"));
    ck_assert(!sm_attrmap_scrub(d, pfx, "mail"));
    d->attr_mode = SM_ATTR_MODE_SHIBBOLETH;
    ck_assert(sm_attrmap_scrub(d, pfx, "eppn"));
    ck_assert(sm_attrmap_scrub(d, pfx, "EPPN"));
    ck_assert(sm_attrmap_scrub(d, pfx, "Unscoped_Affiliation"));
    ck_assert(sm_attrmap_scrub(d, pfx, "persistent.id"));
    ck_assert(sm_attrmap_scrub(d, pfx, "displayname"));
    ck_assert(sm_attrmap_scrub(d, pfx, "HTTP_MAIL"));
    ck_assert(sm_attrmap_scrub(d, pfx, "sn"));
    ck_assert(sm_attrmap_scrub(d, pfx, "X-City"));
    /* only whole names: "e.p.p.n" is E_P_P_N, not EPPN */
    ck_assert(!sm_attrmap_scrub(d, pfx, "e.p.p.n"));
    ck_assert(!sm_attrmap_scrub(d, pfx, "mailbox"));
    ck_assert(!sm_attrmap_scrub(d, pfx, "Accept"));
    ck_assert(!sm_attrmap_scrub(d, pfx, "Cookie"));
    ck_assert(!sm_attrmap_scrub(d, pfx, ""));
    ck_assert(!sm_attrmap_scrub(d, pfx, NULL));
}
END_TEST

START_TEST(check_name)
{
    ck_assert_ptr_null(sm_attrmap_check_name("eppn"));
    ck_assert_ptr_null(sm_attrmap_check_name("X-City"));
    ck_assert_ptr_null(sm_attrmap_check_name("Shibboleth"));
    ck_assert_ptr_nonnull(sm_attrmap_check_name("Shib-Session-ID"));
    ck_assert_ptr_nonnull(sm_attrmap_check_name("shib_foo"));
    ck_assert_ptr_nonnull(sm_attrmap_check_name("remote-user"));
    ck_assert_ptr_nonnull(sm_attrmap_check_name("AUTH_TYPE"));
    ck_assert_ptr_nonnull(sm_attrmap_check_name("Selmid-Provider-Type"));
}
END_TEST

Suite *sm_suite_attrmap(void)
{
    Suite *s = suite_create("attrmap");
    TCase *tc = tcase_create("attrmap");

    tcase_add_checked_fixture(tc, sm_test_setup, sm_test_teardown);
    tcase_add_test(tc, selmid_mode);
    tcase_add_test(tc, selmid_mode_fixed_names_win);
    tcase_add_test(tc, selmid_mode_remote_user);
    tcase_add_test(tc, shibboleth_mode_names);
    tcase_add_test(tc, shibboleth_mode_builtin_order_and_override);
    tcase_add_test(tc, shibboleth_mode_remote_user_order);
    tcase_add_test(tc, unverified_email_is_not_mapped);
    tcase_add_test(tc, shib_variables);
    tcase_add_test(tc, iso8601);
    tcase_add_test(tc, dotted_paths);
    tcase_add_test(tc, scrub_rules);
    tcase_add_test(tc, check_name);
    suite_add_tcase(s, tc);
    return s;
}
