"""Logins with each SelmidProviderType (line, facebook, google, yahoojp, apple) through httpd and the
SNS stand-ins (t/e2e/standins/sns.js): the identity the app receives, the session, and refusals."""
import json

from lib.browser import query, set_cookies
from lib.flows import app_env, assert_denied, is_callback, session_json, to_op
from lib.sns import USERS, form_post_fields


def user(provider, uid):
    return [u for u in USERS[provider] if u["id"] == uid][0]


def sns_conf(stack, provider, extra=(), secret=None):
    """A configuration whose /app accepts one provider of this type at the stand-in."""
    conf = stack.conf()
    stack.sns.add_provider(conf, provider, extra=extra)
    if secret is not None:
        conf.providers[provider] = [d for d in conf.providers[provider] if not d.startswith("SelmidClientSecret ")]
        conf.providers[provider].append(f"SelmidClientSecret {secret}")
    conf.locations["/app"] = ["AuthType selmid", f"SelmidProviders {provider}", "Require valid-user"]
    return conf


def login(stack, b, path="/app/"):
    """From the protected page through the stand-in (redirects, Apple's auto-submitted form) back."""
    return b.follow(stack.url(path))


def authorize_request(stack, b, provider):
    """The query of the authorization request mod_selmid sends for provider."""
    r = to_op(b, b.get(stack.url("/app/")))
    assert r.status_code == 302
    loc = r.headers["Location"]
    assert loc.startswith(stack.sns.base + "/"), loc
    return r, query(loc)


def session_of(b, stack):
    r, data = session_json(b, stack)
    assert r.status_code == 200, r.text
    return data


def check_common(stack, b, provider, uid, flow):
    env = app_env(flow.response)
    u = user(provider, uid)
    assert env["REMOTE_USER"] == u["sub"]
    assert env["SELMID_sub"] == u["sub"]
    data = session_of(b, stack)
    assert data["provider"] == provider
    assert data["sub"] == u["sub"]
    return env, data


# ---- LINE ---------------------------------------------------------------------------------------
def test_line_hs256_login_with_bot_prompt(stack):
    sns = stack.sns
    stack.httpd(sns_conf(stack, "line", extra=['SelmidScope "openid profile email"',
                                                "SelmidLineBotPrompt aggressive"]))
    sns.scenario("line", friendship_status_changed=True)
    b = stack.browser()
    _, q = authorize_request(stack, b, "line")
    assert q["bot_prompt"] == "aggressive"
    assert q["nonce"] and q["code_challenge_method"] == "S256" and q["code_challenge"]
    assert q["scope"].split() == ["openid", "profile", "email"]
    flow = b.follow(None, first=to_op(b, b.get(stack.url("/app/"))))
    env, data = check_common(stack, b, "line", "alice", flow)
    assert env["SELMID_name"] == "Alice LINE"
    assert env["SELMID_email"] == "alice@line.example.jp"
    assert data["issuer"] == "https://access.line.me"
    assert data["claims"]["friendship_status_changed"] is True
    tok = sns.log("line", "token")[-1]
    assert tok["auth"] == "client_secret_post" and tok["auth_ok"]
    assert not sns.log("line", "jwks"), "an HS256 ID token needs no JWKS"


def test_line_es256_and_friendship_false_and_no_email(stack):
    sns = stack.sns
    stack.httpd(sns_conf(stack, "line", extra=["SelmidLineBotPrompt normal"]))
    sns.scenario("line", alg="ES256")
    sns.set_user("line", "bob")
    b = stack.browser()
    env, data = check_common(stack, b, "line", "bob", login(stack, b))
    assert "SELMID_email" not in env
    assert data["claims"]["friendship_status_changed"] is False
    assert sns.log("line", "jwks"), "an ES256 ID token is checked with the JWKS"


def test_line_without_bot_prompt_keeps_no_friendship_claim(stack):
    stack.httpd(sns_conf(stack, "line"))
    b = stack.browser()
    _, q = authorize_request(stack, b, "line")
    assert "bot_prompt" not in q
    _, data = check_common(stack, b, "line", "alice", login(stack, b))
    assert "friendship_status_changed" not in data["claims"]


def test_line_wrong_channel_secret(stack):
    """The module's channel secret is not LINE's: the token endpoint refuses it (502); an ID token
    HS256-signed with another secret than the module's is refused (401)."""
    sns = stack.sns
    h = stack.httpd(sns_conf(stack, "line", secret="another-channel-secret-0123456789abc"))
    b = stack.browser()
    mark = h.log_mark()
    assert_denied(login(stack, b).response, 502, "SM20023", h, mark)
    h.stop()
    h = stack.httpd(sns_conf(stack, "line"))
    sns.scenario("line", wrong_key=True)
    b = stack.browser()
    mark = h.log_mark()
    assert_denied(login(stack, b).response, 401, "SM20024", h, mark, check="signature")


# ---- Facebook -----------------------------------------------------------------------------------
def test_facebook_login(stack):
    sns = stack.sns
    stack.httpd(sns_conf(stack, "facebook"))
    b = stack.browser()
    r, q = authorize_request(stack, b, "facebook")
    assert r.headers["Location"].startswith(sns.base + "/facebook/v26.0/dialog/oauth?")
    assert "nonce" not in q and q["code_challenge_method"] == "S256"
    flow = b.follow(None, first=r)
    env, data = check_common(stack, b, "facebook", "alice", flow)
    assert env["SELMID_name"] == "Alice Facebook"
    assert env["SELMID_email"] == "alice@fb.example.com"
    assert data["issuer"] == "https://www.facebook.com"
    assert data["claims"]["aud"] == sns.client_id("facebook")
    me = sns.log("facebook", "me")[-1]
    assert me["appsecret_proof"] == "valid" and me["graph_version"] == "v26.0"
    assert me["auth"] == "bearer", "the access token stays out of the URL"


def test_facebook_user_without_email(stack):
    stack.httpd(sns_conf(stack, "facebook"))
    stack.sns.set_user("facebook", "bob")
    b = stack.browser()
    env, data = check_common(stack, b, "facebook", "bob", login(stack, b))
    assert "SELMID_email" not in env and "email" not in data["claims"]


def test_facebook_wrong_app_secret(stack):
    """A wrong app secret: Graph refuses (the code exchange, and a wrong appsecret_proof): 502."""
    h = stack.httpd(sns_conf(stack, "facebook", secret="fb-wrong-secret-0000000000000000"))
    b = stack.browser()
    mark = h.log_mark()
    assert_denied(login(stack, b).response, 502, "SM21030", h, mark)
    assert b.cookie("selmid_session") is None


def test_facebook_graph_me_error(stack):
    h = stack.httpd(sns_conf(stack, "facebook"))
    stack.sns.scenario("facebook", userinfo_status=500)
    b = stack.browser()
    mark = h.log_mark()
    assert_denied(login(stack, b).response, 502, "SM21032", h, mark)


# ---- Google -------------------------------------------------------------------------------------
def test_google_allowed_domain(stack):
    stack.httpd(sns_conf(stack, "google", extra=["SelmidAllowedDomains CAMPUS.example.ac.jp"]))
    b = stack.browser()
    _, q = authorize_request(stack, b, "google")
    assert q["hd"] == "campus.example.ac.jp" and q["nonce"]
    env, data = check_common(stack, b, "google", "alice", login(stack, b))
    assert env["SELMID_hd"] == "campus.example.ac.jp"
    assert data["issuer"] == "https://accounts.google.com"


def test_google_iss_without_https(stack):
    stack.httpd(sns_conf(stack, "google"))
    stack.sns.scenario("google", iss="accounts.google.com")
    b = stack.browser()
    _, data = check_common(stack, b, "google", "alice", login(stack, b))
    assert data["issuer"] == "https://accounts.google.com", "the provider's issuer, whatever the spelling"
    assert app_env(b.get(stack.url("/app/")))["REMOTE_USER"] == user("google", "alice")["sub"]


def test_google_wrong_or_missing_hd(stack):
    h = stack.httpd(sns_conf(stack, "google", extra=["SelmidAllowedDomains campus.example.ac.jp example.net"]))
    for uid in ("carol", "bob"):  # another Workspace domain; a personal account without hd
        stack.sns.set_user("google", uid)
        b = stack.browser()
        _, q = authorize_request(stack, b, "google")
        assert "hd" not in q, "two allowed domains: no single hint"
        mark = h.log_mark()
        r = login(stack, b).response
        assert_denied(r, 403, "SM21040", h, mark)
        assert "not from a domain allowed here" in r.text
        h.wait_log("SM31000", mark)
        assert b.cookie("selmid_session") is None


# ---- Yahoo! JAPAN -------------------------------------------------------------------------------
def test_yahoojp_login(stack):
    sns = stack.sns
    stack.httpd(sns_conf(stack, "yahoojp"))
    b = stack.browser()
    _, q = authorize_request(stack, b, "yahoojp")
    assert q["nonce"] and q["code_challenge_method"] == "S256"
    env, data = check_common(stack, b, "yahoojp", "alice", login(stack, b))
    assert env["SELMID_email"] == "alice@yahoo.example.co.jp", "from the attribute (userinfo) endpoint"
    assert data["issuer"] == "https://auth.login.yahoo.co.jp/yconnect/v2"
    assert sns.log("yahoojp", "token")[-1]["auth"] == "client_secret_basic"


def test_yahoojp_userinfo_sub_mismatch(stack):
    h = stack.httpd(sns_conf(stack, "yahoojp"))
    stack.sns.scenario("yahoojp", userinfo_sub="SOMEONEELSE0000000000000000")
    b = stack.browser()
    mark = h.log_mark()
    assert_denied(login(stack, b).response, 401, "SM20026", h, mark)


# ---- Apple --------------------------------------------------------------------------------------
def apple_form(stack, b):
    """Start an Apple login and return (the form_post page, its action, its fields)."""
    r = to_op(b, b.get(stack.url("/app/")))
    assert query(r.headers["Location"])["response_mode"] == "form_post"
    page = b.get(r.headers["Location"])
    assert page.status_code == 200
    action, fields = form_post_fields(page.text)
    assert is_callback(action)
    return page, action, fields


def test_apple_first_login_with_user_field_then_without(stack):
    sns = stack.sns
    stack.httpd(sns_conf(stack, "apple"))
    b = stack.browser()
    _, action, fields = apple_form(stack, b)
    assert "user" in fields
    flow = b.follow(None, first=b.post(action, data=fields))
    env, data = check_common(stack, b, "apple", "alice", flow)
    assert env["SELMID_given_name"] == "Alice" and env["SELMID_family_name"] == "Apple"
    assert env["SELMID_name"] == "Alice Apple"
    assert env["SELMID_email"] == "alice@icloud.example.com"
    assert data["issuer"] == "https://appleid.apple.com"
    tok = sns.log("apple", "token")[-1]
    assert tok["auth"] == "client_secret_post" and tok["auth_ok"], tok
    # the second login: no user field, the name is simply absent
    b2 = stack.browser()
    _, action, fields = apple_form(stack, b2)
    assert "user" not in fields
    env, _ = check_common(stack, b2, "apple", "alice", b2.follow(None, first=b2.post(action, data=fields)))
    assert "SELMID_given_name" not in env
    assert env["SELMID_email"] == "alice@icloud.example.com"


def test_apple_tampered_user_field(stack):
    """A user field whose email differs from the ID token's: the ID token's email is kept."""
    h = stack.httpd(sns_conf(stack, "apple"))
    b = stack.browser()
    _, action, fields = apple_form(stack, b)
    u = json.loads(fields["user"])
    u["email"] = "mallory@evil.example"
    u["name"]["firstName"] = "Mallory"
    fields["user"] = json.dumps(u)
    mark = h.log_mark()
    env, _ = check_common(stack, b, "apple", "alice", b.follow(None, first=b.post(action, data=fields)))
    assert env["SELMID_email"] == "alice@icloud.example.com"
    assert env["SELMID_given_name"] == "Mallory", "the name is the person's own to give"
    h.wait_log("SM21021", mark)


def test_apple_malformed_user_field_is_ignored(stack):
    h = stack.httpd(sns_conf(stack, "apple"))
    b = stack.browser()
    _, action, fields = apple_form(stack, b)
    fields["user"] = '{"name": {"firstName": ["not", "a string"]}'
    mark = h.log_mark()
    env, _ = check_common(stack, b, "apple", "alice", b.follow(None, first=b.post(action, data=fields)))
    assert "SELMID_given_name" not in env
    h.wait_log("SM21020", mark)


def test_apple_forged_form_post_without_state_cookie(stack):
    h = stack.httpd(sns_conf(stack, "apple"))
    b = stack.browser()
    _, action, fields = apple_form(stack, b)
    other = stack.browser()  # the attacker's own browser: no login state cookie
    mark = h.log_mark()
    r = other.post(action, data=fields)
    assert_denied(r, 400, "SM30011", h, mark)
    assert other.cookie("selmid_session") is None
    assert not stack.sns.log("apple", "token"), "the code was never redeemed"


def test_apple_state_cookie_samesite_none_on_https(stack):
    h = stack.httpd(sns_conf(stack, "apple"), tls=True)
    b = stack.browser()
    b.verify = h.tls[0]
    mark = 0
    h.wait_log("SM31001", mark)
    r = to_op(b, b.get(stack.url("/app/")))
    state = [c for c in set_cookies(r) if c["name"].startswith("selmid_state_")]
    assert state and state[0]["attrs"].get("samesite", "").lower() == "none"
    assert "secure" in state[0]["attrs"]
    page = b.get(r.headers["Location"])
    flow = b.follow(None, first=b.submit_form(page, base_url=stack.url("/")))
    cb = [s for s in flow.steps if is_callback(s.url)][0]
    sess = [c for c in set_cookies(cb) if c["name"] == "selmid_session"][0]
    assert sess["attrs"].get("samesite", "").lower() == "lax", "the session cookie stays Lax"
    check_common(stack, b, "apple", "alice", flow)


def test_other_providers_state_cookie_stays_lax_on_https(stack):
    h = stack.httpd(sns_conf(stack, "google"), tls=True)
    b = stack.browser()
    b.verify = h.tls[0]
    r = to_op(b, b.get(stack.url("/app/")))
    state = [c for c in set_cookies(r) if c["name"].startswith("selmid_state_")]
    assert state and state[0]["attrs"].get("samesite", "").lower() == "lax"


def test_location_without_selmid_providers_refuses_sns_sessions(stack):
    """A location written before SNS providers were added (no SelmidProviders) keeps accepting only
    the organisation's own provider: a LINE session is no session there, and its chooser does not
    offer LINE; where SelmidProviders names LINE, the same session is accepted."""
    conf = stack.conf()
    stack.sns.add_provider(conf, "line")
    conf.locations["/app"] = ["AuthType selmid", "SelmidProviders line", "Require valid-user"]
    conf.locations["/proxied"] = ["AuthType selmid", "Require valid-user"]  # no SelmidProviders
    h = stack.httpd(conf)
    b = stack.browser()
    env = app_env(login(stack, b).response)
    assert env["SELMID_PROVIDER"] == "line"
    mark = h.log_mark()
    r = b.get(stack.url("/proxied/echo"), headers={"Accept": "text/html", "Sec-Fetch-Mode": "navigate"})
    assert r.status_code == 302, "the LINE session does not count here"
    assert "provider=op" in r.headers["Location"] and "line" not in r.headers["Location"]
    h.wait_log(r"SM30034: the session's provider line is not accepted here", mark)
    assert app_env(b.get(stack.url("/app/")))["SELMID_PROVIDER"] == "line"
