#!/usr/bin/python3
"""The protected test app: a CGI that answers with its whole environment as JSON."""
import json
import os
import sys

body = b""
if os.environ.get("REQUEST_METHOD") == "POST":
    n = int(os.environ.get("CONTENT_LENGTH") or 0)
    body = sys.stdin.buffer.read(n)
env = {k: os.environ[k] for k in os.environ}
out = json.dumps({"marker": "selmid-app-content", "env": env, "body_len": len(body)}, ensure_ascii=False)
sys.stdout.buffer.write(b"Content-Type: application/json; charset=utf-8\r\nCache-Control: no-store\r\n\r\n")
sys.stdout.buffer.write(out.encode("utf-8", "surrogateescape"))
