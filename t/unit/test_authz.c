/* test_authz.c: placeholder, replaced by the real tests. */
#include "sm_tests.h"

Suite *sm_suite_authz(void)
{
    return suite_create("authz");
}
