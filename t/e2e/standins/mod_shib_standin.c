/* mod_shib_standin.c: a TEST STAND-IN for the Shibboleth SP's Apache module (mod_shib 3.x), built
 * by the e2e fixture with `apxs -c`. mod_shib itself needs a SAML IdP, which cannot run here. It
 * reproduces what mod_selmid can observe of mod_shib:
 *
 * - `AuthType shibboleth` with `ShibRequestSetting requireSession 1` and `Require shib-session`;
 *   `ShibUseHeaders On|Off` (default Off), `ShibUseEnvironment On|Off` (default On).
 * - check_authn (APR_HOOK_MIDDLE, AP_AUTH_INTERNAL_PER_URI): removes incoming headers that spoof
 *   its names (CGI-normalised), validates the `_shibsession_<hash>` cookie, sets r->user from the
 *   first present of eppn subject-id pairwise-id persistent-id (first value), and keeps the
 *   attributes (values joined with ';', a ';' in a value as "\;") and the Shib-* variables in a
 *   private per-request table; headers_in only with ShibUseHeaders On. No session with
 *   requireSession: 302 to the SessionInitiator (/Shibboleth.sso/Login?target=<this URL>).
 * - fixups: copies the private table into r->subprocess_env (the real module's timing: a
 *   handler sees the variables, another module's check_authn of the same request does not).
 * - `SetHandler shib` at /Shibboleth.sso: /Login?target=URL plays the IdP's login and creates
 *   the session. STAND-IN ONLY: the person logging in is named by the file <ShibStandinDir>/login-as
 *   (written by the test); their attributes are <ShibStandinDir>/users/<name>, one "id<TAB>value"
 *   line per value, plus "@idp<TAB>entityID" and "@class<TAB>AuthnContextClassRef" lines.
 *   Sessions are files in <ShibStandinDir>/sessions. */
#include <httpd.h>
#include <http_config.h>
#include <http_core.h>
#include <http_log.h>
#include <http_protocol.h>
#include <http_request.h>
#include <mod_auth.h>
#include <ap_provider.h>
#include <apr_strings.h>
#include <apr_file_io.h>
#include <apr_lib.h>

module AP_MODULE_DECLARE_DATA shib_standin_module;

#define APP_ID       "default"
#define SP_ENTITY_ID "https://sp.example.org/shibboleth"
#define SI_PATH      "/Shibboleth.sso/Login"

static const char *const user_ids[] = {"eppn", "subject-id", "pairwise-id", "persistent-id"};
static const char *const default_ids[] = {
    "eppn", "affiliation", "unscoped-affiliation", "entitlement", "persistent-id", "subject-id",
    "pairwise-id", "mail", "displayName", "givenName", "sn", "uid", NULL};
static const char *const shib_vars[] = {
    "Shib-Session-ID", "Shib-Identity-Provider", "Shib-Authentication-Instant",
    "Shib-AuthnContext-Class", "Shib-Authentication-Method", "Shib-Application-ID", NULL};

typedef struct {
    const char *dir;
} srv_cfg;

typedef struct {
    int require_session; /* -1 unset */
    int use_headers;
    int use_env;
} dir_cfg;

typedef struct {
    apr_table_t *vars;
    int has_session;
} req_cfg;

static void *create_srv(apr_pool_t *p, server_rec *s)
{
    return apr_pcalloc(p, sizeof(srv_cfg));
}

static void *create_dir(apr_pool_t *p, char *d)
{
    dir_cfg *c = apr_pcalloc(p, sizeof(*c));
    c->require_session = c->use_headers = c->use_env = -1;
    return c;
}

static void *merge_dir(apr_pool_t *p, void *bv, void *av)
{
    dir_cfg *b = bv, *a = av, *c = apr_pcalloc(p, sizeof(*c));
    c->require_session = a->require_session != -1 ? a->require_session : b->require_session;
    c->use_headers = a->use_headers != -1 ? a->use_headers : b->use_headers;
    c->use_env = a->use_env != -1 ? a->use_env : b->use_env;
    return c;
}

static const char *set_dir(cmd_parms *cmd, void *d, const char *arg)
{
    srv_cfg *c = ap_get_module_config(cmd->server->module_config, &shib_standin_module);
    c->dir = arg;
    return NULL;
}

static const char *set_request_setting(cmd_parms *cmd, void *dv, const char *name, const char *v)
{
    dir_cfg *d = dv;
    if (strcmp(name, "requireSession") != 0)
        return "the stand-in supports only ShibRequestSetting requireSession";
    d->require_session = (strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0);
    return NULL;
}

static const char *set_use_headers(cmd_parms *cmd, void *dv, int on)
{
    ((dir_cfg *)dv)->use_headers = on;
    return NULL;
}

static const char *set_use_env(cmd_parms *cmd, void *dv, int on)
{
    ((dir_cfg *)dv)->use_env = on;
    return NULL;
}

static const command_rec cmds[] = {
    AP_INIT_TAKE1("ShibStandinDir", set_dir, NULL, RSRC_CONF, "stand-in state directory"),
    AP_INIT_TAKE2("ShibRequestSetting", set_request_setting, NULL, OR_AUTHCFG, "name value"),
    AP_INIT_FLAG("ShibUseHeaders", set_use_headers, NULL, OR_AUTHCFG, "export as headers"),
    AP_INIT_FLAG("ShibUseEnvironment", set_use_env, NULL, OR_AUTHCFG, "export as variables"),
    {NULL}};

static const char *state_dir(request_rec *r)
{
    srv_cfg *c = ap_get_module_config(r->server->module_config, &shib_standin_module);
    return c->dir;
}

static req_cfg *req(request_rec *r)
{
    req_cfg *q = ap_get_module_config(r->request_config, &shib_standin_module);
    if (!q) {
        q = apr_pcalloc(r->pool, sizeof(*q));
        ap_set_module_config(r->request_config, &shib_standin_module, q);
    }
    return q;
}

static const char *cookie_name(apr_pool_t *p)
{
    const char *src = APP_ID SP_ENTITY_ID;
    char *hex = apr_palloc(p, 2 * strlen(src) + 1), *o = hex;
    for (; *src; src++, o += 2)
        apr_snprintf(o, 3, "%02x", (unsigned char)*src);
    return apr_pstrcat(p, "_shibsession_", hex, NULL);
}

static int is_hex32(const char *s)
{
    int i;
    for (i = 0; i < 32; i++)
        if (!apr_isxdigit(s[i]) || apr_isupper(s[i]))
            return 0;
    return s[32] == '\0';
}

static const char *session_cookie(request_rec *r)
{
    const char *h = apr_table_get(r->headers_in, "Cookie"), *name = cookie_name(r->pool);
    size_t n = strlen(name);
    while (h && *h) {
        while (*h == ' ' || *h == ';')
            h++;
        if (strncmp(h, name, n) == 0 && h[n] == '=') {
            const char *v = h + n + 1, *end = strchr(v, ';');
            return end ? apr_pstrmemdup(r->pool, v, (apr_size_t)(end - v)) : v;
        }
        h = strchr(h, ';');
    }
    return NULL;
}

static char *read_file(request_rec *r, const char *path)
{
    apr_file_t *f;
    apr_finfo_t fi;
    char *buf;
    apr_size_t n;

    if (apr_file_open(&f, path, APR_READ, 0, r->pool) != APR_SUCCESS)
        return NULL;
    if (apr_file_info_get(&fi, APR_FINFO_SIZE, f) != APR_SUCCESS || fi.size > 65536) {
        apr_file_close(f);
        return NULL;
    }
    n = (apr_size_t)fi.size;
    buf = apr_palloc(r->pool, n + 1);
    if (n && apr_file_read_full(f, buf, n, &n) != APR_SUCCESS) {
        apr_file_close(f);
        return NULL;
    }
    buf[n] = '\0';
    apr_file_close(f);
    return buf;
}

/* CGI-normalised equality (case-insensitive, '-' and '_' alike). */
static int cgi_eq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a == '-' ? '_' : apr_toupper(*a), y = *b == '-' ? '_' : apr_toupper(*b);
        if (x != y)
            return 0;
    }
    return *a == *b;
}

static int spoofs(const char *name)
{
    int i;
    if (cgi_eq(name, "REMOTE_USER"))
        return 1;
    for (i = 0; default_ids[i]; i++)
        if (cgi_eq(name, default_ids[i]))
            return 1;
    for (i = 0; shib_vars[i]; i++)
        if (cgi_eq(name, shib_vars[i]))
            return 1;
    return 0;
}

static int collect_spoofed(void *rec, const char *k, const char *v)
{
    if (spoofs(k))
        APR_ARRAY_PUSH((apr_array_header_t *)rec, const char *) = k;
    return 1;
}

static void clear_spoofed(request_rec *r)
{
    apr_array_header_t *names = apr_array_make(r->pool, 4, sizeof(const char *));
    int i;
    apr_table_do(collect_spoofed, names, r->headers_in, NULL);
    for (i = 0; i < names->nelts; i++)
        apr_table_unset(r->headers_in, APR_ARRAY_IDX(names, i, const char *));
}

/* Appends one value to an attribute, escaping ';' as mod_shib does. */
static void add_value(request_rec *r, apr_table_t *vars, const char *name, const char *value)
{
    const char *old = apr_table_get(vars, name);
    char *esc = apr_palloc(r->pool, 2 * strlen(value) + 1), *o = esc;
    for (; *value; value++) {
        if (*value == ';')
            *o++ = '\\';
        *o++ = *value;
    }
    *o = '\0';
    apr_table_set(vars, name, old ? apr_pstrcat(r->pool, old, ";", esc, NULL) : esc);
}

static int check_authn(request_rec *r)
{
    const char *type = ap_auth_type(r), *sid, *dir = state_dir(r);
    dir_cfg *d = ap_get_module_config(r->per_dir_config, &shib_standin_module);
    req_cfg *q = req(r);
    char *text = NULL, *line, *last;
    apr_table_t *vars;
    const char *user = NULL;
    int i;

    if (!type || strcasecmp(type, "shibboleth") != 0)
        return DECLINED;
    clear_spoofed(r);
    sid = session_cookie(r);
    if (sid && is_hex32(sid) && dir)
        text = read_file(r, apr_pstrcat(r->pool, dir, "/sessions/", sid, NULL));
    if (!text) {
        if (d->require_session == 1) {
            const char *self = ap_construct_url(r->pool, r->unparsed_uri, r);
            apr_table_setn(r->err_headers_out, "Location",
                           apr_pstrcat(r->pool, SI_PATH, "?target=",
                                       ap_escape_urlencoded(r->pool, self), NULL));
            return HTTP_MOVED_TEMPORARILY;
        }
        r->user = "";
        return OK;
    }
    vars = apr_table_make(r->pool, 16);
    for (line = apr_strtok(text, "\n", &last); line; line = apr_strtok(NULL, "\n", &last)) {
        char *tab = strchr(line, '\t');
        if (!tab)
            continue;
        *tab = '\0';
        if (strcmp(line, "@idp") == 0)
            apr_table_set(vars, "Shib-Identity-Provider", tab + 1);
        else if (strcmp(line, "@class") == 0)
            apr_table_set(vars, "Shib-AuthnContext-Class", tab + 1);
        else if (strcmp(line, "@instant") == 0)
            apr_table_set(vars, "Shib-Authentication-Instant", tab + 1);
        else if (line[0] != '@')
            add_value(r, vars, line, tab + 1);
    }
    apr_table_set(vars, "Shib-Session-ID", apr_pstrcat(r->pool, "_", sid, NULL));
    apr_table_set(vars, "Shib-Authentication-Method",
                  apr_table_get(vars, "Shib-AuthnContext-Class")
                      ? apr_table_get(vars, "Shib-AuthnContext-Class")
                      : "urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified");
    apr_table_set(vars, "Shib-Application-ID", APP_ID);
    for (i = 0; i < 4 && !user; i++) {
        const char *v = apr_table_get(vars, user_ids[i]);
        if (v && *v) {
            const char *semi = v;
            while ((semi = strchr(semi, ';')) && semi > v && semi[-1] == '\\')
                semi++;
            user = semi ? apr_pstrmemdup(r->pool, v, (apr_size_t)(semi - v)) : v;
        }
    }
    r->user = apr_pstrdup(r->pool, user ? user : "");
    r->ap_auth_type = "shibboleth";
    q->vars = vars;
    q->has_session = 1;
    if (d->use_headers == 1)
        apr_table_overlap(r->headers_in, vars, APR_OVERLAP_TABLES_SET);
    return OK;
}

static int fixups(request_rec *r)
{
    req_cfg *q = ap_get_module_config(r->request_config, &shib_standin_module);
    dir_cfg *d = ap_get_module_config(r->per_dir_config, &shib_standin_module);

    if (q && q->vars && d->use_env != 0)
        apr_table_overlap(r->subprocess_env, q->vars, APR_OVERLAP_TABLES_SET);
    return DECLINED;
}

static authz_status session_check(request_rec *r, const char *require_line,
                                  const void *parsed)
{
    req_cfg *q = ap_get_module_config(r->request_config, &shib_standin_module);
    if (!r->user)
        return AUTHZ_DENIED_NO_USER;
    return q && q->has_session ? AUTHZ_GRANTED : AUTHZ_DENIED;
}

static const authz_provider session_provider = {&session_check, NULL};

static const char *query_param(request_rec *r, const char *name)
{
    char *args = apr_pstrdup(r->pool, r->args ? r->args : ""), *pair, *last;
    size_t n = strlen(name);
    for (pair = apr_strtok(args, "&", &last); pair; pair = apr_strtok(NULL, "&", &last)) {
        if (strncmp(pair, name, n) == 0 && pair[n] == '=') {
            char *v = pair + n + 1;
            return ap_unescape_urlencoded(v) == OK ? v : NULL;
        }
    }
    return NULL;
}

static char *iso_now(apr_pool_t *p)
{
    apr_time_exp_t x;
    apr_time_exp_gmt(&x, apr_time_now());
    return apr_psprintf(p, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", x.tm_year + 1900, x.tm_mon + 1,
                        x.tm_mday, x.tm_hour, x.tm_min, x.tm_sec, x.tm_usec / 1000);
}

static int handler(request_rec *r)
{
    const char *dir = state_dir(r), *target, *who, *profile;
    unsigned char rnd[16];
    char sid[33];
    apr_file_t *f;
    int i;

    if (!r->handler || strcmp(r->handler, "shib") != 0)
        return DECLINED;
    if (strcmp(r->uri, SI_PATH) != 0)
        return HTTP_NOT_FOUND;
    if (!dir || !(target = query_param(r, "target")) || !*target)
        return HTTP_BAD_REQUEST;
    who = read_file(r, apr_pstrcat(r->pool, dir, "/login-as", NULL));
    if (!who)
        return HTTP_FORBIDDEN;
    who = apr_pstrndup(r->pool, who, strcspn(who, "\r\n"));
    if (!*who || strchr(who, '/') || strchr(who, '.'))
        return HTTP_FORBIDDEN;
    profile = read_file(r, apr_pstrcat(r->pool, dir, "/users/", who, NULL));
    if (!profile)
        return HTTP_FORBIDDEN;
    if (apr_generate_random_bytes(rnd, sizeof(rnd)) != APR_SUCCESS)
        return HTTP_INTERNAL_SERVER_ERROR;
    for (i = 0; i < 16; i++)
        apr_snprintf(sid + 2 * i, 3, "%02x", rnd[i]);
    if (apr_file_open(&f, apr_pstrcat(r->pool, dir, "/sessions/", sid, NULL),
                      APR_WRITE | APR_CREATE | APR_EXCL, APR_FPROT_UREAD | APR_FPROT_UWRITE,
                      r->pool) != APR_SUCCESS)
        return HTTP_INTERNAL_SERVER_ERROR;
    apr_file_puts(profile, f);
    apr_file_puts(apr_pstrcat(r->pool, "\n@instant\t", iso_now(r->pool), "\n", NULL), f);
    apr_file_close(f);
    apr_table_addn(r->err_headers_out, "Set-Cookie",
                   apr_pstrcat(r->pool, cookie_name(r->pool), "=", sid, "; path=/; HttpOnly",
                               NULL));
    apr_table_setn(r->err_headers_out, "Location", target);
    return HTTP_MOVED_TEMPORARILY;
}

static void register_hooks(apr_pool_t *p)
{
    ap_hook_check_authn(check_authn, NULL, NULL, APR_HOOK_MIDDLE, AP_AUTH_INTERNAL_PER_URI);
    ap_hook_fixups(fixups, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(handler, NULL, NULL, APR_HOOK_MIDDLE);
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, "shib-session", AUTHZ_PROVIDER_VERSION,
                              &session_provider, AP_AUTH_INTERNAL_PER_CONF);
}

module AP_MODULE_DECLARE_DATA shib_standin_module = {
    STANDARD20_MODULE_STUFF, create_dir, merge_dir, create_srv, NULL, cmds, register_hooks};
