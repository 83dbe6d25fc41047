"""A private httpd (Debian's apache2 binary) with a generated configuration."""
import os
import re
import shutil
import signal
import stat
import subprocess
import tempfile

import requests

from .procs import REPO, Proc, wait_for

HTTPD = os.environ.get("SELMID_HTTPD", "/usr/sbin/apache2")
MODDIR = os.environ.get("SELMID_MODDIR", "/usr/lib/apache2/modules")
FAKETIME_LIB = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"
APPS_DIR = os.path.join(REPO, "t", "e2e", "apps")
SYSTEM_MODULES = [
    ("mpm_event_module", "mod_mpm_event.so"),
    ("authn_core_module", "mod_authn_core.so"),
    ("authz_core_module", "mod_authz_core.so"),
    ("authz_user_module", "mod_authz_user.so"),
    ("socache_shmcb_module", "mod_socache_shmcb.so"),
    ("cgid_module", "mod_cgid.so"),
    ("alias_module", "mod_alias.so"),
    ("mime_module", "mod_mime.so"),
    ("dir_module", "mod_dir.so"),
    ("env_module", "mod_env.so"),
    ("headers_module", "mod_headers.so"),
    ("log_config_module", "mod_log_config.so"),
    ("unixd_module", "mod_unixd.so"),
    ("proxy_module", "mod_proxy.so"),
    ("proxy_http_module", "mod_proxy_http.so"),
]


def builtin_modules():
    """Source files compiled into the httpd binary (`httpd -l`), e.g. mod_unixd.c on Debian."""
    try:
        out = subprocess.run([HTTPD, "-l"], capture_output=True, text=True, timeout=30).stdout
    except OSError:
        return set()
    return {line.strip() for line in out.splitlines() if line.strip().endswith(".c")}


def self_signed_certificate(directory):
    """A self-signed certificate for 127.0.0.1 (made once per directory): (cert, key) paths."""
    cert, key = os.path.join(directory, "tls-cert.pem"), os.path.join(directory, "tls-key.pem")
    if not os.path.exists(cert):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", key, "-out", cert], check=True, capture_output=True, timeout=60)
    return cert, key


def default_module():
    return os.environ.get("SELMID_MODULE") or os.path.join(REPO, "build", ".libs", "mod_selmid.so")


class Conf:
    """An httpd configuration assembled from parts that a test edits before starting httpd.

    server:    directives at server level (SelmidSecret, SelmidSessionStore, ...)
    providers: name -> list of directives inside <SelmidProvider name>
    locations: path -> list of directives inside <Location path>
    extra:     raw text appended at the end
    """

    def __init__(self, load_selmid=True):
        self.load_selmid = load_selmid
        self.server = []
        self.providers = {}
        self.locations = {}
        self.extra = []

    def location(self, path):
        return self.locations.setdefault(path, [])

    def provider(self, name):
        return self.providers.setdefault(name, [])

    def set_server(self, directive, value):
        """Replace (or add) a server-level directive."""
        self.server = [d for d in self.server if d.split(None, 1)[0] != directive]
        self.server.append(f"{directive} {value}")

    def render_selmid(self):
        lines = list(self.server)
        for name, body in self.providers.items():
            lines.append(f"<SelmidProvider {name}>")
            lines += ["    " + d for d in body]
            lines.append("</SelmidProvider>")
        for path, body in self.locations.items():
            lines.append(f"<Location {path}>")
            lines += ["    " + d for d in body]
            lines.append("</Location>")
        lines += self.extra
        return "\n".join(lines) + "\n"


BASE = """\
ServerRoot "{root}"
ServerName 127.0.0.1
Listen 127.0.0.1:{port}
PidFile "{root}/run/httpd.pid"
DefaultRuntimeDir "{root}/run"
ScoreBoardFile "{root}/run/scoreboard"
ErrorLog "{root}/logs/error_log"
CoreDumpDirectory "{root}/cores"
LogLevel {loglevel}
{loadmodules}
User {user}
Group {group}
StartServers 1
ServerLimit 2
ThreadsPerChild 16
MaxRequestWorkers 32
MinSpareThreads 4
MaxSpareThreads 32
Timeout 30
GracefulShutdownTimeout 10
KeepAlive On
LogFormat "%h %l %u %t \\"%r\\" %>s %b" common
CustomLog "{root}/logs/access_log" common
TypesConfig /etc/mime.types
ScriptSock "{sockdir}/cgid.sock"
DocumentRoot "{root}/htdocs"
DirectoryIndex index.html
<Directory />
    AllowOverride None
    Require all denied
</Directory>
<Directory "{root}/htdocs">
    Require all granted
</Directory>
<Directory "{root}/cgi">
    Options +ExecCGI
    SetHandler cgi-script
    Require all granted
</Directory>
# The app: a CGI that prints its environment as JSON, mounted at several paths.
ScriptAlias /app "{root}/cgi/app.cgi"
ScriptAlias /other "{root}/cgi/app.cgi"
ScriptAlias /public "{root}/cgi/app.cgi"
# A back end behind mod_proxy that echoes the request headers it receives as JSON.
ProxyPass /proxied/ http://127.0.0.1:{backend_port}/
ProxyPassReverse /proxied/ http://127.0.0.1:{backend_port}/
"""


class Httpd:
    def __init__(self, root, conf, port, backend_port, module=None, loglevel="debug", faketime=False, tls=None):
        self.root = root
        self.conf = conf
        self.port = port
        self.backend_port = backend_port
        self.module = module or default_module()
        self.loglevel = loglevel
        self.faketime = faketime
        self.tls = tls  # (certificate file, key file) to serve https
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
        self.conf_path = os.path.join(root, "conf", "httpd.conf")
        self.error_log = os.path.join(root, "logs", "error_log")
        self.faketime_file = os.path.join(root, "faketime")
        self.proc = None
        self._layout()

    # ---- files ----
    def _layout(self):
        for d in ("conf", "logs", "run", "htdocs", "cgi", "cores"):
            os.makedirs(os.path.join(self.root, d), exist_ok=True)
        os.chmod(os.path.join(self.root, "cores"), 0o1777)
        os.chmod(self.root, 0o755)
        # a unix socket path holds at most 107 bytes (mod_cgid truncates a longer one, and the
        # truncated name may be a directory): the cgid socket goes into a short directory next to
        # the test's, removed with the suite's temporary tree
        self.sockdir = tempfile.mkdtemp(prefix="cgi", dir=os.path.dirname(os.path.dirname(self.root)))
        os.chmod(self.sockdir, 0o755)
        for d in ("conf", "htdocs", "cgi"):
            os.chmod(os.path.join(self.root, d), 0o755)
        shutil.copy(os.path.join(APPS_DIR, "app.cgi"), os.path.join(self.root, "cgi", "app.cgi"))
        os.chmod(os.path.join(self.root, "cgi", "app.cgi"), 0o755)
        with open(os.path.join(self.root, "htdocs", "ready.txt"), "w") as f:
            f.write("ready\n")
        with open(os.path.join(self.root, "htdocs", "index.html"), "w") as f:
            f.write("<!DOCTYPE html><title>index</title><p>public index</p>\n")
        os.makedirs(os.path.join(self.root, "htdocs", "static"), exist_ok=True)
        with open(os.path.join(self.root, "htdocs", "static", "4k.bin"), "wb") as f:
            f.write(bytes((i * 7 + 3) % 256 for i in range(4096)))
        for dirpath, dirnames, filenames in os.walk(os.path.join(self.root, "htdocs")):
            os.chmod(dirpath, 0o755)
            for fn in filenames:
                os.chmod(os.path.join(dirpath, fn), 0o644)

    def render(self):
        builtin = builtin_modules()
        mods = [f"LoadModule {n} {MODDIR}/{f}" for n, f in SYSTEM_MODULES if f[:-3] + ".c" not in builtin]
        if self.conf.load_selmid:
            mods.append(f"LoadModule selmid_module {self.module}")
        user = group = "www-data" if os.geteuid() == 0 else None
        text = BASE.format(root=self.root, sockdir=self.sockdir, port=self.port, loglevel=self.loglevel, loadmodules="\n".join(mods),
                           backend_port=self.backend_port, user=user or "#%d" % os.geteuid(),
                           group=group or "#%d" % os.getegid())
        if self.tls:
            text += (f"LoadModule ssl_module {MODDIR}/mod_ssl.so\nSSLEngine on\n"
                     f'SSLCertificateFile "{self.tls[0]}"\nSSLCertificateKeyFile "{self.tls[1]}"\n')
        return text + self.conf.render_selmid()

    def write_conf(self):
        with open(self.conf_path, "w") as f:
            f.write(self.render())
        os.chmod(self.conf_path, 0o644)

    def env(self):
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C"}
        preload = []
        if os.environ.get("SELMID_SANITIZE"):
            # A module built with --enable-sanitizers: httpd itself is not, so ASan's runtime
            # must be loaded first. Reports go to stderr, i.e. error_log, where the crash check
            # finds them.
            libasan = subprocess.run(["gcc", "-print-file-name=libasan.so"], capture_output=True,
                                     text=True).stdout.strip()
            preload.append(libasan)
            env["ASAN_OPTIONS"] = "detect_leaks=0:abort_on_error=0:halt_on_error=1"
            env["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1"
        if self.faketime:
            if not os.path.exists(self.faketime_file):
                self.set_clock_offset(0)
            preload.append(FAKETIME_LIB)
            env.update({"FAKETIME_TIMESTAMP_FILE": self.faketime_file,
                        "FAKETIME_NO_CACHE": "1", "FAKETIME_DONT_FAKE_MONOTONIC": "1"})
        if preload:
            env["LD_PRELOAD"] = " ".join(preload)
        return env

    # ---- control ----
    def configtest(self):
        """`httpd -t` on the current configuration: (exit status, combined output)."""
        self.write_conf()
        p = subprocess.run([HTTPD, "-t", "-f", self.conf_path], capture_output=True, text=True, env=self.env(),
                           timeout=60)
        return p.returncode, p.stdout + p.stderr

    def _ready(self):
        try:
            return requests.get(self.url + "/ready.txt", timeout=2,
                                verify=self.tls[0] if self.tls else True).status_code == 200
        except requests.RequestException:
            return False

    def start(self):
        if self.faketime and os.environ.get("SELMID_SANITIZE"):
            import pytest
            pytest.skip("libfaketime and the ASan runtime cannot be preloaded together")
        self.write_conf()
        self.proc = Proc("httpd", [HTTPD, "-f", self.conf_path, "-DFOREGROUND"],
                         os.path.join(self.root, "logs", "stdout.log"), env=self.env(), core_dumps=True).start()
        try:
            wait_for(self._ready, timeout=30, what=f"httpd on {self.port}", alive=self.proc.alive)
        except Exception as e:
            self.proc.stop(timeout=5)  # never leave a half-started httpd behind
            raise RuntimeError(f"httpd did not start: {e}\n--- error_log ---\n{self.error_log_text()}\n"
                               f"--- stdout ---\n{self.proc.log_text()}") from None
        return self

    def stop(self):
        """Graceful stop (SIGWINCH), then SIGTERM/SIGKILL if it does not end in time.

        An immediate stop (SIGTERM) of the event MPM while worker threads still hold connections
        can crash the child in close_worker_sockets() (an httpd race, with or without
        mod_selmid), which the crash check would then blame on the test."""
        if self.proc is None:
            return None
        if self.proc.alive():
            self.proc.popen.send_signal(signal.SIGWINCH)
            try:
                self.proc.popen.wait(15)
            except subprocess.TimeoutExpired:
                pass
        rc = self.proc.stop(timeout=15)
        self.proc = None
        return rc

    def alive(self):
        return self.proc is not None and self.proc.alive()

    def crash_reports(self):
        """Backtraces (gdb, when installed) of the core files the children left."""
        out = []
        cores = os.path.join(self.root, "cores")
        for fn in sorted(os.listdir(cores)) if os.path.isdir(cores) else []:
            path = os.path.join(cores, fn)
            text = f"core file {path}"
            if shutil.which("gdb"):
                try:
                    p = subprocess.run(["gdb", "-batch", "-nx", "-ex", "thread apply all bt 25", HTTPD, path],
                                       capture_output=True, text=True, timeout=120)
                    text += "\n" + p.stdout[-15000:]
                except (OSError, subprocess.TimeoutExpired) as e:
                    text += f" (gdb failed: {e})"
            out.append(text)
        return out

    def set_clock_offset(self, seconds):
        """Move httpd's clock (faketime=True only) to real time + seconds."""
        with open(self.faketime_file, "w") as f:
            f.write(f"{'+' if seconds >= 0 else '-'}{abs(int(seconds))}\n")
        os.chmod(self.faketime_file, 0o644)

    def error_log_text(self):
        try:
            with open(self.error_log, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def log_mark(self):
        """The current size of error_log, to look only at what later requests add."""
        try:
            return os.path.getsize(self.error_log)
        except OSError:
            return 0

    def log_since(self, mark):
        try:
            with open(self.error_log, "rb") as f:
                f.seek(mark)
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def wait_log(self, pattern, mark=0, timeout=10):
        """Wait until error_log (after mark) matches the regex pattern; return the match."""
        rx = re.compile(pattern)
        return wait_for(lambda: rx.search(self.log_since(mark)), timeout=timeout, what=f"log line /{pattern}/")

    def child_pids(self):
        """PIDs of httpd's children (workers and cgid daemon)."""
        out = []
        if self.proc is None:
            return out
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                if int(fields[1]) == self.proc.pid:
                    out.append(int(pid))
            except OSError:
                continue
        return out


def world_readable_tree(path):
    for dirpath, dirnames, filenames in os.walk(path):
        os.chmod(dirpath, os.stat(dirpath).st_mode | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
