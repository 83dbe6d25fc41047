/* sm_session.c: placeholder */
#include "sm_core.h"
