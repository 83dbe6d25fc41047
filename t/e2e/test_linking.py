"""Account linking end to end (docs/linking.md): the link pages, an SNS login of a linked identity
getting the organisational attributes, removal, and the refusals."""
import json
import sqlite3

from lib.flows import app_env, assert_denied, session_json
from lib.linking import Person, forms, linking_conf, sqlite_dir
from lib.sns import USERS

LINE_ALICE = USERS["line"][0]


def sqlite_line(stack):
    path = sqlite_dir(stack) + "/selmid.db"
    return path, f"SelmidDirectory sqlite:{path}"


def test_link_line_to_university_account_and_login_with_line(stack):
    path, line = sqlite_line(stack)
    h = stack.httpd(linking_conf(stack, line))
    p = Person(stack, stack.browser())
    env = app_env(p.line_login().response)
    assert env["REMOTE_USER"] == LINE_ALICE["sub"]
    assert "SELMID_ORG_PROVIDER" not in env
    r = p.add("op", user="alice")
    assert r.status_code == 303, r.text
    assert "notice=linked" in r.headers["Location"]
    env = app_env(p.b.get(stack.url("/public/")))
    assert env["SELMID_PROVIDER"] == "line"
    assert env["SELMID_ORG_PROVIDER"] == "op"
    assert env["REMOTE_USER"] == "alice-0001"
    assert env["SELMID_sub"] == "alice-0001"
    # a new browser: the LINE login alone now yields the university attributes
    q = Person(stack, stack.browser())
    env2 = app_env(q.line_login().response)
    assert env2["REMOTE_USER"] == "alice-0001" and env2["SELMID_ORG_PROVIDER"] == "op"
    db = sqlite3.connect(path)
    rows = db.execute("SELECT provider, org FROM identities ORDER BY provider").fetchall()
    assert rows == [("line", 0), ("op", 1)]
    types = [t for (t,) in db.execute("SELECT type FROM events ORDER BY id")]
    assert types.count("link") == 2 and "login" in types
