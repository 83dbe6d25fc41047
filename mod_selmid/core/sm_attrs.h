/* sm_attrs.h: turning claims into the names and values an application receives, and the
 * CGI-normalised comparison used to scrub spoofed incoming names. */
#ifndef SM_ATTRS_H
#define SM_ATTRS_H

#include "sm_core.h"
#include <jansson.h>

typedef enum {
    SM_ENC_UTF8 = 0,  /* passed as is (control characters removed) */
    SM_ENC_BASE64URL, /* non-ASCII values base64url-encoded; ASCII values as is */
    SM_ENC_LATIN1,    /* UTF-8 converted to ISO-8859-1, characters outside it become '?' */
} sm_enc_e;

/* The text form of a claim value: strings as they are, numbers/booleans as JSON text, arrays
 * joined with ';' with ';' inside an element escaped as "\;" (as mod_shib does; a backslash
 * itself is left as is), nested arrays and objects as compact JSON, null as "". Then control
 * characters (C0, DEL, C1 U+0080..U+009F) are removed, invalid UTF-8 is replaced by U+FFFD
 * ('?' in latin1) and enc applied. Never returns NULL. */
char *sm_attr_render(apr_pool_t *p, const json_t *value, sm_enc_e enc);
/* The same, but a value that is not an array counts as a one-value array: its ';' is escaped
 * too, as mod_shib escapes every value (shibboleth mode). */
char *sm_attr_render_shib(apr_pool_t *p, const json_t *value, sm_enc_e enc);

/* A safe header/environment name for a claim: prefix + claim name with every character outside
 * [A-Za-z0-9_-] replaced by '_'. */
char *sm_attr_name(apr_pool_t *p, const char *prefix, const char *claim);

/* CGI normalisation: upper case, '-' becomes '_'. */
char *sm_attr_cgi_name(apr_pool_t *p, const char *name);

/* True when name (a header or variable name from the client) would, after CGI normalisation,
 * collide with one that mod_selmid sets: anything starting with the normalised prefix (when not
 * empty), or one of the fixed names REMOTE_USER and AUTH_TYPE. cgi_prefix must be normalised
 * already. A name that normalises to "HTTP_" + one of those is reserved too. For this check
 * every character other than a letter or digit counts as '_' (some gateways also map '.' and
 * ' ' to '_'), so "Selmid-Sub", "selmid_sub" and "Selmid.Sub" all collide with SELMID_. */
bool sm_attr_is_reserved(const char *name, const char *cgi_prefix);

/* Whether name starts with (whole: equals) pat when both are normalised as for
 * sm_attr_is_reserved (upper case, every character other than a letter or digit as '_'). */
bool sm_attr_norm_match(const char *name, const char *pat, bool whole);

#endif
