/* test_url.c: placeholder, replaced by the real tests. */
#include "sm_tests.h"

Suite *sm_suite_url(void)
{
    return suite_create("url");
}
