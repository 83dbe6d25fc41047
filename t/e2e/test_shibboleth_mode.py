"""SelmidAttributeMode shibboleth: after an OIDC login (the real oidc-provider) a CGI app sees the
names, joins, escaping and REMOTE_USER that mod_shib gives it for the same attributes; headers
only when asked for; spoofed names removed. And SelmidAttribute in the default (selmid) mode."""
import datetime
import re

from lib.flows import app_env, backend_headers, header_map
from lib.op import USERS
from lib.shib_standin import cgi, shib_join

ALICE_GROUPS = ["students", "physics;lab", "staff"]
UNSPECIFIED = "urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified"
INSTANT_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
SHIB_IDS = ["eppn", "affiliation", "unscoped-affiliation", "entitlement", "persistent-id", "subject-id",
            "pairwise-id", "mail", "displayName", "givenName", "sn", "uid"]


def shib_conf(stack, extra=(), locs=("/app", "/proxied")):
    conf = stack.conf()
    for loc in locs:
        conf.location(loc).extend(["SelmidAttributeMode shibboleth", "SelmidAttribute email eppn",
                                   "SelmidAttribute groups isMemberOf", *extra])
    return conf


def session_claims(b, stack):
    r = b.get(stack.url("/selmid/session"))
    assert r.status_code == 200, r.text
    return r.json()


def expected_instant(info):
    """auth_time (whole seconds) when the ID token has it, else the login time (whose milliseconds
    /selmid/session does not show)."""
    t = info["claims"].get("auth_time", info["login_time"])
    text = datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.")
    return text + "000Z" if "auth_time" in info["claims"] else text


def test_names_joins_and_shib_variables(stack):
    stack.httpd(shib_conf(stack))
    b = stack.browser()
    env = app_env(b.login(stack.url("/app/"), "alice").response)
    info = session_claims(b, stack)
    # the attributes, as mod_shib names and encodes them
    assert env["eppn"] == "alice@example.edu"
    assert env["mail"] == "alice@example.edu"
    assert env["displayName"] == "山田 花子"
    assert env["givenName"] == "花子"
    assert env["sn"] == "山田"
    assert env["isMemberOf"] == shib_join(ALICE_GROUPS) == "students;physics\\;lab;staff"
    assert env["REMOTE_USER"] == "alice@example.edu"
    assert env["AUTH_TYPE"] == "selmid"
    # the Shib-* variables
    sid = env[cgi("Shib-Session-ID")]
    assert re.fullmatch(r"_[0-9a-f]{32}", sid), sid
    assert sid[1:] not in b.cookie("selmid_session") and b.cookie("selmid_session") not in sid
    assert env[cgi("Shib-Identity-Provider")] == stack.op.issuer
    assert INSTANT_RE.match(env[cgi("Shib-Authentication-Instant")])
    assert env[cgi("Shib-Authentication-Instant")].startswith(expected_instant(info))
    acr = info["claims"].get("acr", UNSPECIFIED)
    assert env[cgi("Shib-AuthnContext-Class")] == acr
    assert env[cgi("Shib-Authentication-Method")] == acr
    assert env[cgi("Shib-Application-ID")] == "default"
    assert env["SELMID_PROVIDER"] == "op" and env["SELMID_PROVIDER_TYPE"] == "oidc"
    # only mapped names: no prefixed claims, no claim under its own name
    assert not [k for k in env if k.startswith("SELMID_") and not k.startswith("SELMID_PROVIDER")]
    for claim in ("email", "groups", "sub", "name", "given_name", "preferred_username"):
        assert claim not in env
    # the Shib-Session-ID is stable within the session
    assert app_env(b.get(stack.url("/app/x")))[cgi("Shib-Session-ID")] == sid
    # a second session gets another one
    b2 = stack.browser()
    assert app_env(b2.login(stack.url("/app/"), "alice").response)[cgi("Shib-Session-ID")] != sid


def test_environment_only_by_default(stack):
    stack.httpd(shib_conf(stack))
    b = stack.browser()
    b.login(stack.url("/app/"), "alice")
    hm = header_map(backend_headers(b.get(stack.url("/proxied/echo"))))
    for name in ("EPPN", "MAIL", "ISMEMBEROF", "SHIB_SESSION_ID", "SHIB_IDENTITY_PROVIDER", "SELMID_PROVIDER"):
        assert name not in hm, f"{name} sent as a header without SelmidPassAs headers|both"


def test_headers_with_pass_as(stack):
    # bob's e-mail is not verified: it becomes neither eppn nor mail; the next eppn source wins
    conf = shib_conf(stack, extra=["SelmidAttribute preferred_username eppn", "SelmidPassAs headers"],
                     locs=("/proxied",))
    conf.location("/app").extend(["SelmidAttributeMode shibboleth", "SelmidAttribute email eppn",
                                  "SelmidAttribute preferred_username eppn", "SelmidPassAs both"])
    stack.httpd(conf)
    b = stack.browser()
    b.login(stack.url("/proxied/echo"), "bob")
    assert session_claims(b, stack)["claims"]["email_verified"] is False
    headers = backend_headers(b.get(stack.url("/proxied/echo")))
    names = {n for n, _v, _r in headers}
    assert {"eppn", "displayName", "isMemberOf", "Shib-Session-ID", "Shib-Identity-Provider",
            "Shib-Application-ID", "SELMID_PROVIDER"} <= names, names
    assert "mail" not in names, "an unverified e-mail is not passed as mail"
    hm = header_map(headers)
    assert hm["EPPN"] == [b"bob"]
    assert hm["DISPLAYNAME"] == [shib_join(["Bob Smith; Jr."]).encode()] == [b"Bob Smith\\; Jr."], \
        "mod_shib escapes ';' in a single value too"
    assert hm["SHIB_APPLICATION_ID"] == [b"default"]
    # both: the environment too, and the same Shib-Session-ID
    env = app_env(b.get(stack.url("/app/")))
    assert env["eppn"] == "bob"
    assert env["HTTP_EPPN"] == "bob", "headers also set with SelmidPassAs both"
    assert "mail" not in env
    assert env[cgi("Shib-Session-ID")] == hm["SHIB_SESSION_ID"][0].decode()
    # alice's e-mail is verified: it is her eppn and mail
    b = stack.browser()
    b.login(stack.url("/app/"), "alice")
    env = app_env(b.get(stack.url("/app/")))
    assert env["eppn"] == env["mail"] == "alice@example.edu"


def test_remote_user_order(stack):
    conf = stack.conf()
    conf.location("/app").extend(["SelmidAttributeMode shibboleth",
                                  "SelmidAttribute email persistent-id",
                                  "SelmidAttribute sub pairwise-id"])
    stack.httpd(conf)
    env = app_env(stack.browser().login(stack.url("/app/"), "alice").response)
    # eppn and subject-id absent: pairwise-id comes before persistent-id (mod_shib's default)
    assert env["REMOTE_USER"] == USERS["alice"][1]
    assert env[cgi("pairwise-id")] == USERS["alice"][1]
    assert env[cgi("persistent-id")] == "alice@example.edu"


def test_remote_user_list_configured(stack):
    conf = stack.conf()
    conf.location("/app").extend(["SelmidAttributeMode shibboleth", "SelmidAttribute email persistent-id",
                                  "SelmidAttribute sub pairwise-id",
                                  "SelmidRemoteUserClaim subject-id persistent-id pairwise-id"])
    stack.httpd(conf)
    env = app_env(stack.browser().login(stack.url("/app/"), "alice").response)
    assert env["REMOTE_USER"] == "alice@example.edu"


def test_no_remote_user_attribute_is_refused(stack):
    conf = stack.conf()
    conf.location("/app").append("SelmidAttributeMode shibboleth")  # no eppn & co. from this OP
    h = stack.httpd(conf)
    mark = h.log_mark()
    r = stack.browser().login(stack.url("/app/"), "alice").response
    assert r.status_code == 403
    assert "selmid-app-content" not in r.text
    h.wait_log(r"SM30032: the session has none of the attributes for REMOTE_USER", mark)


SPOOF = {
    "Shib-Session-ID": "_evil",
    "shib-session-id": "_evil2",
    "Shib_Identity_Provider": "https://evil.example",
    "Shib-Authentication-Instant": "evil",
    "eppn": "evil@evil.example",
    "EPPN": "evil2@evil.example",
    "Mail": "evil@evil.example",
    "isMemberOf": "evil",
    "Selmid-Provider": "evil",
    "Remote-User": "evil",
}


def test_spoofed_names_removed(stack):
    stack.httpd(shib_conf(stack, extra=["SelmidPassAs both"]))
    b = stack.browser()
    h = stack.httpds[-1]
    b.login(stack.url("/app/"), "alice")
    mark = h.log_mark()
    env = app_env(b.get(stack.url("/app/"), headers={**SPOOF, "X-Benign": "kept"}))
    for k, v in env.items():
        assert "evil" not in v, f"spoofed value reached the app: {k}={v!r}"
    assert env["eppn"] == "alice@example.edu"
    assert env["HTTP_EPPN"] == "alice@example.edu"
    assert env["HTTP_X_BENIGN"] == "kept"
    headers = backend_headers(b.get(stack.url("/proxied/echo"), headers={**SPOOF, "X-Benign": "kept"}))
    for name, value, _raw in headers:
        assert "evil" not in value, f"spoofed header reached the back end: {name}: {value!r}"
    hm = header_map(headers)
    assert hm["X_BENIGN"] == [b"kept"]
    assert hm["SHIB_IDENTITY_PROVIDER"] == [stack.op.issuer.encode()]
    h.wait_log(r"SM30040: removed the incoming header 'SHIB_IDENTITY_PROVIDER'", mark)
    # without a session (pass) too
    conf = shib_conf(stack, extra=["SelmidUnauthAction pass"])
    stack.httpds[-1].stop()
    stack.httpd(conf)
    env = app_env(stack.browser().get(stack.url("/app/"), headers=SPOOF))
    assert not [k for k, v in env.items() if "evil" in v]


def test_builtin_names_scrubbed_only_in_shibboleth_mode(stack):
    conf = stack.conf()
    conf.location("/app").append("SelmidUnauthAction pass")
    stack.httpd(conf)
    env = app_env(stack.browser().get(stack.url("/app/"), headers={"eppn": "plain", "Shib-Session-ID": "_x"}))
    assert env["HTTP_EPPN"] == "plain", "selmid mode without SelmidAttribute eppn leaves 'eppn' alone"
    assert "HTTP_SHIB_SESSION_ID" not in env, "Shib-* names are removed in every mode"


def test_selmid_mode_extra_names(stack):
    conf = stack.conf()
    for loc in ("/app", "/proxied"):
        conf.location(loc).extend(["SelmidAttribute email mail", "SelmidAttribute groups X-Groups",
                                   "SelmidAttribute missing.path X-Missing"])
    stack.httpd(conf)
    b = stack.browser()
    env = app_env(b.login(stack.url("/app/"), "alice").response)
    assert env["SELMID_email"] == "alice@example.edu", "every claim with the prefix, as before"
    assert env["mail"] == "alice@example.edu"
    assert env[cgi("X-Groups")] == "students;physics\\;lab;staff"
    assert cgi("X-Missing") not in env
    assert env["SELMID_PROVIDER"] == "op" and env["SELMID_PROVIDER_TYPE"] == "oidc"
    assert env["REMOTE_USER"] == USERS["alice"][1]
    assert cgi("Shib-Session-ID") not in env
    for k in SHIB_IDS:
        if k != "mail":
            assert cgi(k) not in env
    hm = header_map(backend_headers(b.get(stack.url("/proxied/echo"), headers={"X-Groups": "evil", "mail": "evil"})))
    assert hm["X_GROUPS"] == [b"students;physics\\;lab;staff"]
    assert hm["MAIL"] == [b"alice@example.edu"]


def test_reserved_attribute_names_refused(stack):
    for name in ("Shib-Session-ID", "REMOTE_USER", "selmid-provider"):
        conf = stack.conf()
        conf.location("/app").append(f"SelmidAttribute email {name}")
        rc, out = stack.httpd(conf, start=False).configtest()
        assert rc != 0 and "SelmidAttribute" in out and name in out, out
