"""Checks a running demo (bash tools/demo.sh) the way a person would use it: the chooser lists the
five providers, and a login with the university ID (alice at the demo OpenID Provider) and with
each SNS stand-in ends at the app with an identity, and a LINE account linked to the university
ID then logs in as the university identity. Exits non-zero on the first failure.

Usage: /usr/bin/python3 tools/demo/smoke.py [http://127.0.0.1:8080]
"""
import os
import re
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "t", "e2e"))

from lib.browser import Browser  # noqa: E402
from lib.linking import form  # noqa: E402


def main():
    base = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8080"
    nav = {"Accept": "text/html", "Accept-Language": "ja", "Sec-Fetch-Mode": "navigate"}
    page = Browser().get(base + "/", headers=nav)
    providers = re.findall(r'href="/selmid/login\?provider=([^&"]+)', page.text)
    print(f"chooser: HTTP {page.status_code}, providers {providers}")
    if page.status_code != 200 or providers != ["demo-op", "line", "google", "yahoojp", "facebook"]:
        return 1
    for provider in providers:
        b = Browser()
        url = f"{base}/selmid/login?provider={provider}&target=%2F"
        flow = b.login(url, "alice", "alice-password") if provider == "demo-op" else b.follow(url)
        r = flow.response
        user = re.search(r"REMOTE_USER</th><td>([^<]*)", r.text)
        print(f"{provider}: HTTP {r.status_code}, REMOTE_USER {user.group(1) if user else None}")
        if r.status_code != 200 or not user or not user.group(1):
            return 1
    if link_line(base) != 0:
        return 1
    print("demo smoke test: ok")
    return 0


def remote_user(resp):
    m = re.search(r"REMOTE_USER</th><td>([^<]*)", resp.text)
    return m.group(1) if m else None


def link_line(base):
    """Account linking: LINE alice linked to the university's alice, then a LINE login alone gives
    the university identity (a re-run finds the link the first run made)."""
    uni = remote_user(Browser().login(f"{base}/selmid/login?provider=demo-op&target=%2F", "alice",
                                      "alice-password").response)
    b = Browser()
    r = b.follow(f"{base}/selmid/login?provider=line&target=%2F").response
    if remote_user(r) != uni:
        post = {"Origin": base, "Sec-Fetch-Site": "same-origin"}
        page = b.get(base + "/selmid/link")
        action, fields, _ = form(page.text, "/link/add", provider="demo-op")
        r = b.post(base + action, data=fields, headers=post)
        page = b.follow(None, user="alice", password="alice-password", first=r).response
        action, fields, _ = form(page.text, "/link/confirm")
        r = b.post(base + action, data=fields, headers=post)
        print(f"link LINE to the university ID: HTTP {r.status_code}")
        if r.status_code != 303:
            return 1
    r = Browser().follow(f"{base}/selmid/login?provider=line&target=%2F").response
    print(f"line after linking: HTTP {r.status_code}, REMOTE_USER {remote_user(r)} (university: {uni})")
    return 0 if r.status_code == 200 and uni and remote_user(r) == uni else 1


if __name__ == "__main__":
    sys.exit(main())
