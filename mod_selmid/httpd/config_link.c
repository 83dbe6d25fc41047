/* config_link.c: the directives of account linking (docs/linking.md): SelmidDirectory,
 * SelmidOrgProvider, SelmidLinkMaxAge (server) and SelmidLinkRequired (location). */
#include "glue.h"
#include "sm_directory.h"

#define ERR(cmd, fmt, ...) apr_psprintf((cmd)->pool, "%s: " fmt, (cmd)->cmd->name, __VA_ARGS__)

static sm_server_cfg_t *srv_cfg(cmd_parms *cmd)
{
    return sm_srv(cmd->server)->cfg;
}

const char *sm_set_directory(cmd_parms *cmd, void *dc, const char *arg)
{
    sm_server_cfg_t *c = srv_cfg(cmd);
    sm_dir_dbd_cfg_t *dcfg = NULL;
    /* the parser's messages never repeat a conninfo (it may carry a password) */
    const char *e = sm_directory_dbd_parse(cmd->pool, arg, &dcfg);

    if (e)
        return e;
    if (c->directory)
        return ERR(cmd, "%s", "given twice in this server");
    c->directory = arg;
    c->directory_cfg = dcfg;
    return NULL;
}

const char *sm_set_org_provider(cmd_parms *cmd, void *dc, const char *arg)
{
    sm_server_cfg_t *c = srv_cfg(cmd);
    int i;

    if (sm_cfg_parse_claim_name(arg) || strchr(arg, ':') || strchr(arg, '.'))
        return ERR(cmd, "'%s' is not a provider name", arg);
    if (!c->org_providers)
        c->org_providers = apr_array_make(cmd->pool, 2, sizeof(const char *));
    for (i = 0; i < c->org_providers->nelts; i++)
        if (strcmp(APR_ARRAY_IDX(c->org_providers, i, const char *), arg) == 0)
            return ERR(cmd, "'%s' is named twice", arg);
    /* whether it is a defined oidc/shibboleth provider is checked once the whole configuration
     * is read (sm_server_cfg_check) */
    APR_ARRAY_PUSH(c->org_providers, const char *) = arg;
    return NULL;
}

const char *sm_set_link_max_age(cmd_parms *cmd, void *dc, const char *arg)
{
    const char *e = sm_cfg_parse_seconds(arg, 30, 3600, &srv_cfg(cmd)->link_max_age);
    return e ? ERR(cmd, "'%s' %s (30 to 3600)", arg, e) : NULL;
}

const char *sm_set_link_required(cmd_parms *cmd, void *dcv, int on)
{
    ((sm_dir_cfg_t *)dcv)->link_required = on ? 1 : 0;
    return NULL;
}
