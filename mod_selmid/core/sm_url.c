/* sm_url.c: placeholder */
#include "sm_core.h"
