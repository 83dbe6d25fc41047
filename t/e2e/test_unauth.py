"""What a request without a session gets: SelmidUnauthAction auth | 401 | 403 | pass, and 401
instead of a redirect for non-GET and XHR requests."""
import pytest

from lib.flows import app_env


@pytest.mark.parametrize("kind", ["xrw", "json", "post", "put"])
def test_auth_answers_401_to_xhr_and_non_get(stack, kind):
    stack.httpd()
    b = stack.browser()
    if kind == "xrw":
        r = b.get(stack.url("/app/"), headers={"X-Requested-With": "XMLHttpRequest"})
    elif kind == "json":
        r = b.get(stack.url("/app/"), headers={"Accept": "application/json"})
    elif kind == "post":
        r = b.post(stack.url("/app/"), data={"a": "b"})
    else:
        r = b.put(stack.url("/app/"), data="x")
    assert r.status_code == 401
    assert "Location" not in r.headers
    assert "selmid-app-content" not in r.text
    assert not [c for c in b.cookies if c.name.startswith("selmid_state_")], "no login started for XHR"
    # a plain navigation still redirects
    assert b.get(stack.url("/app/")).status_code == 302


@pytest.mark.parametrize("action,status", [("401", 401), ("403", 403)])
def test_unauth_action_status(stack, action, status):
    conf = stack.conf()
    conf.location("/app").append(f"SelmidUnauthAction {action}")
    stack.httpd(conf)
    b = stack.browser()
    r = b.get(stack.url("/app/"))
    assert r.status_code == status
    assert "Location" not in r.headers and "selmid-app-content" not in r.text
    # a session makes it pass: sign in through the explicit login endpoint
    r = b.get(stack.url("/selmid/login?provider=op&target=/app/x"))
    assert r.status_code == 302
    from lib.op import USERS
    flow = b.follow(None, first=r, user="alice", password=USERS["alice"][0])
    assert app_env(flow.response)["REMOTE_USER"] == USERS["alice"][1]


def test_unauth_action_pass(stack):
    conf = stack.conf()
    conf.location("/app").append("SelmidUnauthAction pass")
    stack.httpd(conf)
    b = stack.browser()
    env = app_env(b.get(stack.url("/app/")))
    assert env.get("REMOTE_USER", "") == "", "no identity without a session"
    assert not [k for k in env if k.startswith("SELMID_")]
    # with a session the identity is passed
    r = b.get(stack.url("/selmid/login?provider=op&target=/app/x"))
    from lib.op import USERS
    env = app_env(b.follow(None, first=r, user="bob", password=USERS["bob"][0]).response)
    assert env["REMOTE_USER"] == USERS["bob"][1]
    assert env["SELMID_email"] == "bob@example.edu"
