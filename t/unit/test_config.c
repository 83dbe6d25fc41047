/* test_config.c: placeholder, replaced by the real tests. */
#include "sm_tests.h"

Suite *sm_suite_config(void)
{
    return suite_create("config");
}
