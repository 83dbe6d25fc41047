"""Stand-ins for LINE, Facebook, Google, Yahoo! JAPAN and Apple (t/e2e/standins/sns.js) as a test fixture.

One Node.js server on a free loopback port hosts all five providers under path prefixes. Tests pick
the logged-in user per provider (set_user), switch on misbehaviour (scenario) and read what the
endpoints received (log). provider_conf() gives the <SelmidProvider> body pointing at the stand-in.
"""
import base64
import hashlib
import hmac
import json
import os
import re
import subprocess
import tempfile
import time

import requests

from .procs import REPO, Proc, wait_for

STANDINS_DIR = os.path.join(REPO, "t", "e2e", "standins")
PROVIDERS = ("line", "facebook", "google", "yahoojp", "apple")
APPLE_TEAM_ID = "TEAMSELMID"
APPLE_KEY_ID = "KEYSELMID1"
GRAPH_VERSION = "v26.0"  # SelmidGraphVersion's default

# client id and secret per provider (Apple has no static secret: an ES256 JWT made with the .p8)
CLIENTS = {
    "line": ("1650000001", "line-channel-secret-3b8e41c07a5d"),
    "facebook": ("940000000000001", "fb-app-secret-5c1d9e27a4b6f803"),
    "google": ("1234567890-selmid.apps.googleusercontent.com", "GOCSPX-google-secret-8f2a6d41"),
    "yahoojp": ("dj0zaiZpPXNlbG1pZCZzPWNvbnN1bWVy", "yahoojp-secret-a7c2e9f14b36"),
    "apple": ("jp.example.selmid.web", None),
}

# users per provider: "id" is the handle tests use (set_user), "sub" the provider's identifier
USERS = {
    "line": [
        {"id": "alice", "sub": "U1a2b3c4d5e6f708192a3b4c5d6e7f801", "name": "Alice LINE",
         "picture": "https://profile.line-scdn.net/alice", "email": "alice@line.example.jp"},
        {"id": "bob", "sub": "U0f1e2d3c4b5a69788796a5b4c3d2e1f0", "name": "Bob LINE",
         "picture": "https://profile.line-scdn.net/bob"},
    ],
    "facebook": [
        {"id": "alice", "sub": "10200000000000001", "name": "Alice Facebook", "email": "alice@fb.example.com"},
        {"id": "bob", "sub": "10200000000000002", "name": "Bob Facebook"},  # no email
    ],
    "google": [
        {"id": "alice", "sub": "110000000000000000001", "name": "Alice Google", "given_name": "Alice",
         "family_name": "Google", "email": "alice@campus.example.ac.jp", "email_verified": True,
         "hd": "campus.example.ac.jp"},
        {"id": "bob", "sub": "110000000000000000002", "name": "Bob Gmail", "email": "bob.personal@gmail.com",
         "email_verified": True},  # a personal account: no hd
        {"id": "carol", "sub": "110000000000000000003", "name": "Carol Other", "email": "carol@other.example.org",
         "email_verified": True, "hd": "other.example.org"},
    ],
    "yahoojp": [
        {"id": "alice", "sub": "ALICEYJ3Q5RK7VXWZ2MNB4HC6DLPT", "name": "Alice Yahoo", "given_name": "Alice",
         "family_name": "Yahoo", "nickname": "alice", "email": "alice@yahoo.example.co.jp", "email_verified": True},
        {"id": "bob", "sub": "BOBYJ7XK2PQ4LM9NR3TV6WZ8CDFGH", "name": "Bob Yahoo"},
    ],
    "apple": [
        {"id": "alice", "sub": "001234.5f3c2a1b9d8e4f7a6b5c4d3e2f1a0b9c.0415", "email": "alice@icloud.example.com",
         "name": {"firstName": "Alice", "lastName": "Apple"}},
        {"id": "bob", "sub": "001234.9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d.0416",
         "email": "x7k2m9q4r1@privaterelay.appleid.com", "is_private_email": True,
         "name": {"firstName": "Bob", "lastName": "Relay"}},
    ],
}


# ------------------------------------------------------------------------------------------------
# small JOSE helpers (stdlib + the openssl CLI)
def b64u(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64u_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def jwt_parts(token):
    """(header, payload, signing input bytes, signature bytes) of a compact JWS, without verifying."""
    h, p, s = token.split(".")
    return json.loads(b64u_decode(h)), json.loads(b64u_decode(p)), f"{h}.{p}".encode(), b64u_decode(s)


def _der_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def _der(tag, body):
    return bytes([tag]) + _der_len(len(body)) + body


def _der_int(i):
    b = i.to_bytes((i.bit_length() + 8) // 8 or 1, "big")  # leading 0 keeps it positive
    return _der(0x02, b)


def _jwk_to_pem(jwk):
    if jwk["kty"] == "RSA":
        n, e = int.from_bytes(b64u_decode(jwk["n"]), "big"), int.from_bytes(b64u_decode(jwk["e"]), "big")
        algid = _der(0x30, _der(0x06, bytes.fromhex("2a864886f70d010101")) + b"\x05\x00")
        key = _der(0x30, _der_int(n) + _der_int(e))
    elif jwk["kty"] == "EC" and jwk["crv"] == "P-256":
        algid = _der(0x30, _der(0x06, bytes.fromhex("2a8648ce3d0201")) + _der(0x06, bytes.fromhex("2a8648ce3d030107")))
        key = b"\x04" + b64u_decode(jwk["x"]) + b64u_decode(jwk["y"])
    else:
        raise ValueError("unsupported JWK")
    spki = _der(0x30, algid + _der(0x03, b"\x00" + key))
    body = base64.encodebytes(spki).decode().replace("\n", "")
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN PUBLIC KEY-----\n" + "\n".join(lines) + "\n-----END PUBLIC KEY-----\n"


def _raw_to_der_sig(raw):
    r, s = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
    return _der(0x30, _der_int(r) + _der_int(s))


def _der_to_raw_sig(der):
    # SEQUENCE { INTEGER r, INTEGER s } (short lengths for P-256)
    assert der[0] == 0x30
    i = 2
    out = b""
    for _ in range(2):
        assert der[i] == 0x02
        ln = der[i + 1]
        out += der[i + 2:i + 2 + ln].lstrip(b"\x00").rjust(32, b"\x00")
        i += 2 + ln
    return out


def _openssl_verify(pem, data, sig):
    with tempfile.TemporaryDirectory() as d:
        paths = {n: os.path.join(d, n) for n in ("key.pem", "data", "sig")}
        for n, v in (("key.pem", pem.encode()), ("data", data), ("sig", sig)):
            with open(paths[n], "wb") as f:
                f.write(v)
        p = subprocess.run(["openssl", "dgst", "-sha256", "-verify", paths["key.pem"], "-signature", paths["sig"],
                            paths["data"]], capture_output=True, timeout=30)
        return p.returncode == 0


def jwt_verify(token, jwks=None, hs_secret=None):
    """The payload of a JWS verified with a JWKS (RS256/ES256, by kid) or an HS256 secret; ValueError if not."""
    header, payload, data, sig = jwt_parts(token)
    alg = header.get("alg")
    if alg == "HS256" and hs_secret is not None:
        if not hmac.compare_digest(hmac.new(hs_secret.encode(), data, hashlib.sha256).digest(), sig):
            raise ValueError("bad HS256 signature")
        return payload
    if alg in ("RS256", "ES256") and jwks is not None:
        keys = [k for k in jwks["keys"] if k.get("kid") == header.get("kid")]
        if not keys:
            raise ValueError("no key with that kid")
        if alg == "ES256":
            sig = _raw_to_der_sig(sig)
        if not _openssl_verify(_jwk_to_pem(keys[0]), data, sig):
            raise ValueError(f"bad {alg} signature")
        return payload
    raise ValueError(f"cannot verify alg {alg}")


def generate_p8(path):
    """An EC P-256 private key as PKCS#8 PEM (what Apple hands out as AuthKey_KEYID.p8), mode 0600."""
    old = os.umask(0o077)
    try:
        subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-out", path], check=True, capture_output=True, timeout=60)
    finally:
        os.umask(old)
    os.chmod(path, 0o600)
    return path


def es256_jwt(key_file, header, payload):
    """A compact JWS signed ES256 with the PEM private key in key_file (via openssl)."""
    data = f"{b64u(json.dumps(header, separators=(',', ':')))}.{b64u(json.dumps(payload, separators=(',', ':')))}"
    p = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key_file], input=data.encode(), capture_output=True,
                       check=True, timeout=30)
    return data + "." + b64u(_der_to_raw_sig(p.stdout))


def pkce_pair():
    verifier = b64u(os.urandom(32))
    return verifier, b64u(hashlib.sha256(verifier.encode()).digest())


def appsecret_proof(secret, token):
    return hmac.new(secret.encode(), token.encode(), hashlib.sha256).hexdigest()


def form_post_fields(text):
    """The action and fields of the auto-submitting form on a page (Apple's form_post): (action, dict)."""
    import html
    m = re.search(r'<form\s+method="post"\s+action="([^"]+)"[^>]*>(.*?)</form>', text, re.S | re.I)
    if not m:
        raise AssertionError("no auto-submit form on the page")
    fields = {}
    for inp in re.findall(r"<input\b([^>]*)>", m.group(2), re.I):
        attrs = dict(re.findall(r'(\w+)="([^"]*)"', inp))
        if "name" in attrs:
            fields[html.unescape(attrs["name"])] = html.unescape(attrs.get("value", ""))
    return html.unescape(m.group(1)), fields


# ------------------------------------------------------------------------------------------------
class SNS:
    """The stand-in server. redirect_uris: the callbacks registered for every provider's client."""

    def __init__(self, workdir, redirect_uris, name="sns", users=None):
        self.workdir = workdir
        self.name = name
        self.redirect_uris = list(redirect_uris)
        self.users = users or USERS
        self.port = None
        self.base = None
        self.apple_team_id = APPLE_TEAM_ID
        self.apple_key_id = APPLE_KEY_ID
        self.apple_key_file = os.path.join(workdir, f"{name}-AuthKey_{APPLE_KEY_ID}.p8")
        self.config_file = os.path.join(workdir, f"{name}-config.json")
        self.proc = None

    # ---- lifecycle ----
    def write_config(self):
        if not os.path.exists(self.apple_key_file):
            generate_p8(self.apple_key_file)
        cfg = {}
        for p in PROVIDERS:
            cid, secret = CLIENTS[p]
            client = {"id": cid, "redirect_uris": self.redirect_uris}
            if secret is not None:
                client["secret"] = secret
            cfg[p] = {"clients": [client], "users": self.users[p]}
        cfg["apple"].update(team_id=self.apple_team_id, key_id=self.apple_key_id, key_file=self.apple_key_file)
        with open(self.config_file, "w") as f:
            json.dump(cfg, f, indent=1)
        os.chmod(self.config_file, 0o600)

    def _ready(self):
        m = re.search(r"^ready (\d+)$", self.proc.log_text(), re.M)
        return int(m.group(1)) if m else None

    def start(self):
        self.write_config()
        node = os.environ.get("NODE", "node")
        log_path = os.path.join(self.workdir, f"{self.name}-{os.getpid()}-{int(time.time() * 1000)}.log")
        self.proc = Proc(self.name, [node, os.path.join(STANDINS_DIR, "sns.js"), self.config_file, "--port", "0"],
                         log_path, cwd=STANDINS_DIR).start()
        try:
            self.port = wait_for(self._ready, timeout=30, what="the SNS stand-ins", alive=self.proc.alive)
        except Exception:
            self.proc.stop(timeout=5)
            raise RuntimeError(f"the SNS stand-ins did not start:\n{self.proc.log_text()}") from None
        self.base = f"http://127.0.0.1:{self.port}"
        return self

    def stop(self):
        return self.proc.stop() if self.proc else None

    def log_text(self):
        return self.proc.log_text() if self.proc else ""

    # ---- clients and endpoints ----
    def client_id(self, provider):
        return CLIENTS[provider][0]

    def client_secret(self, provider):
        return CLIENTS[provider][1]

    def secrets(self):
        """Every secret the stand-ins know (for "never logged" checks)."""
        return [s for _, s in CLIENTS.values() if s]

    def endpoints(self, provider):
        """kind -> URL as SelmidEndpoint takes them (facebook: the bases of dialog and Graph API)."""
        b = self.base
        return {
            "line": {"authorization": f"{b}/line/oauth2/v2.1/authorize", "token": f"{b}/line/oauth2/v2.1/token",
                     "userinfo": f"{b}/line/oauth2/v2.1/userinfo", "jwks": f"{b}/line/oauth2/v2.1/certs"},
            "facebook": {"authorization": f"{b}/facebook", "graph": f"{b}/graph"},
            "google": {"authorization": f"{b}/google/o/oauth2/v2/auth", "token": f"{b}/google/token",
                       "userinfo": f"{b}/google/v1/userinfo", "jwks": f"{b}/google/oauth2/v3/certs"},
            "yahoojp": {"authorization": f"{b}/yahoojp/yconnect/v2/authorization",
                        "token": f"{b}/yahoojp/yconnect/v2/token",
                        "userinfo": f"{b}/yahoojp/yconnect/v2/attribute", "jwks": f"{b}/yahoojp/yconnect/v2/jwks"},
            "apple": {"authorization": f"{b}/apple/auth/authorize", "token": f"{b}/apple/auth/token",
                      "jwks": f"{b}/apple/auth/keys"},
        }[provider]

    def provider_conf(self, provider, name=None, extra=()):
        """The directives inside <SelmidProvider NAME> for this provider type at the stand-in (a list)."""
        lines = [f"SelmidProviderType {provider}", f"SelmidClientID {self.client_id(provider)}"]
        if provider == "apple":
            lines.append(f"SelmidAppleKey {self.apple_team_id} {self.apple_key_id} {self.apple_key_file}")
        else:
            lines.append(f"SelmidClientSecret {self.client_secret(provider)}")
        lines += [f"SelmidEndpoint {k} {v}" for k, v in self.endpoints(provider).items()]
        return lines + list(extra)

    def add_provider(self, conf, provider, name=None, extra=()):
        """Put provider_conf(...) into a lib.httpd.Conf as <SelmidProvider name> (default: the type); returns name."""
        name = name or provider
        conf.providers[name] = self.provider_conf(provider, name=name, extra=extra)
        return name

    # ---- control ----
    def control(self, **body):
        r = requests.post(self.base + "/_control", json=body, timeout=5)
        if r.status_code != 200:
            raise AssertionError(f"/_control refused {body}: {r.text}")
        return r.json()

    def reset(self):
        """Back to the first user of each provider, no scenario, Apple's first logins again, empty log."""
        return self.control(reset=True)

    def set_user(self, provider, user):
        """The user the provider's authorize endpoint logs in next (a handle from USERS, e.g. "bob")."""
        return self.control(user={provider: user})

    def scenario(self, provider, **kw):
        """Replace the provider's scenario. Keys (all optional):
        deny=True                  authorize answers error=access_denied (Apple: user_cancelled_authorize)
        alg="ES256"                LINE: ID token ES256 with the JWKS key instead of HS256
        wrong_key=True             ID token signed with an unpublished key (LINE HS256: a wrong secret)
        kid="..."                  the kid put in the ID token header
        wrong_nonce=True / omit_nonce=True
        iss="accounts.google.com"  the ID token's iss; aud=..., exp_offset=s, iat_offset=s
        extra_claims={...}         added to the ID token
        friendship_status_changed=True   LINE callback value when bot_prompt was sent
        token_status=500 / userinfo_status=500
        userinfo_sub="..."         userinfo (/me id) returns another sub; userinfo_extra={...}
        """
        return self.control(scenario={provider: kw})

    def forget_apple_user(self, user):
        """Apple sends the `user` form field again on this user's next login."""
        return self.control(apple_forget=[user])

    def log(self, provider=None, endpoint=None):
        """Requests received (oldest first): dicts with method, path, provider, endpoint, query/form
        (parameter names), query_values/form_values (non-secret values only), auth
        (client_secret_basic|client_secret_post|query|bearer|oauth_header|none), auth_ok,
        appsecret_proof (valid|invalid|missing), graph_version, issued_code, code_reused."""
        entries = requests.get(self.base + "/_log", timeout=5).json()["entries"]
        return [e for e in entries if (provider is None or e["provider"] in
                                       ((provider, "graph") if provider == "facebook" else (provider,)))
                and (endpoint is None or e.get("endpoint") == endpoint)]

    def apple_client_secret(self, key_file=None, kid=None, iss=None, sub=None, aud="https://appleid.apple.com",
                            iat=None, exp=None, lifetime=3600):
        """An Apple client secret JWT like an RP makes it (defaults valid); override to make it wrong."""
        now = int(time.time())
        iat = now if iat is None else iat
        payload = {"iss": iss or self.apple_team_id, "iat": iat, "exp": exp if exp is not None else iat + lifetime,
                   "aud": aud, "sub": sub or self.client_id("apple")}
        return es256_jwt(key_file or self.apple_key_file, {"alg": "ES256", "kid": kid or self.apple_key_id}, payload)
