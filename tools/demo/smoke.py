"""Checks a running demo (bash tools/demo.sh) the way a person would use it: the chooser lists the
five providers, and a login with the university ID (alice at the demo OpenID Provider) and with
each SNS stand-in ends at the app with an identity. Exits non-zero on the first failure.

Usage: /usr/bin/python3 tools/demo/smoke.py [http://127.0.0.1:8080]
"""
import os
import re
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "t", "e2e"))

from lib.browser import Browser  # noqa: E402


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
    print("demo smoke test: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
