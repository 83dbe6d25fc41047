/* sm_discovery.c: placeholder */
#include "sm_core.h"
