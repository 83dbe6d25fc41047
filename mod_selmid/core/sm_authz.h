/* sm_authz.h: `Require selmid-claim NAME VALUE` and `Require selmid-claim NAME ~REGEX`. */
#ifndef SM_AUTHZ_H
#define SM_AUTHZ_H

#include "sm_core.h"
#include <jansson.h>
#include <regex.h>

typedef struct sm_claim_rule_t {
    const char *claim; /* top-level claim name */
    const char *value; /* exact value, when not a regex */
    regex_t *re;       /* compiled POSIX extended regex (freed with the pool), or NULL */
} sm_claim_rule_t;

/* Parses the arguments of a Require line ("NAME VALUE" or "NAME ~REGEX"); NULL on success, else a
 * message naming what is wrong. */
const char *sm_claim_rule_parse(apr_pool_t *p, const char *args, sm_claim_rule_t **out);

/* True when the claim is a string equal to/matching the rule, or an array with such an element.
 * Numbers and booleans are compared in their JSON text form. */
bool sm_claim_rule_match(const sm_claim_rule_t *rule, const json_t *claims);

#endif
