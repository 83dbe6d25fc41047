"""Several providers: two locations each with its own OP, a location that offers a choice, and
the login endpoint."""
import urllib.parse

from lib.browser import query
from lib.flows import app_env, assert_denied, links, to_op
from lib.op import CLIENT_SECRET, USERS


def two_provider_conf(stack):
    conf = stack.conf()
    conf.providers["op2"] = [f"SelmidIssuer {stack.op2.issuer}", "SelmidClientID app2",
                             f"SelmidClientSecret {CLIENT_SECRET}", 'SelmidScope "openid email profile"']
    conf.locations["/other"] = ["AuthType selmid", "SelmidProviders op2", "Require valid-user"]
    return conf


def test_two_locations_two_providers(stack):
    stack.httpd(two_provider_conf(stack))
    b = stack.browser()
    r1 = to_op(b, b.get(stack.url("/app/")))
    r2 = to_op(b, b.get(stack.url("/other/")))
    assert r1.headers["Location"].startswith(stack.op.issuer + "/")
    assert r2.headers["Location"].startswith(stack.op2.issuer + "/")
    assert query(r2.headers["Location"])["client_id"] == "app2"
    assert query(r2.headers["Location"])["scope"].split() == ["openid", "email", "profile"]
    env = app_env(b.login(stack.url("/other/x"), "bob").response)
    assert env["REMOTE_USER"] == USERS["bob"][1]
    assert "SELMID_groups" not in env, "op2 was asked without the groups scope"
    # a session from op2 does not open a location that accepts only op
    r = to_op(b, b.get(stack.url("/app/")))
    assert r.status_code == 302 and r.headers["Location"].startswith(stack.op.issuer + "/")
    env = app_env(b.login(stack.url("/app/"), "alice").response)
    assert env["REMOTE_USER"] == USERS["alice"][1]


def test_several_providers_page(stack):
    conf = two_provider_conf(stack)
    conf.location("/app")[:] = ["AuthType selmid", "SelmidProviders op op2", "Require valid-user"]
    stack.httpd(conf)
    b = stack.browser()
    r = b.get(stack.url("/app/page?q=%3Cscript%3E"))
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/html")
    assert "selmid-app-content" not in r.text
    assert "<script>" not in r.text
    logins = [u for u in links(r.text) if "/selmid/login?" in u]
    providers = sorted(query(u)["provider"] for u in logins)
    assert providers == ["op", "op2"]
    for u in logins:
        assert query(u)["target"] == "/app/page?q=%3Cscript%3E"
    op2_link = [u for u in logins if query(u)["provider"] == "op2"][0]
    r = b.get(urllib.parse.urljoin(stack.url("/"), op2_link))
    assert r.status_code == 302 and r.headers["Location"].startswith(stack.op2.issuer + "/")
    flow = b.follow(None, first=r, user="alice", password=USERS["alice"][0])
    env = app_env(flow.response)
    assert env["REMOTE_USER"] == USERS["alice"][1]
    assert env["PATH_INFO"] == "/page" and env["QUERY_STRING"] == "q=%3Cscript%3E"


def test_unknown_provider(stack):
    h = stack.httpd()
    b = stack.browser()
    mark = h.log_mark()
    r = b.get(stack.url("/selmid/login?provider=nosuch%3Cb%3E&target=/app/"))
    assert_denied(r, 400, "SM30022", h, mark, not_reflected=["nosuch", "<b>"])
    r = b.get(stack.url("/selmid/login?target=/app/"))
    assert r.status_code == 400
