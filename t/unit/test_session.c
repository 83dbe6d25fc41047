/* test_session.c: placeholder, replaced by the real tests. */
#include "sm_tests.h"

Suite *sm_suite_session(void)
{
    return suite_create("session");
}
