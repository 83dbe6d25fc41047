/* linkfix.h: the fixture of the linking suites (test_link.c, test_link_perform.c): a fake env, a
 * real SQLite directory in a temporary directory, a wrapper port over it that fails chosen
 * operations or loses a race, example identities and small helpers. */
#ifndef SM_LINKFIX_H
#define SM_LINKFIX_H

#include "sm_tests.h"
#include "fakes.h"
#include "sm_link.h"

#define LF_T0      apr_time_from_sec(1700000000)
#define LF_SEC(n)  apr_time_from_sec(n)
#define LF_MAX_AGE apr_time_from_sec(600)
/* when the helpers link identities (a day before LF_T0) */
#define LF_LINKED_AT (LF_T0 - LF_SEC(86400))

extern fake_env_t lf_env;      /* clock at LF_T0 after setup */
extern sm_directory_t *lf_dir; /* the real SQLite directory */

/* A port that forwards to lf_dir, failing chosen operations with APR_EGENERAL, and able to lose
 * a race: steal is linked to a new person (thief) just before link() forwards its own link. */
typedef struct lf_wrap_t {
    sm_directory_t port;
    bool fail_find, fail_lookup, fail_link, fail_save, fail_list, fail_record;
    const sm_identity_t *steal;
    const char *thief;
} lf_wrap_t;
extern lf_wrap_t lf_w;
/* The wrapper port (over lf_dir), with nothing set to fail. */
const sm_directory_t *lf_wrapped(void);

void lf_setup(void);
void lf_teardown(void);

extern const sm_identity_t UNIV_A, UNIV_B, HOSP_A, LINE_A, LINE_B, GOOG_A, YJ_A;

json_t *lf_json(const char *text); /* parsed (owned by the test pool) or the test fails */
/* The claims of an organisational login (protocol claims, eppn, name, affiliation). */
json_t *lf_org_claims(const char *sub, const char *eppn);
/* The claims of an SNS login (sub, name, iss). */
json_t *lf_sns_claims(const char *sub);
const char *lf_str(json_t *o, const char *k);
/* The person's saved organisational record, parsed (the test fails when there is none). */
json_t *lf_saved_attrs(const char *person, const char **provider, const char **issuer,
                       apr_time_t *at);
/* The person's linked identity id, or NULL. */
const sm_linked_identity_t *lf_listed(const char *person, const sm_identity_t *id);
int lf_count_ids(const char *person);
apr_array_header_t *lf_events(void);          /* every event (sm_dir_event_t) */
int lf_persons_created(void);                 /* "link" events that made a new person */
const char *lf_find(const sm_identity_t *id); /* the person, or NULL when not linked */
/* Links at LF_LINKED_AT: to a new person (returned), or to person. */
const char *lf_link_new(const sm_identity_t *id, bool org);
void lf_link_to(const sm_identity_t *id, bool org, const char *person);

#endif
