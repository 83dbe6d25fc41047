/* sm_state.c: placeholder */
#include "sm_core.h"
