"""Account linking with a SAML organisational provider (SelmidProviderType shibboleth, through the
mod_shib stand-in) and, in SelmidAttributeMode shibboleth, with the OIDC one: a linked LINE login
hands the application the organisational attributes exactly as the organisation's own login does;
a SAML login for linking belongs to the browser and the session that started the link; an
organisational login refreshes what the directory keeps.
Every test runs on SQLite and on a real PostgreSQL (the directory_db fixture)."""
import os
import re
from urllib.parse import parse_qs, quote, urljoin, urlsplit

import pytest

from lib.flows import app_env, assert_denied
from lib.linking import Person, linking_conf
from lib.shib_standin import IDP, PPT, ShibStandin, cgi, shib_join
from lib.sns import USERS

LINE_ALICE = USERS["line"][0]
UNSPECIFIED = "urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified"
ALICE_SAML = {
    "eppn": ["alice@example.edu"],
    "mail": ["alice@example.edu"],
    "displayName": ["山田 花子"],
    "givenName": ["花子"],
    "sn": ["山田"],
    "affiliation": ["member@example.edu", "student@example.edu"],
    "entitlement": ["urn:mace:example.edu:lab;physics", "urn:mace:example.edu:library"],
    "persistent-id": ["https://idp.example.edu/idp/shibboleth!https://sp.example.org/shibboleth!AbC="],
}
# what differs between a linked SNS login and the organisation's own login of the same person
PER_LOGIN = {"SELMID_PROVIDER", "SELMID_PROVIDER_TYPE", "SELMID_ORG_PROVIDER", "Shib_Session_ID",
             "Shib_Authentication_Instant", "Shib_Authentication_Method", "Shib_AuthnContext_Class"}
# what differs between any two requests of two browsers
PER_REQUEST = {"HTTP_COOKIE", "REMOTE_PORT", "UNIQUE_ID"}


@pytest.fixture
def shib(stack, standin_so):
    s = ShibStandin(standin_so, os.path.join(stack.dir, "shib"))
    s.add_user("alice", ALICE_SAML)
    s.login_as("alice")
    return s


def saml_org_conf(stack, shib, db, store="shm"):
    """campus-saml (the SAML stand-in) is the organisational provider; line an SNS one.
    /public: LINE (selmid mode); /app: LINE and the SAML provider in shibboleth mode."""
    conf = stack.conf(store=store)
    shib.configure(conf)
    conf.providers["campus-saml"] = ["SelmidProviderType shibboleth", f"SelmidSAMLIdP {IDP}",
                                     "SelmidLoginURL /Shibboleth.sso/Login"]
    stack.sns.add_provider(conf, "line", extra=['SelmidScope "openid profile email"'])
    conf.server += ["SelmidOrgProvider campus-saml", db.directive]
    conf.locations["/selmid/saml"] = ["AuthType shibboleth", "ShibRequestSetting requireSession 1",
                                      "Require shib-session", "SetHandler selmid-saml"]
    conf.locations["/public"] = ["AuthType selmid", "SelmidProviders line", "Require valid-user"]
    conf.locations["/app"] = ["AuthType selmid", "SelmidProviders line campus-saml", "Require valid-user",
                              "SelmidAttributeMode shibboleth"]
    return conf


def saml_link(p):
    """From p's session, link the SAML identity the stand-in logs in: returns the confirmation
    page (after add, the SAML login and the import with link=1)."""
    r = p.start_add("campus-saml")
    assert r.status_code == 302, r.text
    loc = urlsplit(r.headers["Location"])
    assert loc.path == "/Shibboleth.sso/Login"
    assert parse_qs(loc.query)["forceAuthn"] == ["true"]  # linking asks the IdP for a fresh login
    back = urlsplit(parse_qs(loc.query)["target"][0])
    assert back.path == "/selmid/saml"
    assert parse_qs(back.query) == {"provider": ["campus-saml"], "target": ["/selmid/link/confirm?lang=en"],
                                    "link": ["1"]}
    page = p.b.follow(None, first=r).response
    assert page.status_code == 200 and page.url.endswith("/selmid/link/confirm?lang=en"), \
        f"{page.status_code} {page.url}\n{page.text[:2000]}"
    return page


def line_alice_linked_to_saml(stack, shib, db, conf=None):
    h = stack.httpd(conf or saml_org_conf(stack, shib, db))
    p = Person(stack, stack.browser())
    env = app_env(p.line_login().response)
    assert env["REMOTE_USER"] == LINE_ALICE["sub"] and "SELMID_ORG_PROVIDER" not in env
    page = saml_link(p)
    assert "alice@example.edu" in page.text and "Alice LINE" in page.text  # both accounts shown
    r = p.post_form(page, "/link/confirm")
    assert r.status_code == 303 and "notice=linked" in r.headers["Location"], r.text
    return h, p


def line_env(stack, path="/app/", user="alice"):
    """A LINE login in a new browser, then path."""
    stack.sns.set_user("line", user)
    q = Person(stack, stack.browser())
    q.line_login()
    return app_env(q.b.get(stack.url(path)))


def saml_env(stack, path="/app/"):
    """A direct SAML login (mod_selmid's import) in a new browser, landing on path."""
    b = stack.browser()
    return app_env(b.follow(stack.url(f"/selmid/login?provider=campus-saml&target={quote(path, safe='')}"))
                   .response)


def assert_same_but_per_login(linked, direct):
    differ = {k for k in set(linked) | set(direct) if linked.get(k) != direct.get(k)}
    assert differ <= PER_LOGIN | PER_REQUEST, {k: (linked.get(k), direct.get(k)) for k in differ - PER_LOGIN - PER_REQUEST}


def test_line_links_saml_anchor_and_gets_saml_attributes(stack, shib, directory_db):
    db = directory_db
    h, p = line_alice_linked_to_saml(stack, shib, db)
    rows = db.query("SELECT provider, issuer, subject, org FROM identities ORDER BY provider")
    assert rows[0] == ("campus-saml", IDP, "alice@example.edu", "1")
    assert rows[1][0] == "line" and rows[1][2] == LINE_ALICE["sub"] and rows[1][3] == "0" and len(rows) == 2
    (attrs,) = db.query("SELECT attrs FROM org_attributes")[0]
    assert "member@example.edu" in attrs and '"auth_time"' not in attrs and '"acr"' not in attrs
    # the linking browser's session was renewed into the person's
    assert app_env(p.b.get(stack.url("/app/")))["SELMID_ORG_PROVIDER"] == "campus-saml"
    linked = line_env(stack)
    direct = saml_env(stack)
    assert linked["eppn"] == direct["eppn"] == "alice@example.edu"
    assert linked["REMOTE_USER"] == "alice@example.edu"
    assert linked["affiliation"] == shib_join(ALICE_SAML["affiliation"])
    assert linked["entitlement"] == "urn:mace:example.edu:lab\\;physics;urn:mace:example.edu:library"
    assert linked[cgi("persistent-id")] == ALICE_SAML["persistent-id"][0]
    for name in ("mail", "displayName", "givenName", "sn"):
        assert linked[name] == ALICE_SAML[name][0], name
    assert linked[cgi("Shib-Identity-Provider")] == direct[cgi("Shib-Identity-Provider")] == IDP
    assert linked["SELMID_PROVIDER"] == "line" and linked["SELMID_PROVIDER_TYPE"] == "line"
    assert linked["SELMID_ORG_PROVIDER"] == "campus-saml"
    assert direct["SELMID_PROVIDER"] == "campus-saml" and direct["SELMID_PROVIDER_TYPE"] == "shibboleth"
    # a LINE login does not claim the IdP's authentication context
    assert direct[cgi("Shib-AuthnContext-Class")] == PPT
    assert linked[cgi("Shib-AuthnContext-Class")] == linked[cgi("Shib-Authentication-Method")] == UNSPECIFIED
    assert_same_but_per_login(linked, direct)


def test_saml_import_for_linking_belongs_to_the_browser_and_session(stack, shib, directory_db):
    db = directory_db
    h = stack.httpd(saml_org_conf(stack, shib, db))
    import_url = stack.url("/selmid/saml?provider=campus-saml&target=%2Fselmid%2Flink%2Fconfirm&link=1")
    # no link in progress in this browser
    b = stack.browser()
    mark = h.log_mark()
    r = b.follow(import_url).response
    assert_denied(r, 400, "SM32012", h, mark)
    assert not b.cookie("selmid_session")
    # a link in progress of another browser: its cookie alone does not carry a login into it,
    # with no session (a planted cookie) or with another session
    p = Person(stack, stack.browser())
    p.line_login()
    started = p.start_add("campus-saml")
    link_cookie = p.b.cookie("selmid_link")
    assert started.status_code == 302 and link_cookie
    other = Person(stack, stack.browser())
    other.line_login()
    for q in (stack.browser(), other.b):
        q.cookies.set("selmid_link", link_cookie)
        mark = h.log_mark()
        r = q.follow(import_url).response
        assert_denied(r, 400, "SM26120", h, mark)
        assert "selmid_link=;" in r.headers.get("Set-Cookie", "")  # the planted cookie is dropped
    assert_denied(p.b.get(stack.url("/selmid/link/confirm")), 400, "SM26038", h)
    assert db.query("SELECT count(*) FROM identities") == [("0",)]
    # the browser that started the link still completes it
    page = p.b.follow(None, first=started).response
    assert page.url.endswith("/selmid/link/confirm?lang=en") and page.status_code == 200, page.text
    assert p.post_form(page, "/link/confirm").status_code == 303
    assert db.query("SELECT count(*) FROM identities") == [("2",)]


def test_oidc_org_provider_in_shibboleth_mode(stack, directory_db):
    """A linked LINE login gives the OP's attributes through the built-in map, as the OP's own
    login at the same location: mail and eppn only from a verified address."""
    conf = linking_conf(stack, directory_db.directive)
    conf.locations["/other"] = ["AuthType selmid", "SelmidProviders line op", "Require valid-user",
                               "SelmidAttributeMode shibboleth", "SelmidAttribute email eppn",
                               "SelmidRemoteUserClaim eppn displayName"]
    stack.httpd(conf)
    for sns_user, op_user in (("alice", "alice"), ("bob", "bob")):
        stack.sns.set_user("line", sns_user)
        p = Person(stack, stack.browser())
        p.line_login()
        assert p.add("op", user=op_user).status_code == 303
    for sns_user, op_user in (("alice", "alice"), ("bob", "bob")):
        linked = line_env(stack, "/other/", user=sns_user)
        direct = app_env(stack.browser().login(stack.url("/selmid/login?provider=op&target=%2Fother%2F"),
                                               op_user).response)
        assert linked["SELMID_PROVIDER"] == "line" and linked["SELMID_ORG_PROVIDER"] == "op"
        assert direct["SELMID_PROVIDER"] == "op" and direct["SELMID_PROVIDER_TYPE"] == "oidc"
        assert linked[cgi("Shib-Identity-Provider")] == stack.op.issuer
        assert_same_but_per_login(linked, direct)
        if op_user == "alice":
            assert linked["mail"] == linked["eppn"] == linked["REMOTE_USER"] == "alice@example.edu"
            assert linked["displayName"] == "山田 花子" and linked["givenName"] == "花子" and linked["sn"] == "山田"
        else:  # the OP's address is not verified: LINE's own trust in addresses does not apply
            assert "mail" not in linked and "eppn" not in linked
            assert linked["displayName"] == "Bob Smith\\; Jr." and linked["REMOTE_USER"] == "Bob Smith; Jr."


def test_organisational_login_refreshes_the_attributes(stack, shib, directory_db):
    db = directory_db
    h, p = line_alice_linked_to_saml(stack, shib, db)
    assert line_env(stack)["affiliation"] == shib_join(ALICE_SAML["affiliation"])
    changed = dict(ALICE_SAML, affiliation=["faculty@example.edu"], displayName=["山田 花子 教授"])
    del changed["mail"]
    shib.add_user("alice", changed)
    # nothing changes before the person logs in with the organisation again
    before = line_env(stack)
    assert before["affiliation"] == shib_join(ALICE_SAML["affiliation"]) and before["mail"] == "alice@example.edu"
    direct = saml_env(stack)
    assert direct["affiliation"] == "faculty@example.edu" and "mail" not in direct
    (attrs,) = db.query("SELECT attrs FROM org_attributes")[0]
    assert "faculty@example.edu" in attrs and "member@example.edu" not in attrs
    after = line_env(stack)
    assert after["affiliation"] == "faculty@example.edu"
    assert after["displayName"] == "山田 花子 教授" and "mail" not in after
    assert after["SELMID_PROVIDER"] == "line" and after["SELMID_ORG_PROVIDER"] == "campus-saml"
    assert_same_but_per_login(after, direct)
    # a live session keeps what it was given at its login (requests never read the directory)
    assert app_env(p.b.get(stack.url("/app/")))["affiliation"] == shib_join(ALICE_SAML["affiliation"])
    assert db.query("SELECT count(*) FROM events WHERE type = 'login'")[0][0] != "0"


def test_oidc_login_for_linking_belongs_to_the_session_too(stack, directory_db):
    """The OIDC callback of a login for linking, in a browser given the starting browser's state
    and link cookies but not its session, is refused as well."""
    h = stack.httpd(linking_conf(stack, directory_db.directive))
    p = Person(stack, stack.browser())
    p.line_login()
    started = p.start_add("op")
    assert started.status_code == 302
    q = stack.browser()
    for c in p.b.cookies:
        if c.name != "selmid_session":
            q.cookies.set_cookie(c)
    assert q.cookie("selmid_link") and q.cookies_named("selmid_state_")
    mark = h.log_mark()
    r = q.follow(urljoin(started.url, started.headers["Location"]), user="alice", password="alice-password").response
    assert_denied(r, 400, "SM26120", h, mark)
    assert directory_db.query("SELECT count(*) FROM identities") == [("0",)]


def test_idp_no_longer_trusted(stack, shib, directory_db):
    """The SAML IdP that anchors a person is removed from SelmidSAMLIdP: a live linked session
    counts as none, the link pages do not take it, and a new LINE login gets its own claims only
    (the person's attributes came from that IdP)."""
    db = directory_db
    conf = saml_org_conf(stack, shib, db, store="memcached")
    h, p = line_alice_linked_to_saml(stack, shib, db, conf)
    assert app_env(p.b.get(stack.url("/public/")))["SELMID_ORG_PROVIDER"] == "campus-saml"
    h.stop()
    conf.providers["campus-saml"] = ["SelmidProviderType shibboleth",
                                     "SelmidSAMLIdP https://idp.other.example.org/idp/shibboleth",
                                     "SelmidLoginURL /Shibboleth.sso/Login"]
    h = stack.httpd(conf)
    mark = h.log_mark()
    r = p.b.get(stack.url("/public/"))
    assert r.status_code == 302 and r.headers["Location"].startswith("/selmid/login?provider=line")
    h.wait_log("SM26121", mark)
    assert_denied(p.link_page(), 401, "SM26123", h, mark)
    env = app_env(Person(stack, stack.browser()).line_login().response)
    assert env["REMOTE_USER"] == LINE_ALICE["sub"] and "SELMID_ORG_PROVIDER" not in env
    h.wait_log("SM26122", mark)
    assert db.query("SELECT count(*) FROM identities") == [("2",)]  # the links themselves stay


def test_saml_login_for_linking_must_be_recent(stack, shib, directory_db):
    """The SAML session's Shib-Authentication-Instant is older than SelmidLinkMaxAge (an IdP that
    ignored forceAuthn): refused, nothing linked."""
    h = stack.httpd(saml_org_conf(stack, shib, directory_db))
    p = Person(stack, stack.browser())
    p.line_login()
    r = p.start_add("campus-saml")
    flow = p.b.follow(None, first=r, stop=lambda u: urlsplit(u).path == "/selmid/saml")
    assert flow.pending, flow.response.text[:500]
    sessions = os.path.join(shib.dir, "sessions")
    for name in os.listdir(sessions):
        path = os.path.join(sessions, name)
        with open(path) as f:
            text = f.read()
        with open(path, "w") as f:
            f.write(re.sub(r"@instant\t[^\n]*", "@instant\t2020-01-01T00:00:00Z", text))
    mark = h.log_mark()
    r = p.b.get(flow.pending)
    assert_denied(r, 403, "SM32013", h, mark)
    assert "too old" in r.text
    assert directory_db.query("SELECT count(*) FROM identities") == [("0",)]
