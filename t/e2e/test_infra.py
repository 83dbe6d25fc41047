"""The test infrastructure itself, without mod_selmid: the OP, the browser driver against the OP
directly (a tiny Python relying party), memcached, and httpd with the CGI app and the proxied
echo back end. If these fail, the module tests cannot be trusted."""
import base64
import hashlib
import json
import os
import secrets

import pytest
import requests

from lib.browser import Browser, query, with_query
from lib.httpd import Conf, Httpd
from lib.op import CLIENT_SECRET, USERS


def b64url_json(part):
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


class MiniRP:
    """Just enough of a relying party to drive the OP: PKCE, state, nonce, code exchange."""

    def __init__(self, op, redirect_uri, client_id="app", auth="basic"):
        self.op = op
        self.meta = op.metadata()
        self.redirect_uri = redirect_uri
        self.client_id = client_id
        self.auth = auth

    def auth_url(self, scope="openid email profile groups", pkce=True):
        self.state = secrets.token_urlsafe(16)
        self.nonce = secrets.token_urlsafe(16)
        self.verifier = secrets.token_urlsafe(48)
        params = {"response_type": "code", "client_id": self.client_id, "redirect_uri": self.redirect_uri,
                  "scope": scope, "state": self.state, "nonce": self.nonce}
        if pkce:
            challenge = base64.urlsafe_b64encode(hashlib.sha256(self.verifier.encode()).digest()).rstrip(b"=")
            params.update(code_challenge=challenge.decode(), code_challenge_method="S256")
        return with_query(self.meta["authorization_endpoint"], **params)

    def token(self, code):
        data = {"grant_type": "authorization_code", "code": code, "redirect_uri": self.redirect_uri,
                "code_verifier": self.verifier}
        kw = {}
        if self.auth == "basic":
            kw["auth"] = (self.client_id, CLIENT_SECRET)
        else:
            data.update(client_id=self.client_id, client_secret=CLIENT_SECRET)
        return requests.post(self.meta["token_endpoint"], data=data, timeout=10, **kw)

    def userinfo(self, access_token):
        return requests.get(self.meta["userinfo_endpoint"], headers={"Authorization": f"Bearer {access_token}"},
                            timeout=10)


def sign_in(op, httpd_port, user, client_id="app", auth="basic", tamper=None):
    rp = MiniRP(op, f"http://127.0.0.1:{httpd_port}/selmid/callback", client_id, auth)
    b = Browser()
    start = rp.auth_url()
    flow = b.login(tamper(start) if tamper else start, user, stop=lambda u: u.startswith(rp.redirect_uri))
    return rp, flow


def test_op_discovery(op):
    meta = op.metadata()
    assert meta["issuer"] == op.issuer
    assert meta["authorization_response_iss_parameter_supported"] is True
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert {"openid", "email", "profile", "groups"} <= set(meta["scopes_supported"])
    keys = requests.get(meta["jwks_uri"], timeout=5).json()["keys"]
    assert {k["kty"] for k in keys} == {"RSA", "EC"}
    assert all("d" not in k for k in keys), "private key material must not be published"


@pytest.mark.parametrize("client_id,auth,alg", [("app", "basic", "RS256"), ("app-post", "post", "RS256"),
                                                 ("app-es", "basic", "ES256"), ("app-ps", "basic", "PS256")])
def test_op_code_flow(op, httpd_port, client_id, auth, alg):
    rp, flow = sign_in(op, httpd_port, "alice", client_id, auth)
    assert flow.pending, "the flow should end at the redirect_uri"
    q = query(flow.pending)
    assert q["state"] == rp.state
    assert q["iss"] == op.issuer, "RFC 9207 iss in the authorization response"
    tok = rp.token(q["code"])
    assert tok.status_code == 200, tok.text
    body = tok.json()
    header = b64url_json(body["id_token"].split(".")[0])
    claims = b64url_json(body["id_token"].split(".")[1])
    assert header["alg"] == alg
    assert claims["sub"] == USERS["alice"][1]
    assert claims["nonce"] == rp.nonce
    assert claims["aud"] == client_id
    ui = rp.userinfo(body["access_token"]).json()
    assert ui["sub"] == USERS["alice"][1]
    assert ui["name"] == "山田 花子"
    assert ui["groups"] == ["students", "physics;lab", "staff"]
    assert ui["email"] == "alice@example.edu"
    # the code is single use
    assert rp.token(q["code"]).status_code == 400


def test_op_requires_pkce(op, httpd_port):
    rp = MiniRP(op, f"http://127.0.0.1:{httpd_port}/selmid/callback")
    r = Browser().get(rp.auth_url(pkce=False))
    assert r.is_redirect
    assert query(r.headers["Location"]).get("error") == "invalid_request"


def test_op_wrong_password_and_cancel(op, httpd_port):
    rp = MiniRP(op, f"http://127.0.0.1:{httpd_port}/selmid/callback")
    b = Browser()
    r = b.get(rp.auth_url())
    while r.is_redirect:
        r = b.get(requests.compat.urljoin(r.url, r.headers["Location"]))
    assert "Sign in" in r.text
    action = r.text.split('action="', 1)[1].split('"', 1)[0]
    r2 = b.post(requests.compat.urljoin(r.url, action), data={"username": "alice", "password": "nope"})
    assert r2.status_code == 200 and "Wrong username or password" in r2.text
    flow = b.cancel_login(rp.auth_url(), stop=lambda u: u.startswith(rp.redirect_uri))
    assert query(flow.pending)["error"] == "access_denied"


def test_op_special_users(op, httpd_port):
    rp, flow = sign_in(op, httpd_port, "mallory")
    body = rp.token(query(flow.pending)["code"]).json()
    assert b64url_json(body["id_token"].split(".")[1])["sub"] == "mallory-0004"
    assert rp.userinfo(body["access_token"]).json()["sub"] != "mallory-0004"

    rp, flow = sign_in(op, httpd_port, "ursula")
    body = rp.token(query(flow.pending)["code"]).json()
    assert rp.userinfo(body["access_token"]).status_code >= 500

    rp, flow = sign_in(op, httpd_port, "carol")
    body = rp.token(query(flow.pending)["code"]).json()
    assert "\r\n" in rp.userinfo(body["access_token"]).json()["name"]


def test_op_tampered_nonce_reaches_id_token(op, httpd_port):
    rp, flow = sign_in(op, httpd_port, "bob",
                       tamper=lambda u: with_query(u, nonce="tampered") if "/auth?" in u else u)
    body = rp.token(query(flow.pending)["code"]).json()
    assert b64url_json(body["id_token"].split(".")[1])["nonce"] == "tampered"


def test_op_control(op):
    meta = op.metadata()
    try:
        op.control(fail={"jwks": 500})
        assert requests.get(meta["jwks_uri"], timeout=5).status_code == 500
        op.control(swap_jwks=True)
        swapped = requests.get(meta["jwks_uri"], timeout=5).json()["keys"]
        op.reset()
        real = requests.get(meta["jwks_uri"], timeout=5).json()["keys"]
        assert [k["kid"] for k in swapped] == [k["kid"] for k in real]
        assert swapped[0]["n"] != real[0]["n"]
    finally:
        op.reset()


def test_memcached(memcached):
    assert memcached.command("set k 0 0 1\r\nv").startswith("STORED")
    assert "VALUE k 0 1" in memcached.command("get k")


@pytest.fixture
def plain_httpd(e2e_root, httpd_port, backend, request):
    d = os.path.join(e2e_root, "plain-" + request.node.name)
    h = Httpd(d, Conf(load_selmid=False), httpd_port, backend.port)
    h.start()
    yield h
    h.stop()


def test_httpd_without_module(plain_httpd):
    h = plain_httpd
    r = requests.get(h.url + "/app/x?y=1", headers={"X-Probe": "1"}, timeout=10)
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["marker"] == "selmid-app-content"
    assert data["env"]["PATH_INFO"] == "/x"
    assert data["env"]["HTTP_X_PROBE"] == "1"
    assert "REMOTE_USER" not in data["env"]
    r = requests.get(h.url + "/proxied/echo", headers={"X-Probe": "é".encode()}, timeout=10)
    assert r.status_code == 200
    names = {x["name"].lower(): x for x in r.json()["headers"]}
    assert names["x-probe"]["value"] == "é"
    r = requests.get(h.url + "/static/4k.bin", timeout=10)
    assert r.status_code == 200 and len(r.content) == 4096
    pid = h.proc.pid
    assert h.stop() == 0
    assert not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split()[2] == "Z"


def test_httpd_faketime(e2e_root, httpd_port, backend):
    h = Httpd(os.path.join(e2e_root, "plain-faketime"), Conf(load_selmid=False), httpd_port, backend.port,
              faketime=True)
    h.start()
    try:
        import email.utils
        import time
        d0 = email.utils.parsedate_to_datetime(requests.get(h.url + "/ready.txt", timeout=5).headers["Date"])
        assert abs(d0.timestamp() - time.time()) < 5
        h.set_clock_offset(5000)
        d1 = email.utils.parsedate_to_datetime(requests.get(h.url + "/ready.txt", timeout=5).headers["Date"])
        assert 4990 < d1.timestamp() - time.time() < 5010
    finally:
        h.stop()


def test_op_asks_for_password_every_time(op, httpd_port):
    rp = MiniRP(op, f"http://127.0.0.1:{httpd_port}/selmid/callback")
    b = Browser()
    flow = b.login(rp.auth_url(), "alice", stop=lambda u: u.startswith(rp.redirect_uri))
    assert flow.pending
    # the same browser, a new authorization request: the login form again (no silent SSO)
    flow = b.follow(rp.auth_url(), stop=lambda u: u.startswith(rp.redirect_uri))
    assert flow.pending is None and "Sign in" in flow.response.text
    flow = b.login(rp.auth_url(), "bob", stop=lambda u: u.startswith(rp.redirect_uri))
    body = rp.token(query(flow.pending)["code"]).json()
    assert b64url_json(body["id_token"].split(".")[1])["sub"] == USERS["bob"][1]
