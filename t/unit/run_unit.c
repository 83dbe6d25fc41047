/* run_unit.c: runs every unit-test suite of the core. Output: TAP (CK_TAP_LOG_FILE_NAME=-) and
 * check's summary line. */
#include "sm_tests.h"
#include "sm_http.h"
#include <apr_general.h>
#include <stdlib.h>

apr_pool_t *sm_test_pool;

void sm_test_setup(void)
{
    apr_pool_create(&sm_test_pool, NULL);
}

void sm_test_teardown(void)
{
    apr_pool_destroy(sm_test_pool);
    sm_test_pool = NULL;
}

int main(void)
{
    int failed;
    SRunner *sr;

    apr_initialize();
    atexit(apr_terminate);
    sr = srunner_create(sm_suite_crypto());
    srunner_add_suite(sr, sm_suite_url());
    srunner_add_suite(sr, sm_suite_cookie());
    srunner_add_suite(sr, sm_suite_attrs());
    srunner_add_suite(sr, sm_suite_json());
    srunner_add_suite(sr, sm_suite_jwt());
    srunner_add_suite(sr, sm_suite_config());
    srunner_add_suite(sr, sm_suite_config_providers());
    srunner_add_suite(sr, sm_suite_session());
    srunner_add_suite(sr, sm_suite_oidc());
    srunner_add_suite(sr, sm_suite_authz());
    srunner_add_suite(sr, sm_suite_flow());
    srunner_add_suite(sr, sm_suite_provider_types());
    srunner_add_suite(sr, sm_suite_apple());
    srunner_add_suite(sr, sm_suite_facebook());
    srunner_add_suite(sr, sm_suite_lang());
    srunner_add_suite(sr, sm_suite_template());
    srunner_add_suite(sr, sm_suite_attrmap());
    srunner_add_suite(sr, sm_suite_saml());
    srunner_add_suite(sr, sm_suite_directory());
    srunner_add_suite(sr, sm_suite_directory_race());
    srunner_add_suite(sr, sm_suite_link());
    srunner_add_suite(sr, sm_suite_link_perform());
    srunner_add_suite(sr, sm_suite_link_tx());
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
