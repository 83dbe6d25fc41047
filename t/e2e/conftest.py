"""Fixtures for mod_selmid's end-to-end tests.

One session-wide set of services (OP, a second OP, memcached, an echo back end, a PostgreSQL started
only when a test needs one) on free loopback ports in a world-readable temporary directory; an httpd
per test, each with its own configuration and error_log (attached to the report of a failing test);
a fresh directory database per test (directory_db: SQLite and PostgreSQL). Everything is stopped by
PID.
"""
import os
import re
import secrets
import shutil
import sys
import tempfile

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lib.browser import Browser  # noqa: E402
from lib.directory import PgsqlDirectory, SqliteDirectory  # noqa: E402
from lib.httpd import APPS_DIR, Conf, Httpd, default_module, self_signed_certificate  # noqa: E402
from lib.memcached import Memcached  # noqa: E402
from lib.op import CLIENT_SECRET, OP, client  # noqa: E402
from lib.pgsql import Postgres  # noqa: E402
from lib.procs import Proc, free_port, port_open, wait_for  # noqa: E402
from lib.shib_standin import build as build_shib_standin  # noqa: E402
from lib.sns import SNS  # noqa: E402

SELMID_PATHS = ("/selmid", "/sso")


@pytest.fixture(scope="session")
def e2e_root():
    root = tempfile.mkdtemp(prefix="selmid-e2e-", dir="/tmp")
    os.chmod(root, 0o755)
    yield root
    if not os.environ.get("SELMID_KEEP"):
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def httpd_port():
    """One port for every httpd of the session (one runs at a time), so the OP's clients can be
    registered with their redirect_uri up front."""
    return free_port()


@pytest.fixture(scope="session")
def secret():
    return "s3cr3t-" + secrets.token_hex(24)


def redirect_uris(port):
    return [f"{scheme}://127.0.0.1:{port}{p}/callback" for p in SELMID_PATHS for scheme in ("http", "https")]


def standard_clients(port):
    uris = redirect_uris(port)
    post_logout = [f"http://127.0.0.1:{port}/"]
    return [
        client("app", uris, post_logout=post_logout),
        client("app-post", uris, auth="client_secret_post", post_logout=post_logout),
        client("app-es", uris, alg="ES256", post_logout=post_logout),
        client("app-ps", uris, alg="PS256", post_logout=post_logout),
        client("app-hs", uris, alg="HS256", post_logout=post_logout),
    ]


@pytest.fixture(scope="session")
def op(e2e_root, httpd_port):
    o = OP(e2e_root, standard_clients(httpd_port), name="op").start()
    yield o
    o.stop()


@pytest.fixture(scope="session")
def op2(e2e_root, httpd_port):
    o = OP(e2e_root, [client("app2", redirect_uris(httpd_port))], name="op2").start()
    yield o
    o.stop()


@pytest.fixture(scope="session")
def sns_server(e2e_root, httpd_port):
    """The LINE/Facebook/Google/Yahoo! JAPAN/Apple stand-ins, one server for the session."""
    s = SNS(e2e_root, redirect_uris(httpd_port)).start()
    yield s
    s.stop()


@pytest.fixture
def sns(sns_server):
    """The stand-ins with their control state reset (first users, no scenario, empty log)."""
    sns_server.reset()
    yield sns_server
    sns_server.reset()


@pytest.fixture(scope="session")
def standin_so(e2e_root):
    """The mod_shib stand-in (t/e2e/standins/mod_shib_standin.c), compiled once per session."""
    return build_shib_standin(os.path.join(e2e_root, "shib-standin"))


@pytest.fixture(scope="session")
def memcached(e2e_root):
    m = Memcached(e2e_root).start()
    yield m
    m.stop()


@pytest.fixture(scope="session")
def postgres(e2e_root):
    """One private PostgreSQL for the session (initdb once), started when a test first needs it."""
    pg = Postgres(e2e_root).start()
    yield pg
    pg.stop()


@pytest.fixture(params=["sqlite", "pgsql"])
def directory_db(request, e2e_root):
    """A fresh, empty directory for this test on each back end: a DirectoryDB with .spec,
    .directive (the SelmidDirectory line), .query(sql), .execute(statements), .tables(), and for
    pgsql .stop_server()/.start_server() (the server is running again after the test)."""
    if request.param == "sqlite":
        d = tempfile.mkdtemp(prefix="directory-", dir=e2e_root)
        os.chmod(d, 0o755)
        yield SqliteDirectory(d)
    else:
        pg = request.getfixturevalue("postgres")
        db = PgsqlDirectory(pg, request.node.name)
        yield db
        if pg.paused:
            pg.resume()
        if not pg.running():
            pg.start()
        if not os.environ.get("SELMID_KEEP"):
            db.drop()


@pytest.fixture
def directory_spec(directory_db):
    """The SelmidDirectory spec of directory_db (parametrised sqlite / pgsql through it)."""
    return directory_db.spec


@pytest.fixture(scope="session")
def backend(e2e_root):
    port = free_port()
    p = Proc("backend", [sys.executable, os.path.join(APPS_DIR, "echo_backend.py"), str(port)],
             os.path.join(e2e_root, "backend.log")).start()
    wait_for(lambda: port_open(port), what="echo back end", alive=p.alive)
    p.port = port
    yield p
    p.stop()


class Stack:
    """What a test works with: the services, and httpds it starts with its own configuration."""

    def __init__(self, root, httpd_port, backend, op, secret, request):
        self.root = root
        self.httpd_port = httpd_port
        self.backend = backend
        self.op = op
        self.secret = secret
        self.request = request
        self.httpds = []
        self.browsers = []
        self.extra = []  # other processes to stop at the end (OPs, memcacheds)
        self._op2 = None
        self._memcached = None
        self._sns = None
        name = request.node.name
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in name)[:80]
        self.dir = tempfile.mkdtemp(prefix=safe + "-", dir=root)
        os.chmod(self.dir, 0o755)

    # services on demand
    @property
    def op2(self):
        if self._op2 is None:
            self._op2 = self.request.getfixturevalue("op2")
        return self._op2

    @property
    def sns(self):
        """The SNS stand-ins (reset for this test); their client secrets join the never-logged check."""
        if self._sns is None:
            self._sns = self.request.getfixturevalue("sns")
        return self._sns

    @property
    def memcached(self):
        if self._memcached is None:
            self._memcached = self.request.getfixturevalue("memcached")
        return self._memcached

    def new_op(self, clients=None):
        """A private OP for this test only (stopped at the end of the test)."""
        o = OP(self.dir, clients or standard_clients(self.httpd_port), name="op-private").start()
        self.extra.append(o)
        return o

    def new_memcached(self):
        m = Memcached(self.dir).start()
        self.extra.append(m)
        return m

    # configuration
    def conf(self, store="shm", client_id="app", op=None, scope="openid email profile groups", selmid_path=None):
        op = op or self.op
        c = Conf()
        c.server.append(f"SelmidSecret {self.secret}")
        if store == "shm":
            c.server.append("SelmidSessionStore shm")
        elif store == "memcached":
            c.server.append(f"SelmidSessionStore memcached {self.memcached.address}")
        else:
            c.server.append(f"SelmidSessionStore {store}")
        if selmid_path:
            c.server.append(f"SelmidPath {selmid_path}")
        c.providers["op"] = [
            f"SelmidIssuer {op.issuer}",
            f"SelmidClientID {client_id}",
            f"SelmidClientSecret {CLIENT_SECRET}",
            f'SelmidScope "{scope}"',
        ]
        for path in ("/app", "/proxied"):
            c.locations[path] = ["AuthType selmid", "SelmidProviders op", "Require valid-user"]
        return c

    def httpd(self, conf=None, start=True, faketime=False, loglevel="debug", tls=False):
        h = Httpd(os.path.join(self.dir, f"httpd{len(self.httpds)}"), conf or self.conf(), self.httpd_port,
                  self.backend.port, faketime=faketime, loglevel=loglevel,
                  tls=self_signed_certificate(self.root) if tls else None)
        self.httpds.append(h)
        if start:
            h.start()
        return h

    def browser(self):
        b = Browser(keepalive=not any(h.faketime for h in self.httpds))
        self.browsers.append(b)
        return b

    def url(self, path):
        scheme = "https" if self.httpds and self.httpds[-1].tls else "http"
        return f"{scheme}://127.0.0.1:{self.httpd_port}{path}"

    def close(self):
        crashes = []
        leaks = []
        for b in self.browsers:
            b.close()  # no idle keep-alive connections left when httpd stops
        for h in self.httpds:
            h.stop()
            log = h.error_log_text()
            crashes += [line for line in log.splitlines()
                        if "exit signal" in line or "AddressSanitizer" in line or "runtime error:" in line]
            # every test runs at LogLevel debug: no secret and no JWT may ever be logged
            secrets_ = [("the client secret", CLIENT_SECRET), ("SelmidSecret", self.secret)]
            if self._sns is not None:
                secrets_ += [("an SNS client secret", v) for v in self._sns.secrets()]
            for name, value in secrets_:
                if value in log:
                    leaks.append(f"{name} appears in {h.error_log}")
            if re.search(r"eyJ[A-Za-z0-9_-]{10,}\.eyJ", log):
                leaks.append(f"a JWT appears in {h.error_log}")
        for p in self.extra:
            p.stop()
        if self.op is not None:
            try:
                self.op.reset()
            except Exception:
                pass
        # Never a crash: a worker that died on a signal fails the test that caused it.
        assert not leaks, "; ".join(leaks)
        if crashes:
            reports = [r for h in self.httpds for r in h.crash_reports()]
            raise AssertionError("httpd child crashed:\n" + "\n".join(crashes) + "\n" + "\n".join(reports))


@pytest.fixture
def stack(e2e_root, httpd_port, backend, op, secret, request):
    module = default_module()
    if not os.path.exists(module):
        pytest.fail(f"mod_selmid not built: {module} is missing (set SELMID_MODULE or run tools/build.sh)")
    s = Stack(e2e_root, httpd_port, backend, op, secret, request)
    request.node._selmid_stack = s
    yield s
    s.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    s = getattr(item, "_selmid_stack", None)
    if s is None or report.passed or report.when == "setup" and not report.failed:
        return
    for i, h in enumerate(s.httpds):
        text = h.error_log_text()
        # mod_selmid's own lines and httpd's notices; the last part only
        lines = [ln for ln in text.splitlines() if "[selmid:" in ln or ":notice]" in ln or ":error]" in ln
                 or ":crit]" in ln or ":emerg]" in ln or not ln.startswith("[")]
        text = "\n".join(lines[-80:])
        report.sections.append((f"httpd{i} error_log", text))
