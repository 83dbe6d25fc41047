"""The mod_shib stand-in (t/e2e/standins/mod_shib_standin.c): built with apxs, configured into a
test's httpd, and told which person the "IdP" logs in (see the C file's header comment)."""
import os
import re
import shutil
import subprocess

from .procs import REPO

SOURCE = os.path.join(REPO, "t", "e2e", "standins", "mod_shib_standin.c")
IDP = "https://idp.example.edu/idp/shibboleth"
PPT = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"


def cgi(name):
    """The name a CGI sees (httpd turns characters other than [A-Za-z0-9_] into '_')."""
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


def build(workdir):
    """Compiles the stand-in into workdir; returns the .so path."""
    os.makedirs(workdir, exist_ok=True)
    src = os.path.join(workdir, "mod_shib_standin.c")
    shutil.copy(SOURCE, src)
    p = subprocess.run(["apxs", "-c", "mod_shib_standin.c"], cwd=workdir, capture_output=True, text=True,
                       timeout=300)
    so = os.path.join(workdir, ".libs", "mod_shib_standin.so")
    if p.returncode != 0 or not os.path.exists(so):
        raise RuntimeError(f"apxs failed:\n{p.stdout}\n{p.stderr}")
    os.chmod(workdir, 0o755)
    for d in (os.path.join(workdir, ".libs"),):
        os.chmod(d, 0o755)
    os.chmod(so, 0o755)
    return so


def shib_join(values):
    """How mod_shib passes a multi-valued attribute: joined with ';', a ';' in a value as '\\;'."""
    return ";".join(v.replace(";", "\\;") for v in values)


class ShibStandin:
    def __init__(self, so, statedir):
        self.so = so
        self.dir = statedir
        for d in (statedir, os.path.join(statedir, "users"), os.path.join(statedir, "sessions")):
            os.makedirs(d, exist_ok=True)
            os.chmod(d, 0o777 if d.endswith("sessions") else 0o755)

    def configure(self, conf):
        """Loads the module into conf (before any directive of it) and adds /Shibboleth.sso."""
        conf.server.insert(0, f"LoadModule shib_standin_module {self.so}")
        conf.server.insert(1, f"ShibStandinDir {self.dir}")
        conf.extra += ["<Location /Shibboleth.sso>", "    SetHandler shib", "    Require all granted",
                       "</Location>"]

    def add_user(self, name, attributes, idp=IDP, authn_class=PPT):
        """attributes: id -> list of values (each a separate SAML AttributeValue)."""
        lines = [f"@idp\t{idp}", f"@class\t{authn_class}"]
        for k, vals in attributes.items():
            lines += [f"{k}\t{v}" for v in vals]
        path = os.path.join(self.dir, "users", name)
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        os.chmod(path, 0o644)

    def login_as(self, name):
        path = os.path.join(self.dir, "login-as")
        with open(path, "w") as f:
            f.write(name + "\n")
        os.chmod(path, 0o644)
