/* sm_crypto.c: placeholder */
#include "sm_core.h"
