/* sm_oidc.c: placeholder */
#include "sm_core.h"
