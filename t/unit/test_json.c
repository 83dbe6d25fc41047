/* test_json.c: placeholder, replaced by the real tests. */
#include "sm_tests.h"

Suite *sm_suite_json(void)
{
    return suite_create("json");
}
