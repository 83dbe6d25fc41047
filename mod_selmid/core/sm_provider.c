/* sm_provider.c: placeholder */
#include "sm_core.h"
