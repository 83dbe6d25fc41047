/* sm_saml.h: turning the environment a SAML module (mod_shib, mod_auth_mellon) set for its session
 * into mod_selmid session claims (SelmidProviderType shibboleth). */
#ifndef SM_SAML_H
#define SM_SAML_H

#include "sm_core.h"
#include <jansson.h>

/* One multi-valued attribute as mod_shib exports it: values joined with ';', a ';' inside a value
 * escaped as "\;". A single value without escapes gives a JSON string, anything else an array of
 * strings, so that sm_attr_render gives back exactly the same text. NULL for NULL. */
json_t *sm_saml_split_values(const char *text);

/* An ISO 8601 UTC instant as SAML and mod_shib write it ("2024-05-01T09:30:00Z", optionally
 * with a fraction of a second): APR_SUCCESS and *t, else APR_EINVAL. */
apr_status_t sm_saml_parse_instant(const char *text, apr_time_t *t);

/* Looks up one environment variable; NULL when unset. */
typedef const char *(*sm_saml_getenv_fn)(void *baton, const char *name);

/* The claims of an imported SAML session: iss = Shib-Identity-Provider, sub = user (the SAML
 * module's REMOTE_USER) when not empty, else the first present of eppn subject-id pairwise-id
 * persistent-id; auth_time from Shib-Authentication-Instant, acr from Shib-AuthnContext-Class,
 * and every attribute of attrs (const char* names) that is set and not empty, split with
 * sm_saml_split_values. Shib-Session-ID and Shib-Identity-Provider must be set and not empty.
 * APR_SUCCESS with *claims (owned by p), else APR_EINVAL with *why (safe to log). */
apr_status_t sm_saml_claims(apr_pool_t *p, sm_saml_getenv_fn get, void *baton,
                            const apr_array_header_t *attrs, const char *user, json_t **claims,
                            const char **why);

#endif
