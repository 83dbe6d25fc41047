"""The account link pages in headless Chromium (Debian's chromium, driven by npm playwright-core
from t/e2e/browser/link.js, JavaScript disabled), in Japanese and English: a LINE login, the link
page and its language switch, "Link op" as a real form POST (clicked in Japanese, Tab and Enter in
English) through the OP's login form to the confirmation page, the confirm button, the
application getting the OP's identity, and "Remove link". WCAG AA contrast, 44x44 px targets, no
request to another origin than the site, the OP and the LINE stand-in, no console errors.
Screenshots of every page are kept as artifacts (the test's directory and $SELMID_ARTIFACTS,
default t/e2e/artifacts/)."""
import json
import os

from lib.chromium import keep_artifacts, run_script
from lib.linking import linking_conf
from lib.op import USERS
from lib.sns import USERS as SNS_USERS

LINE_ALICE = SNS_USERS["line"][0]

TEXTS = {
    "ja": {
        "title": "連携アカウント", "add_heading": "アカウントを連携する", "add": "op を連携",
        "switch": "English", "current": "ログイン中", "org": "大学のアカウント", "remove": "連携を解除",
        "confirm_title": "これらのアカウントを連携しますか?", "confirm": "連携する", "cancel": "やめる",
        "linked": "アカウントを連携しました。",
        "logged_out": "連携を解除しました。そのアカウントでログインしていたため、ログアウトしました。",
        "login_first": "先にログインしてください。", "home": "トップページへ",
    },
    "en": {
        "title": "Linked accounts", "add_heading": "Link another account", "add": "Link op",
        "switch": "日本語", "current": "logged in now", "org": "university account", "remove": "Remove link",
        "confirm_title": "Link these accounts?", "confirm": "Link the accounts", "cancel": "Cancel",
        "linked": "The accounts are now linked.",
        "logged_out": "The link was removed. You were logged in with that account, so you are now logged out.",
        "login_first": "Please log in first.", "home": "Go to the home page",
    },
}
OTHER = {"ja": "en", "en": "ja"}


def run_link_browser(stack, cfg):
    return run_script(stack, "link.js", cfg)


def check_page(page, lang, where):
    """What every link page must be in Chromium: in lang, readable (WCAG AA: 4.5:1 for text,
    3:1 for a button's border), targets of at least 44x44 CSS px, no horizontal scrolling,
    nothing loaded but the page itself, the headers of the link pages."""
    assert page["html_lang"] == lang and page["headers"]["content-language"] == lang, where
    assert page["headers"]["referrer-policy"] == "same-origin", where
    csp = page["headers"]["content-security-policy"]
    assert "default-src 'none'" in csp and "form-action" not in csp, where
    for t in page["texts"]:
        assert t["contrast"] >= 4.5, f"{where}: {t['own_text']!r} {t['color']} on {t['background']}"
    assert page["controls"], where
    for c in page["controls"]:
        assert c["visible"], f"{where}: {c}"
        assert c["contrast"] >= 4.5, f"{where}: {c['text']!r} {c['color']} on {c['background']}"
        assert c["width"] >= 44 and c["height"] >= 44, f"{where}: {c['text']!r} {c['width']}x{c['height']}"
        if c["tag"] == "button":
            assert c["method"] == "post" and c["fields"]["lang"] == lang and c["fields"]["csrf"], where
            assert c["border_width"] >= 2 and contrast_ratio(c["border"], "rgb(255, 255, 255)") >= 3, where
    assert page["scroll_width"] <= page["client_width"], f"{where}: the page scrolls sideways"
    assert [r for r in page["requests"] if r["type"] != "document"] == [], f"{where} loaded {page['requests']}"


def contrast_ratio(a, b):
    def lum(s):
        r, g, b_ = (int(x) for x in s[s.index("(") + 1:s.index(")")].split(",")[:3])
        ch = [v / 255 for v in (r, g, b_)]
        ch = [v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4 for v in ch]
        return 0.2126 * ch[0] + 0.7152 * ch[1] + 0.0722 * ch[2]
    la, lb = lum(a), lum(b)
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


def buttons(page):
    return [(c["text"], c["action"], (c["fields"] or {}).get("provider")) for c in page["controls"]
            if c["tag"] == "button"]


def test_link_pages_in_chromium(stack, directory_db):
    db = directory_db
    h = stack.httpd(linking_conf(stack, db.directive))
    base = stack.url("")
    origins = (base + "/", stack.op.issuer + "/", stack.sns.base + "/")
    res = run_link_browser(stack, {
        "base": base, "selmid": "/selmid", "outdir": stack.dir, "op": stack.op.issuer,
        "add": "op", "remove": "line", "app": "/public/", "username": "alice",
        "password": USERS["alice"][0],
        # the add button clicked in Japanese, reached with Tab and pressed with Enter in English
        "runs": [{"lang": "ja", "keyboard": False}, {"lang": "en", "keyboard": True}]})
    keep_artifacts([os.path.join(stack.dir, f"{name}-{lang}.png") for lang in ("ja", "en")
                    for name in ("link-start", "link-confirm", "link", "link-removed")])

    for run in res["runs"]:
        lang, t = run["lang"], TEXTS[run["lang"]]
        other = OTHER[lang]
        assert run["javascript_enabled"] is False, "the pages are tested with JavaScript off"
        assert app_env_of(run["app_before"])["REMOTE_USER"] == LINE_ALICE["sub"]

        # the link page of a LINE login without a person: LINE, logged in now; "Link op"
        p = run["start"]
        check_page(p, lang, f"{lang} link page")
        assert p["status"] == 200 and p["title"] == t["title"]
        assert [h_["text"] for h_ in p["headings"]] == [t["title"], t["add_heading"]]
        assert p["items"] == [{"label": "LINE", "text": f"LINE ({t['current']})"}]
        assert buttons(p) == [(t["add"], "/selmid/link/add", "op")]
        sw = [c for c in p["controls"] if c["tag"] == "a"]
        assert [(c["text"], c["lang"], c["href"]) for c in sw] == [(t["switch"], other, f"/selmid/link?lang={other}")]

        # the language switch shows the page in the other language
        s = run["switched"]
        check_page(s, other, f"{lang} -> {other} link page")
        assert s["title"] == TEXTS[other]["title"]
        assert buttons(s) == [(TEXTS[other]["add"], "/selmid/link/add", "op")]
        assert run["switched_back"]["html_lang"] == lang

        # "Link op": a POST of the page, then straight on to the OP's login form (the page's CSP
        # and the Origin check let a real browser's form through)
        add = [(r["method"], r["url"]) for r in run["add_requests"]]
        assert add[0] == ("POST", base + "/selmid/link/add"), add
        assert add[1][1].startswith(stack.op.issuer + "/auth?"), add
        assert run["at_op"]["url"].startswith(stack.op.issuer + "/interaction/") and run["at_op"]["has_login_form"]

        # the confirmation page: both accounts, the confirm button, Cancel
        c = run["confirm"]
        check_page(c, lang, f"{lang} confirmation page")
        assert c["status"] == 200 and c["url"] == base + f"/selmid/link/confirm?lang={lang}"
        assert [h_["text"] for h_ in c["headings"]] == [t["confirm_title"]]
        assert c["items"] == [{"label": "LINE", "text": "LINE Alice LINE"},
                              {"label": "op", "text": f"op ({t['org']}) 山田 花子"}]
        assert buttons(c) == [(t["confirm"], "/selmid/link/confirm", None)]
        assert [(a["text"], a["href"]) for a in c["controls"] if a["tag"] == "a"] == \
            [(t["cancel"], f"/selmid/link?lang={lang}")]
        # the OP's login went back through mod_selmid's callback to this page
        assert any(r["url"].startswith(base + "/selmid/callback?") for r in c["requests"])

        # confirmed: the link page with the notice and both accounts, each with its remove button
        k = run["linked"]
        check_page(k, lang, f"{lang} link page, linked")
        assert [(r["method"], r["url"]) for r in k["requests"]] == [
            ("POST", base + "/selmid/link/confirm"), ("GET", base + f"/selmid/link?notice=linked&lang={lang}")]
        assert k["notice"] == {"role": "status", "text": t["linked"]}
        assert sorted(i["label"] for i in k["items"]) == ["LINE", "op"]
        line_item = [i for i in k["items"] if i["label"] == "LINE"][0]
        assert t["current"] in line_item["text"]
        assert sorted(buttons(k)) == sorted([(t["remove"], "/selmid/link/remove", "line"),
                                             (t["remove"], "/selmid/link/remove", "op")])

        # the application gets the OP's alice through the LINE login now
        env = app_env_of(run["app_after"])
        assert env["REMOTE_USER"] == "alice-0001" and env["SELMID_ORG_PROVIDER"] == "op"
        assert env["SELMID_PROVIDER"] == "line"

        # "Remove link" of LINE, the account logged in with: logged out
        m = run["removed"]
        check_page(m, lang, f"{lang} removed page")
        assert m["status"] == 200 and m["notice"] == {"role": "status", "text": t["logged_out"]}
        assert [(a["text"], a["href"]) for a in m["controls"]] == [(t["home"], "/")]
        assert run["after_remove"]["status"] == 401 and t["login_first"] in run["after_remove"]["text"]

        # only the site, the OP and the LINE stand-in were ever asked for anything
        assert all(r["url"].startswith(origins) for r in run["requests"]), run["requests"]
        # no console errors but the 401 of the link page after the logout, and the 404 of the
        # favicon that Chromium asks each origin for by itself (no page here links to one)
        assert run["problems"]["page_errors"] == [] and run["problems"]["failed"] == []
        console = [e for e in run["problems"]["console"]
                   if not (e["url"].endswith("/favicon.ico") and "status of 404" in e["text"])]
        assert [(e["url"], e["text"]) for e in console] == [
            (base + "/selmid/link", "Failed to load resource: the server responded with a status of 401 (Unauthorized)")]

    # keyboard only (English): Tab reaches the language link, then "Link op"; the focus is
    # visible; Enter on it is what started the login at the OP above
    en = res["runs"][1]
    assert en["keyboard"] is True
    focus = [f for f in en["focus"] if f]
    assert [(f["tag"], f["text"]) for f in focus] == [("a", "日本語"), ("button", "Link op")]
    for f in focus:
        assert f["outline_style"] == "solid" and f["outline_width"] >= 2, f

    # the directory: LINE was linked twice and removed twice; the OP's alice stays
    assert db.query("SELECT provider FROM identities") == [("op",)]
    types = [t_ for (t_,) in db.query("SELECT type FROM events ORDER BY id")]
    assert types.count("unlink") == 2
    assert "SM26030" not in h.error_log_text() and "SM26031" not in h.error_log_text()


def app_env_of(page):
    data = json.loads(page["body"])
    assert data["marker"] == "selmid-app-content", page
    return data["env"]
