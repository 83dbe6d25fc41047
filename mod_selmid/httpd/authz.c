/* authz.c: `Require selmid-claim NAME VALUE` and `Require selmid-claim NAME ~REGEX`. The rule is
 * compiled when the configuration is read; matching uses the session that authn found. */
#include "glue.h"
#include "sm_authz.h"
#include <mod_auth.h>

APLOG_USE_MODULE(selmid);

static const char *claim_parse(cmd_parms *cmd, const char *line,
                               const void **parsed_require_line)
{
    sm_claim_rule_t *rule;
    const char *e = sm_claim_rule_parse(cmd->pool, line, &rule);

    if (e)
        return apr_psprintf(cmd->pool, "Require selmid-claim %s: %s", line, e);
    *parsed_require_line = rule;
    return NULL;
}

static authz_status claim_check(request_rec *r, const char *line,
                                const void *parsed_require_line)
{
    const sm_claim_rule_t *rule = parsed_require_line;
    sm_req_t *rq;

    if (!r->user)
        return AUTHZ_DENIED_NO_USER;
    rq = sm_req(r);
    if (!rq->session) /* SelmidUnauthAction pass: no identity, nothing to match */
        return AUTHZ_DENIED;
    if (sm_claim_rule_match(rule, rq->session->claims))
        return AUTHZ_GRANTED;
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  "SM30060: Require selmid-claim %s not satisfied", rule->claim);
    return AUTHZ_DENIED;
}

static const authz_provider claim_provider = {
    .check_authorization = claim_check,
    .parse_require_line = claim_parse,
};

void sm_register_authz(apr_pool_t *p)
{
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, "selmid-claim", AUTHZ_PROVIDER_VERSION,
                              &claim_provider, AP_AUTH_INTERNAL_PER_CONF);
}
