/* test_crypto.c: placeholder, replaced by the real tests. */
#include "sm_tests.h"

Suite *sm_suite_crypto(void)
{
    return suite_create("crypto");
}
