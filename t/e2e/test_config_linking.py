"""Configuration of account linking (SelmidOrgProvider, SelmidDirectory, SelmidLinkMaxAge,
SelmidLinkRequired): each wrong value stops httpd with a message naming the directive and the
value; a SQLite directory that cannot be created stops httpd at start."""
import os

import pytest

SECRET32 = "0123456789abcdef0123456789abcdef"


def conf_with(stack, server=(), location=()):
    conf = stack.conf()
    conf.providers["line"] = ["SelmidProviderType line", "SelmidClientID 1234567890",
                              f"SelmidClientSecret {SECRET32}"]
    conf.server += list(server)
    conf.location("/app").extend(location)
    return conf


def configtest(stack, conf):
    return stack.httpd(conf, start=False).configtest()


def sqlite_spec(stack):
    return f"sqlite:{stack.dir}/selmid.db"


def test_valid_linking_configuration(stack):
    rc, out = configtest(stack, conf_with(stack, ["SelmidOrgProvider op", f"SelmidDirectory {sqlite_spec(stack)}",
                                                  "SelmidLinkMaxAge 30"], ["SelmidLinkRequired on"]))
    assert rc == 0 and "Syntax OK" in out, out
    rc, out = configtest(stack, conf_with(stack, ["SelmidOrgProvider op", "SelmidLinkMaxAge 3600"],
                                          ["SelmidLinkRequired off"]))
    assert rc == 0, out


CASES = {
    "org-undefined": (["SelmidOrgProvider nope"], [], ["SelmidOrgProvider", "'nope' is not a defined"]),
    "org-sns": (["SelmidOrgProvider line"], [], ["SelmidOrgProvider", "'line' is a line provider",
                                                 "oidc or shibboleth"]),
    "org-twice": (["SelmidOrgProvider op op"], [], ["SelmidOrgProvider", "'op' is named twice"]),
    "org-bad-name": (["SelmidOrgProvider a.b"], [], ["SelmidOrgProvider", "'a.b' is not a provider name"]),
    "org-empty": (["SelmidOrgProvider"], [], ["SelmidOrgProvider"]),
    "max-age-low": (["SelmidLinkMaxAge 29"], [], ["SelmidLinkMaxAge", "'29'", "30 to 3600"]),
    "max-age-high": (["SelmidLinkMaxAge 3601"], [], ["SelmidLinkMaxAge", "'3601'"]),
    "max-age-word": (["SelmidLinkMaxAge ten"], [], ["SelmidLinkMaxAge", "'ten'"]),
    "required-word": ([], ["SelmidLinkRequired maybe"], ["SelmidLinkRequired"]),
    "dir-backend": (["SelmidDirectory mysql:host=db"], [], ["SelmidDirectory", "unknown back end 'mysql'"]),
    "dir-relative": (["SelmidDirectory sqlite:selmid.db"], [], ["SelmidDirectory", "'selmid.db'",
                                                                "absolute path"]),
    "dir-is-dir": (["SelmidDirectory sqlite:/var/lib/selmid/"], [], ["SelmidDirectory", "names a directory"]),
    "dir-empty-pgsql": (['SelmidDirectory pgsql:""'], [], ["SelmidDirectory"]),
    "dir-twice": (["SelmidDirectory sqlite:/tmp/a.db", "SelmidDirectory sqlite:/tmp/b.db"], [],
                  ["SelmidDirectory", "given twice"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_linking_configuration_error(stack, case):
    server, location, needles = CASES[case]
    rc, out = configtest(stack, conf_with(stack, server, location))
    assert rc != 0, out
    for n in needles:
        assert n in out, (n, out)


def test_pgsql_password_never_in_configuration_errors(stack):
    rc, out = configtest(stack, conf_with(stack, ['SelmidDirectory pgsql:"host=db password=Sup3rS3cret" extra']))
    assert rc != 0 and "SelmidDirectory" in out
    assert "Sup3rS3cret" not in out


def test_sqlite_file_that_cannot_be_created_stops_httpd(stack):
    missing = os.path.join(stack.dir, "no-such-dir", "selmid.db")
    h = stack.httpd(conf_with(stack, ["SelmidOrgProvider op", f"SelmidDirectory sqlite:{missing}"]), start=False)
    with pytest.raises(RuntimeError) as e:
        h.start()
    message = str(e.value)
    assert "SelmidDirectory (sqlite)" in message and missing in message, message
    assert not h.alive()


def test_default_directory_named_when_it_cannot_be_created(stack):
    """Linking on without SelmidDirectory: the default /var/lib/selmid/selmid.db; on a machine
    without that directory httpd says so instead of starting without a directory."""
    if os.path.isdir("/var/lib/selmid"):
        pytest.fail("/var/lib/selmid exists on this machine: this test needs it absent")
    h = stack.httpd(conf_with(stack, ["SelmidOrgProvider op"]), start=False)
    with pytest.raises(RuntimeError) as e:
        h.start()
    message = str(e.value)
    assert "the default sqlite:/var/lib/selmid/selmid.db" in message, message
