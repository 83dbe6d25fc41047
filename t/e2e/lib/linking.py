"""Account linking in the end-to-end tests: a configuration with the OP as the organisational
provider and SNS stand-ins, and a browser walking the link pages like a person would."""
import html
import os
import pwd
import re
from urllib.parse import urljoin

FORM_RE = re.compile(r'<form method="post" action="([^"]+)">(.*?)</form>', re.S)
HIDDEN_RE = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
BUTTON_RE = re.compile(r"<button[^>]*>(.*?)</button>", re.S)


def forms(text):
    """Every POST form of a page: (action, fields, button text)."""
    out = []
    for action, inner in FORM_RE.findall(text):
        fields = {n: html.unescape(v) for n, v in HIDDEN_RE.findall(inner)}
        m = BUTTON_RE.search(inner)
        out.append((html.unescape(action), fields, html.unescape(m.group(1)) if m else ""))
    return out


def form(text, action_suffix, **match):
    """The one form whose action ends with action_suffix and whose fields include match."""
    found = [f for f in forms(text) if f[0].endswith(action_suffix)
             and all(f[1].get(k) == v for k, v in match.items())]
    assert len(found) == 1, f"expected one {action_suffix} form with {match}, got {found}\n{text[:3000]}"
    return found[0]


def sqlite_dir(stack):
    """A directory for the SQLite file that httpd's User (www-data when the tests run as root) can
    write to: SQLite puts its journal next to the file."""
    d = os.path.join(stack.dir, "db")
    os.makedirs(d, exist_ok=True)
    if os.geteuid() == 0:
        pw = pwd.getpwnam("www-data")
        os.chown(d, pw.pw_uid, pw.pw_gid)
    os.chmod(d, 0o700)
    return d


def linking_conf(stack, directory_line, link_required_path="/other", max_age=None, store="shm"):
    """op (the OIDC OP) is the organisational provider; line is the LINE stand-in.
    /app accepts op only; /public accepts line (no linking needed); link_required_path accepts
    line and op with SelmidLinkRequired on."""
    conf = stack.conf(store=store)
    stack.sns.add_provider(conf, "line", extra=['SelmidScope "openid profile email"'])
    conf.server.append("SelmidOrgProvider op")
    conf.server.append(directory_line)
    if max_age is not None:
        conf.server.append(f"SelmidLinkMaxAge {max_age}")
    conf.locations["/public"] = ["AuthType selmid", "SelmidProviders line", "Require valid-user"]
    conf.locations[link_required_path] = ["AuthType selmid", "SelmidProviders line op",
                                          "SelmidLinkRequired on", "Require valid-user"]
    return conf


class Person:
    """A browser of one person, with helpers for the link pages."""

    def __init__(self, stack, browser):
        self.stack = stack
        self.b = browser

    def url(self, path):
        return self.stack.url(path)

    def line_login(self, path="/public/"):
        return self.b.follow(self.url(path))

    def op_login(self, path="/app/", user="alice"):
        return self.b.login(self.url(path), user)

    def link_page(self, **params):
        r = self.b.get(self.url("/selmid/link"), params=params)
        return r

    def post_form(self, page, action_suffix, **match):
        action, fields, _ = form(page.text, action_suffix, **match)
        return self.b.post(urljoin(page.url, action), data=fields,
                           headers={"Origin": self.stack.url("/").rstrip("/"),
                                    "Sec-Fetch-Site": "same-origin"})

    def start_add(self, provider):
        """From the link page, press "Link <provider>": returns the response of the POST."""
        page = self.link_page()
        assert page.status_code == 200, page.text
        return self.post_form(page, "/link/add", provider=provider)

    def add(self, provider, user="alice"):
        """Link provider from the current session: add, log in, confirm. Returns the response of
        the confirmation POST."""
        r = self.start_add(provider)
        flow = self.b.follow(None, user=user, password=_op_password(user), first=r)
        page = flow.response
        assert page.status_code == 200 and "/selmid/link/confirm" in page.url, \
            f"{page.status_code} {page.url}\n{page.text[:2000]}"
        return self.post_form(page, "/link/confirm")


def _op_password(user):
    from .op import USERS
    return USERS[user][0] if user in USERS else None
