#!/usr/bin/python3
"""A back end behind mod_proxy: answers every request with the headers it received, as JSON.

Usage: echo_backend.py PORT. Values are given as received (bytes decoded as UTF-8, with invalid
bytes escaped) and as hex, so that tests can check the exact bytes on the wire.
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        headers = []
        for name, value in self.headers.raw_items():
            raw = value.encode("iso-8859-1", "replace")
            headers.append({"name": name, "value": raw.decode("utf-8", "backslashreplace"), "hex": raw.hex()})
        body = json.dumps({"marker": "selmid-backend-content", "path": self.path, "headers": headers},
                          ensure_ascii=False).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_HEAD = _answer

    def log_message(self, fmt, *args):
        pass


if __name__ == "__main__":
    srv = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    print("listening", flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
