"""A private PostgreSQL server for the tests (Debian's postgresql package, newest version found).

initdb once into a fresh directory; the server listens only on 127.0.0.1 at a free port, its unix
socket lives in the same directory (never /var/run/postgresql), fsync is off, and every connection
authenticates with a password (SCRAM-SHA-256): the superuser over the socket, the test role over
TCP, as production would. initdb and postgres refuse to run as root, so when the suite runs as root
they run as the Debian `postgres` user (setpriv, which execs: the child we start IS the postmaster).
The server is stopped by the PID in postmaster.pid (SIGINT, a fast shutdown; SIGKILL after a
deadline) and can be stopped and started again on the same port and data directory.

Only the stdlib: SQL goes through psql from the same bin directory, as a subprocess.
"""
import csv
import glob
import io
import os
import pwd
import re
import secrets
import signal
import subprocess
import time

from .procs import Proc, free_port, port_open, wait_for

SUPERUSER = "postgres"
ROLE = "selmid_test"
NULL = "\x01NULL\x01"  # how psql prints NULL in query(), told apart from an empty string
_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def bindir():
    """The newest /usr/lib/postgresql/*/bin with a server (or SELMID_PG_BINDIR)."""
    forced = os.environ.get("SELMID_PG_BINDIR")
    if forced:
        candidates = [forced]
    else:
        def version(path):
            v = path.split("/")[-2]
            return int(v) if v.isdigit() else -1
        candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True)
    for d in candidates:
        if all(os.access(os.path.join(d, b), os.X_OK) for b in ("initdb", "postgres", "psql", "pg_isready")):
            return d
    raise RuntimeError("PostgreSQL server binaries (initdb, postgres, psql, pg_isready) not found in "
                       + (forced or "/usr/lib/postgresql/*/bin")
                       + ": install Debian's postgresql package (tools/install-deps.sh)")


class PsqlError(RuntimeError):
    pass


class Postgres:
    """One private server. start() (the first time: initdb and the test role), stop(), start() again,
    new_database(name) -> conninfo of a fresh database owned by the test role."""

    def __init__(self, workdir, port=None):
        self.bin = bindir()
        self.port = port or free_port()
        self.dir = os.path.join(workdir, f"pgsql-{self.port}")
        self.data = os.path.join(self.dir, "data")
        self.sockdir = os.path.join(self.dir, "run")
        self.log_path = os.path.join(self.dir, "postgres.log")
        self.role = ROLE
        self.password = secrets.token_urlsafe(18)  # the test role's; [A-Za-z0-9_-] only
        self.super_password = secrets.token_urlsafe(18)
        self.proc = None
        self.pid = None
        self.paused = False
        self.start_seconds = None  # how long the last start() took (initdb included the first time)
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")  # created by Debian's postgresql-common
            self.uid, self.gid = pw.pw_uid, pw.pw_gid
        else:
            self.uid, self.gid = os.geteuid(), os.getegid()

    # ---- processes ----
    def _as_server_user(self, argv):
        if os.geteuid() != 0:
            return argv
        return ["setpriv", f"--reuid={self.uid}", f"--regid={self.gid}", "--init-groups", "--"] + argv

    def _env(self):
        return {"PATH": f"{self.bin}:/usr/bin:/bin", "LANG": "C", "LC_ALL": "C", "HOME": self.dir, "TZ": "UTC"}

    def _mkdir(self, path, mode):
        os.makedirs(path, exist_ok=True)
        os.chmod(path, mode)
        if os.geteuid() == 0:
            os.chown(path, self.uid, self.gid)

    def _initdb(self):
        os.makedirs(self.dir, exist_ok=True)
        os.chmod(self.dir, 0o755)
        self._mkdir(self.data, 0o700)
        self._mkdir(self.sockdir, 0o755)
        pwfile = os.path.join(self.sockdir, "pwfile")
        fd = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(self.super_password + "\n")
        if os.geteuid() == 0:
            os.chown(pwfile, self.uid, self.gid)
        try:
            p = subprocess.run(self._as_server_user(
                [os.path.join(self.bin, "initdb"), "-D", self.data, "-U", SUPERUSER, f"--pwfile={pwfile}",
                 "--auth=scram-sha-256", "--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions"]),
                env=self._env(), cwd=self.dir, capture_output=True, text=True, timeout=120)
        finally:
            os.unlink(pwfile)
        if p.returncode != 0:
            raise RuntimeError(f"initdb failed ({p.returncode}):\n{p.stdout}{p.stderr}")
        # Overwriting keeps the files' owner (the server user).
        with open(os.path.join(self.data, "pg_hba.conf"), "w") as f:
            f.write("# mod_selmid tests: passwords only, the socket and 127.0.0.1 only\n"
                    "local all all scram-sha-256\n"
                    "host  all all 127.0.0.1/32 scram-sha-256\n")
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            f.write("\n# mod_selmid tests\n"
                    "listen_addresses = '127.0.0.1'\n"
                    f"port = {self.port}\n"
                    f"unix_socket_directories = '{self.sockdir}'\n"
                    "password_encryption = 'scram-sha-256'\n"
                    # no fsync (speed), but commits reach the kernel: they survive kill()
                    "fsync = off\nfull_page_writes = off\n"
                    "shared_buffers = 32MB\nmax_connections = 100\n"
                    "logging_collector = off\nlog_line_prefix = '%m [%p] %q%u@%d '\n")

    @property
    def initialised(self):
        return os.path.exists(os.path.join(self.data, "PG_VERSION"))

    def ready(self):
        """pg_isready: the server accepts connections on 127.0.0.1:port."""
        p = subprocess.run([os.path.join(self.bin, "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port),
                            "-t", "2"], env=self._env(), stdin=subprocess.DEVNULL, timeout=10)
        return p.returncode == 0

    def running(self):
        return self.proc is not None and self.proc.alive()

    def postmaster_pid(self):
        """The PID in data/postmaster.pid (None when there is no such file)."""
        try:
            with open(os.path.join(self.data, "postmaster.pid")) as f:
                return int(f.readline().strip())
        except (OSError, ValueError):
            return None

    def start(self, timeout=60):
        t0 = time.monotonic()
        if self.running():
            return self
        first = not self.initialised
        if first:
            self._initdb()
        self.proc = Proc("postgres", self._as_server_user([os.path.join(self.bin, "postgres"), "-D", self.data]),
                         self.log_path, env=self._env(), cwd=self.dir).start()
        try:
            wait_for(self.ready, timeout=timeout, what=f"PostgreSQL on 127.0.0.1:{self.port}", alive=self.proc.alive)
            self.pid = self.postmaster_pid()
            if self.pid != self.proc.pid:
                raise RuntimeError(f"postmaster.pid says {self.pid}, the process started is {self.proc.pid}")
            if first:
                self.psql(f"CREATE ROLE {ROLE} LOGIN PASSWORD '{self.password}'")
        except Exception as e:
            self._stop_proc(10)
            raise RuntimeError(f"PostgreSQL did not start: {e}\n--- {self.log_path} ---\n{self.log_text()}") from None
        self.start_seconds = time.monotonic() - t0
        return self

    def _stop_proc(self, timeout):
        """SIGINT (fast shutdown) to the postmaster; SIGKILL to its process group after timeout."""
        if self.proc is None:
            return None
        pid = self.postmaster_pid() or self.proc.pid
        popen = self.proc.popen
        if self.paused:
            self.resume()
        if popen.poll() is None:
            if pid != popen.pid:
                raise RuntimeError(f"postmaster.pid ({pid}) is not the postgres started ({popen.pid})")
            os.kill(pid, signal.SIGINT)
            try:
                popen.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(popen.pid, signal.SIGKILL)  # the group of the session it leads: its backends too
                popen.wait(10)
        self.proc = None
        return popen.returncode

    def stop(self, timeout=20):
        """Fast shutdown by PID; returns postgres's exit status (0 for a clean stop)."""
        rc = self._stop_proc(timeout)
        wait_for(lambda: not port_open(self.port), timeout=10, what=f"port {self.port} to close")
        return rc

    def kill(self):
        """A crash: SIGKILL to the postmaster and its backends (start() afterwards recovers)."""
        if self.running():
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.popen.wait(10)
        self.proc = None
        self.paused = False
        wait_for(lambda: not port_open(self.port), timeout=10, what=f"port {self.port} to close")

    def pause(self):
        """Freeze the server (SIGSTOP to its process group): connections hang instead of failing."""
        os.killpg(self.proc.pid, signal.SIGSTOP)
        self.paused = True

    def resume(self):
        os.killpg(self.proc.pid, signal.SIGCONT)
        self.paused = False

    def log_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    # ---- SQL ----
    def conninfo(self, dbname, password=None):
        """The libpq conninfo the module uses: TCP on 127.0.0.1 as the test role, with its password."""
        return (f"host=127.0.0.1 port={self.port} dbname={dbname} user={self.role} "
                f"password={self.password if password is None else password}")

    def run_psql(self, sql, dbname="postgres", user=SUPERUSER, password=None, host=None):
        """psql -c SQL (several statements run in one transaction); the CompletedProcess.
        Default: the superuser over the unix socket."""
        if password is None:
            password = self.super_password if user == SUPERUSER else self.password
        env = dict(self._env(), PGPASSWORD=password, PGCONNECT_TIMEOUT="5", PGSSLMODE="disable")
        env.pop("HOME")  # no ~/.pgpass, no ~/.psqlrc
        conn = f"host={host or self.sockdir} port={self.port} dbname={dbname} user={user}"
        return subprocess.run([os.path.join(self.bin, "psql"), "-X", "-q", "-w", "--csv", "-t", "-P", f"null={NULL}",
                               "-v", "ON_ERROR_STOP=1", "-d", conn, "-c", sql],
                              env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60)

    def psql(self, sql, **kw):
        """Rows of the last statement as tuples of str (None for NULL); PsqlError on failure."""
        p = self.run_psql(sql, **kw)
        if p.returncode != 0:
            raise PsqlError(f"psql failed ({p.returncode}) on {sql!r}: {p.stderr.strip()}")
        return [tuple(None if v == NULL else v for v in row) for row in csv.reader(io.StringIO(p.stdout))]

    def new_database(self, name=None):
        """CREATE DATABASE name (fresh, owned by the test role); its conninfo."""
        name = name or "t_" + secrets.token_hex(6)
        if not _NAME.match(name):
            raise ValueError(f"not a plain database name: {name!r}")
        self.psql(f'CREATE DATABASE "{name}" OWNER {ROLE}')
        return self.conninfo(name)

    def drop_database(self, name):
        if not _NAME.match(name):
            raise ValueError(f"not a plain database name: {name!r}")
        self.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
