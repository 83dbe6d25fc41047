"""The identity handed to the application: environment variables (seen by a CGI) and request
headers (seen by a back end behind mod_proxy), names, prefixes, encodings, control characters."""
import base64

import pytest

from lib.flows import app_env, backend_headers, header_map
from lib.op import USERS


def signed_in(stack, conf=None, user="alice", path="/app/"):
    stack.httpd(conf or stack.conf())
    b = stack.browser()
    resp = b.login(stack.url(path), user).response
    return b, resp


def test_headers_reach_a_proxied_backend(stack):
    b, resp = signed_in(stack, path="/proxied/echo")
    hm = header_map(backend_headers(resp))
    assert hm["SELMID_SUB"] == [USERS["alice"][1].encode()]
    assert hm["SELMID_EMAIL"] == [b"alice@example.edu"]
    assert hm["SELMID_NAME"] == ["山田 花子".encode("utf-8")], "UTF-8 by default"
    assert hm["SELMID_GROUPS"] == [b"students;physics\\;lab;staff"]
    # the session cookie is mod_selmid's business, but the app still gets other cookies; REMOTE_USER
    # is not a header
    assert "REMOTE_USER" not in hm


def test_pass_as_environment_only(stack):
    conf = stack.conf()
    for loc in ("/app", "/proxied"):
        conf.location(loc).append("SelmidPassAs environment")
    b, resp = signed_in(stack, conf, path="/proxied/echo")
    hm = header_map(backend_headers(resp))
    assert not [k for k in hm if k.startswith("SELMID")], "headers were sent with PassAs environment"
    env = app_env(b.get(stack.url("/app/")))
    assert env["SELMID_email"] == "alice@example.edu"
    assert env["REMOTE_USER"] == USERS["alice"][1]


def test_pass_as_headers_only(stack):
    conf = stack.conf()
    for loc in ("/app", "/proxied"):
        conf.location(loc).append("SelmidPassAs headers")
    b, resp = signed_in(stack, conf)
    env = app_env(resp)
    assert not [k for k in env if k.upper().startswith("SELMID")], "environment set with PassAs headers"
    assert env["REMOTE_USER"] == USERS["alice"][1]
    hm = header_map(backend_headers(b.get(stack.url("/proxied/x"))))
    assert hm["SELMID_EMAIL"] == [b"alice@example.edu"]


def test_prefix_and_remote_user_claim(stack):
    conf = stack.conf()
    for loc in ("/app", "/proxied"):
        conf.location(loc).extend(["SelmidClaimPrefix OIDC_CLAIM_", "SelmidRemoteUserClaim email"])
    b, resp = signed_in(stack, conf)
    env = app_env(resp)
    assert env["REMOTE_USER"] == "alice@example.edu"
    assert env["OIDC_CLAIM_email"] == "alice@example.edu"
    assert env["OIDC_CLAIM_name"] == "山田 花子"
    # SELMID_PROVIDER and SELMID_PROVIDER_TYPE keep their names whatever the prefix
    assert sorted(k for k in env if k.startswith("SELMID_")) == ["SELMID_PROVIDER", "SELMID_PROVIDER_TYPE"]
    assert env["SELMID_PROVIDER"] == "op" and env["SELMID_PROVIDER_TYPE"] == "oidc"
    hm = header_map(backend_headers(b.get(stack.url("/proxied/x"))))
    assert hm["OIDC_CLAIM_SUB"] == [USERS["alice"][1].encode()]


@pytest.mark.parametrize("encoding", ["base64url", "latin1", "utf8"])
def test_header_encoding(stack, encoding):
    conf = stack.conf()
    conf.location("/proxied").append(f"SelmidHeaderEncoding {encoding}")
    b, resp = signed_in(stack, conf, path="/proxied/echo")
    hm = header_map(backend_headers(resp))
    name = hm["SELMID_NAME"][0]
    if encoding == "base64url":
        assert name.rstrip(b"=") == base64.urlsafe_b64encode("山田 花子".encode()).rstrip(b"=")
        assert hm["SELMID_EMAIL"] == [b"alice@example.edu"], "ASCII values stay as they are"
    elif encoding == "latin1":
        assert name == b"?? ??"
    else:
        assert name == "山田 花子".encode()


def test_control_characters_never_reach_headers_or_env(stack):
    b, resp = signed_in(stack, user="carol", path="/proxied/echo")
    headers = backend_headers(resp)
    hm = header_map(headers)
    assert "X_INJECTED" not in hm, "header injection through a claim value"
    name = hm["SELMID_NAME"][0]
    assert name.startswith(b"Carol") and b"X-Injected: yes" in name
    for n, _v, raw in headers:
        if n.upper().startswith("SELMID"):
            assert not any(c < 0x20 or c == 0x7F for c in raw), f"control character in {n}: {raw!r}"
    env = app_env(b.get(stack.url("/app/")))
    for k, v in env.items():
        if k.startswith("SELMID_"):
            assert not any(ord(c) < 0x20 or ord(c) == 0x7F for c in v), f"control character in {k}: {v!r}"
    assert env["REMOTE_USER"] == USERS["carol"][1]


def test_identity_is_per_browser(stack):
    stack.httpd()
    a, bb = stack.browser(), stack.browser()
    env_a = app_env(a.login(stack.url("/app/"), "alice").response)
    env_b = app_env(bb.login(stack.url("/app/"), "bob").response)
    assert env_a["REMOTE_USER"] == USERS["alice"][1]
    assert env_b["REMOTE_USER"] == USERS["bob"][1]
    assert app_env(a.get(stack.url("/app/")))["SELMID_email"] == "alice@example.edu"
    assert app_env(bb.get(stack.url("/app/")))["SELMID_email"] == "bob@example.edu"
    assert app_env(bb.get(stack.url("/app/")))["SELMID_email_verified"] == "false"
