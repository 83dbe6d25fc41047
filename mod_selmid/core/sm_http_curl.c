/* sm_http_curl.c: placeholder */
#include "sm_core.h"
