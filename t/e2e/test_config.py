"""Configuration errors are caught by `httpd -t` with a message that names the directive and
the offending value; a valid configuration passes."""
import os

import pytest

from lib.httpd import Conf


def configtest(stack, conf):
    h = stack.httpd(conf, start=False)
    return h.configtest()


def test_valid_configuration(stack):
    rc, out = configtest(stack, stack.conf())
    assert rc == 0, out
    assert "Syntax OK" in out


def test_secrets_from_files(stack):
    d = stack.dir
    with open(os.path.join(d, "secret"), "w") as f:
        f.write("k" * 48 + "\n")
    with open(os.path.join(d, "client-secret"), "w") as f:
        f.write("test-client-secret\n")
    os.chmod(os.path.join(d, "secret"), 0o600)
    os.chmod(os.path.join(d, "client-secret"), 0o600)
    conf = stack.conf()
    conf.set_server("SelmidSecret", f"file:{d}/secret")
    conf.providers["op"] = [x for x in conf.providers["op"] if not x.startswith("SelmidClientSecret")]
    conf.providers["op"].append(f"SelmidClientSecret file:{d}/client-secret")
    rc, out = configtest(stack, conf)
    assert rc == 0, out


def edited(stack, fn):
    conf = stack.conf()
    fn(conf)
    return conf


BAD = {
    "short secret": (lambda c: c.set_server("SelmidSecret", "tooshort"), ["SelmidSecret"]),
    "missing secret file": (lambda c: c.set_server("SelmidSecret", "file:/nonexistent/selmid-secret"),
                            ["SelmidSecret", "/nonexistent/selmid-secret"]),
    "unknown unauth action": (lambda c: c.location("/app").append("SelmidUnauthAction bogus"),
                              ["SelmidUnauthAction", "bogus"]),
    "unknown pass-as": (lambda c: c.location("/app").append("SelmidPassAs cookies"), ["SelmidPassAs", "cookies"]),
    "unknown header encoding": (lambda c: c.location("/app").append("SelmidHeaderEncoding ebcdic"),
                                ["SelmidHeaderEncoding", "ebcdic"]),
    "undefined provider": (lambda c: c.location("/app").append("SelmidProviders nosuchprovider"),
                           ["nosuchprovider"]),
    "unknown token auth": (lambda c: c.providers["op"].append("SelmidTokenAuth private_key_jwt_x"),
                           ["SelmidTokenAuth", "private_key_jwt_x"]),
    "alg none": (lambda c: c.providers["op"].append("SelmidIDTokenAlgs RS256 none"), ["SelmidIDTokenAlgs", "none"]),
    "bad timeout": (lambda c: c.server.append("SelmidSessionTimeout abc 100"), ["SelmidSessionTimeout", "abc"]),
    "bad clock skew": (lambda c: c.server.append("SelmidClockSkew -5"), ["SelmidClockSkew", "-5"]),
    "unknown store": (lambda c: c.set_server("SelmidSessionStore", "redis 127.0.0.1:6379"),
                      ["SelmidSessionStore", "redis"]),
    "memcached without servers": (lambda c: c.set_server("SelmidSessionStore", "memcached"),
                                  ["SelmidSessionStore"]),
    "relative issuer": (lambda c: c.providers["op"].__setitem__(0, "SelmidIssuer not-a-url"),
                        ["SelmidIssuer", "not-a-url"]),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_configuration_error(stack, case):
    fn, must_mention = BAD[case]
    rc, out = configtest(stack, edited(stack, fn))
    assert rc != 0, f"httpd -t accepted: {case}\n{out}"
    for word in must_mention:
        assert word in out, f"the message should name {word!r}:\n{out}"


def test_authtype_without_secret(stack):
    conf = stack.conf()
    conf.server = [d for d in conf.server if not d.startswith("SelmidSecret")]
    rc, out = configtest(stack, conf)
    assert rc != 0, out
    assert "SelmidSecret" in out


def test_module_without_any_use_needs_no_secret(stack):
    conf = Conf()
    rc, out = configtest(stack, conf)
    assert rc == 0, out
