"""Flows and assertions shared by the module tests."""
import html
import json
import re
from urllib.parse import urlsplit

from .browser import query, set_cookies

APP_MARKERS = ("selmid-app-content", "selmid-backend-content")


def is_callback(url):
    return urlsplit(url).path.endswith("/callback")


def to_callback(browser, url, user="alice", tamper=None):
    """Open url, sign in at the OP, and stop just before the browser would load the callback.

    Returns the callback URL (after tamper, if given)."""
    flow = browser.login(url, user, tamper=tamper, stop=is_callback)
    assert flow.pending, f"expected to reach the callback; last response {flow.response.status_code} " \
                         f"{flow.response.url}\n{flow.response.text[:500]}"
    return flow.pending


def login(browser, stack, path="/app/", user="alice", **kw):
    """A complete sign-in; returns the FlowResult (its .response is what path answers at the end)."""
    return browser.login(stack.url(path), user, **kw)


def app_env(resp):
    """The environment the CGI app received (asserts the response is the app's)."""
    assert resp.status_code == 200, f"{resp.status_code} {resp.url}\n{resp.text[:800]}"
    data = resp.json()
    assert data["marker"] == "selmid-app-content"
    return data["env"]


def backend_headers(resp):
    """Headers the proxied back end received: list of (name, value, raw bytes)."""
    assert resp.status_code == 200, f"{resp.status_code} {resp.url}\n{resp.text[:800]}"
    data = resp.json()
    assert data["marker"] == "selmid-backend-content"
    return [(h["name"], h["value"], bytes.fromhex(h["hex"])) for h in data["headers"]]


def cgi_name(name):
    return name.upper().replace("-", "_")


def header_map(headers):
    """CGI-normalised name -> list of raw values."""
    out = {}
    for name, _value, raw in headers:
        out.setdefault(cgi_name(name), []).append(raw)
    return out


def assert_denied(resp, status, tag=None, httpd=None, mark=0, not_reflected=(), check=None):
    """An error answer from mod_selmid: the status, an HTML page, no protected content, no
    reflected input, and (when tag is given) the tagged line in error_log."""
    body = resp.text
    assert resp.status_code == status, f"expected {status}, got {resp.status_code}\n{body[:800]}"
    for m in APP_MARKERS:
        assert m not in body, "protected content leaked in an error response"
    ctype = resp.headers.get("Content-Type", "")
    assert ctype.startswith("text/html"), f"error page Content-Type {ctype!r}"
    for s in not_reflected:
        assert s not in body, f"input reflected in the error page: {s!r}"
    if tag is not None:
        assert httpd is not None
        pattern = re.escape(tag) + (r"[^\n]*" + check if check else "")
        httpd.wait_log(pattern, mark, timeout=5)


def state_cookies(browser):
    return [c for c in browser.cookies if c.name.startswith("selmid_state_")]


def links(page_text):
    return [html.unescape(h) for h in re.findall(r'href="([^"]*)"', page_text)]


def session_json(browser, stack, path="/selmid/session"):
    r = browser.get(stack.url(path), headers={"Accept": "application/json"})
    return r, (json.loads(r.text) if r.status_code == 200 else None)


def cookie_attrs(resp, name):
    for c in set_cookies(resp):
        if c["name"] == name:
            return c
    return None


def callback_params(url):
    return query(url)


def to_op(browser, resp):
    """From a response of the protected site, follow mod_selmid's own redirects (through
    <SelmidPath>/login) up to the one that sends the browser to the OP; returns that response
    (or the first one that is not such a redirect)."""
    from urllib.parse import urljoin
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(resp.url))
    for _ in range(5):
        if not resp.is_redirect:
            break
        loc = urljoin(resp.url, resp.headers["Location"])
        if not loc.startswith(origin + "/") or not urlsplit(loc).path.endswith("/login"):
            break
        resp = browser.get(loc)
    return resp
