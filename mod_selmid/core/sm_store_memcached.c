/* sm_store_memcached.c: placeholder */
#include "sm_core.h"
