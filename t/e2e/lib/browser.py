"""A scripted browser on requests.Session: no automatic redirects, step-by-step flows."""
import html
import re
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit, urlunsplit

import requests

OP_FORM_RE = re.compile(r'<form method="post" action="(/interaction/[A-Za-z0-9_-]+/login)"')
FORM_RE = re.compile(r'<form\s+method="post"\s+action="([^"]+)"[^>]*>(.*?)</form>', re.S | re.I)
INPUT_RE = re.compile(r'<input\b([^>]*)>', re.I)
ATTR_RE = re.compile(r'(\w+)="([^"]*)"')


def auto_post_form(text):
    """A page whose only form posts hidden fields (what a browser with JavaScript submits by
    itself, e.g. the OP's "end the previous session" step): (action, fields) or None. A form with
    a button of its own on a page without a script (mod_selmid's link pages) is left alone."""
    m = FORM_RE.search(text)
    if not m:
        return None
    if re.search(r"<button\b", m.group(2), re.I) and "submit()" not in text:
        return None  # a form with its own button and no script waits for a person to press it
    fields = {}
    for inp in INPUT_RE.findall(m.group(2)):
        attrs = dict(ATTR_RE.findall(inp))
        if attrs.get("type", "text").lower() != "hidden":
            return None
        fields[html.unescape(attrs.get("name", ""))] = html.unescape(attrs.get("value", ""))
    return html.unescape(m.group(1)), fields


def set_cookies(resp):
    """The Set-Cookie headers of a response, each as dict: name, value, attrs (lower-case keys)."""
    out = []
    for raw in resp.raw.headers.getlist("Set-Cookie"):
        parts = [p.strip() for p in raw.split(";")]
        name, _, value = parts[0].partition("=")
        attrs = {}
        for p in parts[1:]:
            k, _, v = p.partition("=")
            attrs[k.strip().lower()] = v.strip()
        out.append({"name": name, "value": value, "attrs": attrs, "raw": raw})
    return out


def query(url):
    """Query parameters of a URL as a dict of single values."""
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}


def with_query(url, **changes):
    """url with query parameters replaced (value None removes the parameter)."""
    parts = urlsplit(url)
    q = parse_qs(parts.query, keep_blank_values=True)
    for k, v in changes.items():
        if v is None:
            q.pop(k, None)
        else:
            q[k] = [v]
    return urlunsplit(parts._replace(query=urlencode(q, doseq=True)))


class FlowResult:
    def __init__(self, response, steps, pending=None):
        self.response = response  # the last response received
        self.steps = steps  # every response on the way, in order
        self.pending = pending  # the URL the flow stopped before (stop=...)

    def find(self, predicate):
        return [r for r in self.steps if predicate(r)]


class Browser(requests.Session):
    def __init__(self, keepalive=True):
        super().__init__()
        if not keepalive:
            # A server whose clock jumps (libfaketime) drops idle connections at once; a request
            # on such a connection would race with the close.
            self.headers["Connection"] = "close"
        self.headers["User-Agent"] = "selmid-e2e-browser/1.0"
        self.headers["Accept"] = "text/html,application/xhtml+xml,*/*;q=0.8"

    def request(self, method, url, *args, **kwargs):
        # requests' get() asks for redirects to be followed; this browser never does on its own.
        kwargs["allow_redirects"] = kwargs.pop("follow_redirects", False)
        kwargs.setdefault("timeout", 30)
        kwargs.setdefault("verify", self.verify)  # per request: REQUESTS_CA_BUNDLE would override the session's
        return super().request(method, url, *args, **kwargs)

    def cookie(self, name):
        for c in self.cookies:
            if c.name == name:
                return c.value
        return None

    def cookies_named(self, prefix):
        return [c for c in self.cookies if c.name.startswith(prefix)]

    def follow(self, url, user=None, password=None, tamper=None, stop=None, max_steps=25, first=None):
        """Walk from url through redirects and the OP's login form.

        tamper(next_url) -> url is applied to every redirect target before it is followed.
        stop(next_url) -> True stops before following that URL (FlowResult.pending).
        The walk ends at the first response that is neither a redirect nor the OP's login form.
        """
        steps = []
        resp = first if first is not None else self.get(url)
        for _ in range(max_steps):
            steps.append(resp)
            if resp.is_redirect:
                nxt = urljoin(resp.url, resp.headers["Location"])
                if tamper is not None:
                    nxt = tamper(nxt)
                if stop is not None and stop(nxt):
                    return FlowResult(resp, steps, pending=nxt)
                resp = self.get(nxt)
                continue
            m = OP_FORM_RE.search(resp.text) if resp.status_code == 200 else None
            if m and user is not None:
                action = urljoin(resp.url, html.unescape(m.group(1)))
                resp = self.post(action, data={"username": user, "password": password, "action": "login"})
                continue
            auto = auto_post_form(resp.text) if resp.status_code == 200 else None
            if auto is not None:
                resp = self.post(urljoin(resp.url, auto[0]), data=auto[1])
                continue
            break
        else:
            raise AssertionError(f"flow did not settle within {max_steps} steps")
        return FlowResult(resp, steps)

    def submit_form(self, resp_or_html, base_url=None):
        """POST the (auto-submitting) form of a page like a browser: e.g. Apple's form_post page,
        a cross-site POST to the site's callback that carries this browser's cookies."""
        from .sns import form_post_fields
        text = resp_or_html if isinstance(resp_or_html, str) else resp_or_html.text
        base = base_url or (None if isinstance(resp_or_html, str) else resp_or_html.url)
        action, fields = form_post_fields(text)
        return self.post(urljoin(base, action) if base else action, data=fields)

    def login(self, url, user="alice", password=None, **kwargs):
        """Open url, sign in at the OP as user, follow back; returns the FlowResult."""
        if password is None:
            from .op import USERS
            password = USERS[user][0]
        return self.follow(url, user=user, password=password, **kwargs)

    def cancel_login(self, url, **kwargs):
        """Open url, press Cancel on the OP's form, follow back."""
        resp = self.get(url)
        steps = []
        while resp.is_redirect:
            steps.append(resp)
            resp = self.get(urljoin(resp.url, resp.headers["Location"]))
        m = OP_FORM_RE.search(resp.text)
        assert m, "the OP's login form was expected"
        steps.append(resp)
        resp = self.post(urljoin(resp.url, m.group(1)), data={"action": "cancel"})
        return self.follow(None, first=resp, **kwargs)
