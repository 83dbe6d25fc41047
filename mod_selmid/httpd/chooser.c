/* chooser.c: the login chooser (several providers at a location, or <SelmidPath>/choose): the
 * built-in page or SelmidTemplateDir's chooser.html, in Japanese or English, the last used
 * provider first. */
#include "glue.h"
#include "sm_cookie.h"
#include "sm_lang.h"
#include "sm_template.h"
#include "sm_url.h"
#include <apr_file_io.h>

APLOG_USE_MODULE(selmid);

#define HINT_MAX_AGE (90L * 24 * 3600)

/* The placeholders of chooser templates; keep in this order (values[] below) and in step with
 * docs/chooser.md. */
enum {
    V_LANG,
    V_TITLE,
    V_HEADING,
    V_INTRO,
    V_NAV_LABEL,
    V_SWITCH_URL,
    V_SWITCH_LABEL,
    V_SWITCH_LANG,
    V_TARGET,
    V_COUNT
};
static const char *const tpl_vars[] = {"lang",      "title",      "heading",      "intro",
                                       "nav_label", "switch_url", "switch_label", "switch_lang",
                                       "target",    NULL};
enum { I_URL, I_LABEL, I_NAME, I_TYPE, I_HINT, I_COUNT };
static const char *const tpl_items[] = {"url", "label", "name", "type", "hint", NULL};
static const sm_template_spec_t tpl_spec = {tpl_vars, "providers", tpl_items};

typedef struct texts_t {
    const char *title, *heading, *intro, *nav_label, *hint, *switch_label;
} texts_t;

static const texts_t texts[SM_LANG_COUNT] = {
    [SM_LANG_EN] = {"Log in", "Log in",
                    "Choose the service you want to log in with. You will go to its login page "
                    "and then come back to this site.",
                    "Login services", "Last used", "日本語"},
    [SM_LANG_JA] = {"ログイン", "ログイン",
                    "ログインに使うサービスを選んでください。そのサービスのログイン画面に移動し、"
                    "ログイン後にこのサイトへ戻ります。",
                    "ログインに使うサービス", "前回使用", "English"},
};

/* The built-in page. Official colours with white text where that pair reaches 4.5:1 (Apple
 * black, the neutral dark blue); LINE green, Facebook blue and Yahoo! JAPAN red do not, so they
 * colour a side block and the border while the text stays dark on white. */
static const char builtin_template[] =
    "<!DOCTYPE html>\n<html lang=\"{{lang}}\"><head><meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "<title>{{title}}</title>\n<style>\n"
    "body{font-family:system-ui,-apple-system,\"Segoe UI\",\"Hiragino Sans\",\"Noto Sans "
    "CJK JP\",sans-serif;max-width:32em;margin:2em auto;padding:0 1em;color:#1a1a1a;"
    "background:#fff;line-height:1.5}\n"
    "h1{font-size:1.5em;margin:.2em 0 .4em}\n"
    ".lang{text-align:right;margin:0}\n"
    ".lang a{display:inline-block;min-height:44px;min-width:44px;box-sizing:border-box;"
    "padding:.6em .5em;color:#0b4f94}\n"
    "ul{list-style:none;margin:1.2em 0;padding:0}\n"
    "li{margin:0 0 .8em}\n"
    "a.p{display:flex;align-items:stretch;min-height:52px;box-sizing:border-box;"
    "border:2px solid #1a1a1a;border-radius:8px;background:#fff;color:#1a1a1a;"
    "text-decoration:none;font-weight:600;font-size:1.05em;overflow:hidden}\n"
    "a.p .m{flex:0 0 2.6em;background:#1a1a1a}\n"
    "a.p .t{flex:1 1 auto;display:flex;flex-wrap:wrap;align-items:center;gap:.5em;"
    "padding:.7em 1em}\n"
    "a.p .h{font-size:.8em;font-weight:600;padding:.1em .6em;border-radius:1em;"
    "background:#e6ebf2;color:#1a1a1a}\n"
    "a.p .h:empty{display:none}\n"
    "a.p:hover .l{text-decoration:underline}\n"
    "a:focus{outline:3px solid #0b4f94;outline-offset:3px}\n"
    "a.p-line{border-color:#06C755}a.p-line .m{background:#06C755}\n"
    "a.p-facebook{border-color:#1877F2}a.p-facebook .m{background:#1877F2}\n"
    "a.p-yahoojp{border-color:#FF0033}a.p-yahoojp .m{background:#FF0033}\n"
    "a.p-google{border:1px solid #747775}a.p-google .m{display:none}\n"
    "a.p-apple{background:#000;border-color:#000;color:#fff}\n"
    "a.p-oidc,a.p-shibboleth{background:#1a3a6b;border-color:#1a3a6b;color:#fff}\n"
    "a.p-apple .m,a.p-oidc .m,a.p-shibboleth .m{display:none}\n"
    "a.p-apple .h,a.p-oidc .h,a.p-shibboleth .h{background:#fff;color:#1a1a1a}\n"
    "</style></head><body><main>\n"
    "<p class=\"lang\"><a href=\"{{switch_url}}\" lang=\"{{switch_lang}}\" "
    "hreflang=\"{{switch_lang}}\">{{switch_label}}</a></p>\n"
    "<h1>{{heading}}</h1>\n<p>{{intro}}</p>\n"
    "<nav aria-label=\"{{nav_label}}\"><ul>\n"
    "{{#providers}}<li><a class=\"p p-{{type}}\" href=\"{{url}}\" data-provider=\"{{name}}\">"
    "<span class=\"m\" aria-hidden=\"true\"></span><span class=\"t\"><span "
    "class=\"l\">{{label}}</span> <span class=\"h\">{{hint}}</span></span></a></li>\n"
    "{{/providers}}</ul></nav>\n</main></body></html>\n";

/* Reads dir/file into a template; *t stays NULL when the file does not exist. */
static const char *load_one(apr_pool_t *p, const char *dir, const char *file,
                            const sm_template_t **t)
{
    const char *path = apr_pstrcat(p, dir, "/", file, NULL), *err = NULL;
    apr_file_t *f = NULL;
    apr_finfo_t fi;
    char *buf;
    apr_size_t n;
    apr_status_t rv;
    sm_template_t *tpl = NULL;

    *t = NULL;
    rv = apr_stat(&fi, path, APR_FINFO_TYPE | APR_FINFO_SIZE, p);
    if (APR_STATUS_IS_ENOENT(rv))
        return NULL;
    if (rv != APR_SUCCESS || fi.filetype != APR_REG)
        return apr_psprintf(p, "SelmidTemplateDir: %s is not a readable file", path);
    if (fi.size > SM_TEMPLATE_MAX)
        return apr_psprintf(p, "SelmidTemplateDir: %s is larger than %d bytes", path,
                            SM_TEMPLATE_MAX);
    if (apr_file_open(&f, path, APR_FOPEN_READ | APR_FOPEN_BINARY, 0, p) != APR_SUCCESS)
        return apr_psprintf(p, "SelmidTemplateDir: cannot read %s", path);
    n = (apr_size_t)fi.size;
    buf = apr_palloc(p, n + 1);
    rv = n ? apr_file_read_full(f, buf, n, &n) : APR_SUCCESS;
    apr_file_close(f);
    if (rv != APR_SUCCESS)
        return apr_psprintf(p, "SelmidTemplateDir: cannot read %s", path);
    buf[n] = '\0';
    if (sm_template_parse(p, buf, n, &tpl_spec, path, &tpl, &err) != APR_SUCCESS)
        return apr_psprintf(p, "SelmidTemplateDir: %s", err);
    *t = tpl;
    return NULL;
}

const char *sm_chooser_load(apr_pool_t *pconf, server_rec *main)
{
    server_rec *s;
    sm_template_t *builtin = NULL;
    const char *err = NULL;
    int l;

    if (sm_template_parse(pconf, builtin_template, sizeof(builtin_template) - 1, &tpl_spec,
                          "built-in chooser", &builtin, &err) != APR_SUCCESS)
        return err;
    for (s = main; s; s = s->next) {
        sm_srv_t *srv = sm_srv(s);
        const char *dir = srv->cfg->template_dir;
        const sm_template_t *common = NULL;
        for (l = 0; l < SM_LANG_COUNT; l++)
            srv->chooser[l] = builtin;
        if (!srv->used || !dir)
            continue;
        if ((err = load_one(pconf, dir, "chooser.html", &common)))
            return err;
        for (l = 0; l < SM_LANG_COUNT; l++) {
            const sm_template_t *own = NULL;
            const char *file =
                apr_pstrcat(pconf, "chooser.", sm_lang_tag((sm_lang_e)l), ".html", NULL);
            if ((err = load_one(pconf, dir, file, &own)))
                return err;
            if (own || common)
                srv->chooser[l] = own ? own : common;
        }
    }
    return NULL;
}

void sm_chooser_set_hint(request_rec *r, const char *provider)
{
    const char *c =
        sm_cookie_make(r->pool, SM_HINT_COOKIE, provider, "/", HINT_MAX_AGE, sm_is_https(r), "Lax");
    if (c)
        apr_table_addn(r->err_headers_out, "Set-Cookie", c);
}

static int by_order(const void *a, const void *b)
{
    const sm_provider_cfg_t *x = *(const sm_provider_cfg_t *const *)a;
    const sm_provider_cfg_t *y = *(const sm_provider_cfg_t *const *)b;

    if (x->order != y->order)
        return x->order < y->order ? -1 : 1;
    return strcmp(x->name, y->name);
}

apr_array_header_t *sm_chooser_all_providers(apr_pool_t *p, const sm_srv_t *srv)
{
    apr_array_header_t *pcs = apr_array_make(p, 8, sizeof(const sm_provider_cfg_t *));
    apr_array_header_t *names = apr_array_make(p, 8, sizeof(const char *));
    apr_hash_index_t *hi;
    int i;

    for (hi = apr_hash_first(p, srv->cfg->providers); hi; hi = apr_hash_next(hi))
        APR_ARRAY_PUSH(pcs, const sm_provider_cfg_t *) = apr_hash_this_val(hi);
    qsort(pcs->elts, pcs->nelts, sizeof(const sm_provider_cfg_t *), by_order);
    for (i = 0; i < pcs->nelts; i++)
        APR_ARRAY_PUSH(names, const char *) =
            APR_ARRAY_IDX(pcs, i, const sm_provider_cfg_t *)->name;
    return names;
}

static bool listed(const apr_array_header_t *names, const char *name)
{
    int i;

    for (i = 0; name && i < names->nelts; i++)
        if (strcmp(APR_ARRAY_IDX(names, i, const char *), name) == 0)
            return true;
    return false;
}

int sm_page_chooser(request_rec *r, const sm_srv_t *srv, const apr_array_header_t *names,
                    bool limited, const char *target, const char *hint, int lang)
{
    const char *values[V_COUNT + 1];
    const char ***items;
    const char *base = apr_pstrcat(r->pool, sm_cfg_path(srv->cfg), "/login", NULL);
    const char *sw, *list = NULL;
    const texts_t *tx;
    char *page;
    int i, n = 0;

    if (lang < 0)
        lang = sm_lang_negotiate(apr_table_get(r->headers_in, "Accept-Language"));
    tx = &texts[lang];
    if (!listed(names, hint))
        hint = NULL; /* only ever a provider of this list, only for the order */
    items = apr_pcalloc(r->pool, sizeof(*items) * (names->nelts ? names->nelts : 1));
    for (i = -1; i < names->nelts; i++) {
        const char *name = i < 0 ? hint : APR_ARRAY_IDX(names, i, const char *);
        const sm_provider_cfg_t *pc;
        const char **it;
        char *u;
        if (!name || (i >= 0 && hint && strcmp(name, hint) == 0))
            continue;
        pc = apr_hash_get(srv->cfg->providers, name, APR_HASH_KEY_STRING);
        if (!pc)
            continue;
        u = sm_url_add_param(r->pool, base, "provider", name);
        it = apr_pcalloc(r->pool, sizeof(*it) * (I_COUNT + 1));
        it[I_URL] = sm_url_add_param(r->pool, u, "target", target);
        it[I_LABEL] = sm_cfg_provider_label(pc, lang == SM_LANG_JA);
        it[I_NAME] = name;
        it[I_TYPE] = sm_provider_type_name(sm_cfg_provider_type(pc));
        it[I_HINT] = i < 0 ? tx->hint : "";
        items[n++] = it;
        list = list ? apr_pstrcat(r->pool, list, ",", name, NULL) : name;
    }
    /* the other language: the same choice through <SelmidPath>/choose */
    sw = apr_pstrcat(r->pool, sm_cfg_path(srv->cfg), "/choose", NULL);
    sw = sm_url_add_param(r->pool, sw, "target", target);
    if (limited && list)
        sw = sm_url_add_param(r->pool, sw, "providers", list);
    sw = sm_url_add_param(r->pool, sw, "hint", hint ? hint : "");
    sw = sm_url_add_param(r->pool, sw, "lang",
                          sm_lang_tag(lang == SM_LANG_JA ? SM_LANG_EN : SM_LANG_JA));
    values[V_LANG] = sm_lang_tag(lang);
    values[V_TITLE] = tx->title;
    values[V_HEADING] = tx->heading;
    values[V_INTRO] = tx->intro;
    values[V_NAV_LABEL] = tx->nav_label;
    values[V_SWITCH_URL] = sw;
    values[V_SWITCH_LABEL] = tx->switch_label;
    values[V_SWITCH_LANG] = sm_lang_tag(lang == SM_LANG_JA ? SM_LANG_EN : SM_LANG_JA);
    values[V_TARGET] = target;
    values[V_COUNT] = NULL;
    page = sm_template_render(r->pool, srv->chooser[lang], values,
                              (const char *const *const *)items, n);
    sm_page_headers(r);
    apr_table_setn(r->err_headers_out, "Content-Language", sm_lang_tag(lang));
    apr_table_mergen(r->err_headers_out, "Vary", "Accept-Language");
    r->status = HTTP_OK;
    ap_set_content_type(r, "text/html; charset=utf-8");
    ap_rputs(page, r);
    return DONE;
}

/* The hint of this request: the browser's selmid_hint cookie, when SelmidProviderHint is on. */
const char *sm_chooser_hint_cookie(request_rec *r, const sm_dir_cfg_t *d)
{
    if (!sm_cfg_provider_hint(d))
        return NULL;
    return sm_cookie_get(r->pool, apr_table_get(r->headers_in, "Cookie"), SM_HINT_COOKIE);
}

/* <SelmidPath>/choose?target=/path[&providers=a,b][&hint=NAME][&lang=ja|en] */
int sm_choose_handler(request_rec *r, sm_srv_t *srv, apr_table_t *q)
{
    const char *target = apr_table_get(q, "target"), *why, *plist, *hint;
    apr_array_header_t *names;
    int lang = sm_lang_parse(apr_table_get(q, "lang"));
    bool limited = false;

    if (!target)
        target = "/";
    if ((why = sm_url_check_local_target(target))) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "SM33001: chooser target refused: %s", why);
        return sm_page_error(r, HTTP_BAD_REQUEST, "Bad request",
                             "The page to return to after login is not on this site.");
    }
    if ((plist = apr_table_get(q, "providers"))) {
        char *copy = apr_pstrdup(r->pool, plist), *tok, *last = NULL;
        names = apr_array_make(r->pool, 8, sizeof(const char *));
        for (tok = apr_strtok(copy, ",", &last); tok; tok = apr_strtok(NULL, ",", &last))
            if (apr_hash_get(srv->cfg->providers, tok, APR_HASH_KEY_STRING) && !listed(names, tok))
                APR_ARRAY_PUSH(names, const char *) = tok;
        if (names->nelts == 0) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                          "SM33002: chooser: none of the requested providers is defined");
            return sm_page_error(r, HTTP_BAD_REQUEST, "Bad request",
                                 "The requested identity providers are not known here.");
        }
        limited = true;
    } else {
        names = sm_chooser_all_providers(r->pool, srv);
    }
    if (names->nelts == 1)
        return sm_redirect_to_login(r, srv, APR_ARRAY_IDX(names, 0, const char *), target);
    hint = apr_table_get(q, "hint");
    if (!hint) {
        /* SelmidProviderHint of the <Location> that contains this URL (the quick handler runs
         * before httpd's own location walk) */
        if (ap_location_walk(r) == OK)
            hint = sm_chooser_hint_cookie(r, sm_dir(r));
    }
    return sm_page_chooser(r, srv, names, limited, target, hint, lang);
}
