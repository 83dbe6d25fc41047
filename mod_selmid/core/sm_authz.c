/* sm_authz.c: placeholder */
#include "sm_core.h"
