"""The chooser test configuration (shared by test_chooser.py and test_chooser_browser.py) and a
parser of the chooser page."""
import html
import re
from urllib.parse import parse_qs, urlsplit

from .op import CLIENT_SECRET
from .shib_standin import IDP

# Defined in this order (the chooser's order where SelmidProviders is unset): not alphabetical.
DEFINITION_ORDER = ["uni", "op2", "op"]
APP_ORDER = ["op2", "uni", "op"]  # SelmidProviders at /app
OP_LABEL_EN = "University <OP> & Co"
OP_LABEL_JA = "大学 <OP> & 認証"


def chooser_conf(stack):
    """Three providers: op (the OP, client app), op2 (the second OP, client app2), uni (a
    shibboleth-type provider). /app accepts them in the order op2 uni op, /other all of them
    (definition order), /hintoff like /app with SelmidProviderHint off, /two only op and op2."""
    conf = stack.conf()
    op = conf.providers.pop("op")
    conf.providers["uni"] = ["SelmidProviderType shibboleth", f"SelmidSAMLIdP {IDP}", 'SelmidLabel en "Campus SSO"',
                             'SelmidLabel ja "学内シングルサインオン"']
    conf.providers["op2"] = [f"SelmidIssuer {stack.op2.issuer}", "SelmidClientID app2",
                             f"SelmidClientSecret {CLIENT_SECRET}", 'SelmidScope "openid email profile"']
    conf.providers["op"] = op + [f'SelmidLabel en "{OP_LABEL_EN}"', f'SelmidLabel ja "{OP_LABEL_JA}"']
    conf.locations["/app"] = ["AuthType selmid", "SelmidProviders op2 uni op", "Require valid-user"]
    conf.locations["/other"] = ["AuthType selmid", "Require valid-user"]
    conf.locations["/public/hintoff"] = ["AuthType selmid", "SelmidProviders op2 uni op",
                                         "SelmidProviderHint off", "Require valid-user"]
    conf.locations["/public/two"] = ["AuthType selmid", "SelmidProviders op op2", "Require valid-user"]
    return conf


BUTTON_RE = re.compile(r'<a class="p p-([a-z]+)" href="([^"]*)" data-provider="([^"]*)">(.*?)</a>', re.S)
HINT_RE = re.compile(r'<span class="h">([^<]*)</span>')
LABEL_RE = re.compile(r'<span class="l">([^<]*)</span>')


def buttons(page):
    """The built-in chooser's buttons in page order: dicts type, url, provider, label, hint,
    provider_param, target."""
    out = []
    for typ, href, name, inner in BUTTON_RE.findall(page):
        url = html.unescape(href)
        q = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        hint = HINT_RE.search(inner)
        label = LABEL_RE.search(inner)
        out.append({"type": typ, "url": url, "provider": html.unescape(name),
                    "label": html.unescape(label.group(1)) if label else None,
                    "label_raw": label.group(1) if label else None,
                    "hint": html.unescape(hint.group(1)) if hint else None,
                    "provider_param": q.get("provider"), "target": q.get("target"),
                    "path": urlsplit(url).path})
    return out


def switch_link(page):
    m = re.search(r'<p class="lang"><a href="([^"]*)" lang="([a-z]+)"', page)
    return (html.unescape(m.group(1)), m.group(2)) if m else (None, None)


ALL_TYPES_ORDER = ["op", "uni", "line", "google", "yahoojp", "facebook", "apple"]


def all_types_conf(stack):
    """One provider of every type (the SNS ones only need to render: their links are not
    followed), offered at /app in ALL_TYPES_ORDER."""
    import os
    import subprocess
    conf = chooser_conf(stack)
    key = os.path.join(stack.dir, "AuthKey_TEST123456.p8")
    if not os.path.exists(key):
        subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-out", key], check=True, capture_output=True, timeout=60)
        os.chmod(key, 0o600)
    secret = ["SelmidClientID chooser-test", "SelmidClientSecret chooser-test-secret-0123456789abcdef"]
    conf.providers["op"] = [d for d in conf.providers["op"] if not d.startswith("SelmidLabel")] + \
        ['SelmidLabel en "University login"', 'SelmidLabel ja "大学のアカウントでログイン"']
    conf.providers["uni"] = ["SelmidProviderType shibboleth", f"SelmidSAMLIdP {IDP}",
                             'SelmidLabel en "GakuNin (Shibboleth)"',
                             'SelmidLabel ja "学認 (Shibboleth)"']
    for t in ("line", "google", "yahoojp", "facebook"):
        conf.providers[t] = [f"SelmidProviderType {t}"] + secret
    conf.providers["apple"] = ["SelmidProviderType apple", "SelmidClientID org.example.chooser",
                               f"SelmidAppleKey TEAM123456 TEST123456 {key}"]
    conf.locations["/app"] = ["AuthType selmid", "SelmidProviders " + " ".join(ALL_TYPES_ORDER),
                              "Require valid-user"]
    return conf
