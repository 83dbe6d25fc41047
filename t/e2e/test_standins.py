"""The SNS stand-ins themselves (no httpd): each provider's documented flow, and the refusals the
real providers make, so that module tests built on them mean something."""
import base64
import json
import os
import tempfile
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from lib.sns import appsecret_proof, form_post_fields, generate_p8, jwt_parts, jwt_verify, pkce_pair

REDIRECT_PATH = "/selmid/callback"


def redirect_uri(sns):
    return sns.redirect_uris[0]


def qs(url):
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}


def authorize(sns, provider, scope, pkce=True, **extra):
    """Run the authorize endpoint; returns (response, verifier)."""
    verifier, challenge = pkce_pair()
    params = {"response_type": "code", "client_id": sns.client_id(provider), "redirect_uri": redirect_uri(sns),
              "state": "st-" + os.urandom(6).hex(), "scope": scope, "nonce": "n-" + os.urandom(6).hex()}
    if pkce:
        params.update(code_challenge=challenge, code_challenge_method="S256")
    params.update(extra)
    params = {k: v for k, v in params.items() if v is not None}
    url = sns.endpoints(provider)["authorization"]
    if provider == "facebook":
        url += "/v26.0/dialog/oauth"
    r = requests.get(url, params=params, allow_redirects=False, timeout=5)
    r.sent = params
    return r, verifier


def code_of(r):
    assert r.status_code == 302, r.text
    q = qs(r.headers["Location"])
    assert q["state"] == r.sent["state"]
    return q["code"]


def token_post(sns, provider, code, verifier, basic=False, secret=None, **extra):
    cid, sec = sns.client_id(provider), secret or sns.client_secret(provider)
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri(sns),
            "code_verifier": verifier}
    headers = {}
    if basic:
        headers["Authorization"] = "Basic " + base64.b64encode(f"{cid}:{sec}".encode()).decode()
    else:
        data.update(client_id=cid, client_secret=sec)
    data.update(extra)
    data = {k: v for k, v in data.items() if v is not None}
    return requests.post(sns.endpoints(provider)["token"], data=data, headers=headers, timeout=5)


def jwks(sns, provider):
    return requests.get(sns.endpoints(provider)["jwks"], timeout=5).json()


# ---------------------------------------------------------------- LINE
def test_line_hs256_happy_path_and_userinfo(sns):
    r, v = authorize(sns, "line", "openid profile email")
    code = code_of(r)
    assert "friendship_status_changed" not in qs(r.headers["Location"])
    t = token_post(sns, "line", code, v)
    assert t.status_code == 200, t.text
    body = t.json()
    claims = jwt_verify(body["id_token"], hs_secret=sns.client_secret("line"))
    assert jwt_parts(body["id_token"])[0]["alg"] == "HS256"
    assert claims["iss"] == "https://access.line.me" and claims["aud"] == sns.client_id("line")
    assert claims["nonce"] == r.sent["nonce"] and claims["exp"] > time.time()
    assert claims["name"] == "Alice LINE" and claims["email"] == "alice@line.example.jp"
    ui = requests.get(sns.endpoints("line")["userinfo"], headers={"Authorization": "Bearer " + body["access_token"]},
                      timeout=5)
    assert ui.status_code == 200 and ui.json()["sub"] == claims["sub"]
    e = sns.log("line", "token")[-1]
    assert e["auth"] == "client_secret_post" and e["auth_ok"] is True
    assert "code_verifier" in e["form"] and "code_verifier" not in e["form_values"]


def test_line_es256_email_scope_and_bot_prompt(sns):
    sns.scenario("line", alg="ES256", friendship_status_changed=True)
    r, v = authorize(sns, "line", "openid profile", bot_prompt="aggressive")
    assert qs(r.headers["Location"])["friendship_status_changed"] == "true"
    body = token_post(sns, "line", code_of(r), v).json()
    claims = jwt_verify(body["id_token"], jwks=jwks(sns, "line"))
    assert jwt_parts(body["id_token"])[0]["alg"] == "ES256"
    assert "email" not in claims  # only with scope email
    assert sns.log("line", "authorize")[-1]["query_values"]["bot_prompt"] == "aggressive"


def test_line_wrong_key_scenario_does_not_verify(sns):
    sns.scenario("line", wrong_key=True)
    r, v = authorize(sns, "line", "openid profile")
    body = token_post(sns, "line", code_of(r), v).json()
    with pytest.raises(ValueError):
        jwt_verify(body["id_token"], hs_secret=sns.client_secret("line"))


def test_line_refusals(sns):
    # unknown client / unregistered redirect_uri: an error page, no redirect
    r, _ = authorize(sns, "line", "openid", client_id="999")
    assert r.status_code == 400 and "Location" not in r.headers
    r, _ = authorize(sns, "line", "openid", redirect_uri="http://127.0.0.1:1/evil")
    assert r.status_code == 400 and "Location" not in r.headers
    # missing state, plain PKCE: error redirects with the state
    r, _ = authorize(sns, "line", "openid", state=None)
    assert qs(r.headers["Location"])["error"] == "invalid_request"
    r, _ = authorize(sns, "line", "openid", code_challenge_method="plain")
    assert qs(r.headers["Location"])["error"] == "invalid_request"
    sns.scenario("line", deny=True)
    r, _ = authorize(sns, "line", "openid")
    q = qs(r.headers["Location"])
    assert q["error"] == "access_denied" and q["state"] == r.sent["state"] and "code" not in q
    sns.scenario("line")
    # wrong secret, wrong verifier, wrong redirect_uri, reused code
    r, v = authorize(sns, "line", "openid")
    code = code_of(r)
    assert token_post(sns, "line", code, v, secret="wrong").json()["error"] == "invalid_client"
    assert token_post(sns, "line", code, pkce_pair()[0]).json()["error"] == "invalid_grant"
    r, v = authorize(sns, "line", "openid")
    code = code_of(r)
    bad = token_post(sns, "line", code, v, redirect_uri=sns.redirect_uris[1])
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_grant"
    r, v = authorize(sns, "line", "openid")
    code = code_of(r)
    assert token_post(sns, "line", code, v).status_code == 200
    again = token_post(sns, "line", code, v)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


# ---------------------------------------------------------------- Facebook
def fb_token(sns, code, verifier, method="GET", secret=None):
    params = {"client_id": sns.client_id("facebook"), "redirect_uri": redirect_uri(sns),
              "client_secret": secret or sns.client_secret("facebook"), "code": code, "code_verifier": verifier}
    url = sns.endpoints("facebook")["graph"] + "/v26.0/oauth/access_token"
    if method == "GET":
        return requests.get(url, params=params, timeout=5)
    return requests.post(url, data=params, timeout=5)


def fb_me(sns, token, proof=True, header=False):
    params = {"fields": "id,name,email"}
    headers = {}
    if header:
        headers["Authorization"] = "OAuth " + token
    else:
        params["access_token"] = token
    if proof is True:
        params["appsecret_proof"] = appsecret_proof(sns.client_secret("facebook"), token)
    elif proof:
        params["appsecret_proof"] = proof
    return requests.get(sns.endpoints("facebook")["graph"] + "/v26.0/me", params=params, headers=headers, timeout=5)


def test_facebook_happy_path_and_appsecret_proof(sns):
    r, v = authorize(sns, "facebook", "public_profile,email")
    assert r.headers["Location"].endswith("#_=_")
    t = fb_token(sns, code_of(r), v)
    assert t.status_code == 200, t.text
    tok = t.json()["access_token"]
    me = fb_me(sns, tok)
    assert me.status_code == 200 and me.json() == {"id": "10200000000000001", "name": "Alice Facebook",
                                                   "email": "alice@fb.example.com"}
    assert fb_me(sns, tok, header=True).status_code == 200
    for proof, kind in ((None, "missing"), ("00" * 32, "invalid")):
        bad = fb_me(sns, tok, proof=proof)
        err = bad.json()["error"]
        assert bad.status_code == 400 and err["code"] == 100 and err["type"] == "GraphMethodException"
        assert sns.log("facebook", "me")[-1]["appsecret_proof"] == kind
    entries = sns.log("facebook")
    assert {e["graph_version"] for e in entries} == {"v26.0"}
    assert sns.log("facebook", "token")[-1]["auth"] == "query"


def test_facebook_user_without_email_post_token_and_refusals(sns):
    sns.set_user("facebook", "bob")
    r, v = authorize(sns, "facebook", "public_profile email")
    code = code_of(r)
    assert fb_token(sns, code, v, secret="nope").json()["error"]["type"] == "OAuthException"
    t = fb_token(sns, code, v, method="POST")
    assert t.status_code == 200
    assert fb_me(sns, t.json()["access_token"]).json() == {"id": "10200000000000002", "name": "Bob Facebook"}
    again = fb_token(sns, code, v)
    assert again.status_code == 400 and again.json()["error"]["code"] == 100
    sns.scenario("facebook", deny=True)
    r, _ = authorize(sns, "facebook", "email")
    q = qs(r.headers["Location"].split("#")[0])
    assert q["error"] == "access_denied" and q["error_reason"] == "user_denied"


# ---------------------------------------------------------------- Google
def test_google_basic_and_post_hd_and_iss(sns):
    r, v = authorize(sns, "google", "openid email profile")
    assert qs(r.headers["Location"])["hd"] == "campus.example.ac.jp"
    t = token_post(sns, "google", code_of(r), v, basic=True)
    assert t.status_code == 200, t.text
    c = jwt_verify(t.json()["id_token"], jwks=jwks(sns, "google"))
    assert c["iss"] == "https://accounts.google.com" and c["hd"] == "campus.example.ac.jp"
    assert c["email_verified"] is True and c["nonce"] == r.sent["nonce"]
    ui = requests.get(sns.endpoints("google")["userinfo"],
                      headers={"Authorization": "Bearer " + t.json()["access_token"]}, timeout=5)
    assert ui.json()["sub"] == c["sub"]
    sns.set_user("google", "bob")
    sns.scenario("google", iss="accounts.google.com")
    r, v = authorize(sns, "google", "openid email")
    t = token_post(sns, "google", code_of(r), v)
    c = jwt_verify(t.json()["id_token"], jwks=jwks(sns, "google"))
    assert c["iss"] == "accounts.google.com" and "hd" not in c
    assert [e["auth"] for e in sns.log("google", "token")] == ["client_secret_basic", "client_secret_post"]


def test_google_refusals(sns):
    r, v = authorize(sns, "google", "openid")
    code = code_of(r)
    assert token_post(sns, "google", code, v, basic=True, secret="x").status_code == 401
    nosecret = requests.post(sns.endpoints("google")["token"], data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri(sns),
        "client_id": sns.client_id("google"), "code_verifier": v}, timeout=5)
    assert nosecret.status_code == 401
    sns.scenario("google", wrong_key=True)
    t = token_post(sns, "google", code, v)
    with pytest.raises(ValueError):
        jwt_verify(t.json()["id_token"], jwks=jwks(sns, "google"))


# ---------------------------------------------------------------- Yahoo! JAPAN
def test_yahoojp_basic_only_nonce_required_attribute(sns):
    r, _ = authorize(sns, "yahoojp", "openid profile", nonce=None)
    assert qs(r.headers["Location"])["error"] == "invalid_request"
    r, v = authorize(sns, "yahoojp", "openid profile email")
    code = code_of(r)
    assert token_post(sns, "yahoojp", code, v).status_code == 401  # client_secret_post is not accepted
    t = token_post(sns, "yahoojp", code, v, basic=True)
    assert t.status_code == 200, t.text
    c = jwt_verify(t.json()["id_token"], jwks=jwks(sns, "yahoojp"))
    assert c["iss"] == "https://auth.login.yahoo.co.jp/yconnect/v2" and c["aud"] == [sns.client_id("yahoojp")]
    ui = requests.get(sns.endpoints("yahoojp")["userinfo"],
                      headers={"Authorization": "Bearer " + t.json()["access_token"]}, timeout=5)
    assert ui.json()["sub"] == c["sub"] and ui.json()["email"] == "alice@yahoo.example.co.jp"
    assert requests.get(sns.endpoints("yahoojp")["userinfo"], timeout=5).status_code == 401


# ---------------------------------------------------------------- Apple
def apple_token(sns, code, verifier, client_secret=None):
    return requests.post(sns.endpoints("apple")["token"], data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri(sns),
        "client_id": sns.client_id("apple"), "client_secret": client_secret or sns.apple_client_secret(),
        "code_verifier": verifier}, timeout=5)


def test_apple_form_post_user_once_and_token(sns):
    r, v = authorize(sns, "apple", "name email", response_mode="form_post")
    assert r.status_code == 200 and "<button" in r.text and "submit()" in r.text
    action, fields = form_post_fields(r.text)
    assert action == redirect_uri(sns) and fields["state"] == r.sent["state"]
    assert json.loads(fields["user"]) == {"name": {"firstName": "Alice", "lastName": "Apple"},
                                          "email": "alice@icloud.example.com"}
    t = apple_token(sns, fields["code"], v)
    assert t.status_code == 200, t.text
    c = jwt_verify(t.json()["id_token"], jwks=jwks(sns, "apple"))
    assert c["iss"] == "https://appleid.apple.com" and c["aud"] == sns.client_id("apple")
    assert c["email_verified"] == "true" and c["is_private_email"] == "false" and c["nonce"] == r.sent["nonce"]
    # second login: no user field
    r, v = authorize(sns, "apple", "name email", response_mode="form_post")
    assert "user" not in form_post_fields(r.text)[1]
    # name/email scope needs form_post
    r, _ = authorize(sns, "apple", "name email")
    assert r.status_code == 302 and qs(r.headers["Location"])["error"] == "invalid_request"


def test_apple_client_secret_checks(sns):
    now = int(time.time())
    with tempfile.TemporaryDirectory() as d:
        other = generate_p8(os.path.join(d, "other.p8"))
        bad_secrets = [
            sns.apple_client_secret(key_file=other),
            sns.apple_client_secret(kid="OTHERKEYID"),
            sns.apple_client_secret(aud="https://appleid.apple.com/"),
            sns.apple_client_secret(iss="OTHERTEAM"),
            sns.apple_client_secret(sub="other.client"),
            sns.apple_client_secret(iat=now - 7200, exp=now - 60),
            sns.apple_client_secret(lifetime=15777001),
        ]
    r, v = authorize(sns, "apple", "name email", response_mode="form_post")
    code = form_post_fields(r.text)[1]["code"]
    for s in bad_secrets:
        t = apple_token(sns, code, v, client_secret=s)
        assert t.status_code == 400 and t.json() == {"error": "invalid_client"}
    assert [e["auth_ok"] for e in sns.log("apple", "token")] == [False] * len(bad_secrets)
    assert apple_token(sns, code, v, client_secret=sns.apple_client_secret(lifetime=15777000)).status_code == 200
    assert apple_token(sns, code, v).json() == {"error": "invalid_grant"}


def test_control_and_log_hold_no_secrets(sns):
    r, v = authorize(sns, "google", "openid")
    token_post(sns, "google", code_of(r), v, basic=True)
    text = json.dumps(sns.log())
    for s in sns.secrets() + [r.sent["nonce"], v]:
        assert s not in text
    with pytest.raises(AssertionError):
        sns.set_user("google", "nobody")


def test_browser_submit_form_posts_apple_page_with_cookies(sns, httpd_port):
    """Browser.submit_form posts the form_post page to the callback like a browser (with cookies);
    a throwaway listener on the (idle) httpd port stands in for the site."""
    import http.server
    import threading

    from lib.browser import Browser

    got = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            got["path"] = self.path
            got["cookie"] = self.headers.get("Cookie")
            got["body"] = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
            self.send_response(204)
            self.end_headers()

        def log_message(self, *a):
            pass

    srv = http.server.HTTPServer(("127.0.0.1", httpd_port), Handler)
    t = threading.Thread(target=srv.handle_request)
    t.start()
    try:
        b = Browser()
        b.cookies.set("site", "c1", domain="127.0.0.1", path="/")
        r, _ = authorize(sns, "apple", "name email", response_mode="form_post")
        resp = b.submit_form(r)
        t.join(10)
        assert resp.status_code == 204
        assert got["path"] == urlsplit(redirect_uri(sns)).path and got["cookie"] == "site=c1"
        assert got["body"]["state"] == [r.sent["state"]] and "code" in got["body"] and "user" in got["body"]
    finally:
        srv.server_close()
