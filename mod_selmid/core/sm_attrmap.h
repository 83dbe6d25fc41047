/* sm_attrmap.h: what an application receives for a session: the (name, value) outputs and
 * REMOTE_USER, in mod_selmid's own style or looking like mod_shib's (SelmidAttributeMode), and
 * the names a location must scrub from incoming requests. */
#ifndef SM_ATTRMAP_H
#define SM_ATTRMAP_H

#include "sm_core.h"
#include "sm_config.h"
#include <jansson.h>

/* One header/environment variable for the application. */
typedef struct sm_attr_out_t {
    const char *name;
    const char *value;
    const json_t *src; /* the claim it came from; NULL for synthetic ones (Shib-*, SELMID_*) */
} sm_attr_out_t;

/* What the outputs are computed from. */
typedef struct sm_attrmap_input_t {
    json_t *claims;                 /* not modified */
    const char *provider;           /* provider name (SELMID_PROVIDER) */
    const char *provider_type;      /* type name (SELMID_PROVIDER_TYPE) */
    const char *issuer;             /* of the claims: Shib-Identity-Provider */
    const char *org_provider;       /* SELMID_ORG_PROVIDER: the organisational provider whose
                                     * attributes claims are (a linked person), or NULL */
    const char *claims_type;        /* the type of the provider that asserted claims (whether
                                     * its email is verified); NULL: provider_type */
    const char *session_id;         /* the session id (never output; Shib-Session-ID from it) */
    apr_time_t login_time;          /* Shib-Authentication-Instant when there is no auth_time */
    const unsigned char *index_key; /* SM_KEY_LEN bytes: keys Shib-Session-ID */
} sm_attrmap_input_t;

typedef struct sm_attrmap_result_t {
    apr_array_header_t *outputs; /* of sm_attr_out_t; a later entry replaces an earlier one of
                                  * the same name (set, not add) */
    const char *remote_user;     /* NULL: none of the candidates is present */
} sm_attrmap_result_t;

/* The Shibboleth SP's default attribute ids (attribute-map.xml), in a fixed order. */
extern const char *sm_shib_default_ids[]; /* not to be modified */
#define SM_SHIB_DEFAULT_IDS 12

#define SM_SHIB_ACR_UNSPECIFIED "urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified"

/* The outputs of a session for a location.
 * selmid mode: every claim as <prefix><claim>, then each SelmidAttribute NAME, then
 *   SELMID_PROVIDER and SELMID_PROVIDER_TYPE. REMOTE_USER: the first candidate claim (or dotted
 *   path) present.
 * shibboleth mode: only mapped names (SelmidAttribute lines, then the built-in map for names no
 *   SelmidAttribute line gives), the Shib-* variables, SELMID_PROVIDER(_TYPE). Every value has
 *   its ';' escaped, a single one too (sm_attr_render_shib). REMOTE_USER: the first candidate
 *   output name present.
 * Of several sources of one NAME the first present one wins. REMOTE_USER is the first value of
 * an array, a whole value otherwise (empty counts as absent), UTF-8 (sanitised). */
void sm_attrmap_compute(apr_pool_t *p, const sm_dir_cfg_t *d, const sm_attrmap_input_t *in,
                        sm_attrmap_result_t *out);

/* A claim, or a dotted path into JSON objects ("address.locality"); NULL when absent. A claim
 * whose own name contains a '.' is found as a whole name first. */
const json_t *sm_attrmap_lookup(const json_t *claims, const char *path);

/* Whether claims carry a verified email: email_verified true (or "true"); without it only for
 * the types line and facebook. Mapped outputs (SelmidAttribute, the built-in map) take `email`
 * only when it is verified. */
bool sm_attrmap_email_verified(const json_t *claims, const char *provider_type);

/* "_" + 32 lower-case hex characters of HMAC-SHA256(key, "shib-session-id" + session id). */
char *sm_attrmap_shib_session_id(apr_pool_t *p, const unsigned char *key, const char *session_id);
/* "YYYY-MM-DDTHH:MM:SS.mmmZ" (UTC). */
char *sm_attrmap_iso8601(apr_pool_t *p, apr_time_t t);

/* True when an incoming header or variable name could spoof an output of this location after
 * CGI normalisation (every character other than a letter or digit counts as '_', "HTTP_" + a
 * name counts as the name): names sm_attr_is_reserved covers (prefix, REMOTE_USER, AUTH_TYPE),
 * SELMID_PROVIDER, SELMID_PROVIDER_TYPE, SELMID_ORG_PROVIDER, anything starting with SHIB_, every
 * SelmidAttribute
 * NAME of the location, and in shibboleth mode the built-in map's names. No allocation. */
bool sm_attrmap_scrub(const sm_dir_cfg_t *d, const char *cgi_prefix, const char *name);

/* A SelmidAttribute NAME must not be one of the fixed outputs (REMOTE_USER, AUTH_TYPE,
 * SELMID_PROVIDER, SELMID_PROVIDER_TYPE, Shib-*): NULL when acceptable, else the reason. */
const char *sm_attrmap_check_name(const char *name);

#endif
