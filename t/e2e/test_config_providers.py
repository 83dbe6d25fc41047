"""Configuration of provider types and the attribute/chooser directives: valid blocks for every
type pass `httpd -t`; each wrong value stops httpd with a message naming the directive and value."""
import os
import subprocess

import pytest

SECRET32 = "0123456789abcdef0123456789abcdef"


def configtest(stack, conf):
    return stack.httpd(conf, start=False).configtest()


def apple_key(stack):
    path = os.path.join(stack.dir, "AuthKey_KEY1234567.p8")
    if not os.path.exists(path):
        subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-out", path], check=True, capture_output=True)
        os.chmod(path, 0o600)
    return path


def with_providers(stack, blocks, location=None):
    conf = stack.conf()
    conf.providers.update(blocks)
    if location:
        conf.location("/app").extend(location)
    return conf


def sns_blocks(stack):
    return {
        "line": ["SelmidProviderType line", "SelmidClientID 1234567890", f"SelmidClientSecret {SECRET32}",
                 "SelmidLineBotPrompt aggressive", 'SelmidLabel ja "LINEでログイン"'],
        "facebook": ["SelmidProviderType facebook", "SelmidClientID 123456789012345",
                     "SelmidClientSecret fb-app-secret", "SelmidGraphVersion v25.0"],
        "google": ["SelmidProviderType google", "SelmidClientID abc.apps.googleusercontent.com",
                   "SelmidClientSecret g-secret", "SelmidAllowedDomains example.ac.jp example.jp"],
        "yahoo": ["SelmidProviderType yahoojp", "SelmidClientID dj00aiZp", "SelmidClientSecret y-secret",
                  "SelmidEndpoint userinfo http://127.0.0.1:9/yahoojp/attribute"],
        "apple": ["SelmidProviderType apple", "SelmidClientID jp.ac.example.portal",
                  f"SelmidAppleKey ABCDE12345 KEY1234567 {apple_key(stack)}"],
        "campus-saml": ["SelmidProviderType shibboleth", "SelmidLoginURL /Shibboleth.sso/Login",
                        'SelmidLabel en "GakuNin"', "SelmidSAMLIdP https://idp.example.ac.jp/idp/shibboleth",
                        "SelmidSAMLAttributes eppn mail isMemberOf", "SelmidSAMLImport /selmid/saml"],
        "gakunin-saml": ["SelmidProviderType shibboleth", "SelmidSAMLIdP any"],
        "partners-saml": ["SelmidProviderType shibboleth",
                          "SelmidSAMLIdP https://idp.partner-u.ac.jp/idp/shibboleth urn:mace:partner.example:idp",
                          "SelmidSAMLIdP https://idp.third-u.ac.jp/idp/shibboleth"],
    }


def test_every_provider_type_configures(stack):
    conf = with_providers(stack, sns_blocks(stack), [
        "SelmidProviders op line facebook google yahoo apple campus-saml gakunin-saml partners-saml",
        "SelmidAttributeMode shibboleth", "SelmidAttribute email mail", "SelmidAttribute address.locality l",
        "SelmidRemoteUserClaim eppn persistent-id", "SelmidProviderHint off"])
    rc, out = configtest(stack, conf)
    assert rc == 0, out


def edit_block(name, fn):
    def apply(stack):
        blocks = sns_blocks(stack)
        fn(blocks[name])
        return blocks
    return apply


def add_block(name, lines):
    def apply(stack):
        blocks = sns_blocks(stack)
        blocks[name] = lines
        return blocks
    return apply


def replace(prefix, line):
    def fn(block):
        block[:] = [x for x in block if not x.startswith(prefix)] + ([line] if line else [])
    return fn


BAD = {
    "unknown type": (edit_block("line", replace("SelmidProviderType", "SelmidProviderType twitter")),
                     ["SelmidProviderType", "twitter"]),
    "line without secret": (edit_block("line", replace("SelmidClientSecret", None)),
                            ["<SelmidProvider line>", "SelmidClientSecret"]),
    "line short channel secret": (edit_block("line", replace("SelmidClientSecret", "SelmidClientSecret short")),
                                  ["<SelmidProvider line>", "HS256"]),
    "issuer on an sns type": (edit_block("google", replace("SelmidIssuer", "SelmidIssuer https://evil.example")),
                              ["<SelmidProvider google>", "SelmidIssuer"]),
    "bad bot prompt": (edit_block("line", replace("SelmidLineBotPrompt", "SelmidLineBotPrompt always")),
                       ["SelmidLineBotPrompt", "always"]),
    "bot prompt outside line": (edit_block("google", replace("SelmidLineBotPrompt", "SelmidLineBotPrompt normal")),
                                ["<SelmidProvider google>", "SelmidLineBotPrompt"]),
    "bad graph version": (edit_block("facebook", replace("SelmidGraphVersion", "SelmidGraphVersion 26")),
                          ["SelmidGraphVersion", "26"]),
    "bad allowed domain": (edit_block("google", replace("SelmidAllowedDomains", "SelmidAllowedDomains *.ac.jp")),
                           ["SelmidAllowedDomains", "*.ac.jp"]),
    "allowed domains outside google": (edit_block("line", replace("SelmidAllowedDomains",
                                                                  "SelmidAllowedDomains example.jp")),
                                       ["<SelmidProvider line>", "SelmidAllowedDomains"]),
    "apple without key": (edit_block("apple", replace("SelmidAppleKey", None)),
                          ["<SelmidProvider apple>", "SelmidAppleKey"]),
    "apple key missing file": (edit_block("apple", replace("SelmidAppleKey",
                                                           "SelmidAppleKey ABCDE12345 KEY1234567 /nonexistent/k.p8")),
                               ["SelmidAppleKey", "/nonexistent/k.p8"]),
    "apple bad team id": (edit_block("apple", replace("SelmidAppleKey",
                                                      "SelmidAppleKey team KEY1234567 /nonexistent/k.p8")),
                          ["SelmidAppleKey", "team"]),
    "bad endpoint kind": (edit_block("yahoo", replace("SelmidEndpoint", "SelmidEndpoint revoke https://x.example/r")),
                          ["SelmidEndpoint", "revoke"]),
    "plain http endpoint": (edit_block("yahoo", replace("SelmidEndpoint",
                                                        "SelmidEndpoint token http://yahoo.example/token")),
                            ["SelmidEndpoint", "http://yahoo.example/token"]),
    "bad label language": (edit_block("line", replace("SelmidLabel", 'SelmidLabel fr "Connexion"')),
                           ["SelmidLabel", "fr"]),
    "shibboleth with a client id": (edit_block("campus-saml", replace("SelmidClientID", "SelmidClientID x")),
                                    ["<SelmidProvider campus-saml>", "shibboleth"]),
    "shibboleth without SelmidSAMLIdP": (edit_block("campus-saml", replace("SelmidSAMLIdP", None)),
                                         ["<SelmidProvider campus-saml>", "SelmidSAMLIdP", "httpd.conf:"]),
    "SelmidSAMLIdP on an oidc provider": (add_block("campus-oidc", [
        "SelmidIssuer https://idp.example.ac.jp/realms/campus", "SelmidClientID portal",
        f"SelmidClientSecret {SECRET32}", "SelmidSAMLIdP https://idp.example.ac.jp/idp/shibboleth"]),
        ["<SelmidProvider campus-oidc>", "SelmidSAMLIdP", "only for SelmidProviderType shibboleth"]),
    "SelmidSAMLIdP on a google provider": (edit_block("google", replace("SelmidSAMLIdP", "SelmidSAMLIdP any")),
                                           ["<SelmidProvider google>", "SelmidSAMLIdP"]),
    "SelmidSAMLIdP not a URI": (edit_block("campus-saml", replace("SelmidSAMLIdP", "SelmidSAMLIdP idp.example.ac.jp")),
                                ["SelmidSAMLIdP", "idp.example.ac.jp"]),
    "SelmidSAMLIdP non-ASCII": (edit_block("campus-saml", replace("SelmidSAMLIdP",
                                                                  "SelmidSAMLIdP https://idp.大学.jp/idp")),
                                ["SelmidSAMLIdP", "printable ASCII"]),
    "SelmidSAMLIdP too long": (edit_block("campus-saml", replace("SelmidSAMLIdP",
                                                                 "SelmidSAMLIdP https://idp.example.ac.jp/" + "a" * 1000)),
                               ["SelmidSAMLIdP", "1024"]),
    "SelmidSAMLIdP any with an entityID": (edit_block("gakunin-saml", replace(
        "SelmidSAMLIdP", "SelmidSAMLIdP any https://idp.example.ac.jp/idp/shibboleth")),
        ["SelmidSAMLIdP", "any", "only value"]),
    "SelmidSAMLIdP any on a second line": (edit_block("partners-saml", lambda b: b.append("SelmidSAMLIdP any")),
                                           ["SelmidSAMLIdP", "only value"]),
    "off-site login url": (edit_block("campus-saml", replace("SelmidLoginURL", "SelmidLoginURL //evil.example/x")),
                           ["SelmidLoginURL", "//evil.example/x"]),
    "bad saml attribute name": (edit_block("campus-saml", replace("SelmidSAMLAttributes",
                                                                  "SelmidSAMLAttributes eppn mail/x")),
                                ["SelmidSAMLAttributes", "mail/x"]),
    "saml attributes outside shibboleth": (edit_block("google", replace("SelmidSAMLAttributes",
                                                                        "SelmidSAMLAttributes eppn")),
                                           ["<SelmidProvider google>", "SelmidSAMLAttributes"]),
    "relative saml import path": (edit_block("campus-saml", replace("SelmidSAMLImport", "SelmidSAMLImport saml")),
                                  ["SelmidSAMLImport", "saml"]),
    "saml import outside shibboleth": (edit_block("line", replace("SelmidSAMLImport",
                                                                  "SelmidSAMLImport /selmid/saml")),
                                       ["<SelmidProvider line>", "SelmidSAMLImport"]),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_provider_configuration_error(stack, case):
    fn, must_mention = BAD[case]
    rc, out = configtest(stack, with_providers(stack, fn(stack)))
    assert rc != 0, f"httpd -t accepted: {case}\n{out}"
    for word in must_mention:
        assert word in out, f"the message should name {word!r}:\n{out}"


LOCATION_BAD = {
    "attribute bad name": (["SelmidAttribute email ma:il"], ["SelmidAttribute", "ma:il"]),
    "attribute bad path": (["SelmidAttribute address..x l"], ["SelmidAttribute", "address..x"]),
    "attribute one argument": (["SelmidAttribute email"], ["SelmidAttribute"]),
    "unknown attribute mode": (["SelmidAttributeMode mellon"], ["SelmidAttributeMode", "mellon"]),
    "remote user bad claim": (["SelmidRemoteUserClaim eppn bad/claim"], ["SelmidRemoteUserClaim", "bad/claim"]),
    "provider hint not a flag": (["SelmidProviderHint sometimes"], ["SelmidProviderHint"]),
}


@pytest.mark.parametrize("case", sorted(LOCATION_BAD))
def test_location_configuration_error(stack, case):
    lines, must_mention = LOCATION_BAD[case]
    rc, out = configtest(stack, with_providers(stack, {}, lines))
    assert rc != 0, f"httpd -t accepted: {case}\n{out}"
    for word in must_mention:
        assert word in out, f"the message should name {word!r}:\n{out}"


def test_template_dir_must_exist(stack):
    conf = stack.conf()
    conf.server.append("SelmidTemplateDir /nonexistent/selmid-templates")
    rc, out = configtest(stack, conf)
    assert rc != 0
    assert "SelmidTemplateDir" in out and "/nonexistent/selmid-templates" in out
