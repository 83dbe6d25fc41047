/* sm_config_parse.c: placeholder */
#include "sm_core.h"
