/* test_cookie.c: placeholder, replaced by the real tests. */
#include "sm_tests.h"

Suite *sm_suite_cookie(void)
{
    return suite_create("cookie");
}
