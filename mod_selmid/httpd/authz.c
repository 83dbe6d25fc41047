/* authz.c: `Require selmid-claim NAME VALUE` and `Require selmid-claim NAME ~REGEX`. The rule is
 * compiled when the configuration is read; matching uses the session that authn found. */
#include "glue.h"
#include "sm_authz.h"
#include <mod_auth.h>

APLOG_USE_MODULE(selmid);

static const char *claim_parse(cmd_parms *cmd, const char *line, const void **parsed_require_line)
{
    sm_claim_rule_t *rule;
    const char *e = sm_claim_rule_parse(cmd->pool, line, &rule);

    if (e)
        return apr_psprintf(cmd->pool, "Require selmid-claim %s: %s", line, e);
    *parsed_require_line = rule;
    return NULL;
}

static authz_status claim_check(request_rec *r, const char *line, const void *parsed_require_line)
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
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "SM30060: Require selmid-claim %s not satisfied",
                  rule->claim);
    return AUTHZ_DENIED;
}

static const authz_provider claim_provider = {
    .check_authorization = claim_check,
    .parse_require_line = claim_parse,
};

/* httpd answers an authorization failure with 401 and asks the AuthType's module to note it.
 * For a person who is logged in, 401 ("log in") is wrong: the answer is 403, with our page. */
static int note_auth_failure(request_rec *r, const char *type)
{
    if (!type || strcasecmp(type, SM_AUTH_TYPE) != 0)
        return DECLINED;
    sm_req(r)->noted = true;
    if (r->user && *r->user) {
        sm_req(r)->forbidden = true;
        ap_custom_response(r, HTTP_UNAUTHORIZED,
                           sm_page_error_html(r, "Access denied",
                                              "You are logged in, but this page is not open to "
                                              "your account."));
    } else {
        ap_custom_response(
            r, HTTP_UNAUTHORIZED,
            sm_page_error_html(r, "Login required", "You need to log in to see this page."));
    }
    return OK;
}

#define FORBIDDEN_FILTER "SELMID_FORBIDDEN"

static apr_status_t forbidden_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    request_rec *r = f->r;

    if (r->status == HTTP_UNAUTHORIZED && sm_req(r)->forbidden) {
        r->status = HTTP_FORBIDDEN;
        r->status_line = NULL;
    }
    ap_set_content_type(r, "text/html; charset=utf-8");
    ap_remove_output_filter(f);
    return ap_pass_brigade(f->next, bb);
}

static void insert_error_filter(request_rec *r)
{
    sm_req_t *rq = ap_get_module_config(r->request_config, &selmid_module);

    if (rq && rq->noted)
        ap_add_output_filter(FORBIDDEN_FILTER, NULL, r, r->connection);
}

void sm_register_authz(apr_pool_t *p)
{
    ap_hook_note_auth_failure(note_auth_failure, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_insert_error_filter(insert_error_filter, NULL, NULL, APR_HOOK_MIDDLE);
    ap_register_output_filter(FORBIDDEN_FILTER, forbidden_filter, NULL, AP_FTYPE_CONTENT_SET);
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, "selmid-claim", AUTHZ_PROVIDER_VERSION,
                              &claim_provider, AP_AUTH_INTERNAL_PER_CONF);
}
