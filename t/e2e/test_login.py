"""Sign-in through the real OP: the authorization request, the callback, the session cookie,
the identity the app receives, with the shm and the memcached session stores."""
import base64
import re

import pytest

from lib.browser import query, set_cookies
from lib.flows import app_env, cookie_attrs, is_callback, session_json, state_cookies, to_op
from lib.op import USERS


def test_unauthenticated_get_goes_to_op_through_login_endpoint(stack):
    """One provider: the protected location sends the browser to <SelmidPath>/login (which sees
    the state cookies of earlier logins and caps them), and that answer goes to the OP."""
    stack.httpd()
    b = stack.browser()
    r = b.get(stack.url("/app/page?x=1"))
    assert r.status_code == 302
    assert "selmid-app-content" not in r.text
    login = r.headers["Location"]
    assert login.startswith("/selmid/login?"), login
    assert query(login) == {"provider": "op", "target": "/app/page?x=1"}
    assert not [c for c in set_cookies(r) if c["name"].startswith("selmid_state_")]
    r = b.get(stack.url(login))
    assert r.status_code == 302
    assert r.headers["Location"].startswith(stack.op.metadata()["authorization_endpoint"] + "?")
    assert [c for c in set_cookies(r) if c["name"].startswith("selmid_state_")]


def test_unauthenticated_get_redirects_to_op(stack):
    stack.httpd()
    b = stack.browser()
    r = to_op(b, b.get(stack.url("/app/page?x=1")))
    assert r.status_code == 302
    loc = r.headers["Location"]
    meta = stack.op.metadata()
    assert loc.startswith(meta["authorization_endpoint"] + "?")
    q = query(loc)
    assert q["response_type"] == "code"
    assert q["client_id"] == "app"
    assert q["redirect_uri"] == stack.url("/selmid/callback")
    assert set(q["scope"].split()) == {"openid", "email", "profile", "groups"}
    assert len(q["state"]) >= 16 and len(q["nonce"]) >= 16
    assert q["state"] != q["nonce"]
    assert q["code_challenge_method"] == "S256"
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", q["code_challenge"])
    assert "selmid-app-content" not in r.text
    cookies = [c for c in set_cookies(r) if c["name"].startswith("selmid_state_")]
    assert len(cookies) == 1
    c = cookies[0]
    assert re.fullmatch(r"selmid_state_[0-9a-f]{16}", c["name"])
    assert "httponly" in c["attrs"]
    assert c["attrs"].get("samesite", "").lower() == "lax"
    assert c["attrs"].get("path") == "/selmid/"
    assert c["attrs"].get("max-age") == "600"
    assert "secure" not in c["attrs"], "plain http: no Secure attribute"
    # the state and nonce are not in the cookie in clear
    assert q["state"] not in c["value"] and q["nonce"] not in c["value"]
    # each new attempt gets a fresh state, nonce and PKCE challenge
    q2 = query(to_op(b, b.get(stack.url("/app/page?x=1"))).headers["Location"])
    assert q2["state"] != q["state"] and q2["nonce"] != q["nonce"] and q2["code_challenge"] != q["code_challenge"]


def test_state_cookies_do_not_pile_up(stack):
    stack.httpd()
    b = stack.browser()
    for _ in range(12):
        assert to_op(b, b.get(stack.url("/app/"))).status_code == 302
    n = len(state_cookies(b))
    assert 1 <= n <= 8, f"{n} state cookies kept in flight"


@pytest.mark.parametrize("store", ["shm", "memcached"])
def test_login_and_identity(stack, store):
    stack.httpd(stack.conf(store=store))
    b = stack.browser()
    flow = b.login(stack.url("/app/page?x=1&y=%C3%A9"), "alice")
    env = app_env(flow.response)
    # the callback set the session and sent the browser back to the original target
    cb = [r for r in flow.steps if is_callback(r.url)]
    assert len(cb) == 1
    cbr = cb[0]
    assert cbr.status_code == 302
    assert cbr.headers["Location"] in ("/app/page?x=1&y=%C3%A9", stack.url("/app/page?x=1&y=%C3%A9"))
    sess = cookie_attrs(cbr, "selmid_session")
    assert sess is not None, "no session cookie set at the callback"
    assert "httponly" in sess["attrs"]
    assert sess["attrs"].get("samesite", "").lower() == "lax"
    assert sess["attrs"].get("path") == "/"
    assert len(sess["value"]) >= 43, "the session id carries at least 256 bits"
    # the state cookie of this login is deleted
    deleted = [c for c in set_cookies(cbr) if c["name"].startswith("selmid_state_")]
    assert deleted and all(c["value"] == "" or c["attrs"].get("max-age") == "0" or "expires" in c["attrs"]
                           for c in deleted)
    assert not state_cookies(b)
    # what the app sees
    assert env["REMOTE_USER"] == USERS["alice"][1]
    assert env["SELMID_sub"] == USERS["alice"][1]
    assert env["SELMID_email"] == "alice@example.edu"
    assert env["SELMID_email_verified"] == "true"
    assert env["SELMID_name"] == "山田 花子"
    assert env["SELMID_groups"] == "students;physics\\;lab;staff"
    assert env["PATH_INFO"] == "/page" and env["QUERY_STRING"] == "x=1&y=%C3%A9"
    # the session is reused: no new round trip to the OP
    r = b.get(stack.url("/app/again"))
    assert app_env(r)["REMOTE_USER"] == USERS["alice"][1]
    if store == "memcached":
        assert int(stack.memcached.stats()["curr_items"]) >= 1


def test_auth_type(stack):
    stack.httpd()
    env = app_env(stack.browser().login(stack.url("/app/"), "alice").response)
    assert env.get("AUTH_TYPE", "").lower() == "selmid"


def test_session_encrypted_in_memcached(stack):
    mc = stack.new_memcached()
    conf = stack.conf(store=f"memcached {mc.address}")
    stack.httpd(conf)
    b = stack.browser()
    app_env(b.login(stack.url("/app/"), "alice").response)
    sid = b.cookie("selmid_session")
    keys = re.findall(r"key=(\S+)", mc.command("lru_crawler metadump all"))
    assert keys, "the session was not stored in memcached"
    for k in keys:
        from urllib.parse import unquote
        key = unquote(k)
        assert sid not in key, "the raw session id is used as the store key"
        value = mc.command(f"get {key}")
        for plain in ("alice@example.edu", "alice-0001", "physics", "山田"):
            assert plain.encode("utf-8").decode("latin-1") not in value, f"{plain!r} stored in clear"


def test_session_endpoint(stack):
    stack.httpd()
    b = stack.browser()
    r, _ = session_json(b, stack)
    assert r.status_code == 401
    app_env(b.login(stack.url("/app/"), "alice").response)
    r, data = session_json(b, stack)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    assert "no-store" in r.headers.get("Cache-Control", "")
    text = r.text
    claims = data.get("claims", data)
    assert claims["sub"] == USERS["alice"][1]
    assert claims["email"] == "alice@example.edu"
    assert claims["name"] == "山田 花子"
    assert "eyJ" not in text, "a JWT in the session endpoint"
    for k in ("id_token", "access_token", "refresh_token", "code"):
        assert f'"{k}"' not in text


def test_new_session_id_at_every_login(stack):
    stack.httpd()
    b = stack.browser()
    planted = "A" * 43
    b.cookies.set("selmid_session", planted, domain="127.0.0.1", path="/")
    app_env(b.login(stack.url("/app/"), "alice").response)
    first = b.cookie("selmid_session")
    assert first and first != planted, "a session id chosen by the browser was kept (fixation)"
    # signing in again in the same browser (after a logout) yields another id; the first one is
    # no longer valid anywhere
    assert b.get(stack.url("/selmid/logout?return=/public/")).status_code == 302
    flow = b.login(stack.url("/app/second"), "alice")
    assert app_env(flow.response)["PATH_INFO"] == "/second"
    second = b.cookie("selmid_session")
    assert second and second not in (first, planted)
    other = stack.browser()
    other.cookies.set("selmid_session", first, domain="127.0.0.1", path="/")
    assert other.get(stack.url("/app/")).status_code == 302


@pytest.mark.parametrize("client_id,extra", [
    ("app-es", []),
    ("app-ps", []),
    ("app-post", ["SelmidTokenAuth client_secret_post"]),
    ("app-hs", ["SelmidIDTokenAlgs HS256"]),
])
def test_login_variants(stack, client_id, extra):
    conf = stack.conf(client_id=client_id)
    conf.providers["op"] += extra
    stack.httpd(conf)
    b = stack.browser()
    env = app_env(b.login(stack.url("/app/"), "bob").response)
    assert env["REMOTE_USER"] == USERS["bob"][1]
    assert env["SELMID_name"] == "Bob Smith; Jr."


def test_whole_site_protected(stack):
    """<Location /> with AuthType selmid covers mod_selmid's own endpoints too; they still work."""
    conf = stack.conf()
    conf.locations = {"/": ["AuthType selmid", "SelmidProviders op", "Require valid-user"]}
    stack.httpd(conf)
    b = stack.browser()
    env = app_env(b.login(stack.url("/app/deep/path"), "alice").response)
    assert env["REMOTE_USER"] == USERS["alice"][1] and env["PATH_INFO"] == "/deep/path"
    r, data = session_json(b, stack)
    assert r.status_code == 200
    r = b.get(stack.url("/selmid/logout?return=/app/"))
    assert r.status_code in (302, 303)
    assert b.get(stack.url("/app/")).status_code == 302


def test_custom_selmid_path(stack):
    conf = stack.conf(selmid_path="/sso")
    stack.httpd(conf)
    b = stack.browser()
    r = to_op(b, b.get(stack.url("/app/")))
    assert query(r.headers["Location"])["redirect_uri"] == stack.url("/sso/callback")
    c = [c for c in set_cookies(r) if c["name"].startswith("selmid_state_")][0]
    assert c["attrs"].get("path") == "/sso/"
    env = app_env(b.follow(None, first=r, user="alice", password=USERS["alice"][0]).response)
    assert env["REMOTE_USER"] == USERS["alice"][1]
    assert b.get(stack.url("/selmid/session")).status_code != 200


def test_base64_session_cookie_is_opaque(stack):
    stack.httpd()
    b = stack.browser()
    app_env(b.login(stack.url("/app/"), "alice").response)
    sid = b.cookie("selmid_session")
    raw = base64.urlsafe_b64decode(sid + "=" * (-len(sid) % 4)) if re.fullmatch(r"[A-Za-z0-9_-]+", sid) else b""
    assert b"alice" not in raw and b"alice" not in sid.encode()


def test_op_key_rotation(stack):
    """The OP replaces its keys (new kids): the module fetches the JWKS again and logins go on.
    (Refetches on an unknown kid are rate-limited, so httpd's clock is moved past that limit.)"""
    import requests
    from conftest import standard_clients
    from lib.op import OP
    op = stack.new_op()
    h = stack.httpd(stack.conf(op=op), faketime=True)
    b = stack.browser()
    app_env(b.login(stack.url("/app/"), "alice").response)
    old_kids = {k["kid"] for k in requests.get(op.issuer + "/jwks", timeout=5).json()["keys"]}
    op.stop()
    rotated = OP(stack.dir, standard_clients(stack.httpd_port), port=op.port, name="op-rotated").start()
    stack.extra.append(rotated)
    new_kids = {k["kid"] for k in requests.get(op.issuer + "/jwks", timeout=5).json()["keys"]}
    assert not old_kids & new_kids
    h.set_clock_offset(300)
    b2 = stack.browser()
    env = app_env(b2.login(stack.url("/app/"), "bob").response)
    assert env["REMOTE_USER"] == USERS["bob"][1]


def test_two_memcached_servers(stack):
    m1, m2 = stack.new_memcached(), stack.new_memcached()
    stack.httpd(stack.conf(store=f"memcached {m1.address},{m2.address}"))
    for user in ("alice", "bob", "carol", "alice", "bob"):
        b = stack.browser()
        assert app_env(b.login(stack.url("/app/"), user).response)["REMOTE_USER"] == USERS[user][1]
        assert app_env(b.get(stack.url("/app/")))["REMOTE_USER"] == USERS[user][1]
    items = int(m1.stats()["curr_items"]) + int(m2.stats()["curr_items"])
    assert items >= 5


def test_https_cookies_are_secure(stack):
    h = stack.httpd(tls=True)
    b = stack.browser()
    b.verify = h.tls[0]  # the self-signed certificate
    r = to_op(b, b.get(stack.url("/app/")))
    assert query(r.headers["Location"])["redirect_uri"] == stack.url("/selmid/callback")
    assert stack.url("/").startswith("https://")
    state = [c for c in set_cookies(r) if c["name"].startswith("selmid_state_")]
    assert state and "secure" in state[0]["attrs"]
    flow = b.follow(None, first=r, user="alice", password=USERS["alice"][0])
    assert app_env(flow.response)["HTTPS"] == "on"
    cb = [s for s in flow.steps if is_callback(s.url)][0]
    sess = cookie_attrs(cb, "selmid_session")
    assert sess and "secure" in sess["attrs"]
