/* sm_attrs.c: placeholder */
#include "sm_core.h"
