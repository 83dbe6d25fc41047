/* sm_json.h: jansson helpers tied to APR pools. */
#ifndef SM_JSON_H
#define SM_JSON_H

#include "sm_core.h"
#include <jansson.h>

/* Registers json_decref(j) as a cleanup of p and returns j (NULL passes through). */
json_t *sm_json_own(apr_pool_t *p, json_t *j);
/* Parses text (len bytes, NULs rejected) with a depth/size limit; the result is owned by p.
 * NULL on error with *err set to a reason safe to log (no input echoed). */
json_t *sm_json_parse(apr_pool_t *p, const char *text, apr_size_t len, const char **err);
/* The string member name of obj copied into p, or NULL when absent or not a string. */
const char *sm_json_str(apr_pool_t *p, const json_t *obj, const char *name);
/* Compact serialisation into p (NULL on failure). */
char *sm_json_dump(apr_pool_t *p, const json_t *j);

#endif
