"""Require selmid-claim: exact values and regular expressions, on string and array claims."""
import pytest

from lib.flows import app_env
from lib.op import USERS

CASES = [
    # (Require line, users allowed, users denied)
    ("Require selmid-claim email alice@example.edu", ["alice"], ["bob"]),
    ("Require selmid-claim groups staff", ["alice"], ["bob"]),
    ('Require selmid-claim groups "physics;lab"', ["alice"], ["bob"]),
    ("Require selmid-claim groups alumni", ["bob"], ["alice"]),
    (r"Require selmid-claim email ~^[a-z]+@example\.edu$", ["alice", "bob"], []),
    (r"Require selmid-claim email ~^bob@", ["bob"], ["alice"]),
    (r"Require selmid-claim groups ~^phys", ["alice"], ["bob"]),
    ("Require selmid-claim email_verified true", ["alice"], ["bob"]),
    ("Require selmid-claim nosuchclaim x", [], ["alice"]),
]


@pytest.mark.parametrize("require,allowed,denied", CASES, ids=[c[0].split(None, 2)[2] for c in CASES])
def test_require_selmid_claim(stack, require, allowed, denied):
    conf = stack.conf()
    conf.locations["/app"] = ["AuthType selmid", "SelmidProviders op", require]
    conf.locations["/public"] = ["AuthType selmid", "SelmidProviders op", "Require valid-user"]
    stack.httpd(conf)
    for user in allowed + denied:
        b = stack.browser()
        # sign in on a location everyone may use, then try the restricted one
        app_env(b.login(stack.url("/public/"), user).response)
        r = b.get(stack.url("/app/"))
        if user in allowed:
            assert app_env(r)["REMOTE_USER"] == USERS[user][1]
        else:
            assert r.status_code == 403, f"{user} should be denied by {require!r}: {r.status_code}"
            assert "selmid-app-content" not in r.text


def test_require_any_of_several(stack):
    conf = stack.conf()
    conf.locations["/app"] = ["AuthType selmid", "SelmidProviders op", "<RequireAny>",
                              "    Require selmid-claim email bob@example.edu",
                              "    Require selmid-claim groups physics;lab", "</RequireAny>"]
    stack.httpd(conf)
    for user in ("alice", "bob"):
        b = stack.browser()
        assert app_env(b.login(stack.url("/app/"), user).response)["REMOTE_USER"] == USERS[user][1]
    b = stack.browser()
    r = b.login(stack.url("/app/"), "carol").response
    assert r.status_code == 403
