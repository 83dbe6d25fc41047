"""The login chooser: languages and headers, order, labels, escaping, the provider hint cookie,
the <SelmidPath>/choose endpoint, SelmidTemplateDir templates and their errors."""
import html
import os
import re
import urllib.parse

import pytest

from lib.browser import query, set_cookies
from lib.chooser import (APP_ORDER, DEFINITION_ORDER, OP_LABEL_EN, OP_LABEL_JA, buttons, chooser_conf,
                         switch_link)
from lib.flows import assert_denied

INTRO = {"en": "Choose the service you want to log in with.", "ja": "ログインに使うサービスを選んでください。"}
HINT = {"en": "Last used", "ja": "前回使用"}


def page(b, stack, path, lang=None, headers=None):
    headers = dict(headers or {})
    if lang is not None:
        headers["Accept-Language"] = lang
    return b.get(stack.url(path), headers=headers)


@pytest.mark.parametrize("accept,lang", [
    (None, "en"), ("ja", "ja"), ("ja-JP,ja;q=0.9,en;q=0.8", "ja"), ("en-US,en;q=0.9,ja;q=0.8", "en"),
    ("fr, ja;q=0.5", "ja"), ("de", "en"), ("ja;q=0, en;q=0.1", "en"), ("en;q=0.2, ja-JP;q=0.7", "ja"),
])
def test_language_and_headers(stack, accept, lang):
    stack.httpd(chooser_conf(stack))
    b = stack.browser()
    r = page(b, stack, "/app/x", accept)
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    assert r.headers["Content-Language"] == lang
    assert "Accept-Language" in [v.strip() for v in r.headers["Vary"].split(",")]
    assert r.headers["Cache-Control"] == "no-store"
    csp = r.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "style-src 'unsafe-inline'" in csp and "script-src" not in csp
    assert r.headers["X-Frame-Options"] == "DENY"
    assert f'<html lang="{lang}">' in r.text
    assert INTRO[lang] in r.text
    assert INTRO["ja" if lang == "en" else "en"] not in r.text
    labels = {btn["provider"]: btn["label"] for btn in buttons(r.text)}
    assert labels["op"] == (OP_LABEL_JA if lang == "ja" else OP_LABEL_EN)
    assert labels["uni"] == ("学内シングルサインオン" if lang == "ja" else "Campus SSO")
    assert labels["op2"] == "op2", "no SelmidLabel and type oidc: the name"
    # nothing external: no scripts, no other origin, no images
    assert "<script" not in r.text.lower() and "<img" not in r.text.lower()
    assert not re.search(r'(src|href)="(https?:)?//', r.text)
    assert '<nav aria-label="' in r.text


def test_order_links_and_escaping(stack):
    stack.httpd(chooser_conf(stack))
    b = stack.browser()
    target = "/app/page?q=%3Cscript%3E&x=%22"
    r = page(b, stack, target)
    bt = buttons(r.text)
    assert [x["provider"] for x in bt] == APP_ORDER, "the order of SelmidProviders"
    assert [x["type"] for x in bt] == ["oidc", "shibboleth", "oidc"]
    for x in bt:
        assert x["path"] == "/selmid/login"
        assert x["provider_param"] == x["provider"]
        assert x["target"] == target
        assert x["hint"] == "", "no hint without the cookie"
    # labels are escaped, the target too
    op = [x for x in bt if x["provider"] == "op"][0]
    assert op["label_raw"] == "University &lt;OP&gt; &amp; Co"
    assert "<OP>" not in r.text and "<script>" not in r.text
    # SelmidProviders unset: definition order (not alphabetical)
    r = page(b, stack, "/other/")
    assert [x["provider"] for x in buttons(r.text)] == DEFINITION_ORDER
    # a button starts the right flow
    r = b.get(urllib.parse.urljoin(stack.url("/"), [x for x in bt if x["provider"] == "op2"][0]["url"]))
    assert r.status_code == 302 and r.headers["Location"].startswith(stack.op2.issuer + "/")


def test_language_switch_link(stack):
    stack.httpd(chooser_conf(stack))
    b = stack.browser()
    r = page(b, stack, "/app/sub?a=1")
    url, lang = switch_link(r.text)
    assert lang == "ja" and url.startswith("/selmid/choose?")
    q = query(url)
    assert q == {"target": "/app/sub?a=1", "providers": "op2,uni,op", "hint": "", "lang": "ja"}
    r2 = b.get(stack.url(url))
    assert r2.status_code == 200 and r2.headers["Content-Language"] == "ja"
    assert '<html lang="ja">' in r2.text
    assert [(x["provider"], x["url"]) for x in buttons(r2.text)] == [(x["provider"], x["url"]) for x in buttons(r.text)]
    back, lang = switch_link(r2.text)
    assert lang == "en" and query(back)["lang"] == "en"
    # the explicit choice beats Accept-Language; an invalid one is ignored
    r3 = page(b, stack, "/selmid/choose?target=/app/&lang=en", "ja")
    assert r3.headers["Content-Language"] == "en"
    for bad in ("xx", "ja-JP", "%3Cja%3E", ""):
        r4 = page(b, stack, f"/selmid/choose?target=/app/&lang={bad}", "ja")
        assert r4.status_code == 200 and r4.headers["Content-Language"] == "ja"
        assert "&lt;ja" not in r4.text and "<ja>" not in r4.text


def hint_cookie(resp):
    c = [c for c in set_cookies(resp) if c["name"] == "selmid_hint"]
    assert len(c) == 1, set_cookies(resp)
    return c[0]


def test_login_records_hint_and_chooser_uses_it(stack):
    stack.httpd(chooser_conf(stack))
    b = stack.browser()
    r = b.get(stack.url("/selmid/login?provider=op2&target=/app/"))
    assert r.status_code == 302 and r.headers["Location"].startswith(stack.op2.issuer + "/")
    c = hint_cookie(r)
    assert c["value"] == "op2"
    assert c["attrs"]["path"] == "/" and c["attrs"]["max-age"] == str(90 * 24 * 3600)
    assert c["attrs"]["samesite"] == "Lax" and "httponly" in c["attrs"] and "secure" not in c["attrs"]
    for lang in ("en", "ja"):
        bt = buttons(page(b, stack, "/other/", lang).text)
        assert [x["provider"] for x in bt] == ["op2", "uni", "op"], "the hinted provider first"
        assert [x["hint"] for x in bt] == [HINT[lang], "", ""]
    # at /app op2 is first anyway; choosing op moves op to the front
    r = b.get(stack.url("/selmid/login?provider=op&target=/app/"))
    assert hint_cookie(r)["value"] == "op"
    bt = buttons(page(b, stack, "/app/").text)
    assert [x["provider"] for x in bt] == ["op", "op2", "uni"]
    assert bt[0]["hint"] == HINT["en"] and bt[1]["hint"] == ""
    # the language switch carries the hint along
    assert query(switch_link(page(b, stack, "/app/").text)[0])["hint"] == "op"
    # a shibboleth-type choice is recorded too
    r = b.get(stack.url("/selmid/login?provider=uni&target=/app/"))
    assert hint_cookie(r)["value"] == "uni"
    # an unknown provider at /login records nothing
    r = b.get(stack.url("/selmid/login?provider=nosuch&target=/app/"))
    assert r.status_code == 400 and not [c for c in set_cookies(r) if c["name"] == "selmid_hint"]


def test_hint_cookie_secure_on_https(stack):
    h = stack.httpd(chooser_conf(stack), tls=True)
    b = stack.browser()
    b.verify = h.tls[0]
    r = b.get(stack.url("/selmid/login?provider=op&target=/app/"))
    assert r.status_code == 302
    assert "secure" in hint_cookie(r)["attrs"]


@pytest.mark.parametrize("value", ["nosuch", "%3Cscript%3E", "op%20op2", "", "OP"])
def test_invalid_hint_ignored(stack, value):
    stack.httpd(chooser_conf(stack))
    b = stack.browser()
    r = page(b, stack, "/app/", headers={"Cookie": f"selmid_hint={value}"})
    bt = buttons(r.text)
    assert [x["provider"] for x in bt] == APP_ORDER
    assert all(x["hint"] == "" for x in bt)
    assert "script" not in r.text.split("</style>")[1].lower()
    # /choose?hint= the same
    r = page(b, stack, f"/selmid/choose?target=/&hint={value}")
    assert [x["provider"] for x in buttons(r.text)] == DEFINITION_ORDER


def test_hint_for_a_provider_not_offered_here(stack):
    stack.httpd(chooser_conf(stack))
    b = stack.browser()
    b.get(stack.url("/selmid/login?provider=uni&target=/"))
    bt = buttons(page(b, stack, "/public/two/").text)
    assert [x["provider"] for x in bt] == ["op", "op2"], "uni is not accepted at /public/two"
    assert all(x["hint"] == "" for x in bt)


def test_hint_off(stack):
    stack.httpd(chooser_conf(stack))
    b = stack.browser()
    r = b.get(stack.url("/selmid/login?provider=op&target=/"))
    assert hint_cookie(r)["value"] == "op", "/login records the hint whatever the locations say"
    bt = buttons(page(b, stack, "/public/hintoff/").text)
    assert [x["provider"] for x in bt] == APP_ORDER
    assert all(x["hint"] == "" for x in bt)
    # the same browser at a location with the hint on
    assert buttons(page(b, stack, "/app/").text)[0]["provider"] == "op"


def test_choose_endpoint(stack):
    h = stack.httpd(chooser_conf(stack))
    b = stack.browser()
    r = page(b, stack, "/selmid/choose?target=/app/x%3Fy%3D1")
    assert r.status_code == 200 and r.headers["Content-Security-Policy"].startswith("default-src 'none'")
    bt = buttons(r.text)
    assert [x["provider"] for x in bt] == DEFINITION_ORDER
    assert all(x["target"] == "/app/x?y=1" for x in bt)
    # without a target: the site's root
    assert all(x["target"] == "/" for x in buttons(page(b, stack, "/selmid/choose").text))
    # a subset, in the order given; unknown names and duplicates are dropped
    r = page(b, stack, "/selmid/choose?target=/&providers=op,nosuch,uni,op")
    assert [x["provider"] for x in buttons(r.text)] == ["op", "uni"]
    assert query(switch_link(r.text)[0])["providers"] == "op,uni"
    # the hint parameter
    bt = buttons(page(b, stack, "/selmid/choose?target=/&hint=op", "ja").text)
    assert [x["provider"] for x in bt] == ["op", "uni", "op2"]
    assert bt[0]["hint"] == HINT["ja"]
    # one provider: straight to its login
    r = page(b, stack, "/selmid/choose?target=/app/&providers=op2")
    assert r.status_code == 302
    assert query(r.headers["Location"]) == {"provider": "op2", "target": "/app/"}
    # errors
    mark = h.log_mark()
    r = page(b, stack, "/selmid/choose?target=https://evil.example/&providers=op,uni")
    assert_denied(r, 400, "SM33001", h, mark, not_reflected=["evil.example"])
    mark = h.log_mark()
    r = page(b, stack, "/selmid/choose?target=/&providers=nosuch,%3Cb%3E")
    assert_denied(r, 400, "SM33002", h, mark, not_reflected=["nosuch", "<b>"])
    assert b.post(stack.url("/selmid/choose?target=/"), data={"a": "b"}).status_code == 405


def test_choose_uses_the_cookie_unless_told_otherwise(stack):
    conf = chooser_conf(stack)
    conf.locations["/selmid/choose"] = ["SelmidProviderHint on"]
    stack.httpd(conf)
    b = stack.browser()
    b.get(stack.url("/selmid/login?provider=op&target=/"))
    assert buttons(page(b, stack, "/selmid/choose?target=/").text)[0]["provider"] == "op"
    # an empty hint parameter: no hint (the language switch of a location with the hint off)
    assert [x["provider"] for x in buttons(page(b, stack, "/selmid/choose?target=/&hint=").text)] \
        == DEFINITION_ORDER
    # the parameter beats the cookie
    assert buttons(page(b, stack, "/selmid/choose?target=/&hint=op2").text)[0]["provider"] == "op2"


def test_choose_hint_off_by_location(stack):
    conf = chooser_conf(stack)
    conf.locations["/selmid/choose"] = ["SelmidProviderHint off"]
    stack.httpd(conf)
    b = stack.browser()
    b.get(stack.url("/selmid/login?provider=op&target=/"))
    assert [x["provider"] for x in buttons(page(b, stack, "/selmid/choose?target=/").text)] == DEFINITION_ORDER
    # an explicit hint is still honoured (the application asked for it)
    assert buttons(page(b, stack, "/selmid/choose?target=/&hint=op").text)[0]["provider"] == "op"


TEMPLATE = """<!DOCTYPE html>
<html lang="{{lang}}"><head><meta charset="utf-8"><title>{{title}} - Example U</title></head>
<body><h1 class="custom">{{heading}}</h1><p>{{intro}}</p>
<p><a class="sw" href="{{switch_url}}" lang="{{switch_lang}}">{{switch_label}}</a></p>
<nav aria-label="{{nav_label}}"><ol>
{{#providers}}<li class="t-{{type}}" data-name="{{name}}"><a href="{{url}}">{{label}}</a><em>{{hint}}</em> in {{lang}}</li>
{{/providers}}</ol></nav><p data-target="{{target}}">end</p></body></html>
"""


def write_templates(stack, files):
    d = os.path.join(stack.dir, "templates")
    os.makedirs(d, exist_ok=True)
    os.chmod(d, 0o755)
    for name, text in files.items():
        with open(os.path.join(d, name), "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(os.path.join(d, name), 0o644)
    return d


def test_template_dir(stack):
    d = write_templates(stack, {"chooser.html": TEMPLATE,
                                "chooser.ja.html": "<p lang=\"{{lang}}\">JA-ONLY {{#providers}}[{{name}}]{{/providers}}</p>"})
    conf = chooser_conf(stack)
    conf.server.append(f"SelmidTemplateDir {d}")
    stack.httpd(conf)
    b = stack.browser()
    b.get(stack.url("/selmid/login?provider=op&target=/"))
    r = page(b, stack, "/app/p?x=%3Cy%3E", "en")
    assert r.status_code == 200 and r.headers["Content-Language"] == "en"
    assert r.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert r.headers["Cache-Control"] == "no-store"
    assert '<h1 class="custom">Log in</h1>' in r.text
    names = re.findall(r'data-name="([^"]*)"', r.text)
    assert names == ["op", "op2", "uni"], "the hinted provider first, then SelmidProviders order"
    assert '<li class="t-oidc" data-name="op">' in r.text and 'class="t-shibboleth"' in r.text
    assert "University &lt;OP&gt; &amp; Co</a><em>Last used</em> in en" in r.text
    assert 'data-target="/app/p?x=%3Cy%3E"' in r.text
    hrefs = [html.unescape(u) for u in re.findall(r'<a href="([^"]*)">', r.text)]
    assert [query(u) for u in hrefs if "/selmid/login?" in u][1] == {"provider": "op2", "target": "/app/p?x=%3Cy%3E"}
    assert 'lang="ja">日本語</a>' in r.text
    # Japanese: the per-language file wins
    r = page(b, stack, "/app/p", "ja")
    assert r.text == '<p lang="ja">JA-ONLY [op][op2][uni]</p>'
    # edits after startup are not read (read once at startup)
    write_templates(stack, {"chooser.html": "CHANGED {{title}"})
    assert "CHANGED" not in page(b, stack, "/app/p", "en").text


BAD_TEMPLATES = {
    "unknown placeholder": ("<html>\n<body>\n{{titel}}\n", "line 3", "unknown placeholder {{titel}}"),
    "unclosed block": ("<ul>\n{{#providers}}<li>{{label}}\n</ul>\n", "line 2", "{{#providers}} is not closed"),
    "item outside block": ("<p>{{url}}</p>", "line 1", "only valid inside"),
    "unclosed braces": ("a\nb\nc\n<p>{{title</p>\n", "line 4", "without a closing"),
}


@pytest.mark.parametrize("case", sorted(BAD_TEMPLATES))
@pytest.mark.parametrize("file", ["chooser.html", "chooser.en.html"])
def test_template_errors_stop_httpd(stack, case, file):
    text, line, why = BAD_TEMPLATES[case]
    d = write_templates(stack, {file: text})
    conf = chooser_conf(stack)
    conf.server.append(f"SelmidTemplateDir {d}")
    h = stack.httpd(conf, start=False)
    rc, out = h.configtest()
    assert rc != 0, out
    assert f"{d}/{file} {line}: " in out and why in out, out
    with pytest.raises(RuntimeError) as e:  # httpd itself stops, with the same message
        h.start()
    assert f"{d}/{file} {line}: " in str(e.value)


def test_template_dir_must_exist(stack):
    conf = chooser_conf(stack)
    conf.server.append(f"SelmidTemplateDir {stack.dir}/no-such-dir")
    rc, out = stack.httpd(conf, start=False).configtest()
    assert rc != 0 and "SelmidTemplateDir" in out and "no-such-dir" in out, out


def test_template_dir_without_chooser_uses_builtin(stack):
    d = write_templates(stack, {"other.html": "{{nonsense}}"})
    conf = chooser_conf(stack)
    conf.server.append(f"SelmidTemplateDir {d}")
    stack.httpd(conf)
    r = page(stack.browser(), stack, "/app/")
    assert [x["provider"] for x in buttons(r.text)] == APP_ORDER


def test_shipped_example_template(stack):
    """conf/templates/chooser.html parses and renders (escaped, in order, with the hint)."""
    from lib.procs import REPO
    conf = chooser_conf(stack)
    conf.server.append(f"SelmidTemplateDir {os.path.join(REPO, 'conf', 'templates')}")
    stack.httpd(conf)
    b = stack.browser()
    r = page(b, stack, "/selmid/choose?target=/app/&hint=uni", "ja")
    assert r.status_code == 200 and "Example University" in r.text and '<html lang="ja">' in r.text
    assert re.findall(r'<a class="provider ([a-z]+)" href="[^"]*provider=([a-z0-9]+)', r.text) == \
        [("shibboleth", "uni"), ("oidc", "op2"), ("oidc", "op")]
    assert '学内シングルサインオン<span class="hint">前回使用</span>' in r.text
    assert "大学 &lt;OP&gt; &amp; 認証" in r.text
