/* sm_cookie.h: Cookie header parsing (hostile input) and Set-Cookie construction. */
#ifndef SM_COOKIE_H
#define SM_COOKIE_H

#include "sm_core.h"

typedef struct sm_cookie_t {
    const char *name;
    const char *value;
} sm_cookie_t;

/* The cookies (sm_cookie_t elements, by value) of a Cookie header, in order: with exact, those
 * named exactly prefix; otherwise those whose name starts with prefix (case-sensitive; a NULL or
 * empty prefix matches all). Pairs that do not follow the RFC 6265 cookie-pair grammar (token
 * name, cookie-octet value, optionally quoted; spaces around them tolerated) are skipped; at
 * most max cookies are returned (none when max <= 0). Values are returned without surrounding
 * quotes. Never fails: a NULL, empty or bad header yields fewer cookies. */
apr_array_header_t *sm_cookie_find(apr_pool_t *p, const char *header, const char *prefix,
                                   bool exact, int max);

/* The value of the first cookie named exactly name, or NULL. */
const char *sm_cookie_get(apr_pool_t *p, const char *header, const char *name);

/* A Set-Cookie header value "name=value; Path=path[; Max-Age=N]; HttpOnly[; Secure][; SameSite=X]"
 * (always HttpOnly). max_age < 0: session cookie; 0: deletion (Max-Age=0 and an Expires in the
 * past). path NULL means "/". samesite may be NULL, else Lax, Strict or None. NULL when name is
 * not a token, value has a character outside cookie-octet, path does not start with '/' or has
 * a control character or ';', or samesite is unknown: no header injection is possible. */
char *sm_cookie_make(apr_pool_t *p, const char *name, const char *value, const char *path,
                     long max_age, bool secure, const char *samesite);

#endif
