"""Spoofed incoming headers that collide, after CGI normalisation, with the names mod_selmid sets
never reach the application, with or without a session."""
import pytest

from lib.flows import app_env, backend_headers, header_map
from lib.op import USERS

SPOOF = {
    "Selmid-Sub": "evil-sub",
    "SELMID_email": "evil@evil.example",
    "selmid-Name": "evil name",
    "SeLmId_GrOuPs": "evil-group",
    "Selmid-New-Claim": "evil-new",
    "Remote-User": "evil-remote-user",
    "Auth-Type": "evil-auth-type",
}


def assert_no_spoof_env(env):
    for k, v in env.items():
        assert "evil" not in v, f"spoofed value reached the app's environment: {k}={v!r}"


def assert_no_spoof_headers(headers):
    for name, value, _raw in headers:
        assert "evil" not in value, f"spoofed header reached the back end: {name}: {value!r}"


@pytest.mark.parametrize("signed_in", [True, False])
def test_spoofed_headers_scrubbed(stack, signed_in):
    conf = stack.conf()
    if not signed_in:
        for loc in ("/app", "/proxied"):
            conf.location(loc).append("SelmidUnauthAction pass")
    stack.httpd(conf)
    b = stack.browser()
    if signed_in:
        app_env(b.login(stack.url("/app/"), "alice").response)
    env = app_env(b.get(stack.url("/app/"), headers={**SPOOF, "X-Benign": "kept"}))
    assert_no_spoof_env(env)
    assert env["HTTP_X_BENIGN"] == "kept", "an unrelated header must pass"
    if signed_in:
        assert env["REMOTE_USER"] == USERS["alice"][1]
        assert env["SELMID_email"] == "alice@example.edu"
    else:
        assert env.get("REMOTE_USER", "") == "", "no identity without a session"
        assert not [k for k in env if k.upper().startswith(("SELMID", "HTTP_SELMID"))]
    headers = backend_headers(b.get(stack.url("/proxied/echo"), headers={**SPOOF, "X-Benign": "kept"}))
    assert_no_spoof_headers(headers)
    hm = header_map(headers)
    assert hm["X_BENIGN"] == [b"kept"]
    if signed_in:
        assert hm["SELMID_EMAIL"] == [b"alice@example.edu"]


def test_scrubbing_follows_the_prefix(stack):
    conf = stack.conf()
    for loc in ("/app", "/proxied"):
        conf.location(loc).append("SelmidClaimPrefix OIDC_CLAIM_")
    stack.httpd(conf)
    b = stack.browser()
    app_env(b.login(stack.url("/app/"), "alice").response)
    headers = backend_headers(b.get(stack.url("/proxied/echo"),
                                    headers={"OIDC-Claim-Email": "evil@evil.example", "oidc_claim_sub": "evil"}))
    assert_no_spoof_headers(headers)
    assert header_map(headers)["OIDC_CLAIM_EMAIL"] == [b"alice@example.edu"]
