/* config_link.c: the directives of account linking (docs/linking.md): SelmidDirectory,
 * SelmidOrgProvider, SelmidLinkMaxAge (server) and SelmidLinkRequired (location). */
#include "glue.h"
#include "sm_directory.h"
#include <apr_lib.h>

#define ERR(cmd, fmt, ...) apr_psprintf((cmd)->pool, "%s: " fmt, (cmd)->cmd->name, __VA_ARGS__)

static sm_server_cfg_t *srv_cfg(cmd_parms *cmd)
{
    return sm_srv(cmd->server)->cfg;
}

/* The one value of SelmidDirectory: sqlite:/path, "pgsql:conninfo" (quoted whole) or, as
 * documented, pgsql:"conninfo" (quoted after the prefix), which httpd's own word splitting (TAKE1)
 * would cut at the conninfo's first space. NULL when there is not exactly one value. */
static const char *directory_value(apr_pool_t *p, const char *args)
{
    const char *rest = args, *w;

    while (apr_isspace(*rest))
        rest++;
    if (strncmp(rest, "pgsql:", 6) == 0 && (rest[6] == '"' || rest[6] == '\'')) {
        rest += 6;
        w = apr_pstrcat(p, "pgsql:", ap_getword_conf(p, &rest), NULL);
    } else
        w = ap_getword_conf(p, &rest);
    while (apr_isspace(*rest))
        rest++;
    return *w && !*rest ? w : NULL;
}

const char *sm_set_directory(cmd_parms *cmd, void *dc, const char *args)
{
    sm_server_cfg_t *c = srv_cfg(cmd);
    sm_dir_dbd_cfg_t *dcfg = NULL;
    const char *arg = directory_value(cmd->pool, args), *e;

    /* never repeat the arguments: a conninfo may carry a password */
    if (!arg)
        return "SelmidDirectory takes one value: sqlite:/path/file.db or pgsql:\"conninfo\" (a "
               "connection string with spaces in quotes)";
    /* the parser's messages never repeat a conninfo either */
    e = sm_directory_dbd_parse(cmd->pool, arg, &dcfg);
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
