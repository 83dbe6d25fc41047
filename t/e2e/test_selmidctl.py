"""selmidctl, the administrator's tool for the directory (issue 6): the built binary against a
fresh directory per test (the `directory_spec` fixture): every command, every exit code, bad
input, the last-organisational-link rule, the event export with paging, and no password of a
connection string in any output."""
import json
import os
import pwd
import re
import sqlite3
import subprocess
import time

import pytest

from lib.httpd import default_module

OK, NOTFOUND, USAGE, FAIL = 0, 1, 2, 3
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
UNI = ("univ", "https://idp.example.ac.jp/idp/shibboleth", "alice@example.ac.jp")
UNI2 = ("univ2", "https://idp2.example.ac.jp", "alice2")
LINE = ("line", "https://access.line.me", "U4af4980629")
GOOGLE = ("google", "https://accounts.google.com", "1098765")


@pytest.fixture(scope="module")
def selmidctl():
    path = os.path.join(os.path.dirname(os.path.dirname(default_module())), "selmidctl")
    if not os.access(path, os.X_OK):
        pytest.fail(f"selmidctl is not built: {path} is missing (build the tree of SELMID_MODULE)")
    return path


class Ctl:
    def __init__(self, binary, spec):
        self.binary, self.spec = binary, spec

    def raw(self, *args, spec=None, env=None):
        """Runs selmidctl; every line on stderr must be one of its own."""
        e = {k: v for k, v in os.environ.items() if k != "SELMID_DIRECTORY"}
        e.update(env or {})
        cmd = [self.binary] + (["-d", spec] if spec else []) + list(args)
        r = subprocess.run(cmd, capture_output=True, env=e, timeout=60)
        r.out, r.err = r.stdout.decode(), r.stderr.decode()
        for line in r.err.splitlines():
            assert line.startswith("selmidctl: "), r.err
        return r

    def __call__(self, *args, expect=OK):
        r = self.raw(*args, spec=self.spec)
        assert r.returncode == expect, (args, r.returncode, r.out, r.err)
        return r

    def events(self, *args):
        return [json.loads(line) for line in self("events", *args).out.splitlines()]


@pytest.fixture
def ctl(selmidctl, directory_spec):
    return Ctl(selmidctl, directory_spec)


def invoking_user():
    try:
        return os.getlogin()
    except OSError:
        return pwd.getpwuid(os.getuid()).pw_name


def link_new(ctl, ident, org=False):
    person = ctl("link", "new", *ident, *(["--org"] if org else [])).out.strip()
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", person), person
    return person


# ---- find, link, show ------------------------------------------------------------------------


def test_help_and_version(selmidctl):
    c = Ctl(selmidctl, None)
    r = c.raw("--help")
    assert r.returncode == OK and "usage: selmidctl" in r.out and "unlink" in r.out
    r = c.raw("--version")
    assert r.returncode == OK and r.out.startswith("selmidctl (mod_selmid) ")
    assert "schema version 2" in r.out


def test_find_not_linked(ctl):
    r = ctl("find", *LINE, expect=NOTFOUND)
    assert r.out == "" and "SM25010" in r.err


def test_link_find_show(ctl):
    before = int(time.time())
    person = link_new(ctl, UNI, org=True)
    assert ctl("link", person, *LINE).out.strip() == person
    after = int(time.time())
    assert ctl("find", *UNI).out == person + "\n"
    assert ctl("find", *LINE).out == person + "\n"
    ctl("find", *GOOGLE, expect=NOTFOUND)

    text = ctl("show", person).out
    assert f"person: {person}\n" in text
    assert "organisational attributes captured: never" in text
    assert "identities: 2" in text
    assert f"provider=univ issuer={UNI[1]} subject={UNI[2]} org=yes" in text
    assert f"provider=line issuer={LINE[1]} subject={LINE[2]} org=no" in text

    shown = json.loads(ctl("show", "--json", person).out)
    assert shown["person"] == person
    assert shown["org_attributes_captured"] is None
    got = {(i["provider"], i["issuer"], i["subject"]): i for i in shown["identities"]}
    assert set(got) == {UNI, LINE}
    assert got[UNI]["org"] is True and got[LINE]["org"] is False
    for i in shown["identities"]:
        for key in ("linked_at", "last_used"):
            assert before <= i[key + "_epoch"] <= after
            assert ISO.match(i[key])
            assert time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(i[key + "_epoch"])) == i[key]


def test_link_refused(ctl):
    alice = link_new(ctl, UNI, org=True)
    r = ctl("link", "new", *UNI, expect=NOTFOUND)
    assert alice in r.err and "already linked" in r.err and r.out == ""
    bob = link_new(ctl, UNI2, org=True)
    r = ctl("link", bob, *UNI, expect=NOTFOUND)
    assert alice in r.err
    r = ctl("link", "AAAAAAAAAAAAAAAAAAAAAA", *LINE, expect=NOTFOUND)
    assert "SM25014" in r.err
    ctl("find", *LINE, expect=NOTFOUND)
    assert ctl("find", *UNI).out.strip() == alice


def test_show_unknown_person(ctl):
    r = ctl("show", "AAAAAAAAAAAAAAAAAAAAAA", expect=NOTFOUND)
    assert r.out == "" and "SM25011" in r.err
    ctl("show", "--json", "nobody", expect=NOTFOUND)


# ---- unlink --------------------------------------------------------------------------------


def test_unlink(ctl):
    person = link_new(ctl, UNI, org=True)
    ctl("link", person, *LINE)
    ctl("unlink", person, *LINE)
    ctl("find", *LINE, expect=NOTFOUND)
    r = ctl("unlink", person, *LINE, expect=NOTFOUND)
    assert "SM25015" in r.err
    other = link_new(ctl, GOOGLE)
    ctl("unlink", other, *UNI, expect=NOTFOUND)  # linked, but to someone else
    assert ctl("find", *UNI).out.strip() == person


def test_unlink_last_org_needs_force(ctl):
    person = link_new(ctl, UNI, org=True)
    ctl("link", person, *LINE)
    r = ctl("unlink", person, *UNI, expect=NOTFOUND)
    assert "SM25016" in r.err and "--force" in r.err
    assert ctl("find", *UNI).out.strip() == person
    # With a second organisational identity, either may go without --force.
    ctl("link", person, *UNI2, "--org")
    ctl("unlink", person, *UNI)
    ctl("unlink", person, *UNI2, expect=NOTFOUND)
    ctl("unlink", person, *UNI2, "--force")
    ctl("find", *UNI2, expect=NOTFOUND)
    # A non-organisational identity never needs --force.
    ctl("unlink", person, *LINE)


# ---- the event log ---------------------------------------------------------------------------


def test_admin_actions_are_logged(ctl):
    person = link_new(ctl, UNI, org=True)
    ctl("link", person, *LINE)
    ctl("unlink", person, *LINE)
    ctl("unlink", person, *UNI, "--force")
    evs = ctl.events()
    assert [(e["type"], e["provider"]) for e in evs] == [
        ("link", "univ"), ("admin", "univ"), ("link", "line"), ("admin", "line"),
        ("unlink", "line"), ("admin", "line"), ("unlink", "univ"), ("admin", "univ")]
    assert all(e["person"] == person for e in evs)
    admin = [e["detail"] for e in evs if e["type"] == "admin"]
    for d in admin:
        assert d["by"] == "selmidctl" and d["user"] == invoking_user() and d["uid"] == os.getuid()
    assert [d["action"] for d in admin] == ["link", "link", "unlink", "unlink"]
    assert admin[0]["org"] is True and admin[0]["new_person"] is True
    assert admin[1]["org"] is False and admin[1]["new_person"] is False
    assert admin[2]["forced"] is False and admin[3]["forced"] is True


def test_events_paging_and_filters(ctl):
    people = [link_new(ctl, (f"p{i}", "https://iss", f"s{i}")) for i in range(7)]
    ctl("link", people[2], "extra", "https://iss", "x")
    lines = ctl("events", "--page-size", "3").out.splitlines()
    assert len(lines) == 16
    assert ctl("events").out.splitlines() == lines
    evs = [json.loads(line) for line in lines]
    ids = [e["id"] for e in evs]
    assert ids == sorted(set(ids))
    for e in evs:
        assert set(e) == {"id", "type", "person", "provider", "at", "at_epoch", "detail"}
        assert isinstance(e["detail"], dict) and ISO.match(e["at"])
        assert time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(e["at_epoch"])) == e["at"]

    assert ctl.events("--limit", "5", "--page-size", "2") == evs[:5]
    assert ctl.events("--after", str(ids[9]), "--page-size", "4") == evs[10:]
    assert ctl.events("--after", str(ids[-1])) == []
    mine = [e for e in evs if e["person"] == people[2]]
    assert len(mine) == 4
    assert ctl.events("--person", people[2], "--page-size", "3") == mine
    assert ctl.events("--person", people[2], "--limit", "3", "--page-size", "2") == mine[:3]
    assert ctl.events("--person", "nobody") == []


# ---- usage errors and bad input ------------------------------------------------------------------


@pytest.mark.parametrize("args", [
    [], ["frobnicate"], ["find", "a", "b"], ["find", "a", "b", "c", "d"], ["show"],
    ["link", "new", "a", "b"], ["unlink", "p", "a", "b"], ["events", "x"],
    ["show", "--org", "p"], ["find", "--json", "a", "b", "c"], ["link", "--force", "new", "a", "b", "c"],
    ["unlink", "--org", "p", "a", "b", "c"], ["show", "--limit", "3", "p"], ["events", "--json"],
    ["events", "--limit", "0"], ["events", "--limit", "-1"], ["events", "--limit", "x"],
    ["events", "--after", "-1"], ["events", "--after", "1x"], ["events", "--after", ""],
    ["events", "--page-size", "0"], ["events", "--page-size", "10001"], ["events", "--limit"],
    ["events", "--bogus"], ["-x", "events"], ["events", "--person", ""], ["events", "--json=1"],
    ["--", "events", "--limit", "1"], ["show", "--", "--json", "p"],
    ["link", "new", "a", "b", "c", "-x"],
])
def test_usage_errors(ctl, args):
    r = ctl(*args, expect=USAGE)
    assert r.out == "" and "SM25001" in r.err
    assert ctl.events() == []  # nothing happened


@pytest.mark.parametrize("bad", [
    b"", b"a\x01b", b"a\nb", b"a\tb", b"a\x7fb", b"a\xc2\x85b", b"x" * 1025, b"\xff\xfe",
    b"\xc0\xaf", b"\xed\xa0\x80",
])
@pytest.mark.parametrize("where", range(4))
def test_bad_input_refused(ctl, bad, where):
    args = [b"new", b"univ", b"https://iss", b"sub"]
    args[where] = bad
    r = ctl("link", *args, expect=USAGE)
    assert "SM25001" in r.err and r.out == ""
    assert ctl.events() == []


def test_longest_values_and_dash_operands(ctl):
    ident = ("p" * 64, "i" * 1024, "s" * 1024)  # the port's limits: they fit PostgreSQL's index
    person = link_new(ctl, ident)
    r = ctl("link", person, "p" * 65, "https://iss", "sub", expect=USAGE)
    assert "PROVIDER is longer than 64 bytes" in r.err
    assert ctl("find", *ident).out.strip() == person
    dashed = ("-prov", "https://iss", "-sub")
    assert ctl("link", person, *dashed).out.strip() == person
    assert ctl("find", *dashed).out.strip() == person
    options = ("--json", "-d", "--x")
    assert ctl("link", "--", person, *options).out.strip() == person
    assert ctl("find", "--", *options).out.strip() == person
    utf8 = ("univ", "https://iss", "山田 花子")
    ctl("link", person, *utf8)
    assert ctl("find", *utf8).out.strip() == person
    shown = json.loads(ctl("show", "--json", person).out)
    assert {i["subject"] for i in shown["identities"]} == {"s" * 1024, "-sub", "--x", "山田 花子"}


@pytest.mark.parametrize("person", ["-l5AabbyY_d-88SL5Alu5w", "--5AabbyY_d-88SL5Alu5w"])
def test_person_ids_starting_with_dash(ctl, person):
    """Person ids are base64url: one in 64 starts with "-", one in 4096 with "--"."""
    r = ctl("link", person, *LINE, expect=NOTFOUND)
    assert "SM25014" in r.err
    ctl("show", person, expect=NOTFOUND)
    ctl("unlink", person, *LINE, expect=NOTFOUND)
    assert ctl.events("--person", person) == []


# ---- choosing the directory ------------------------------------------------------------------


def test_directory_from_environment(selmidctl, directory_spec):
    c = Ctl(selmidctl, None)
    r = c.raw("find", *LINE)
    assert r.returncode == USAGE and "SELMID_DIRECTORY" in r.err
    r = c.raw("link", "new", *LINE, env={"SELMID_DIRECTORY": directory_spec})
    assert r.returncode == OK
    person = r.out.strip()
    r = c.raw("find", *LINE, env={"SELMID_DIRECTORY": directory_spec})
    assert r.returncode == OK and r.out.strip() == person
    # -d wins over the environment.
    r = c.raw("find", *LINE, spec=directory_spec, env={"SELMID_DIRECTORY": "bogus:x"})
    assert r.returncode == OK and r.out.strip() == person


@pytest.mark.parametrize("spec", ["bogus:/x", "sqlite:", "sqlite:relative.db", "sqlite:/tmp/",
                                  "pgsql:", "pgsql:   "])
def test_bad_directory_spec(selmidctl, spec):
    r = Ctl(selmidctl, None).raw("find", *LINE, spec=spec)
    assert r.returncode == USAGE and "SM25001" in r.err and r.out == ""


def test_directory_unreachable(selmidctl):
    r = Ctl(selmidctl, None).raw("find", *LINE, spec="pgsql:host=127.0.0.1 port=1 dbname=x")
    assert r.returncode == FAIL and r.out == ""
    assert "SM24011" in r.err and len(r.err.splitlines()) == 1


SECRET = "S3cr3tPassw0rd"


@pytest.mark.parametrize("args", [
    ["-d", f"pgsql:host=127.0.0.1 port=1 user=u password={SECRET} dbname=x", "find", *LINE],
    ["-d", f"pgsql:host=127.0.0.1 port=1 password = '{SECRET} x' dbname=x", "find", *LINE],
    ["-d", f"pgsql:host=127.0.0.1 port=1 password={SECRET} junk", "find", *LINE],
    ["-d", f"pgsql:postgresql://u:{SECRET}@127.0.0.1:1/x", "find", *LINE],
    ["-d", f"pgsql:postgresql://u:{SECRET}@[::1", "find", *LINE],  # libpq echoes this URI
    ["-d", f"pgsql:postgresql://u@127.0.0.1:1/x?password={SECRET}&bogus=1", "find", *LINE],
    ["-d", f"host=127.0.0.1 password={SECRET}", "find", *LINE],
    ["-d", f"pgsql:host=127.0.0.1 port=1 password={SECRET}", "find", "a", "b"],
    [f"--directry=pgsql:password={SECRET}", "find", *LINE],
    ["-d", f"pgsql:host=127.0.0.1 port=1 password={SECRET}", "events", "--limit", SECRET],
])
def test_password_never_printed(selmidctl, args):
    c = Ctl(selmidctl, None)
    r = c.raw(*args)
    assert r.returncode in (USAGE, FAIL) and r.err
    assert SECRET not in r.out + r.err
    r = c.raw(*args[2:], env={"SELMID_DIRECTORY": args[1]}) if args[0] == "-d" else r
    assert SECRET not in r.out + r.err


def test_newer_schema_refused(selmidctl, tmp_path):
    """SQLite only: the schema version is written behind the directory's back."""
    db = tmp_path / "newer.db"
    with sqlite3.connect(db) as con:
        con.execute("CREATE TABLE selmid_schema (id INTEGER PRIMARY KEY, version INTEGER NOT NULL)")
        con.execute("INSERT INTO selmid_schema VALUES (1, 99)")
    con.close()
    r = Ctl(selmidctl, None).raw("find", *LINE, spec=f"sqlite:{db}")
    assert r.returncode == FAIL and r.out == ""
    assert "schema version is 99" in r.err and "SM24011" in r.err
    with sqlite3.connect(db) as con:
        tables = {t for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        version = con.execute("SELECT version FROM selmid_schema").fetchone()[0]
    con.close()
    assert tables == {"selmid_schema"} and version == 99
