/* sm_url.h: redirect-target validation, query/form parsing, percent and HTML escaping. */
#ifndef SM_URL_H
#define SM_URL_H

#include "sm_core.h"

/* Accepts only a same-origin local path: starts with a single "/", followed by characters allowed
 * in a path and query (RFC 3986), no backslash, no control or whitespace characters, no
 * scheme-relative ("//", "/\"), no percent-encoded slash/backslash/control tricks that a browser
 * would resolve to another origin. Returns NULL when acceptable, else a short reason that is
 * safe to log (does not contain the input). */
const char *sm_url_check_local_target(const char *target);

/* Percent-encodes everything but unreserved characters (RFC 3986 section 2.3). */
char *sm_url_encode(apr_pool_t *p, const char *s);
/* Decodes %XX and '+' (form encoding). APR_EINVAL on a malformed escape or an encoded NUL. */
apr_status_t sm_url_decode(apr_pool_t *p, const char *s, apr_size_t len, char **out);

/* Parses application/x-www-form-urlencoded text (a query string or a POST body) into a table.
 * On malformed input, a duplicate name (when reject_dup), or more than max_params parameters,
 * returns APR_EINVAL and sets *err to a reason that is safe to log (*err is NULL on success).
 * Empty text gives an empty table; "a" (no '=') gives a = ""; empty pairs ("a=1&&b=2") are
 * skipped; an empty name ("=x") is malformed. max_params <= 0 means the default limit (100).
 * Without reject_dup, duplicates are all kept in order (apr_table_get returns the first). */
apr_status_t sm_url_parse_form(apr_pool_t *p, const char *text, apr_size_t len, bool reject_dup,
                               int max_params, apr_table_t **out, const char **err);

/* Escapes & < > " ' for HTML text and attribute values. */
char *sm_html_escape(apr_pool_t *p, const char *s);

/* Appends "name=value" (both encoded) to url with '?' or '&'. */
char *sm_url_add_param(apr_pool_t *p, const char *url, const char *name, const char *value);

#endif
