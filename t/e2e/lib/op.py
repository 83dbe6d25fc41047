"""The local OpenID Provider (t/e2e/op/server.js, npm oidc-provider) as a test fixture."""
import json
import os

import requests

from .procs import REPO, Proc, free_port, wait_for

OP_DIR = os.path.join(REPO, "t", "e2e", "op")

# Demo/test users of server.js: username -> (password, sub)
USERS = {
    "alice": ("alice-password", "alice-0001"),
    "bob": ("bob-password", "bob-0002"),
    "carol": ("carol-password", "carol-0003"),
    "mallory": ("mallory-password", "mallory-0004"),
    "ursula": ("ursula-password", "ursula-0005"),
}

CLIENT_SECRET = "test-client-secret-7f3a9c1e5b2d4068"


def client(client_id, redirect_uris, secret=CLIENT_SECRET, auth="client_secret_basic", alg="RS256",
           post_logout=None):
    return {
        "client_id": client_id,
        "client_secret": secret,
        "redirect_uris": list(redirect_uris),
        "response_types": ["code"],
        "grant_types": ["authorization_code"],
        "token_endpoint_auth_method": auth,
        "id_token_signed_response_alg": alg,
        "post_logout_redirect_uris": list(post_logout or []),
    }


class OP:
    def __init__(self, workdir, clients, port=None, name="op"):
        self.port = port or free_port()
        self.name = name
        self.workdir = workdir
        self.clients = clients
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.clients_file = os.path.join(workdir, f"{name}-{self.port}-clients.json")
        self.keys_file = os.path.join(workdir, f"{name}-{self.port}-jwks.json")
        with open(self.clients_file, "w") as f:
            json.dump(clients, f)
        node = os.environ.get("NODE", "node")
        argv = [node, os.path.join(OP_DIR, "server.js"), "--port", str(self.port), "--clients", self.clients_file,
                "--keys", self.keys_file, "--control"]
        self.proc = Proc(name, argv, os.path.join(workdir, f"{name}-{self.port}.log"), cwd=OP_DIR)

    def _ready(self):
        if f"listening {self.issuer}" not in self.proc.log_text():
            return False
        try:
            r = requests.get(self.issuer + "/.well-known/openid-configuration", timeout=2)
            return r.status_code == 200
        except requests.RequestException:
            return False

    def start(self):
        self.proc.start()
        try:
            wait_for(self._ready, timeout=30, what=f"OP on {self.port}", alive=self.proc.alive)
        except Exception:
            self.proc.stop(timeout=5)
            raise RuntimeError(f"the OP did not start:\n{self.proc.log_text()}") from None
        return self

    def stop(self):
        return self.proc.stop()

    def metadata(self):
        return requests.get(self.issuer + "/.well-known/openid-configuration", timeout=5).json()

    def control(self, fail=None, swap_jwks=False):
        """Make endpoints fail: fail={"jwks": 500, "token": 500, "userinfo": 500, "discovery": 500}."""
        r = requests.post(self.issuer + "/__control", json={"fail": fail or {}, "swap_jwks": swap_jwks}, timeout=5)
        r.raise_for_status()
        return r.json()

    def reset(self):
        return self.control()

    def log_text(self):
        return self.proc.log_text()
