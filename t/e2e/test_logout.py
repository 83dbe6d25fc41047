"""Logout: the session is destroyed on the server, the cookie cleared, the browser sent to a local
return path; a refused return path is a 400."""
import urllib.parse

import pytest

from lib.browser import set_cookies
from lib.flows import app_env, assert_denied, session_json


@pytest.mark.parametrize("store", ["shm", "memcached"])
def test_logout(stack, store):
    stack.httpd(stack.conf(store=store))
    b = stack.browser()
    app_env(b.login(stack.url("/app/"), "alice").response)
    sid = b.cookie("selmid_session")
    r = b.get(stack.url("/selmid/logout?return=/public/bye"))
    assert r.status_code in (302, 303)
    assert r.headers["Location"] in ("/public/bye", stack.url("/public/bye"))
    cleared = [c for c in set_cookies(r) if c["name"] == "selmid_session"]
    assert cleared and (cleared[0]["value"] == "" or cleared[0]["attrs"].get("max-age") == "0")
    assert b.cookie("selmid_session") in (None, "")
    assert b.get(stack.url("/app/")).status_code == 302
    assert session_json(b, stack)[0].status_code == 401
    # the old session id is dead on the server too, not just forgotten by the browser
    replay = stack.browser()
    replay.cookies.set("selmid_session", sid, domain="127.0.0.1", path="/")
    r = replay.get(stack.url("/app/"))
    assert r.status_code == 302 and "selmid-app-content" not in r.text


def test_logout_without_session(stack):
    stack.httpd()
    r = stack.browser().get(stack.url("/selmid/logout?return=/"))
    assert r.status_code in (302, 303) and r.headers["Location"] in ("/", stack.url("/"))


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example",
                                    "javascript:alert(1)"])
def test_logout_refuses_foreign_return(stack, target):
    h = stack.httpd()
    b = stack.browser()
    app_env(b.login(stack.url("/app/"), "alice").response)
    mark = h.log_mark()
    r = b.get(stack.url("/selmid/logout?" + urllib.parse.urlencode({"return": target})))
    assert_denied(r, 400, "SM30021", h, mark, not_reflected=["evil.example", "javascript:"])
    assert "Location" not in r.headers
