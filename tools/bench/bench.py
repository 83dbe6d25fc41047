#!/usr/bin/python3
"""mod_selmid benchmark: requests/s and p99 latency of an authenticated 4 KiB static file.

In one run, on loopback, with httpd pinned to one core and wrk to the other:
  plain httpd | mod_selmid shm | mod_selmid shm with linking on | mod_selmid memcached | mod_auth_openidc shm | mod_auth_openidc
  memcached (Debian's libapache2-mod-auth-openidc), both modules logged in against the same local
  OpenID Provider (oidc-provider), then worker RSS over a long authenticated run of mod_selmid.
Prints a Markdown report (ratios against plain httpd). Not a test: no pass/fail on timings.

  bash tools/bench/run.sh [--rounds 5] [--duration 5] [--connections 32] [--rss-requests 200000]
  (BENCH_MC_CPU=0 puts memcached on httpd's core instead of wrk's.)
"""
import argparse
import statistics
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "t", "e2e"))

from lib.browser import Browser  # noqa: E402
from lib.memcached import Memcached  # noqa: E402
from lib.op import OP, client, CLIENT_SECRET  # noqa: E402
from lib.procs import Proc, free_port, port_open, wait_for  # noqa: E402

MODDIR = "/usr/lib/apache2/modules"
HTTPD = shutil.which("apache2") or "/usr/sbin/apache2"
SECRET = "bench-secret-0123456789abcdef0123456789abcdef"
BASE_MODULES = ["mpm_event", "authn_core", "authz_core", "authz_user", "socache_shmcb", "mime",
                "log_config", "unixd"]


def builtin_modules():
    out = subprocess.run([HTTPD, "-l"], capture_output=True, text=True).stdout
    return {m.strip()[4:-2] for m in out.splitlines() if m.strip().startswith("mod_")}


def conf_common(root, port, extra_modules):
    builtin = builtin_modules()
    mods = "\n".join(f"LoadModule {m}_module {MODDIR}/mod_{m}.so" for m in BASE_MODULES if m not in builtin)
    mods += "\n" + "\n".join(extra_modules)
    user = "User nobody\nGroup nogroup\n" if os.geteuid() == 0 else ""
    return f"""ServerRoot "{root}"
{mods}
{user}ServerName 127.0.0.1
Listen 127.0.0.1:{port}
PidFile "{root}/httpd.pid"
DefaultRuntimeDir "{root}"
ErrorLog "{root}/error.log"
LogLevel warn
TypesConfig /etc/mime.types
DocumentRoot "{root}/htdocs"
KeepAlive On
MaxKeepAliveRequests 0
StartServers 1
ServerLimit 2
ThreadsPerChild 64
MaxRequestWorkers 128
MinSpareThreads 64
MaxSpareThreads 128
<Directory "{root}/htdocs">
    Require all granted
</Directory>
"""


def write_tree(root):
    os.makedirs(os.path.join(root, "htdocs", "protected"), exist_ok=True)
    body = (b"mod_selmid benchmark payload " * 200)[:4096]
    for p in ("file.html", "protected/file.html"):
        with open(os.path.join(root, "htdocs", p), "wb") as f:
            f.write(body)
    os.chmod(root, 0o755)
    for d, _, files in os.walk(root):
        os.chmod(d, 0o755)
        for f in files:
            os.chmod(os.path.join(d, f), 0o644)


def selmid_module():
    return os.environ.get("SELMID_MODULE", os.path.join(REPO, "build", ".libs", "mod_selmid.so"))


def linking_directory(root, op):
    """A SQLite directory in which the OP's alice is a person (organisational identity), made with
    selmidctl: a login of alice then goes through the directory and her session carries the person,
    as a linked person's does."""
    d = os.path.join(root, "directory")
    os.makedirs(d, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(d, "nobody", "nogroup")
    spec = f"sqlite:{d}/selmid.db"
    ctl = os.path.join(os.path.dirname(os.path.dirname(selmid_module())), "selmidctl")
    subprocess.run([ctl, "-d", spec, "link", "new", "op", op.issuer, "alice-0001", "--org"], check=True,
                   capture_output=True)
    return spec


def linked_logins(spec):
    import sqlite3
    db = sqlite3.connect(spec[len("sqlite:"):])
    try:
        return db.execute("SELECT count(*) FROM events WHERE type = 'login'").fetchone()[0]
    finally:
        db.close()


def selmid_conf(root, port, op, store, linking=False):
    c = conf_common(root, port, [f"LoadModule selmid_module {selmid_module()}"])
    if linking:
        c += f"SelmidOrgProvider op\nSelmidDirectory {linking_directory(root, op)}\n"
    return c + f"""SelmidSecret {SECRET}
SelmidSessionStore {store}
<SelmidProvider op>
    SelmidIssuer {op.issuer}
    SelmidClientID bench-selmid-{port}
    SelmidClientSecret {CLIENT_SECRET}
    SelmidScope "openid email profile"
</SelmidProvider>
<Location /protected>
    AuthType selmid
    Require valid-user
</Location>
"""


def openidc_conf(root, port, op, store, mc):
    c = conf_common(root, port, [f"LoadModule auth_openidc_module {MODDIR}/mod_auth_openidc.so"])
    cache = "OIDCCacheType shm" if store == "shm" else f'OIDCCacheType memcache\nOIDCMemCacheServers "{mc}"'
    return c + f"""OIDCProviderMetadataURL {op.issuer}/.well-known/openid-configuration
OIDCClientID bench-openidc-{port}
OIDCClientSecret {CLIENT_SECRET}
OIDCRedirectURI http://127.0.0.1:{port}/protected/redirect_uri
OIDCCryptoPassphrase {SECRET}
OIDCScope "openid email profile"
OIDCPKCEMethod S256
OIDCSessionType server-cache
{cache}
<Location /protected>
    AuthType openid-connect
    Require valid-user
</Location>
"""


class Httpd:
    def __init__(self, name, workdir, port, conf_fn):
        self.name = name
        self.port = port
        self.root = os.path.join(workdir, name)
        write_tree(self.root)
        self.conf = os.path.join(self.root, "httpd.conf")
        with open(self.conf, "w") as f:
            f.write(conf_fn(self.root, port))
        argv = ["taskset", "-c", "0", HTTPD, "-d", self.root, "-f", self.conf, "-DFOREGROUND"]
        self.proc = Proc(name, argv, os.path.join(self.root, "stdout.log"))

    def start(self):
        self.proc.start()
        wait_for(lambda: port_open(self.port), timeout=20, what=self.name, alive=self.proc.alive)
        return self

    def stop(self):
        self.proc.stop()
        wait_for(lambda: not port_open(self.port), timeout=20, what=f"{self.name} to stop")

    def worker_rss_kb(self):
        """Resident memory of the worker processes (children of the foreground parent), KiB."""
        out = subprocess.run(["ps", "-o", "ppid=,rss=", "-e"], capture_output=True, text=True).stdout
        rows = [line.split() for line in out.splitlines() if line.strip()]
        return sum(int(rss) for ppid, rss in rows if int(ppid) == self.proc.pid)


def login_cookie(url, user="alice"):
    b = Browser()
    res = b.login(url, user=user)
    r = res.response
    if r.status_code != 200 or len(r.content) != 4096:
        raise RuntimeError(f"login to {url} ended with HTTP {r.status_code}")
    return "; ".join(f"{c.name}={c.value}" for c in b.cookies if c.domain in ("127.0.0.1", "127.0.0.1.local", ""))


def wrk(url, cookie, duration, connections):
    argv = ["taskset", "-c", "1", "wrk", "-t", "2", "-c", str(connections), "-d", f"{duration}s", "--latency"]
    if cookie:
        argv += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(argv + [url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    total = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    if non2xx or errors:
        raise RuntimeError(f"wrk saw failures for {url}:\n{out}")
    return {"rps": rps, "p99_ms": float(p99.group(1)) * scale, "requests": total}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=int, default=5, help="seconds per measurement")
    ap.add_argument("--rounds", type=int, default=5, help="interleaved rounds (medians reported)")
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--rss-requests", type=int, default=200000)
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="selmid-bench-")
    os.chmod(work, 0o755)
    ports = {k: free_port() for k in ("plain", "selmid-shm", "selmid-link", "selmid-mc", "openidc-shm",
                                      "openidc-mc")}
    clients = []
    for k, p in ports.items():
        if k.startswith("selmid"):
            clients.append(client(f"bench-selmid-{p}", [f"http://127.0.0.1:{p}/selmid/callback"]))
        elif k.startswith("openidc"):
            clients.append(client(f"bench-openidc-{p}", [f"http://127.0.0.1:{p}/protected/redirect_uri"]))
    op = OP(work, clients, name="bench-op").start()
    mc = Memcached(work)
    # memcached stands for a separate cache host: keep it off httpd's core, next to wrk
    mc.proc.argv = ["taskset", "-c", os.environ.get("BENCH_MC_CPU", "1")] + mc.proc.argv
    mc.start()
    configs = [
        ("plain httpd", "plain", lambda r, p: conf_common(r, p, []), "/protected/file.html"),
        ("mod_selmid, shm", "selmid-shm", lambda r, p: selmid_conf(r, p, op, "shm"), "/protected/file.html"),
        ("mod_selmid, shm, linking on (a linked person's session)", "selmid-link",
         lambda r, p: selmid_conf(r, p, op, "shm", linking=True), "/protected/file.html"),
        ("mod_selmid, memcached", "selmid-mc", lambda r, p: selmid_conf(r, p, op, f"memcached {mc.address}"),
         "/protected/file.html"),
        ("mod_auth_openidc, shm", "openidc-shm", lambda r, p: openidc_conf(r, p, op, "shm", mc.address),
         "/protected/file.html"),
        ("mod_auth_openidc, memcached", "openidc-mc", lambda r, p: openidc_conf(r, p, op, "memcache", mc.address),
         "/protected/file.html"),
    ]
    servers, cookies, runs = {}, {}, {k: [] for k in ports}
    rss = None
    linked_after = None
    try:
        # all five servers up at once (idle ones cost nothing), each logged in once
        for label, key, conf, path in configs:
            h = servers[key] = Httpd(key, work, ports[key], conf).start()
            url = f"http://127.0.0.1:{h.port}{path}"
            cookies[key] = (url, login_cookie(url) if key != "plain" else None)
            if key == "selmid-link" and linked_logins(f"sqlite:{h.root}/directory/selmid.db") != 1:
                raise RuntimeError("the login with linking on did not go through the directory")
            wrk(url, cookies[key][1], 2, args.connections)  # warm-up
        # interleaved rounds, so that a slow moment of the machine hits every configuration alike
        for _ in range(args.rounds):
            for key in ports:
                url, cookie = cookies[key]
                runs[key].append(wrk(url, cookie, args.duration, args.connections))
        url, cookie = cookies["selmid-shm"]
        samples = [(0, servers["selmid-shm"].worker_rss_kb())]
        done = 0
        while done < args.rss_requests:
            done += wrk(url, cookie, 5, args.connections)["requests"]
            samples.append((done, servers["selmid-shm"].worker_rss_kb()))
        rss = samples
        linked_after = linked_logins(f"sqlite:{servers['selmid-link'].root}/directory/selmid.db")
    finally:
        for h in servers.values():
            h.stop()
        mc.stop()
        op.stop()
        shutil.rmtree(work, ignore_errors=True)

    labels = {key: label for label, key, _, _ in configs}
    results = {k: (labels[k], {"rps": statistics.median(r["rps"] for r in v),
                               "p99_ms": statistics.median(r["p99_ms"] for r in v)})
               for k, v in runs.items()}
    plain = results["plain"][1]["rps"]
    print(f"Measured {time.strftime('%Y-%m-%d')}: medians of {args.rounds} interleaved rounds of "
          f"{args.duration}s per configuration, {args.connections} "
          f"connections, httpd (event MPM) on CPU 0, wrk and memcached on CPU 1, 4 KiB static file, "
          f"keep-alive.\n")
    print("| configuration | requests/s | p99 latency (ms) | ratio to plain httpd |")
    print("|---|---:|---:|---:|")
    for key in ports:
        label, r = results[key]
        print(f"| {label} | {r['rps']:.0f} | {r['p99_ms']:.2f} | {r['rps'] / plain:.2f} |")
    s_shm, o_shm = results["selmid-shm"][1]["rps"], results["openidc-shm"][1]["rps"]
    s_mc, o_mc = results["selmid-mc"][1]["rps"], results["openidc-mc"][1]["rps"]
    print(f"\nmod_selmid / mod_auth_openidc: shm {s_shm / o_shm:.2f}, memcached {s_mc / o_mc:.2f}")
    s_link = results["selmid-link"][1]["rps"]
    logins = linked_after if linked_after is not None else "?"
    print(f"\nLinking on / off (shm, same run): {s_link / s_shm:.2f}; login events in the directory after "
          f"the whole run: {logins} (the measured requests never touch it)")
    if rss:
        first, last = rss[0][1], rss[-1][1]
        print(f"\nmod_selmid (shm) worker RSS (KiB) after N further authenticated requests: "
              + ", ".join(f"{n}: {kb}" for n, kb in rss)
              + f" ({(last - first) / max(first, 1) * 100:+.1f} % over {rss[-1][0]} requests)")


if __name__ == "__main__":
    main()
