/* saml.c: SAML alongside (SelmidProviderType shibboleth). mod_selmid does not speak SAML: a login
 * starts at mod_shib's SessionInitiator (SelmidLoginURL) and returns to the import handler, a
 * location protected by mod_shib whose environment carries the SAML session's attributes. */
#include "glue.h"

APLOG_USE_MODULE(selmid);

int sm_saml_start_login(request_rec *r, const sm_srv_t *srv, const sm_provider_cfg_t *pc,
                        const char *target)
{
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "SM30070: SAML login for %s is not available yet",
                  pc->name);
    return sm_page_error(r, HTTP_NOT_IMPLEMENTED, "Login unavailable",
                         "This login method is not available.");
}

int sm_saml_import_handler(request_rec *r)
{
    if (!r->handler || strcmp(r->handler, SM_SAML_HANDLER) != 0)
        return DECLINED;
    return HTTP_NOT_IMPLEMENTED;
}
