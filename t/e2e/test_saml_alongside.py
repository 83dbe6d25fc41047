"""SAML alongside: a location accepts a SelmidProviderType shibboleth provider next to the real
oidc-provider. The SAML login is done by a mod_shib stand-in (t/e2e/standins/mod_shib_standin.c,
mod_shib's observable behaviour); mod_selmid imports the SAML session at its import location and
hands the application the same Shibboleth-style names whichever way the person logged in."""
import os
import re
from urllib.parse import quote, urlsplit

import pytest

from lib.flows import app_env
from lib.shib_standin import IDP, PPT, ShibStandin, cgi, shib_join

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
BOB_SAML = {"eppn": ["bob@example.edu"], "displayName": ["Bob Smith; Jr."], "affiliation": ["alum@example.edu"]}
NAMES = ["eppn", "mail", "displayName", "givenName", "sn"]
SHIB_VARS = ["Shib-Session-ID", "Shib-Identity-Provider", "Shib-Authentication-Instant", "Shib-AuthnContext-Class",
             "Shib-Authentication-Method", "Shib-Application-ID"]


@pytest.fixture
def shib(stack, standin_so):
    s = ShibStandin(standin_so, os.path.join(stack.dir, "shib"))
    s.add_user("alice", ALICE_SAML)
    s.add_user("bob", BOB_SAML)
    s.login_as("alice")
    return s


def saml_conf(stack, shib, store="shm"):
    conf = stack.conf(store=store)
    shib.configure(conf)
    conf.providers["campus-saml"] = ["SelmidProviderType shibboleth", f"SelmidSAMLIdP {IDP}",
                                     "SelmidLoginURL /Shibboleth.sso/Login"]
    conf.locations["/app"] = ["AuthType selmid", "SelmidProviders campus-saml op", "Require valid-user",
                              "SelmidAttributeMode shibboleth",
                              # an SAML session has eppn; the OIDC provider's email stands in for it
                              "SelmidAttribute eppn eppn", "SelmidAttribute email eppn"]
    # the import location, protected by the SAML module the normal way
    conf.locations["/selmid/saml"] = ["AuthType shibboleth", "ShibRequestSetting requireSession 1",
                                      "Require shib-session", "SetHandler selmid-saml"]
    # the same app protected by the SAML module alone: what mod_shib itself hands it
    conf.locations["/other"] = ["AuthType shibboleth", "ShibRequestSetting requireSession 1",
                                "Require shib-session"]
    return conf


def saml_login(b, stack, target="/app/"):
    return b.follow(stack.url(f"/selmid/login?provider=campus-saml&target={quote(target, safe='')}"))


def test_saml_login_path(stack, shib):
    stack.httpd(saml_conf(stack, shib))
    b = stack.browser()
    r = b.get(stack.url("/selmid/login?provider=campus-saml&target=%2Fapp%2Fx%3Fa%3D1"))
    assert r.status_code == 302
    loc = urlsplit(r.headers["Location"])
    assert loc.path == "/Shibboleth.sso/Login"
    back = re.fullmatch(r"target=(.*)", loc.query).group(1)
    from urllib.parse import unquote
    assert unquote(back) == stack.url("/selmid/saml?provider=campus-saml&target=%2Fapp%2Fx%3Fa%3D1")
    flow = b.follow(None, first=r)
    env = app_env(flow.response)
    assert env["REQUEST_URI"] == "/app/x?a=1"
    assert env["REMOTE_USER"] == "alice@example.edu"
    assert env["SELMID_PROVIDER"] == "campus-saml" and env["SELMID_PROVIDER_TYPE"] == "shibboleth"


def test_same_names_as_oidc_and_as_mod_shib(stack, shib):
    stack.httpd(saml_conf(stack, shib))
    # what mod_shib itself (the stand-in) gives the app
    b = stack.browser()
    saml_env = app_env(saml_login(b, stack).response)
    shib_env = app_env(b.get(stack.url("/other/")))
    # the same person by OIDC
    oidc_env = app_env(stack.browser().login(stack.url("/selmid/login?provider=op&target=%2Fapp%2F"),
                                             "alice").response)
    for name in NAMES:
        assert saml_env[name] == oidc_env[name] == shib_env[name], name
    assert saml_env["REMOTE_USER"] == oidc_env["REMOTE_USER"] == shib_env["REMOTE_USER"] == "alice@example.edu"
    for name in ("affiliation", "entitlement", "persistent-id"):
        assert saml_env[cgi(name)] == shib_env[cgi(name)] == shib_join(ALICE_SAML[name]), name
    assert saml_env["entitlement"] == "urn:mace:example.edu:lab\\;physics;urn:mace:example.edu:library"
    for var in SHIB_VARS:
        assert cgi(var) in saml_env and cgi(var) in oidc_env, var
    assert saml_env[cgi("Shib-Identity-Provider")] == shib_env[cgi("Shib-Identity-Provider")] == IDP
    assert saml_env[cgi("Shib-AuthnContext-Class")] == saml_env[cgi("Shib-Authentication-Method")] == PPT
    assert oidc_env[cgi("Shib-Identity-Provider")] == stack.op.issuer
    # the instant to the second (mod_selmid keeps whole seconds of the SAML instant)
    assert saml_env[cgi("Shib-Authentication-Instant")][:19] == shib_env[cgi("Shib-Authentication-Instant")][:19]
    assert re.fullmatch(r"_[0-9a-f]{32}", saml_env[cgi("Shib-Session-ID")])
    assert saml_env[cgi("Shib-Session-ID")] != shib_env[cgi("Shib-Session-ID")], "mod_selmid's own session"
    assert saml_env["SELMID_PROVIDER"] == "campus-saml" and oidc_env["SELMID_PROVIDER"] == "op"
    assert oidc_env["SELMID_PROVIDER_TYPE"] == "oidc"


def test_single_value_with_semicolon(stack, shib):
    stack.httpd(saml_conf(stack, shib))
    shib.login_as("bob")
    b = stack.browser()
    env = app_env(saml_login(b, stack).response)
    shib_env = app_env(b.get(stack.url("/other/")))
    assert env["displayName"] == shib_env["displayName"] == "Bob Smith\\; Jr."
    assert env["affiliation"] == "alum@example.edu"
    assert env["REMOTE_USER"] == "bob@example.edu"


def assert_no_session_cookie(resp):
    assert "selmid_session=" not in resp.headers.get("Set-Cookie", "").replace("selmid_session=;", "")


def test_import_without_saml_session_refused(stack, shib):
    conf = saml_conf(stack, shib)
    # a misconfigured import location that the SAML module does not protect
    conf.locations["/selmid/saml-open"] = ["Require all granted", "SetHandler selmid-saml"]
    h = stack.httpd(conf)
    b = stack.browser()
    spoof = {"Shib-Session-ID": "_0123456789abcdef0123456789abcdef", "Shib-Identity-Provider": IDP,
             "eppn": "mallory@example.edu", "REMOTE_USER": "mallory@example.edu",
             "Shib-Authentication-Instant": "2024-01-01T00:00:00Z"}
    mark = h.log_mark()
    r = b.get(stack.url("/selmid/saml-open?provider=campus-saml&target=%2Fapp%2F"), headers=spoof)
    assert r.status_code == 403
    assert_no_session_cookie(r)
    h.wait_log(r"SM32002: SAML import refused: no Shib-Session-ID in the environment", mark)
    assert b.cookie("selmid_session") is None
    # the protected import location without a SAML session: the SAML module sends the browser
    # to its SessionInitiator, mod_selmid never runs
    r = b.get(stack.url("/selmid/saml?provider=campus-saml&target=%2Fapp%2F"), headers=spoof)
    assert r.status_code == 302 and urlsplit(r.headers["Location"]).path == "/Shibboleth.sso/Login"
    assert_no_session_cookie(r)
    # and the app still wants a login
    r = b.get(stack.url("/app/"), headers=spoof)
    assert r.status_code != 200 or "selmid-app-content" not in r.text


def test_import_refuses_bad_target_and_provider(stack, shib):
    h = stack.httpd(saml_conf(stack, shib))
    b = stack.browser()
    app_env(saml_login(b, stack).response)  # a SAML session (and a mod_selmid one)
    first = b.cookie("selmid_session")
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        mark = h.log_mark()
        r = b.get(stack.url(f"/selmid/saml?provider=campus-saml&target={quote(target, safe='')}"))
        assert r.status_code == 400, target
        assert "Location" not in r.headers
        assert_no_session_cookie(r)
        h.wait_log(r"SM32006: SAML import target refused", mark)
    for provider in ("op", "nope"):
        mark = h.log_mark()
        r = b.get(stack.url(f"/selmid/saml?provider={provider}&target=%2Fapp%2F"))
        assert r.status_code == 400
        assert_no_session_cookie(r)
        h.wait_log(r"SM32005: SAML import for a provider that is not", mark)
    assert b.cookie("selmid_session") == first


def test_saml_session_only_where_its_provider_is_accepted(stack, shib):
    conf = saml_conf(stack, shib)
    conf.locations["/proxied"] = ["AuthType selmid", "SelmidProviders op", "Require valid-user"]
    stack.httpd(conf)
    b = stack.browser()
    app_env(saml_login(b, stack).response)
    r = b.get(stack.url("/proxied/echo"))
    assert r.status_code == 302
    assert "provider=op" in r.headers["Location"]


def test_chooser_offers_saml_oidc_and_sns_side_by_side(stack, shib):
    """One location, three ways in: the chooser lists the SAML login, the campus OIDC provider and
    LINE; each button logs the person in, and the app gets Shibboleth-style names every time."""
    conf = saml_conf(stack, shib)
    stack.sns.add_provider(conf, "line")
    conf.providers["campus-saml"].append('SelmidLabel en "GakuNin (SAML)"')
    conf.locations["/app"] = ["AuthType selmid", "SelmidProviders campus-saml op line", "Require valid-user",
                              "SelmidAttributeMode shibboleth", "SelmidAttribute eppn eppn",
                              "SelmidAttribute email eppn", "SelmidAttribute sub persistent-id"]
    stack.httpd(conf)
    nav = {"Accept": "text/html", "Accept-Language": "en", "Sec-Fetch-Mode": "navigate"}
    chooser = stack.browser().get(stack.url("/app/page"), headers=nav)
    assert chooser.status_code == 200
    links = [l.replace("&amp;", "&") for l in re.findall(r'href="(/selmid/login\?[^"]+)"', chooser.text)]
    assert [re.search(r"provider=([^&]+)", l).group(1) for l in links] == ["campus-saml", "op", "line"]
    assert "GakuNin (SAML)" in chooser.text and "Log in with LINE" in chooser.text
    for link in links:
        assert "target=%2Fapp%2Fpage" in link

    saml = app_env(stack.browser().follow(stack.url(links[0])).response)
    oidc = app_env(stack.browser().login(stack.url(links[1]), "alice").response)
    line = app_env(stack.browser().follow(stack.url(links[2])).response)
    assert saml["REQUEST_URI"] == oidc["REQUEST_URI"] == line["REQUEST_URI"] == "/app/page"
    assert saml["REMOTE_USER"] == oidc["REMOTE_USER"] == "alice@example.edu"
    assert line["REMOTE_USER"] == line["persistent_id"] == "U1a2b3c4d5e6f708192a3b4c5d6e7f801"
    assert line["displayName"] == "Alice LINE"
    assert [e["SELMID_PROVIDER"] for e in (saml, oidc, line)] == ["campus-saml", "op", "line"]
    assert [e["SELMID_PROVIDER_TYPE"] for e in (saml, oidc, line)] == ["shibboleth", "oidc", "line"]
    for env in (saml, oidc, line):
        for var in SHIB_VARS:
            assert cgi(var) in env, var
        assert not any(k.startswith("SELMID_") and k not in ("SELMID_PROVIDER", "SELMID_PROVIDER_TYPE")
                       for k in env), "shibboleth mode passes only mapped names"


# Another university of the same federation: mod_shib trusts its IdP too (federation metadata).
OTHER_IDP = "https://idp.other-u.ac.jp/idp/shibboleth"
CAROL_SAML = {"eppn": ["carol@other-u.ac.jp"], "mail": ["carol@other-u.ac.jp"], "displayName": ["Carol Other"]}


def import_url(stack, provider, target="/app/"):
    return stack.url(f"/selmid/saml?provider={provider}&target={quote(target, safe='')}")


def test_import_refused_for_an_idp_not_listed(stack, shib):
    conf = saml_conf(stack, shib)
    conf.providers["campus-saml"] = ["SelmidProviderType shibboleth", f"SelmidSAMLIdP {OTHER_IDP}",
                                     "SelmidLoginURL /Shibboleth.sso/Login"]
    h = stack.httpd(conf)
    b = stack.browser()
    mark = h.log_mark()
    flow = saml_login(b, stack)
    r = flow.response
    # the SAML login itself worked (mod_shib trusts the IdP): the import refused it
    assert urlsplit(r.url).path == "/selmid/saml"
    assert b.cookies_named("_shibsession_")
    assert r.status_code == 403 and "Login failed" in r.text
    assert_no_session_cookie(r)
    assert b.cookie("selmid_session") is None
    line = h.wait_log(r"SM32010: SAML import refused: .*", mark).group(0)
    assert "campus-saml" in line and IDP in line and "SelmidSAMLIdP" in line
    for value in ("alice@example.edu", "山田", "AbC="):
        assert value not in h.log_since(mark), "no attribute value in the log"
    # and the app still wants a login (the chooser: /app accepts campus-saml and op)
    r = b.get(stack.url("/app/"))
    assert "selmid-app-content" not in r.text
    assert r.status_code == 200 and "/selmid/login?provider=campus-saml" in r.text


def two_saml_providers_conf(stack, shib, campus_idps, store="shm"):
    """campus-saml: the university's IdP (campus_idps); gakunin-saml: the other university's IdP
    (as behind a federation's discovery service); one mod_shib and one import location for both."""
    shib.add_user("carol", CAROL_SAML, idp=OTHER_IDP)
    conf = saml_conf(stack, shib, store=store)
    conf.providers["campus-saml"] = ["SelmidProviderType shibboleth", f"SelmidSAMLIdP {campus_idps}",
                                     "SelmidLoginURL /Shibboleth.sso/Login"]
    conf.providers["gakunin-saml"] = ["SelmidProviderType shibboleth",
                                      f"SelmidSAMLIdP https://idp.third-u.ac.jp/idp/shibboleth {OTHER_IDP}",
                                      "SelmidLoginURL /Shibboleth.sso/Login"]
    conf.locations["/app"] = ["AuthType selmid", "SelmidProviders campus-saml", "Require valid-user"]
    conf.locations["/proxied"] = ["AuthType selmid", "SelmidProviders gakunin-saml", "Require valid-user"]
    return conf


def test_two_saml_providers_keep_their_idps_apart(stack, shib):
    h = stack.httpd(two_saml_providers_conf(stack, shib, IDP))
    # carol (other university) logs in through gakunin-saml
    shib.login_as("carol")
    carol = stack.browser()
    flow = carol.follow(stack.url("/selmid/login?provider=gakunin-saml&target=%2Fproxied%2Fecho"))
    assert flow.response.status_code == 200
    gakunin_session = carol.cookie("selmid_session")
    assert gakunin_session
    # her session is not accepted where only campus-saml is: she is sent to campus-saml's login
    mark = h.log_mark()
    r = carol.get(stack.url("/app/"))
    assert r.status_code == 302 and "provider=campus-saml" in r.headers["Location"]
    h.wait_log(r"SM30034: the session's provider gakunin-saml is not accepted here", mark)
    # importing the same SAML session under campus-saml's name is refused
    mark = h.log_mark()
    r = carol.get(import_url(stack, "campus-saml"))
    assert r.status_code == 403
    assert_no_session_cookie(r)
    line = h.wait_log(r"SM32010: SAML import refused: .*", mark).group(0)
    assert "campus-saml" in line and OTHER_IDP in line
    assert "carol@other-u.ac.jp" not in h.log_since(mark)
    assert carol.cookie("selmid_session") == gakunin_session
    r = carol.get(stack.url("/app/"))
    assert r.status_code == 302 and "provider=campus-saml" in r.headers["Location"]
    # the whole campus login path ends at the same refusal
    r = carol.follow(stack.url("/selmid/login?provider=campus-saml&target=%2Fapp%2F")).response
    assert r.status_code == 403 and urlsplit(r.url).path == "/selmid/saml"
    assert carol.cookie("selmid_session") == gakunin_session

    # alice (this university) the other way round
    shib.login_as("alice")
    alice = stack.browser()
    env = app_env(saml_login(alice, stack).response)
    assert env["SELMID_PROVIDER"] == "campus-saml" and env["REMOTE_USER"] == "alice@example.edu"
    campus_session = alice.cookie("selmid_session")
    r = alice.get(stack.url("/proxied/echo"))
    assert r.status_code == 302 and "provider=gakunin-saml" in r.headers["Location"]
    mark = h.log_mark()
    r = alice.get(import_url(stack, "gakunin-saml", "/proxied/echo"))
    assert r.status_code == 403
    line = h.wait_log(r"SM32010: SAML import refused: .*", mark).group(0)
    assert "gakunin-saml" in line and IDP in line
    assert alice.cookie("selmid_session") == campus_session


def test_saml_idp_any_accepts_every_idp(stack, shib):
    shib.add_user("carol", CAROL_SAML, idp=OTHER_IDP)
    conf = saml_conf(stack, shib)
    conf.providers["campus-saml"] = ["SelmidProviderType shibboleth", "SelmidSAMLIdP any",
                                     "SelmidLoginURL /Shibboleth.sso/Login"]
    stack.httpd(conf)
    for user, idp, eppn in (("carol", OTHER_IDP, "carol@other-u.ac.jp"), ("alice", IDP, "alice@example.edu")):
        shib.login_as(user)
        env = app_env(saml_login(stack.browser(), stack).response)
        assert env["SELMID_PROVIDER"] == "campus-saml"
        assert env["REMOTE_USER"] == eppn
        assert env[cgi("Shib-Identity-Provider")] == idp


def test_session_of_an_idp_removed_from_the_list_counts_as_none(stack, shib):
    """The IdP list changes after the import (sessions in memcached survive the restart): the
    session's issuer is checked on every request, not only at the import."""
    h = stack.httpd(two_saml_providers_conf(stack, shib, f"{IDP} {OTHER_IDP}", store="memcached"))
    shib.login_as("carol")
    b = stack.browser()
    env = app_env(saml_login(b, stack).response)
    assert env["SELMID_PROVIDER"] == "campus-saml" and env["REMOTE_USER"] == "carol@other-u.ac.jp"
    session = b.cookie("selmid_session")
    h.stop()
    b.close()
    # the same configuration: the session is still good
    h = stack.httpd(two_saml_providers_conf(stack, shib, f"{IDP} {OTHER_IDP}", store="memcached"))
    assert app_env(b.get(stack.url("/app/")))["REMOTE_USER"] == "carol@other-u.ac.jp"
    h.stop()
    b.close()
    # OTHER_IDP removed from campus-saml: the session counts as none there
    h = stack.httpd(two_saml_providers_conf(stack, shib, IDP, store="memcached"))
    mark = h.log_mark()
    r = b.get(stack.url("/app/"))
    assert r.status_code == 302 and "provider=campus-saml" in r.headers["Location"]
    line = h.wait_log(r"SM32011: .*", mark).group(0)
    assert OTHER_IDP in line and "campus-saml" in line
    assert b.cookie("selmid_session") == session  # not a broken session: just not one for here
