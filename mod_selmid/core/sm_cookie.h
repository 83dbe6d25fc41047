/* sm_cookie.h: Cookie header parsing (hostile input) and Set-Cookie construction. */
#ifndef SM_COOKIE_H
#define SM_COOKIE_H

#include "sm_core.h"

typedef struct sm_cookie_t {
    const char *name;
    const char *value;
} sm_cookie_t;

/* All cookies of a Cookie header whose name starts with prefix (exact name when prefix has no
 * trailing '*'... see sm_cookie.c), in order. Malformed pairs are skipped; at most max cookies
 * are returned. Values are returned without surrounding quotes. Never fails: bad input yields
 * fewer cookies. */
apr_array_header_t *sm_cookie_find(apr_pool_t *p, const char *header, const char *prefix,
                                   bool exact, int max);

/* The value of the first cookie named exactly name, or NULL. */
const char *sm_cookie_get(apr_pool_t *p, const char *header, const char *name);

/* A Set-Cookie header value. max_age < 0: session cookie; 0: deletion. samesite may be NULL. */
char *sm_cookie_make(apr_pool_t *p, const char *name, const char *value, const char *path,
                     long max_age, bool secure, const char *samesite);

#endif
