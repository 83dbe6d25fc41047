/* test_attrs.c: placeholder, replaced by the real tests. */
#include "sm_tests.h"

Suite *sm_suite_attrs(void)
{
    return suite_create("attrs");
}
