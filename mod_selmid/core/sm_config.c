/* sm_config.c: placeholder */
#include "sm_core.h"
