"""The login chooser in headless Chromium (Debian's chromium, driven by npm playwright-core from
t/e2e/browser/chooser.js, JavaScript disabled): both languages, every button starts the right
flow, keyboard-only use, WCAG AA contrast, target sizes, no request to another origin.
Screenshots are kept as test artifacts (the test's directory and $SELMID_ARTIFACTS, default
t/e2e/artifacts/)."""
import json
import os
import shutil
from urllib.parse import parse_qs, urlsplit

from lib.chooser import ALL_TYPES_ORDER, APP_ORDER, OP_LABEL_EN, OP_LABEL_JA, all_types_conf, chooser_conf
from lib.chromium import keep_artifacts, run_script
from lib.op import USERS



def run_browser(stack, cfg):
    return run_script(stack, "chooser.js", cfg)


def test_chooser_in_chromium(stack):
    h = stack.httpd(chooser_conf(stack))
    base = stack.url("")
    path = "/app/welcome?from=browser"
    res = run_browser(stack, {"base": base, "path": path, "outdir": stack.dir, "keyboard_provider": "op2",
                              "login": {"provider": "op", "username": "alice",
                                        "password": USERS["alice"][0]}})
    keep_artifacts([res["ja"]["screenshot"], res["en"]["screenshot"]])

    for lang in ("ja", "en"):
        r = res[lang]
        assert r["status"] == 200
        assert r["javascript_enabled"] is False, "the page is tested with JavaScript off"
        assert r["html_lang"] == lang and r["content_language"] == lang, "locale -> Accept-Language"
        assert r["heading"] == ("ログイン" if lang == "ja" else "Log in")
        assert r["nav_label"]
        assert [b["provider"] for b in r["buttons"]] == APP_ORDER
        texts = {b["provider"]: b["text"] for b in r["buttons"]}
        assert texts["op"] == (OP_LABEL_JA if lang == "ja" else OP_LABEL_EN)
        for b in r["buttons"]:
            q = {k: v[0] for k, v in parse_qs(urlsplit(b["href"]).query).items()}
            assert urlsplit(b["href"]).path == "/selmid/login"
            assert q == {"provider": b["provider"], "target": path}
            assert b["contrast"] >= 4.5, f"{lang} {b['provider']}: {b['color']} on {b['background']}"
            assert b["height"] >= 44 and b["width"] >= 44
        assert r["switch"]["lang"] == ("en" if lang == "ja" else "ja")
        assert r["switch"]["height"] >= 44 and r["switch"]["contrast"] >= 4.5
        assert r["intro"]["contrast"] >= 4.5 and r["intro"]["text"]
        assert r["switched_lang"] == r["switch"]["lang"] and r["switched_order"] == APP_ORDER
        # nothing but the test server: no CDN, fonts, images or tracking
        assert r["requests"] and all(u.startswith(base + "/") for u in r["requests"]), r["requests"]
        with open(r["screenshot"], "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"

    # keyboard only: Tab goes through the language link, then the buttons in order; the focus
    # is visible; Enter on op2's button arrives at op2's login page
    k = res["keyboard"]
    focused = [f for f in k["focus"] if f]
    assert focused[0]["tag"] == "a" and focused[0]["provider"] is None, "the language switch first"
    assert [f["provider"] for f in focused[1:]] == ["op2"]
    for f in focused:
        assert f["outline_style"] != "none" and f["outline_width"] >= 2, f
    assert k["reached"] and k["reached"].startswith(stack.op2.issuer + "/interaction/"), k
    assert k["has_login_form"]

    # each button starts the right flow
    c = res["clicks"]
    assert c["op"]["url"].startswith(stack.op.issuer + "/interaction/") and c["op"]["has_login_form"]
    assert c["op2"]["url"].startswith(stack.op2.issuer + "/interaction/") and c["op2"]["has_login_form"]
    assert c["uni"]["requests"][0].startswith(base + "/selmid/login?provider=uni&target=")
    # the first request after a click goes to mod_selmid's login endpoint, then to the OP
    for name, op in (("op", stack.op), ("op2", stack.op2)):
        reqs = c[name]["requests"]
        assert reqs[0].startswith(base + f"/selmid/login?provider={name}&"), reqs
        assert any(u.startswith(op.issuer + "/auth?") for u in reqs), reqs
    # and the keyboard-typed login at op ends at the application, signed in
    assert c["op"]["after_login_url"] == base + path
    env = json.loads(c["op"]["after_login_body"])["env"]
    assert env["REMOTE_USER"] == USERS["alice"][1]
    assert "SM30052" in h.error_log_text()


def test_chooser_hint_in_chromium(stack):
    """The provider used last comes first, marked, in both languages; the marker is readable."""
    stack.httpd(chooser_conf(stack))
    base = stack.url("")
    # /selmid/choose?hint=uni gives the same order as a selmid_hint=uni cookie would
    res = run_browser(stack, {"base": base, "path": "/selmid/choose?target=/app/&providers=op2,uni,op&hint=uni",
                              "outdir": stack.dir, "keyboard_provider": "uni"})
    for lang, marker in (("ja", "前回使用"), ("en", "Last used")):
        bs = res[lang]["buttons"]
        assert [b["provider"] for b in bs] == ["uni", "op2", "op"]
        assert bs[0]["hint"] == marker and all(b["hint"] == "" for b in bs[1:])
        assert bs[0]["hint_contrast"] >= 4.5
    k = res["keyboard"]
    assert [f["provider"] for f in k["focus"] if f][1] == "uni", "the hinted button is the first one"
    # Enter on the SAML button went through /selmid/login to the SAML module's SessionInitiator
    assert k["reached"].startswith(base + "/Shibboleth.sso/Login?target="), k["reached"]
    assert "provider%3Duni" in k["reached"]


def test_every_provider_type_in_chromium(stack):
    """One button of every type in its colours: every text meets WCAG AA (4.5:1); LINE, Facebook
    and Yahoo! JAPAN keep their colour on the border and side block. These screenshots are the
    ones in docs/images/."""
    stack.httpd(all_types_conf(stack))
    base = stack.url("")
    res = run_browser(stack, {"base": base, "path": "/selmid/choose?target=/app/&providers=" +
                              ",".join(ALL_TYPES_ORDER) + "&hint=op", "outdir": stack.dir, "clicks": False})
    for lang in ("ja", "en"):
        bs = {b["provider"]: b for b in res[lang]["buttons"]}
        assert [b["provider"] for b in res[lang]["buttons"]] == ALL_TYPES_ORDER
        for name, b in bs.items():
            assert b["contrast"] >= 4.5, f"{lang} {name}: {b['color']} on {b['background']}"
            assert b["height"] >= 44
            assert f"provider={name}&" in b["href"]
        assert bs["op"]["hint_contrast"] >= 4.5
        # the official colours are there
        assert bs["line"]["border"] == "rgb(6, 199, 85)"
        assert bs["facebook"]["border"] == "rgb(24, 119, 242)"
        assert bs["yahoojp"]["border"] == "rgb(255, 0, 51)"
        assert bs["apple"]["background"] == "rgb(0, 0, 0)" and bs["apple"]["color"] == "rgb(255, 255, 255)"
        assert bs["google"]["background"] == "rgb(255, 255, 255)"
        assert bs["google"]["border"] == "rgb(116, 119, 117)"
        labels = {"ja": {"line": "LINEでログイン", "apple": "Appleでサインイン"},
                  "en": {"line": "Log in with LINE", "apple": "Sign in with Apple"}}[lang]
        for name, label in labels.items():
            assert bs[name]["text"] == label
        assert all(u.startswith(base + "/") for u in res[lang]["requests"])
        shutil.copy(res[lang]["screenshot"], os.path.join(stack.dir, f"chooser-all-{lang}.png"))
    keep_artifacts([os.path.join(stack.dir, f"chooser-all-{lang}.png") for lang in ("ja", "en")])
