/* test_oidc.c: placeholder, replaced by the real tests. */
#include "sm_tests.h"

Suite *sm_suite_oidc(void)
{
    return suite_create("oidc");
}
