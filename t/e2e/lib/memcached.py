"""A private memcached on a free loopback port."""
import os
import socket

from .procs import Proc, free_port, wait_for


class Memcached:
    def __init__(self, workdir, port=None):
        self.port = port or free_port()
        self.workdir = workdir
        argv = ["memcached", "-l", "127.0.0.1", "-p", str(self.port), "-U", "0", "-m", "64", "-t", "2"]
        if os.geteuid() == 0:
            argv += ["-u", "nobody"]
        self.proc = Proc("memcached", argv, os.path.join(workdir, f"memcached-{self.port}.log"))

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def command(self, line):
        """Send one text-protocol command, return the reply (up to END/STORED/... line)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=2) as s:
            s.sendall(line.encode() + b"\r\n")
            data = b""
            while not any(data.endswith(t) for t in (b"END\r\n", b"OK\r\n", b"STORED\r\n", b"ERROR\r\n",
                                                      b"DELETED\r\n", b"NOT_FOUND\r\n")) \
                    and not data.startswith(b"VERSION"):
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
            return data.decode("latin-1")

    def ready(self):
        try:
            return self.command("version").startswith("VERSION")
        except OSError:
            return False

    def start(self):
        self.proc.start()
        try:
            wait_for(self.ready, what=f"memcached on {self.port}", alive=self.proc.alive)
        except Exception:
            self.proc.stop(timeout=5)
            raise
        return self

    def stats(self):
        out = {}
        for line in self.command("stats").splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[0] == "STAT":
                out[parts[1]] = parts[2]
        return out

    def stop(self):
        rc = self.proc.stop()
        wait_for(lambda: not self.ready(), what="memcached to stop")
        return rc
