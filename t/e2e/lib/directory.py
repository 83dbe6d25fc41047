"""A fresh, empty durable directory for one test (SQLite file or PostgreSQL database), its
SelmidDirectory line for httpd.conf, and SQL on it from the test (for assertions and set-up)."""
import os
import pwd
import re
import secrets
import sqlite3


def directory_directive(spec):
    """The httpd.conf line for a directory spec. A PostgreSQL conninfo has spaces, so it is quoted
    after the prefix (`SelmidDirectory pgsql:"host=... dbname=..."`); a SQLite path is quoted whole."""
    if any(c in spec for c in '"\\\n'):
        raise ValueError(f"a directory spec with quotes, backslashes or newlines: {spec!r}")
    if spec.startswith("pgsql:"):
        return f'SelmidDirectory pgsql:"{spec[len("pgsql:"):]}"'
    return f'SelmidDirectory "{spec}"'


def httpd_user():
    """(uid, gid) httpd's children run as (lib/httpd.py: www-data when the suite runs as root)."""
    if os.geteuid() == 0:
        pw = pwd.getpwnam("www-data")
        return pw.pw_uid, pw.pw_gid
    return os.geteuid(), os.getegid()


class DirectoryDB:
    """backend ("sqlite" or "pgsql"), spec, directive; query(sql) -> rows as tuples of str (None for
    NULL); execute(statements) runs a list of statements in one transaction."""

    def __init__(self, backend, spec):
        self.backend = backend
        self.spec = spec

    @property
    def directive(self):
        return directory_directive(self.spec)

    def __str__(self):
        return self.spec


class SqliteDirectory(DirectoryDB):
    def __init__(self, workdir):
        """workdir: a fresh directory of the test; the file goes into a subdirectory owned by httpd's
        user, as /var/lib/selmid would be."""
        self.dir = os.path.join(workdir, "directory")
        os.makedirs(self.dir)
        os.chmod(self.dir, 0o700)
        os.chown(self.dir, *httpd_user())
        self.path = os.path.join(self.dir, "selmid.db")
        super().__init__("sqlite", "sqlite:" + self.path)
        self.password = None

    def _connect(self, create=False):
        """Reading never creates the file (that is httpd's job, with its mode and owner)."""
        c = sqlite3.connect(f"file:{self.path}?mode={'rwc' if create else 'rw'}", uri=True, timeout=10,
                            isolation_level=None)
        c.execute("PRAGMA foreign_keys = ON")
        return c

    def query(self, sql):
        c = self._connect()
        try:
            rows = c.execute(sql).fetchall()
        finally:
            c.close()
        return [tuple(None if v is None else str(v) for v in row) for row in rows]

    def execute(self, statements):
        c = self._connect(create=True)
        try:
            c.execute("BEGIN")
            for s in statements:
                c.execute(s)
            c.execute("COMMIT")
        finally:
            c.close()
        # made by the test (root in CI): hand the file to httpd's user, as an admin would
        for name in os.listdir(self.dir):
            os.chown(os.path.join(self.dir, name), *httpd_user())

    def tables(self):
        if not os.path.exists(self.path):
            return set()
        return {r[0] for r in self.query("SELECT name FROM sqlite_master WHERE type = 'table'")}

    def stop_server(self):
        raise NotImplementedError("SQLite has no server to stop")

    start_server = stop_server


def database_name(test_name):
    """A fresh PostgreSQL database name that still says which test made it."""
    base = re.sub(r"[^a-z0-9_]+", "_", test_name.lower()).strip("_")[:40]
    return f"t_{base}_{secrets.token_hex(4)}"


class PgsqlDirectory(DirectoryDB):
    def __init__(self, postgres, test_name):
        self.postgres = postgres
        self.dbname = database_name(test_name)
        self.password = postgres.password
        super().__init__("pgsql", "pgsql:" + postgres.new_database(self.dbname))

    def query(self, sql):
        return self.postgres.psql(sql, dbname=self.dbname, user=self.postgres.role, host="127.0.0.1")

    def execute(self, statements):
        self.postgres.psql(";\n".join(statements), dbname=self.dbname, user=self.postgres.role, host="127.0.0.1")

    def tables(self):
        return {r[0] for r in self.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}

    def stop_server(self):
        """Stop the session's PostgreSQL (the fixture starts it again after the test)."""
        return self.postgres.stop()

    def start_server(self):
        self.postgres.start()

    def drop(self):
        self.postgres.drop_database(self.dbname)
