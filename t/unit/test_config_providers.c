/* test_config_providers.c: provider type profiles, the per-type configuration checks and the
 * parsers of the provider directives added with them. */
#include "sm_tests.h"
#include "sm_config.h"
#include "sm_jwt.h"
#include "sm_provider_type.h"
#include <apr_file_io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define P sm_test_pool

static sm_provider_cfg_t *prov(int type)
{
    sm_provider_cfg_t *pc = sm_provider_cfg_create(P, "x", "test.conf:1");

    pc->type = type;
    pc->client_id = "client";
    pc->client_secret = "0123456789abcdef0123456789abcdef";
    return pc;
}

START_TEST(type_names_round_trip)
{
    static const char *names[] = {"oidc",    "line",  "facebook",  "google",
                                  "yahoojp", "apple", "shibboleth"};
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        int t = sm_provider_type_parse(names[i]);
        ck_assert_int_ne(t, 0);
        ck_assert_str_eq(sm_provider_type_name(t), names[i]);
        ck_assert_int_eq(sm_provider_profile(t)->type, t);
    }
    ck_assert_int_eq(sm_provider_type_parse("LINE"), 0);
    ck_assert_int_eq(sm_provider_type_parse("saml"), 0);
    ck_assert_int_eq(sm_provider_type_parse(NULL), 0);
    ck_assert_int_eq(sm_endpoint_parse("jwks"), SM_EP_JWKS);
    ck_assert_int_eq(sm_endpoint_parse("graph"), SM_EP_GRAPH);
    ck_assert_int_eq(sm_endpoint_parse("end_session"), -1);
    ck_assert_str_eq(sm_endpoint_name(SM_EP_TOKEN), "token");
}
END_TEST

START_TEST(line_defaults_follow_line_docs)
{
    sm_provider_cfg_t *pc = prov(SM_PT_LINE);

    ck_assert_str_eq(sm_cfg_provider_issuer(pc), "https://access.line.me");
    ck_assert_str_eq(sm_cfg_provider_endpoint(pc, SM_EP_TOKEN),
                     "https://api.line.me/oauth2/v2.1/token");
    ck_assert_str_eq(sm_cfg_provider_endpoint(pc, SM_EP_JWKS),
                     "https://api.line.me/oauth2/v2.1/certs");
    /* exactly HS256 (channel secret) and ES256 */
    ck_assert_uint_eq(sm_cfg_provider_algs(pc), SM_ALG_HS256 | SM_ALG_ES256);
    ck_assert_int_eq(sm_cfg_provider_token_auth(pc), SM_TOKEN_AUTH_POST);
    ck_assert_str_eq(sm_cfg_provider_label(pc, true), "LINEでログイン");
    ck_assert_str_eq(sm_cfg_provider_label(pc, false), "Log in with LINE");
    ck_assert_ptr_null(sm_provider_cfg_check(P, pc));
    /* an override wins over the built-in endpoint */
    pc->endpoints[SM_EP_TOKEN] = "http://127.0.0.1:9/line/token";
    ck_assert_str_eq(sm_cfg_provider_endpoint(pc, SM_EP_TOKEN), "http://127.0.0.1:9/line/token");
}
END_TEST

START_TEST(other_type_defaults)
{
    sm_provider_cfg_t *g = prov(SM_PT_GOOGLE), *y = prov(SM_PT_YAHOOJP), *f = prov(SM_PT_FACEBOOK);
    sm_provider_cfg_t *o = prov(SM_PT_OIDC);

    ck_assert_str_eq(sm_provider_profile(SM_PT_GOOGLE)->issuer_alt, "accounts.google.com");
    ck_assert_uint_eq(sm_cfg_provider_algs(g), SM_ALG_RS256);
    ck_assert_str_eq(sm_cfg_provider_issuer(y), "https://auth.login.yahoo.co.jp/yconnect/v2");
    ck_assert(sm_cfg_provider_userinfo(y));
    ck_assert(!sm_cfg_provider_userinfo(g));
    ck_assert(sm_provider_profile(SM_PT_APPLE)->form_post);
    ck_assert_str_eq(sm_cfg_provider_graph_version(f), SM_FACEBOOK_GRAPH_VERSION);
    ck_assert_str_eq(sm_cfg_provider_endpoint(f, SM_EP_GRAPH), "https://graph.facebook.com");
    /* oidc keeps the foundation's defaults */
    ck_assert_uint_eq(sm_cfg_provider_algs(o), SM_ALG_DEFAULT);
    ck_assert_str_eq(sm_cfg_provider_scope(o), "openid");
    ck_assert_int_eq(sm_cfg_provider_token_auth(o), SM_TOKEN_AUTH_BASIC);
    ck_assert(sm_cfg_provider_userinfo(o));
    ck_assert_ptr_null(sm_cfg_provider_endpoint(o, SM_EP_TOKEN));
    ck_assert_str_eq(sm_cfg_provider_label(o, true), "x"); /* the name */
    o->label_en = "University ID";
    ck_assert_str_eq(sm_cfg_provider_label(o, true), "University ID");
    ck_assert_int_eq(sm_cfg_provider_type(sm_provider_cfg_create(P, "n", NULL)), SM_PT_OIDC);
    /* without SelmidProviders a location accepts only the organisation's own providers */
    ck_assert(sm_cfg_provider_default_accepted(o));
    ck_assert(sm_cfg_provider_default_accepted(prov(SM_PT_SHIBBOLETH)));
    ck_assert(!sm_cfg_provider_default_accepted(g));
    ck_assert(!sm_cfg_provider_default_accepted(f));
    ck_assert(!sm_cfg_provider_default_accepted(prov(SM_PT_LINE)));
    ck_assert(!sm_cfg_provider_default_accepted(prov(SM_PT_APPLE)));
    ck_assert(!sm_cfg_provider_default_accepted(NULL));
}
END_TEST

static void check_refused(sm_provider_cfg_t *pc, const char *needle)
{
    const char *e = sm_provider_cfg_check(P, pc);

    ck_assert_msg(e != NULL, "accepted, expected an error about %s", needle);
    ck_assert_msg(strstr(e, needle) != NULL, "'%s' does not mention '%s'", e, needle);
    ck_assert_msg(strstr(e, "test.conf:1") != NULL, "'%s' does not say where", e);
}

START_TEST(per_type_checks)
{
    sm_provider_cfg_t *pc;

    pc = prov(SM_PT_OIDC);
    check_refused(pc, "SelmidIssuer");
    pc = prov(SM_PT_LINE);
    pc->issuer = "https://evil.example";
    check_refused(pc, "SelmidIssuer is fixed");
    pc = prov(SM_PT_LINE);
    pc->client_secret = NULL;
    check_refused(pc, "SelmidClientSecret");
    pc = prov(SM_PT_LINE);
    pc->client_secret = "short-channel-secret"; /* HS256 needs 32 bytes */
    check_refused(pc, "HS256");
    pc = prov(SM_PT_GOOGLE);
    pc->line_bot_prompt = SM_LINE_BOT_NORMAL;
    check_refused(pc, "SelmidLineBotPrompt");
    pc = prov(SM_PT_LINE);
    pc->allowed_domains = apr_array_make(P, 1, sizeof(const char *));
    check_refused(pc, "SelmidAllowedDomains");
    pc = prov(SM_PT_GOOGLE);
    pc->graph_version = "v20.0";
    check_refused(pc, "SelmidGraphVersion");
    pc = prov(SM_PT_FACEBOOK);
    pc->algs = SM_ALG_RS256;
    check_refused(pc, "SelmidIDTokenAlgs");
    pc = prov(SM_PT_LINE);
    pc->algs = SM_ALG_RS256 | SM_ALG_HS256; /* widening LINE's {HS256, ES256} */
    check_refused(pc, "only narrow what line signs with");
    pc->algs = SM_ALG_ES256; /* narrowing is fine */
    ck_assert_ptr_null(sm_provider_cfg_check(P, pc));
    pc = prov(SM_PT_GOOGLE);
    pc->algs = SM_ALG_HS256;
    check_refused(pc, "only narrow what google signs with");
    pc = prov(SM_PT_GOOGLE);
    pc->endpoints[SM_EP_DISCOVERY] = "https://x.example/.well-known/openid-configuration";
    check_refused(pc, "discovery");
    pc = prov(SM_PT_LINE);
    pc->endpoints[SM_EP_GRAPH] = "https://graph.example";
    check_refused(pc, "graph");
    pc = prov(SM_PT_APPLE);
    check_refused(pc, "SelmidAppleKey");
    pc = prov(SM_PT_APPLE);
    pc->client_secret = NULL;
    check_refused(pc, "SelmidAppleKey");
    pc->apple_key_pem = "pem";
    pc->client_secret = "0123456789abcdef0123456789abcdef";
    check_refused(pc, "SelmidClientSecret is not used");
    pc->client_secret = NULL;
    ck_assert_ptr_null(sm_provider_cfg_check(P, pc));
    pc = prov(SM_PT_SHIBBOLETH);
    check_refused(pc, "shibboleth takes no client");
    pc->client_id = pc->client_secret = NULL;
    check_refused(pc, "needs SelmidSAMLIdP"); /* required, `any` must be explicit */
    ck_assert_ptr_null(sm_cfg_parse_saml_idp(P, "https://idp.example.ac.jp/idp/shibboleth", pc));
    ck_assert_ptr_null(sm_provider_cfg_check(P, pc));
    ck_assert_str_eq(sm_cfg_provider_login_url(pc), "/Shibboleth.sso/Login");
    pc->endpoints[SM_EP_TOKEN] = "https://x.example/token";
    check_refused(pc, "SelmidEndpoint");
    pc = prov(SM_PT_OIDC);
    pc->issuer = "https://idp.example";
    pc->login_url = "/Shibboleth.sso/Login";
    check_refused(pc, "SelmidLoginURL");
    pc = prov(SM_PT_OIDC);
    pc->issuer = "https://idp.example";
    ck_assert_ptr_null(sm_cfg_parse_saml_idp(P, "https://idp.example/idp/shibboleth", pc));
    check_refused(pc, "SelmidSAMLIdP is only for SelmidProviderType shibboleth");
    pc = prov(SM_PT_GOOGLE);
    pc->saml_idp_any = 1;
    check_refused(pc, "SelmidSAMLIdP is only for SelmidProviderType shibboleth");
    /* any next to an entityID (set directly: the parser refuses it too) */
    pc = prov(SM_PT_SHIBBOLETH);
    pc->client_id = pc->client_secret = NULL;
    pc->saml_idp_any = 1;
    ck_assert_ptr_null(sm_provider_cfg_check(P, pc));
    pc->saml_idps = apr_array_make(P, 1, sizeof(const char *));
    APR_ARRAY_PUSH(pc->saml_idps, const char *) = "https://idp.example/idp/shibboleth";
    check_refused(pc, "SelmidSAMLIdP any must be the only value");
}
END_TEST

START_TEST(saml_idp_values)
{
    sm_provider_cfg_t *pc = sm_provider_cfg_create(P, "campus-saml", "test.conf:1");
    sm_provider_cfg_t *fed = sm_provider_cfg_create(P, "gakunin-saml", "test.conf:5");
    const char *longest = "https://idp.example.ac.jp/", *toolong;
    static const char *bad[] = {"",
                                "idp.example.ac.jp",
                                "/idp/shibboleth",
                                "https://idp.example.ac.jp/a b",
                                "https://idp.example.ac.jp/\x01",
                                "https://idp.example.ac.jp/\xe5\xad\xa6",
                                "https:/idp.example.ac.jp",
                                "https:///idp",
                                "http:",
                                "urn:",
                                "1urn:x",
                                ":x",
                                "ANY",
                                "any,https://idp.example.ac.jp/idp/shibboleth"};
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(sm_cfg_parse_saml_idp(P, bad[i], pc) != NULL, "accepted '%s'", bad[i]);
    ck_assert_ptr_null(pc->saml_idps);
    ck_assert(!pc->saml_idp_any);

    while (strlen(longest) < SM_SAML_ENTITY_ID_MAX)
        longest = apr_pstrcat(P, longest, "a", NULL);
    toolong = apr_pstrcat(P, longest, "a", NULL);
    ck_assert_ptr_nonnull(sm_cfg_parse_saml_idp(P, toolong, pc));
    ck_assert_ptr_null(sm_cfg_parse_saml_idp(P, longest, pc));
    ck_assert_ptr_null(sm_cfg_parse_saml_idp(P, "https://idp.example.ac.jp/idp/shibboleth", pc));
    ck_assert_ptr_null(sm_cfg_parse_saml_idp(P, "urn:mace:example.ac.jp:idp", pc));
    ck_assert_ptr_null(sm_cfg_parse_saml_idp(P, "http://127.0.0.1:8080/idp?x=1", pc));
    ck_assert_int_eq(pc->saml_idps->nelts, 4);
    /* any cannot join a list, and a list cannot join any */
    ck_assert_ptr_nonnull(strstr(sm_cfg_parse_saml_idp(P, "any", pc), "only value"));
    ck_assert(!pc->saml_idp_any);
    ck_assert_ptr_null(sm_cfg_parse_saml_idp(P, "any", fed));
    ck_assert(fed->saml_idp_any);
    ck_assert_ptr_nonnull(
        sm_cfg_parse_saml_idp(P, "https://idp.example.ac.jp/idp/shibboleth", fed));
    ck_assert_ptr_null(fed->saml_idps);

    /* exact, case-sensitive comparison of the entityID */
    ck_assert(sm_cfg_provider_saml_idp_ok(pc, "https://idp.example.ac.jp/idp/shibboleth"));
    ck_assert(sm_cfg_provider_saml_idp_ok(pc, "urn:mace:example.ac.jp:idp"));
    ck_assert(!sm_cfg_provider_saml_idp_ok(pc, "https://IDP.example.ac.jp/idp/shibboleth"));
    ck_assert(!sm_cfg_provider_saml_idp_ok(pc, "https://idp.example.ac.jp/idp/shibboleth/"));
    ck_assert(!sm_cfg_provider_saml_idp_ok(pc, "https://idp.other-u.ac.jp/idp/shibboleth"));
    ck_assert(!sm_cfg_provider_saml_idp_ok(pc, ""));
    ck_assert(!sm_cfg_provider_saml_idp_ok(pc, NULL));
    ck_assert(sm_cfg_provider_saml_idp_ok(fed, "https://idp.other-u.ac.jp/idp/shibboleth"));
    ck_assert(!sm_cfg_provider_saml_idp_ok(fed, NULL));
    /* a provider without SelmidSAMLIdP accepts none */
    ck_assert(!sm_cfg_provider_saml_idp_ok(sm_provider_cfg_create(P, "n", NULL),
                                           "https://idp.example.ac.jp/idp/shibboleth"));
}
END_TEST

START_TEST(parse_urls)
{
    const char *u;
    static const char *bad[] = {
        "ftp://x.example/",      "http://x.example/token", "https://", "https://u@x.example/",
        "https://x.example/a#f", "https://x.example/a b",  "token"};
    size_t i;

    ck_assert_ptr_null(sm_cfg_parse_url(P, "https://api.line.me/oauth2/v2.1/token", &u));
    ck_assert_ptr_null(sm_cfg_parse_url(P, "http://127.0.0.1:8080/line/token?x=1", &u));
    ck_assert_str_eq(u, "http://127.0.0.1:8080/line/token?x=1");
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(sm_cfg_parse_url(P, bad[i], &u) != NULL, "accepted %s", bad[i]);
    ck_assert_ptr_null(sm_cfg_parse_login_url(P, "/Shibboleth.sso/Login", &u));
    ck_assert_ptr_null(sm_cfg_parse_login_url(P, "/Shibboleth.sso/Login?entityID=x", &u));
    ck_assert_ptr_null(sm_cfg_parse_login_url(P, "https://sp.example/Shibboleth.sso/Login", &u));
    ck_assert_ptr_nonnull(sm_cfg_parse_login_url(P, "//evil.example/Login", &u));
    ck_assert_ptr_nonnull(sm_cfg_parse_login_url(P, "/\\evil.example", &u));
    ck_assert_ptr_nonnull(sm_cfg_parse_login_url(P, "javascript:alert(1)", &u));
}
END_TEST

START_TEST(parse_domain_version_label)
{
    const char *v;

    ck_assert_ptr_null(sm_cfg_parse_domain(P, "Example.AC.jp", &v));
    ck_assert_str_eq(v, "example.ac.jp");
    ck_assert_ptr_nonnull(sm_cfg_parse_domain(P, "localhost", &v));
    ck_assert_ptr_nonnull(sm_cfg_parse_domain(P, ".example.jp", &v));
    ck_assert_ptr_nonnull(sm_cfg_parse_domain(P, "a..b", &v));
    ck_assert_ptr_nonnull(sm_cfg_parse_domain(P, "exa mple.jp", &v));
    ck_assert_ptr_nonnull(sm_cfg_parse_domain(P, "*.example.jp", &v));

    ck_assert_ptr_null(sm_cfg_parse_graph_version(P, "v26.0", &v));
    ck_assert_ptr_null(sm_cfg_parse_graph_version(P, "v9.0", &v));
    ck_assert_ptr_nonnull(sm_cfg_parse_graph_version(P, "26.0", &v));
    ck_assert_ptr_nonnull(sm_cfg_parse_graph_version(P, "v26", &v));
    ck_assert_ptr_nonnull(sm_cfg_parse_graph_version(P, "v26.", &v));
    ck_assert_ptr_nonnull(sm_cfg_parse_graph_version(P, "v2.6.0", &v));
    ck_assert_ptr_nonnull(sm_cfg_parse_graph_version(P, "v26.0/../me", &v));

    ck_assert_ptr_null(sm_cfg_parse_label(P, "大学ID でログイン", &v));
    ck_assert_ptr_nonnull(sm_cfg_parse_label(P, "", &v));
    ck_assert_ptr_nonnull(sm_cfg_parse_label(P, "line\nbreak", &v));
    ck_assert_ptr_nonnull(sm_cfg_parse_label(P, "bad \xff utf8", &v));
    ck_assert_ptr_nonnull(sm_cfg_parse_label(P, "overlong \xc0\xaf", &v));
    ck_assert_ptr_nonnull(sm_cfg_parse_label(P, "c1 \xc2\x85", &v));
}
END_TEST

static const char *write_key(const char *pem, apr_fileperms_t perms)
{
    char *path = apr_pstrdup(P, "/tmp/sm-test-p8-XXXXXX");
    apr_file_t *f;

    ck_assert_int_eq(apr_file_mktemp(&f, path, APR_FOPEN_CREATE | APR_FOPEN_WRITE, P), 0);
    apr_file_puts(pem, f);
    apr_file_close(f);
    apr_file_perms_set(path, perms);
    return path;
}

START_TEST(parse_apple_key)
{
    sm_provider_cfg_t *pc = prov(SM_PT_APPLE);
    char *pem = NULL, *rsa = NULL;
    size_t n = 0;
    FILE *cmd;
    const char *good, *e;

    /* a fresh P-256 PKCS#8 key, like Apple's AuthKey_XXXX.p8 */
    cmd = popen("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 2>/dev/null", "r");
    ck_assert_ptr_nonnull(cmd);
    ck_assert_int_gt(getdelim(&pem, &n, '\0', cmd), 100);
    pclose(cmd);
    cmd = popen("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 2>/dev/null", "r");
    ck_assert_ptr_nonnull(cmd);
    ck_assert_int_gt(getdelim(&rsa, &n, '\0', cmd), 100);
    pclose(cmd);

    good = write_key(pem, APR_FPROT_UREAD | APR_FPROT_UWRITE);
    ck_assert_ptr_null(sm_cfg_parse_apple_key(P, "ABCDE12345", "KEY1234567", good, pc));
    ck_assert_str_eq(pc->apple_team_id, "ABCDE12345");
    ck_assert_ptr_nonnull(strstr(pc->apple_key_pem, "PRIVATE KEY"));
    ck_assert_ptr_nonnull(sm_cfg_parse_apple_key(P, "abcde12345", "KEY1234567", good, pc));
    ck_assert_ptr_nonnull(sm_cfg_parse_apple_key(P, "ABCDE1234", "KEY1234567", good, pc));
    ck_assert_ptr_nonnull(sm_cfg_parse_apple_key(P, "ABCDE12345", "KEY-123456", good, pc));
    e = sm_cfg_parse_apple_key(P, "ABCDE12345", "KEY1234567",
                               write_key(rsa, APR_FPROT_UREAD | APR_FPROT_UWRITE), pc);
    ck_assert_ptr_nonnull(e);
    ck_assert_ptr_nonnull(strstr(e, "P-256"));
    e = sm_cfg_parse_apple_key(P, "ABCDE12345", "KEY1234567",
                               write_key(pem, APR_FPROT_UREAD | APR_FPROT_WREAD), pc);
    ck_assert_ptr_nonnull(e);
    ck_assert_ptr_nonnull(strstr(e, "readable by everyone"));
    ck_assert_ptr_nonnull(
        sm_cfg_parse_apple_key(P, "ABCDE12345", "KEY1234567", "/nonexistent/AuthKey.p8", pc));
    free(pem);
    free(rsa);
}
END_TEST

START_TEST(shibboleth_mode_defaults)
{
    sm_dir_cfg_t *d = sm_dir_cfg_create(P), *base = sm_dir_cfg_create(P), *m;
    const apr_array_header_t *ru;
    sm_attr_map_t *a;

    d->attr_mode = SM_ATTR_MODE_SHIBBOLETH;
    ck_assert_int_eq(sm_cfg_pass_as(d), SM_PASS_ENV);
    ru = sm_cfg_remote_user(d);
    ck_assert_int_eq(ru->nelts, 4);
    ck_assert_str_eq(APR_ARRAY_IDX(ru, 0, const char *), "eppn");
    ck_assert_str_eq(APR_ARRAY_IDX(ru, 3, const char *), "persistent-id");
    d->pass_as = SM_PASS_HEADERS;
    ck_assert_int_eq(sm_cfg_pass_as(d), SM_PASS_HEADERS);
    ck_assert(sm_cfg_provider_hint(d));
    d->provider_hint = 0;
    ck_assert(!sm_cfg_provider_hint(d));

    /* SelmidAttribute lines add up, outer first */
    base->attr_map = apr_array_make(P, 1, sizeof(sm_attr_map_t));
    a = apr_array_push(base->attr_map);
    a->claim = "email", a->name = "mail";
    d->attr_map = apr_array_make(P, 1, sizeof(sm_attr_map_t));
    a = apr_array_push(d->attr_map);
    a->claim = "sub", a->name = "persistent-id";
    m = sm_dir_cfg_merge(P, base, d);
    ck_assert_int_eq(m->attr_map->nelts, 2);
    ck_assert_str_eq(APR_ARRAY_IDX(m->attr_map, 0, sm_attr_map_t).name, "mail");
    ck_assert_int_eq(sm_cfg_attr_mode(m), SM_ATTR_MODE_SHIBBOLETH);
    ck_assert(!sm_cfg_provider_hint(m));
}
END_TEST

Suite *sm_suite_config_providers(void)
{
    Suite *s = suite_create("config_providers");
    TCase *tc = tcase_create("config_providers");

    tcase_add_checked_fixture(tc, sm_test_setup, sm_test_teardown);
    tcase_add_test(tc, type_names_round_trip);
    tcase_add_test(tc, line_defaults_follow_line_docs);
    tcase_add_test(tc, other_type_defaults);
    tcase_add_test(tc, per_type_checks);
    tcase_add_test(tc, saml_idp_values);
    tcase_add_test(tc, parse_urls);
    tcase_add_test(tc, parse_domain_version_label);
    tcase_add_test(tc, parse_apple_key);
    tcase_add_test(tc, shibboleth_mode_defaults);
    suite_add_tcase(s, tc);
    return s;
}
