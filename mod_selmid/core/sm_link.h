/* sm_link.h: account linking (docs/linking.md). A person is anchored by an organisational
 * identity (SelmidOrgProvider: the university's OIDC or SAML provider); SNS identities linked to
 * the same person yield, at login, the attributes captured at the person's last organisational
 * login. Links are made only from two fresh logins in one browser, never by matching e-mail
 * addresses or names. */
#ifndef SM_LINK_H
#define SM_LINK_H

#include "sm_core.h"
#include "sm_directory.h"
#include "sm_session.h"
#include <jansson.h>

/* The attributes of an organisational login that the directory keeps: every claim except the
 * protocol's own (iss, aud, exp, iat, nbf, nonce, at_hash, c_hash, azp, auth_time, sid, jti,
 * acr, amr, s_hash). A new object, owned by p. */
json_t *sm_link_org_attrs(apr_pool_t *p, json_t *claims);

/* The directory's record of organisational attributes: {"p":provider,"i":issuer,"c":{...}}. */
char *sm_link_org_record(apr_pool_t *p, const char *provider, const char *issuer, json_t *attrs);
/* false when text is not such a record. *attrs is owned by p. */
bool sm_link_org_parse(apr_pool_t *p, const char *text, const char **provider, const char **issuer,
                       json_t **attrs);

/* A completed login, resolved against the directory into a session template (tmpl->provider,
 * issuer, sub, claims are set from the login; person and org_* when linked):
 * - an organisational login (org): when its identity is linked, the person, and the login's
 *   attributes are saved for that person (record_login);
 * - any other login: when linked, the person, and the claims become the person's
 *   organisational attributes (with their own sub), org_provider/org_issuer naming their source;
 *   a linked identity whose person has no attributes yet keeps its own claims.
 * One indexed lookup (plus, for a linked identity, one write). APR_SUCCESS, or another status
 * when the directory failed: tmpl then holds the login alone (the caller decides; an SNS login
 * must fail closed). */
apr_status_t sm_link_resolve_login(const sm_env_t *env, const sm_directory_t *dir, bool org,
                                   const char *provider, const char *issuer, json_t *claims,
                                   sm_session_t *tmpl);

/* One side of a link: an identity proven by a login at a time. */
typedef struct sm_link_side_t {
    sm_identity_t id;
    bool org;            /* of an organisational provider */
    apr_time_t at;       /* when the login completed */
    json_t *attrs;       /* org: the login's attributes (sm_link_org_attrs); else NULL */
    const char *display; /* what the person recognises the account by (sm_link_display), may
                          * be NULL; shown on the confirmation page only */
} sm_link_side_t;

/* A name to show for an account on the link pages: the first present of name, eppn,
 * preferred_username, email (verified or not: it is only shown to the person who just logged
 * in with it), at most 100 characters of valid UTF-8; NULL when none. */
const char *sm_link_display(apr_pool_t *p, const json_t *claims);

typedef enum {
    SM_LINK_OK = 0,
    SM_LINK_STALE,         /* a login is older than the allowed age */
    SM_LINK_SAME,          /* both sides are the same identity */
    SM_LINK_NO_ORG,        /* neither side is organisational or already linked */
    SM_LINK_ALREADY,       /* both are linked to the same person already */
    SM_LINK_OTHER_PERSON,  /* the sides belong to two different persons (also: an unlinked
                            * organisational identity with a person who has another one of
                            * that provider) */
    SM_LINK_PROVIDER_USED, /* the person has an identity of that (SNS) provider already */
    SM_LINK_TAKEN,         /* linked meanwhile by someone else (a race lost) */
    SM_LINK_DIRECTORY,     /* the directory failed */
} sm_link_result_e;

const char *sm_link_result_str(sm_link_result_e r);

/* Links the two sides (both logins not older than max_age at now): to the person one of them
 * belongs to, or to a new person anchored by the organisational side. The organisational side's
 * attributes are saved for the person. *person gets the person on SM_LINK_OK and
 * SM_LINK_ALREADY. */
sm_link_result_e sm_link_perform(const sm_env_t *env, const sm_directory_t *dir,
                                 const sm_link_side_t *a, const sm_link_side_t *b,
                                 apr_interval_time_t max_age, const char **person);

/* Whether a person may remove id from ids (their sm_linked_identity_t list): it must be one of
 * them, and never the last organisational one. NULL when allowed, else the reason. */
const char *sm_link_may_unlink(const apr_array_header_t *ids, const sm_identity_t *id);

/* identity equality (provider, issuer, subject) */
bool sm_identity_eq(const sm_identity_t *a, const sm_identity_t *b);

#endif
