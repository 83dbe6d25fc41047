/* test_jwt.c: placeholder, replaced by the real tests. */
#include "sm_tests.h"

Suite *sm_suite_jwt(void)
{
    return suite_create("jwt");
}
