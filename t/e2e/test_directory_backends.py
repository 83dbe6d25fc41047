"""Both directory back ends are real: the unit suite of the directory adapter runs on the session's
PostgreSQL as it does on SQLite, and the PostgreSQL fixture itself behaves as the suite relies on
(loopback only, passwords enforced, stopped by PID and started again with its data)."""
import os
import re
import stat
import subprocess

import pytest

from lib.httpd import default_module
from lib.pgsql import ROLE
from lib.procs import port_open

TAP = re.compile(r"^(ok|not ok) \d+ - [^:]*test_directory\.c:(\w+):(\w+): (.*)$")
SQLITE_ONLY = {"sqlite_file_0600", "open_failures"}


def unit_binary():
    build = os.path.dirname(os.path.dirname(default_module()))
    path = os.path.join(build, "t", "unit", "run_unit")
    if not os.access(path, os.X_OK):
        pytest.fail(f"the unit-test binary {path} is missing: run `make check` in {build}")
    return path


def test_unit_directory_suite_on_postgresql(postgres):
    conninfo = postgres.new_database()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CK_")}
    env.update(CK_RUN_SUITE="directory", CK_TAP_LOG_FILE_NAME="-", SM_TEST_PGSQL=conninfo)
    p = subprocess.run([unit_binary()], env=env, capture_output=True, text=True, timeout=600)
    out = p.stdout + p.stderr
    assert p.returncode == 0, out
    assert postgres.password not in out  # the conninfo's password is never printed
    results = {}
    for line in out.splitlines():
        m = TAP.match(line)
        if m:
            results.setdefault(m.group(2), {})[m.group(3)] = m.group(1)
    assert results.get("pgsql"), f"no PostgreSQL checks ran:\n{out}"
    failed = [f"{case}:{name}" for case, tests in results.items() for name, r in tests.items() if r != "ok"]
    assert not failed, out
    # the same suite on both back ends: every common check also ran on PostgreSQL
    assert set(results["sqlite"]) - SQLITE_ONLY <= set(results["pgsql"]), out
    assert "pg_unreachable" in results["pgsql"]
    m = re.search(r"100%: Checks: (\d+), Failures: 0, Errors: 0", out)
    assert m and int(m.group(1)) == sum(len(t) for t in results.values()), out


def listeners(port):
    """Addresses listening on TCP port (IPv4 and IPv6), from /proc/net."""
    found = set()
    for name in ("tcp", "tcp6"):
        try:
            with open(f"/proc/net/{name}") as f:
                next(f)
                for line in f:
                    local, _, st = line.split()[1:4]
                    addr, p = local.split(":")
                    if st == "0A" and int(p, 16) == port:
                        found.add(".".join(str(b) for b in reversed(bytes.fromhex(addr))) if name == "tcp"
                                  else "[" + addr + "]")
        except FileNotFoundError:
            continue
    return found


def test_postgres_listens_on_loopback_only(postgres):
    assert listeners(postgres.port) == {"127.0.0.1"}
    assert postgres.psql("SHOW listen_addresses") == [("127.0.0.1",)]
    sock = os.path.join(postgres.sockdir, f".s.PGSQL.{postgres.port}")
    assert stat.S_ISSOCK(os.stat(sock).st_mode)
    assert postgres.psql("SHOW unix_socket_directories") == [(postgres.sockdir,)]
    assert not os.path.exists(f"/var/run/postgresql/.s.PGSQL.{postgres.port}")
    # as root, the server runs as the postgres user
    with open(f"/proc/{postgres.pid}/status") as f:
        uid = next(int(line.split()[1]) for line in f if line.startswith("Uid:"))
    assert uid == postgres.uid and (os.geteuid() != 0 or uid != 0)


def test_postgres_passwords_enforced(postgres):
    db = postgres.new_database().split("dbname=")[1].split()[0]
    assert postgres.psql("SELECT current_user", dbname=db, user=ROLE, host="127.0.0.1") == [(ROLE,)]
    for user, password in ((ROLE, "wrong"), (ROLE, postgres.super_password), ("postgres", "wrong"),
                           ("postgres", postgres.password)):
        for host in ("127.0.0.1", postgres.sockdir):
            p = postgres.run_psql("SELECT 1", dbname=db, user=user, password=password, host=host)
            assert p.returncode != 0 and f'password authentication failed for user "{user}"' in p.stderr, \
                (user, host, p.stdout, p.stderr)
    p = postgres.run_psql("SELECT 1", dbname=db, user=ROLE, password="", host="127.0.0.1")
    assert p.returncode != 0 and "no password supplied" in p.stderr, p.stderr
    assert postgres.psql("SELECT DISTINCT auth_method FROM pg_hba_file_rules") == [("scram-sha-256",)]
    assert postgres.psql(f"SELECT rolpassword LIKE 'SCRAM-SHA-256$%', rolsuper, rolcreatedb FROM pg_authid "
                         f"WHERE rolname = '{ROLE}'") == [("t", "f", "f")]


def gone(pid):
    """True when no postgres runs as pid (it was reaped; the number may since belong to another process)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return b"postgres" not in f.read()
    except FileNotFoundError:
        return True


def test_postgres_stop_start_round_trip(postgres):
    conninfo = postgres.new_database()
    db = conninfo.split("dbname=")[1].split()[0]
    as_role = dict(dbname=db, user=ROLE, host="127.0.0.1")
    postgres.psql("CREATE TABLE kept (v TEXT); INSERT INTO kept VALUES ('before')", **as_role)
    port = postgres.port
    rows = [("before",)]
    for round_ in range(2):
        pid = postgres.pid
        assert postgres.stop() == 0
        assert gone(pid)
        assert postgres.postmaster_pid() is None  # removed by a clean shutdown
        assert not port_open(port) and not postgres.ready()
        p = postgres.run_psql("SELECT 1", **as_role)
        assert p.returncode != 0 and "Connection refused" in p.stderr, p.stderr
        postgres.start()
        assert postgres.port == port and postgres.pid == postgres.postmaster_pid() != pid
        assert postgres.psql("SELECT v FROM kept ORDER BY v", **as_role) == rows
        postgres.psql(f"INSERT INTO kept VALUES ('round {round_}')", **as_role)
        rows.append((f"round {round_}",))
    # a crash (SIGKILL to the server and its backends): recovered on the next start
    pid = postgres.pid
    postgres.kill()
    assert gone(pid) and not port_open(port)
    postgres.start()
    assert postgres.psql("SELECT v FROM kept ORDER BY v", **as_role) == rows
    postgres.drop_database(db)


def test_directory_db_is_fresh(directory_db, e2e_root):
    d = directory_db
    assert d.tables() == set()
    if d.backend == "sqlite":
        assert d.spec == "sqlite:" + d.path and d.path.startswith(e2e_root + "/")
        assert d.directive == f'SelmidDirectory "sqlite:{d.path}"'
    else:
        m = re.fullmatch(r"pgsql:host=127\.0\.0\.1 port=(\d+) dbname=(t_\w+) user=(\w+) password=(\S+)", d.spec)
        assert m, d.spec
        assert (int(m.group(1)), m.group(2), m.group(3), m.group(4)) == \
            (d.postgres.port, d.dbname, ROLE, d.postgres.password)
        assert d.directive == f'SelmidDirectory pgsql:"{d.spec[6:]}"'
        assert d.query("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()") \
            == [(ROLE,)]
    d.execute(["CREATE TABLE t (a TEXT, b INTEGER)", "INSERT INTO t VALUES ('x', NULL)",
               "INSERT INTO t VALUES ('', 2)"])
    assert d.query("SELECT a, b FROM t ORDER BY a") == [("", "2"), ("x", None)]
    with pytest.raises(Exception):  # all or nothing
        d.execute(["INSERT INTO t VALUES ('y', 3)", "INSERT INTO no_such_table VALUES (1)"])
    assert d.query("SELECT count(*) FROM t") == [("2",)]
