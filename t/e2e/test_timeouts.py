"""Idle and absolute session timeouts, and the state cookie's lifetime, with httpd's clock moved
by libfaketime instead of waiting."""
import pytest

from lib.flows import app_env, assert_denied, to_callback


@pytest.mark.parametrize("store", ["shm", "memcached"])
def test_idle_timeout(stack, store):
    conf = stack.conf(store=store)
    conf.server.append("SelmidSessionTimeout 60 3600")
    h = stack.httpd(conf, faketime=True)
    b = stack.browser()
    app_env(b.login(stack.url("/app/"), "alice").response)
    h.set_clock_offset(40)
    app_env(b.get(stack.url("/app/")))
    h.set_clock_offset(80)  # 40 s idle since the last request: the idle timeout slides
    app_env(b.get(stack.url("/app/")))
    h.set_clock_offset(150)  # 70 s idle
    r = b.get(stack.url("/app/"))
    assert r.status_code == 302 and "selmid-app-content" not in r.text
    r = b.get(stack.url("/app/"), headers={"X-Requested-With": "XMLHttpRequest"})
    assert r.status_code == 401


def test_absolute_timeout(stack):
    conf = stack.conf()
    conf.server.append("SelmidSessionTimeout 100 150")
    h = stack.httpd(conf, faketime=True)
    b = stack.browser()
    app_env(b.login(stack.url("/app/"), "alice").response)
    for offset in (60, 120, 145):
        h.set_clock_offset(offset)
        app_env(b.get(stack.url("/app/")))
    h.set_clock_offset(160)  # 15 s idle, but 160 s after login
    r = b.get(stack.url("/app/"))
    assert r.status_code == 302 and "selmid-app-content" not in r.text


def test_state_cookie_expires(stack):
    h = stack.httpd(faketime=True)
    b = stack.browser()
    callback = to_callback(b, stack.url("/app/"), "alice")
    h.set_clock_offset(700)  # the state cookie lives 600 s
    mark = h.log_mark()
    r = b.get(callback)
    assert_denied(r, 400, "SM30012", h, mark)
    assert b.cookie("selmid_session") is None


@pytest.mark.parametrize("skew,ok", [(None, False), (400, True)])
def test_clock_skew(stack, skew, ok):
    """httpd's clock runs 300 s behind the OP's: the ID token's iat lies in the future, which the
    default skew (120 s) refuses and SelmidClockSkew 400 accepts."""
    conf = stack.conf()
    if skew is not None:
        conf.server.append(f"SelmidClockSkew {skew}")
    h = stack.httpd(conf, faketime=True)
    h.set_clock_offset(-300)
    b = stack.browser()
    mark = h.log_mark()
    r = b.login(stack.url("/app/"), "alice").response
    if ok:
        assert app_env(r)["SELMID_email"] == "alice@example.edu"
    else:
        assert_denied(r, 401, "SM20024", h, mark, check="iat")
