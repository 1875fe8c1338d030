"""Starts the real sfu binary and speaks its stdio control channel (4-byte big-endian
length-prefixed JSON-RPC). Every wait is bounded."""
import json
import os
import select
import signal
import struct
import subprocess
import time

SFU = os.environ.get("SFU_BINARY", "")


class SfuProcess:
    def __init__(self, *args, env=None, stdio=True):
        full_env = dict(os.environ)
        full_env.pop("SFU_CONTROL_TOKEN", None)
        full_env.update(env or {})
        # Any free ports, so tests can run side by side.
        cmd = ([SFU, "--log-level", "warn", "--rtc-port", "0"] +
               (["--control", "stdio"] if stdio else []) + list(args))
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=full_env)
        self._buf = b""
        self._next_id = 1
        self.notifications = []

    # -- framing --------------------------------------------------------------------
    def send_raw(self, payload: bytes):
        self.proc.stdin.write(struct.pack(">I", len(payload)) + payload)
        self.proc.stdin.flush()

    def send(self, message):
        self.send_raw(json.dumps(message).encode())

    def read_message(self, timeout=5.0):
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while True:
            if len(self._buf) >= 4:
                (n,) = struct.unpack(">I", self._buf[:4])
                if len(self._buf) >= 4 + n:
                    payload, self._buf = self._buf[4:4 + n], self._buf[4 + n:]
                    return json.loads(payload)
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no message from sfu within %.1f s" % timeout)
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    raise EOFError("sfu closed its stdout")
                self._buf += chunk

    def read_response(self, timeout=5.0):
        """The next response; notifications on the way are kept."""
        while True:
            m = self.read_message(timeout)
            if "id" in m:
                return m
            self.notifications.append(m)

    def wait_running(self, timeout=10.0):
        for m in self.notifications:
            if m.get("method") == "worker.running":
                return m["params"]
        while True:
            m = self.read_message(timeout)
            if m.get("method") == "worker.running":
                self.notifications.append(m)
                return m["params"]
            self.notifications.append(m)

    def call(self, method, params=None, timeout=5.0):
        request = {"jsonrpc": "2.0", "id": self._next_id, "method": method}
        self._next_id += 1
        if params is not None:
            request["params"] = params
        self.send(request)
        response = self.read_response(timeout)
        assert response["id"] == request["id"], response
        return response

    # -- lifecycle ------------------------------------------------------------------
    def signal(self, signum=signal.SIGTERM):
        self.proc.send_signal(signum)

    def wait(self, timeout=5.0):
        try:
            return self.proc.wait(timeout)
        finally:
            self.stderr = self.proc.stderr.read().decode(errors="replace")

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        for f in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            try:
                f.close()
            except (OSError, ValueError):
                pass
