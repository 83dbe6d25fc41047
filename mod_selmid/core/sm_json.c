/* sm_json.c: placeholder */
#include "sm_core.h"
