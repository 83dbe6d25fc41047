/* sm_jwt.c: placeholder */
#include "sm_core.h"
