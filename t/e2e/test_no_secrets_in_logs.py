"""With LogLevel debug, nothing secret reaches error_log: not the client secret, not
SelmidSecret, not an authorization code, state, nonce, token or cookie value."""
import re

from lib.browser import query, with_query
from lib.flows import app_env, state_cookies, to_callback, to_op
from lib.op import CLIENT_SECRET


def test_no_secrets_in_error_log(stack, secret):
    conf = stack.conf()
    h = stack.httpd(conf, loglevel="debug")
    seen = set()

    # a successful login, with everything it carries
    b = stack.browser()
    auth = to_op(b, b.get(stack.url("/app/")))
    q = query(auth.headers["Location"])
    seen.update([q["state"], q["nonce"], q["code_challenge"]])
    seen.update(c.value for c in state_cookies(b))
    flow = b.follow(None, first=auth, user="alice", password="alice-password",
                    stop=lambda u: "/selmid/callback" in u)
    seen.add(query(flow.pending)["code"])
    app_env(b.follow(flow.pending).response)
    seen.add(b.cookie("selmid_session"))
    b.get(stack.url("/selmid/session"))
    b.get(stack.url("/selmid/logout?return=/"))

    # failed logins log their reasons, still without the values
    b2 = stack.browser()
    cb = to_callback(b2, stack.url("/app/"), tamper=lambda u: with_query(u, nonce="n0nce-" + "z" * 30)
                     if u.startswith(stack.op.issuer + "/auth") else u)
    seen.add(query(cb)["code"])
    seen.update(c.value for c in state_cookies(b2))
    assert b2.get(cb).status_code == 401
    b3 = stack.browser()
    cb = to_callback(b3, stack.url("/app/"))
    seen.add(query(cb)["code"])
    b3.get(with_query(cb, code="forged-" + query(cb)["code"]))

    log = h.error_log_text()
    assert "SM" in log, "expected mod_selmid's debug lines in error_log"
    for value in [CLIENT_SECRET, secret, "alice-password"] + sorted(v for v in seen if v):
        assert len(value) >= 8
        assert value not in log, f"a secret value of length {len(value)} appears in error_log"
    assert not re.search(r"eyJ[A-Za-z0-9_-]{10,}\.", log), "a JWT appears in error_log"
