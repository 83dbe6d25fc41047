/* sm_tests.h: every unit-test suite, registered in run_unit.c (t/guards/tests-registered.sh checks
 * that each t/unit/test_*.c suite appears there). */
#ifndef SM_TESTS_H
#define SM_TESTS_H

#include <check.h>
#include <apr_pools.h>

Suite *sm_suite_crypto(void);
Suite *sm_suite_url(void);
Suite *sm_suite_cookie(void);
Suite *sm_suite_attrs(void);
Suite *sm_suite_json(void);
Suite *sm_suite_jwt(void);
Suite *sm_suite_config(void);
Suite *sm_suite_config_providers(void);
Suite *sm_suite_session(void);
Suite *sm_suite_oidc(void);
Suite *sm_suite_authz(void);
Suite *sm_suite_flow(void);
Suite *sm_suite_provider_types(void);
Suite *sm_suite_apple(void);
Suite *sm_suite_facebook(void);
Suite *sm_suite_lang(void);
Suite *sm_suite_template(void);
Suite *sm_suite_attrmap(void);
Suite *sm_suite_saml(void);
Suite *sm_suite_directory(void);
Suite *sm_suite_directory_race(void);
Suite *sm_suite_link(void);
Suite *sm_suite_link_perform(void);
Suite *sm_suite_link_tx(void);

/* A fresh pool per test (created in setup, destroyed in teardown by the fixture helpers). */
extern apr_pool_t *sm_test_pool;
void sm_test_setup(void);
void sm_test_teardown(void);

#endif
