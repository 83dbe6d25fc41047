"""SelmidDirectory at httpd start, on SQLite and on PostgreSQL: a database made by schema version 1
is migrated to the current version with its data kept; a database of a newer, unknown version
stops httpd with a message; a PostgreSQL server that cannot be reached does not."""
import os
import stat

import pytest
import requests

from lib.directory import httpd_user

# The layout of schema version 1 (mod_selmid/core/sm_directory_dbd.c, migrations[]), made by hand,
# with one person and one identity.
V1 = [
    "CREATE TABLE selmid_schema (id INTEGER PRIMARY KEY, version INTEGER NOT NULL)",
    "INSERT INTO selmid_schema (id, version) VALUES (1, 1)",
    "CREATE TABLE persons (id TEXT PRIMARY KEY, created_at BIGINT NOT NULL)",
    "CREATE TABLE identities (provider TEXT NOT NULL, issuer TEXT NOT NULL, subject TEXT NOT NULL, "
    "person_id TEXT NOT NULL REFERENCES persons (id), linked_at BIGINT NOT NULL, "
    "last_used BIGINT NOT NULL, PRIMARY KEY (provider, issuer, subject))",
    "CREATE INDEX identities_person ON identities (person_id)",
    "INSERT INTO persons (id, created_at) VALUES ('person-v1', 1600000000)",
    "INSERT INTO identities (provider, issuer, subject, person_id, linked_at, last_used) VALUES "
    "('line', 'https://access.line.me', 'U1111', 'person-v1', 1600000000, 1600000100)",
]


def linking_conf(stack, directory_db):
    """The stack's configuration with linking on (the op provider as the organisational anchor),
    so that httpd opens the directory at start."""
    conf = stack.conf()
    conf.server.append("SelmidOrgProvider op")
    conf.server.append(directory_db.directive)
    return conf


def assert_no_password(h, directory_db):
    if directory_db.password:
        assert directory_db.password not in h.error_log_text() + (h.proc.log_text() if h.proc else "")


def configtest_with(stack, line):
    conf = stack.conf()
    conf.server += ["SelmidOrgProvider op", line]
    return stack.httpd(conf, start=False).configtest()


def test_directive_spellings(stack, directory_db):
    spec = directory_db.spec
    prefix, value = spec.split(":", 1)
    # the documented forms: pgsql:"conninfo" (or 'conninfo'), sqlite:/path; also quoted whole
    good = [directory_db.directive, f'SelmidDirectory "{spec}"']
    if directory_db.backend == "sqlite":
        good.append(f"SelmidDirectory {spec}")
    else:
        good.append(f"SelmidDirectory {prefix}:'{value}'")
    for line in good:
        rc, out = configtest_with(stack, line)
        assert rc == 0 and "Syntax OK" in out, (line, out)
    bad = [f"SelmidDirectory {spec} extra", f'SelmidDirectory "{spec}" extra', "SelmidDirectory",
           'SelmidDirectory ""']
    if directory_db.backend == "pgsql":
        bad.append(f"SelmidDirectory {spec}")  # a conninfo with spaces needs quotes
    for line in bad:
        rc, out = configtest_with(stack, line)
        assert rc != 0 and "SelmidDirectory" in out, (line, out)
        assert directory_db.password is None or directory_db.password not in out, out


def test_version_1_migrated_at_start(stack, directory_db):
    directory_db.execute(V1)
    h = stack.httpd(linking_conf(stack, directory_db))
    assert h.alive()
    assert directory_db.query("SELECT id, version FROM selmid_schema") == [("1", "2")]
    assert directory_db.query("SELECT id, created_at FROM persons") == [("person-v1", "1600000000")]
    assert directory_db.query(
        "SELECT provider, issuer, subject, person_id, org, linked_at, last_used FROM identities") == \
        [("line", "https://access.line.me", "U1111", "person-v1", "0", "1600000000", "1600000100")]
    assert {"selmid_schema", "persons", "identities", "org_attributes", "events"} <= directory_db.tables()
    assert directory_db.query("SELECT count(*) FROM org_attributes") == [("0",)]
    assert directory_db.query("SELECT count(*) FROM events") == [("0",)]
    assert "schema migrated from version 1 to 2" in h.error_log_text()
    assert_no_password(h, directory_db)
    # a second start finds the current version: nothing to migrate, nothing lost
    h.stop()
    mark = h.log_mark()
    h.start()
    assert "schema migrated" not in h.log_since(mark)
    assert directory_db.query("SELECT version FROM selmid_schema") == [("2",)]
    assert directory_db.query("SELECT person_id FROM identities") == [("person-v1",)]


def test_empty_database_gets_the_schema(stack, directory_db):
    assert directory_db.tables() == set()
    h = stack.httpd(linking_conf(stack, directory_db))
    assert directory_db.query("SELECT version FROM selmid_schema") == [("2",)]
    assert {"persons", "identities", "org_attributes", "events"} <= directory_db.tables()
    assert "schema migrated from version 0 to 2" in h.error_log_text()
    if directory_db.backend == "sqlite":  # created by httpd for its User, readable by nobody else
        st = os.stat(directory_db.path)
        assert (st.st_uid, st.st_gid) == httpd_user() and stat.S_IMODE(st.st_mode) == 0o600


def test_newer_schema_stops_httpd(stack, directory_db):
    directory_db.execute(["CREATE TABLE selmid_schema (id INTEGER PRIMARY KEY, version INTEGER NOT NULL)",
                          "INSERT INTO selmid_schema (id, version) VALUES (1, 99)"])
    h = stack.httpd(linking_conf(stack, directory_db), start=False)
    with pytest.raises(RuntimeError) as e:
        h.start()
    message = str(e.value)
    assert "SelmidDirectory" in message and "schema version" in message and "99" in message, message
    assert not h.alive()
    assert directory_db.password is None or directory_db.password not in message
    # refused, not touched
    assert directory_db.query("SELECT version FROM selmid_schema") == [("99",)]
    assert directory_db.tables() == {"selmid_schema"}


@pytest.mark.parametrize("directory_db", ["pgsql"], indirect=True)
def test_unreachable_postgresql_does_not_stop_httpd(stack, directory_db):
    directory_db.stop_server()
    h = stack.httpd(linking_conf(stack, directory_db))
    assert h.alive()
    log = h.error_log_text()
    assert "SelmidDirectory (pgsql) cannot be reached at start-up" in log, log
    assert_no_password(h, directory_db)
    # requests that need no directory are served
    assert requests.get(h.url + "/ready.txt", timeout=10).status_code == 200
    # once the server is back, the next start creates the schema
    directory_db.start_server()
    h.stop()
    h.start()
    assert directory_db.query("SELECT version FROM selmid_schema") == [("2",)]
