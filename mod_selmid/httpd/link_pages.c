/* link_pages.c: the pages of account linking (link.c), in Japanese and English: the linked
 * accounts with forms to add and remove, the confirmation of a link, and messages. Plain HTML
 * forms (no scripts, no external resources); every dynamic text is escaped. */
#include "glue.h"
#include "sm_link_tx.h"
#include "sm_url.h"

typedef struct texts_t {
    const char *title, *intro, *need, *none, *current, *org, *linked_at, *last_used, *remove,
        *add_heading, *add_pre, *add_post, *cont, *switch_label, *confirm_title, *confirm_intro,
        *confirm_button, *cancel, *back, *unnamed;
    const char *notice_linked, *notice_already, *notice_removed, *notice_relogin;
    const char *msg[SM_LM_RESULT_BASE + SM_LINK_DIRECTORY + 1];
} texts_t;

static const texts_t texts[SM_LANG_COUNT] = {
    [SM_LANG_EN] =
        {
            .title = "Linked accounts",
            .intro = "You can log in to this site as the same person with each of these accounts.",
            .need = "This page needs your university account. Link it to the account you "
                    "logged in with to continue.",
            .none = "No accounts are linked yet.",
            .current = "logged in now",
            .org = "university account",
            .linked_at = "linked",
            .last_used = "last used",
            .remove = "Remove link",
            .add_heading = "Link another account",
            .add_pre = "Link ",
            .add_post = "",
            .cont = "Continue",
            .switch_label = "日本語",
            .confirm_title = "Link these accounts?",
            .confirm_intro = "After linking, logging in with either account makes you the same "
                             "person on this site, with the information of your university "
                             "account.",
            .confirm_button = "Link the accounts",
            .cancel = "Cancel",
            .back = "Back to linked accounts",
            .unnamed = "(no name given)",
            .notice_linked = "The accounts are now linked.",
            .notice_already = "These accounts were already linked.",
            .notice_removed = "The link was removed.",
            .notice_relogin = "For your safety, you have logged in again. Please repeat what "
                              "you were doing.",
            .msg =
                {
                    [SM_LM_NOT_LOGGED_IN] = "Please log in first.",
                    [SM_LM_FORM] = "The form could not be accepted (it was sent from another "
                                   "page or has expired). Please reload the page and try again.",
                    [SM_LM_BAD_PROVIDER] = "That account type cannot be linked here.",
                    [SM_LM_NO_ORG] = "Link your university account first.",
                    [SM_LM_EXPIRED] = "This link was not started in this browser, was already "
                                      "used or has expired. Please start again.",
                    [SM_LM_NOT_LINKED] = "That account is not linked to you.",
                    [SM_LM_LAST_ORG] = "Your university account is the anchor of your links and "
                                       "cannot be removed.",
                    [SM_LM_REMOVED_LOGGED_OUT] = "The link was removed. You were logged in "
                                                 "with that account, so you are now logged out.",
                    [SM_LM_LINKED_RELOGIN] = "The accounts are linked, but your session could "
                                             "not be renewed. Please log in again.",
                    [SM_LM_RESULT_BASE + SM_LINK_STALE] =
                        "One of the logins is too old. Please log in again and repeat the link.",
                    [SM_LM_RESULT_BASE + SM_LINK_SAME] = "You logged in with the same account "
                                                         "twice. Use another account to link.",
                    [SM_LM_RESULT_BASE + SM_LINK_NO_ORG] = "Link your university account first.",
                    [SM_LM_RESULT_BASE + SM_LINK_OTHER_PERSON] =
                        "That account is already linked to another person. Remove it there "
                        "first, or ask the help desk.",
                    [SM_LM_RESULT_BASE + SM_LINK_PROVIDER_USED] =
                        "You already have an account of that kind linked. Remove it first.",
                    [SM_LM_RESULT_BASE + SM_LINK_TAKEN] =
                        "That account was just linked by someone else. If this was not you, "
                        "contact the help desk.",
                    [SM_LM_RESULT_BASE + SM_LINK_DIRECTORY] =
                        "The directory of linked accounts is temporarily unavailable. Please "
                        "try again later.",
                },
        },
    [SM_LANG_JA] =
        {
            .title = "連携アカウント",
            .intro = "次のどのアカウントでログインしても、このサイトでは同じ本人として扱われます。",
            .need = "このページには大学のアカウントが必要です。ログイン中のアカウントと大学の"
                    "アカウントを連携してください。",
            .none = "まだ連携しているアカウントはありません。",
            .current = "ログイン中",
            .org = "大学のアカウント",
            .linked_at = "連携日時",
            .last_used = "最終利用",
            .remove = "連携を解除",
            .add_heading = "アカウントを連携する",
            .add_pre = "",
            .add_post = " を連携",
            .cont = "続ける",
            .switch_label = "English",
            .confirm_title = "これらのアカウントを連携しますか?",
            .confirm_intro = "連携すると、どちらのアカウントでログインしても、このサイトでは"
                             "大学のアカウントの情報を持つ同じ本人として扱われます。",
            .confirm_button = "連携する",
            .cancel = "やめる",
            .back = "連携アカウントに戻る",
            .unnamed = "(名前なし)",
            .notice_linked = "アカウントを連携しました。",
            .notice_already = "これらのアカウントはすでに連携されています。",
            .notice_removed = "連携を解除しました。",
            .notice_relogin = "安全のため、もう一度ログインしていただきました。操作をやり直して"
                              "ください。",
            .msg =
                {
                    [SM_LM_NOT_LOGGED_IN] = "先にログインしてください。",
                    [SM_LM_FORM] = "フォームを受け付けられませんでした(別のページから送信された"
                                   "か、期限切れです)。ページを再読み込みしてやり直してください。",
                    [SM_LM_BAD_PROVIDER] = "そのアカウントはここでは連携できません。",
                    [SM_LM_NO_ORG] = "先に大学のアカウントを連携してください。",
                    [SM_LM_EXPIRED] = "この連携はこのブラウザで開始されていないか、使用済みか、"
                                      "期限切れです。最初からやり直してください。",
                    [SM_LM_NOT_LINKED] = "そのアカウントはあなたに連携されていません。",
                    [SM_LM_LAST_ORG] = "大学のアカウントは連携の基になっているため解除できません。",
                    [SM_LM_REMOVED_LOGGED_OUT] = "連携を解除しました。そのアカウントでログインして"
                                                 "いたため、ログアウトしました。",
                    [SM_LM_LINKED_RELOGIN] = "アカウントは連携されましたが、セッションを更新できま"
                                             "せんでした。もう一度ログインしてください。",
                    [SM_LM_RESULT_BASE + SM_LINK_STALE] =
                        "ログインから時間が経ちすぎています。もう一度ログインして連携をやり直して"
                        "ください。",
                    [SM_LM_RESULT_BASE + SM_LINK_SAME] =
                        "同じアカウントで2回ログインしました。別のアカウントで連携してください。",
                    [SM_LM_RESULT_BASE + SM_LINK_NO_ORG] = "先に大学のアカウントを連携してくださ"
                                                           "い。",
                    [SM_LM_RESULT_BASE + SM_LINK_OTHER_PERSON] =
                        "そのアカウントはすでに別の人に連携されています。そちらで解除するか、"
                        "ヘルプデスクにお問い合わせください。",
                    [SM_LM_RESULT_BASE + SM_LINK_PROVIDER_USED] =
                        "同じ種類のアカウントがすでに連携されています。先に解除してください。",
                    [SM_LM_RESULT_BASE + SM_LINK_TAKEN] =
                        "そのアカウントはたった今、別の操作で連携されました。心当たりがない場合は"
                        "ヘルプデスクにお問い合わせください。",
                    [SM_LM_RESULT_BASE + SM_LINK_DIRECTORY] =
                        "連携アカウントの台帳が一時的に利用できません。しばらくしてから"
                        "やり直してください。",
                },
        },
};

static const char page_style[] =
    "body{font-family:system-ui,sans-serif;max-width:40em;margin:2em auto;padding:0 1em;"
    "color:#1a1a1a;line-height:1.5}h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.6em}"
    "ul{padding:0;list-style:none}li{border:1px solid #767676;border-radius:6px;padding:.6em "
    ".8em;margin:.5em 0}.meta{color:#4a4a4a;font-size:.9em}form{display:inline}"
    "button{min-height:44px;min-width:44px;padding:.4em 1em;margin:.3em .3em .3em 0;"
    "font-size:1em;border:2px solid #1a5fb4;border-radius:6px;background:#fff;color:#1a5fb4;"
    "cursor:pointer}button.primary{background:#1a5fb4;color:#fff}"
    "button:focus,a:focus{outline:3px solid #1a1a1a;outline-offset:2px}"
    ".notice{border-left:4px solid #1a5fb4;padding:.3em .8em;background:#eef4fb}"
    ".lang{text-align:right;margin:0}.lang a{display:inline-block;min-height:44px;"
    "min-width:44px;line-height:44px}";

static const char *esc(request_rec *r, const char *s)
{
    return sm_html_escape(r->pool, s ? s : "");
}

/* The page frame. Forms post only to this site; the add form's response is a redirect to the
 * provider, which a form-action source list would block in browsers that check redirects, so
 * form-action is not restricted on these pages (every form on them is ours). */
static int send_link_page(request_rec *r, int status, sm_lang_e lang, const char *title, const char *body,
                const char *switch_url)
{
    const texts_t *t = &texts[lang];

    sm_page_headers(r);
    apr_table_setn(r->err_headers_out, "Content-Security-Policy",
                   "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; "
                   "base-uri 'none'");
    apr_table_setn(r->err_headers_out, "Content-Language", sm_lang_tag(lang));
    r->status = status;
    ap_set_content_type(r, "text/html; charset=utf-8");
    ap_rprintf(r,
               "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">"
               "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
               "<title>%s</title><style>%s</style></head><body><main>\n",
               sm_lang_tag(lang), esc(r, title), page_style);
    if (switch_url)
        ap_rprintf(r, "<p class=\"lang\"><a href=\"%s\" lang=\"%s\" hreflang=\"%s\">%s</a></p>\n",
                   esc(r, switch_url), sm_lang_tag(lang == SM_LANG_JA ? SM_LANG_EN : SM_LANG_JA),
                   sm_lang_tag(lang == SM_LANG_JA ? SM_LANG_EN : SM_LANG_JA), t->switch_label);
    ap_rputs(body, r);
    ap_rputs("</main></body></html>\n", r);
    return DONE;
}

static const char *label(const sm_srv_t *srv, const char *provider, sm_lang_e lang)
{
    const sm_provider_cfg_t *pc = apr_hash_get(srv->cfg->providers, provider, APR_HASH_KEY_STRING);
    return pc ? sm_cfg_provider_label(pc, lang == SM_LANG_JA) : provider;
}

static const char *when(request_rec *r, apr_time_t t)
{
    apr_time_exp_t e;
    if (t <= 0 || apr_time_exp_gmt(&e, t) != APR_SUCCESS)
        return "-";
    return apr_psprintf(r->pool, "%04d-%02d-%02d %02d:%02d UTC", e.tm_year + 1900, e.tm_mon + 1,
                        e.tm_mday, e.tm_hour, e.tm_min);
}

static const char *hidden(request_rec *r, const char *name, const char *value)
{
    return apr_psprintf(r->pool, "<input type=\"hidden\" name=\"%s\" value=\"%s\">", name,
                        esc(r, value));
}

/* A POST form of one button. */
static const char *form(request_rec *r, const sm_srv_t *srv, const char *action, sm_lang_e lang,
                        const char *csrf, const char *fields, const char *button, bool primary)
{
    return apr_pstrcat(
        r->pool, "<form method=\"post\" action=\"",
        esc(r, apr_pstrcat(r->pool, sm_cfg_path(srv->cfg), "/link", action, NULL)), "\">",
        hidden(r, "csrf", csrf), hidden(r, "lang", sm_lang_tag(lang)), fields ? fields : "",
        "<button type=\"submit\"", primary ? " class=\"primary\"" : "", ">", esc(r, button),
        "</button></form>", NULL);
}

static const char *notice_text(const texts_t *t, const char *notice)
{
    if (!notice)
        return NULL;
    if (strcmp(notice, "linked") == 0)
        return t->notice_linked;
    if (strcmp(notice, "already") == 0)
        return t->notice_already;
    if (strcmp(notice, "removed") == 0)
        return t->notice_removed;
    if (strcmp(notice, "relogin") == 0)
        return t->notice_relogin;
    if (strcmp(notice, "need") == 0)
        return t->need;
    return NULL; /* anything else is ignored, never shown */
}

int sm_link_page(request_rec *r, const sm_srv_t *srv, const sm_link_view_t *v)
{
    const texts_t *t = &texts[v->lang];
    const char *notice = notice_text(t, v->notice), *sw;
    char *body;
    int i;

    body = apr_pstrcat(r->pool, "<h1>", esc(r, t->title), "</h1>\n", NULL);
    if (notice)
        body = apr_pstrcat(r->pool, body, "<p class=\"notice\" role=\"status\">", esc(r, notice),
                           "</p>\n", NULL);
    body = apr_pstrcat(r->pool, body, "<p>", esc(r, t->intro), "</p>\n", NULL);
    if (v->accounts->nelts == 0) {
        body = apr_pstrcat(r->pool, body, "<p>", esc(r, t->none), "</p>\n<ul><li><strong>",
                           esc(r, label(srv, v->session->provider, v->lang)),
                           "</strong> <span class=\"meta\">(", esc(r, t->current),
                           ")</span></li></ul>\n", NULL);
    } else {
        body = apr_pstrcat(r->pool, body, "<ul>\n", NULL);
        for (i = 0; i < v->accounts->nelts; i++) {
            const sm_linked_identity_t *li =
                &APR_ARRAY_IDX(v->accounts, i, sm_linked_identity_t);
            bool current = strcmp(li->id.provider, v->session->provider) == 0 &&
                           strcmp(li->id.issuer, v->session->issuer) == 0 &&
                           strcmp(li->id.subject, v->session->sub) == 0;
            const char *fields =
                apr_pstrcat(r->pool, hidden(r, "provider", li->id.provider),
                            hidden(r, "issuer", li->id.issuer),
                            hidden(r, "subject", li->id.subject), NULL);
            body = apr_pstrcat(
                r->pool, body, "<li><strong>", esc(r, label(srv, li->id.provider, v->lang)),
                "</strong>", li->org ? apr_pstrcat(r->pool, " (", esc(r, t->org), ")", NULL) : "",
                current ? apr_pstrcat(r->pool, " <span class=\"meta\">(", esc(r, t->current),
                                      ")</span>", NULL)
                        : "",
                "<br><span class=\"meta\">", esc(r, t->linked_at), ": ",
                when(r, li->linked_at), " · ", esc(r, t->last_used), ": ",
                when(r, li->last_used), "</span><br>",
                form(r, srv, "/remove", v->lang, v->csrf, fields, t->remove, false), "</li>\n",
                NULL);
        }
        body = apr_pstrcat(r->pool, body, "</ul>\n", NULL);
    }
    if (v->addable->nelts > 0) {
        body = apr_pstrcat(r->pool, body, "<h2>", esc(r, t->add_heading), "</h2>\n<p>", NULL);
        for (i = 0; i < v->addable->nelts; i++) {
            const char *n = APR_ARRAY_IDX(v->addable, i, const char *);
            const char *fields = apr_pstrcat(r->pool, hidden(r, "provider", n),
                                             *v->target ? hidden(r, "target", v->target) : "",
                                             NULL);
            body = apr_pstrcat(r->pool, body,
                               form(r, srv, "/add", v->lang, v->csrf, fields,
                                    apr_pstrcat(r->pool, t->add_pre, label(srv, n, v->lang), t->add_post, NULL),
                                    sm_cfg_is_org_provider(srv->cfg, n)),
                               "\n", NULL);
        }
        body = apr_pstrcat(r->pool, body, "</p>\n", NULL);
    }
    if (*v->target && v->session->person)
        body = apr_pstrcat(r->pool, body, "<p><a href=\"", esc(r, v->target), "\">",
                           esc(r, t->cont), "</a></p>\n", NULL);
    sw = sm_url_add_param(r->pool, apr_pstrcat(r->pool, sm_cfg_path(srv->cfg), "/link", NULL),
                          "lang", sm_lang_tag(v->lang == SM_LANG_JA ? SM_LANG_EN : SM_LANG_JA));
    if (*v->target)
        sw = sm_url_add_param(r->pool, sw, "target", v->target);
    return send_link_page(r, HTTP_OK, v->lang, t->title, body, sw);
}

static const char *side_html(request_rec *r, const sm_srv_t *srv, const texts_t *t,
                             sm_lang_e lang, const sm_link_side_t *s)
{
    return apr_pstrcat(r->pool, "<li><strong>", esc(r, label(srv, s->id.provider, lang)),
                       "</strong>",
                       s->org ? apr_pstrcat(r->pool, " (", esc(r, t->org), ")", NULL) : "",
                       "<br>", esc(r, s->display ? s->display : t->unnamed), "</li>\n", NULL);
}

int sm_link_confirm_page(request_rec *r, const sm_srv_t *srv, sm_lang_e lang, const char *csrf,
                         const sm_link_tx_t *tx)
{
    const texts_t *t = &texts[lang];
    const char *body = apr_pstrcat(
        r->pool, "<h1>", esc(r, t->confirm_title), "</h1>\n<ul>\n",
        side_html(r, srv, t, lang, &tx->a), side_html(r, srv, t, lang, &tx->b), "</ul>\n<p>",
        esc(r, t->confirm_intro), "</p>\n<p>",
        form(r, srv, "/confirm", lang, csrf, NULL, t->confirm_button, true), " <a href=\"",
        esc(r, apr_pstrcat(r->pool, sm_cfg_path(srv->cfg), "/link?lang=", sm_lang_tag(lang),
                           NULL)),
        "\">", esc(r, t->cancel), "</a></p>\n", NULL);

    return send_link_page(r, HTTP_OK, lang, t->confirm_title, body, NULL);
}

int sm_link_message(request_rec *r, int status, sm_lang_e lang, int msg)
{
    const texts_t *t = &texts[lang];
    const sm_srv_t *srv = sm_srv(r->server);
    const char *text = msg >= 0 && msg < (int)(sizeof(t->msg) / sizeof(t->msg[0])) && t->msg[msg]
                           ? t->msg[msg]
                           : t->msg[SM_LM_RESULT_BASE + SM_LINK_DIRECTORY];
    const char *back = msg == SM_LM_REMOVED_LOGGED_OUT || msg == SM_LM_LINKED_RELOGIN ||
                               msg == SM_LM_NOT_LOGGED_IN
                           ? "/"
                           : apr_pstrcat(r->pool, sm_cfg_path(srv->cfg),
                                         "/link?lang=", sm_lang_tag(lang), NULL);
    const char *body = apr_pstrcat(r->pool, "<h1>", esc(r, t->title), "</h1>\n<p role=\"",
                                   status < 400 ? "status" : "alert", "\">", esc(r, text),
                                   "</p>\n<p><a href=\"", esc(r, back), "\">",
                                   esc(r, strcmp(back, "/") == 0 ? "/" : t->back), "</a></p>\n",
                                   NULL);

    return send_link_page(r, status, lang, t->title, body, NULL);
}
