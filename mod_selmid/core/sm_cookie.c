/* sm_cookie.c: placeholder */
#include "sm_core.h"
