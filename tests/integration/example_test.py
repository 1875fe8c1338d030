#!/usr/bin/python3
"""The two-party example (examples/two_party/) end to end: the real sfu, the example's
application server (HTTP+JSON for its clients, JSON-RPC over WebSocket to the sfu) and
two aiortc clients in one room for 10 s. Each client must receive the other's video at
320x240 and more than 8 fps, and its audio; the server must log the consumer.producerClose
notifications of the first peer to leave; and once both have left, worker.dump must show
no router (so no transport) left.

Needs aiortc for /usr/bin/python3 (Debian's python3-aiortc), else it is skipped.

Run: SFU_BINARY=build/debug/bin/sfu tests/integration/example_test.py"""
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLE = os.path.join(HERE, "..", "..", "examples", "two_party")
PYTHON = "/usr/bin/python3"  # Debian's, which has aiortc
RTC_PORT = 41300  # unique among the integration tests (ice_tcp 41000, whep 41100)
SECONDS = 10

if subprocess.run([PYTHON, "-c", "import aiortc"], capture_output=True).returncode != 0:
    print("skipped: needs aiortc (python3-aiortc) for /usr/bin/python3")
    sys.exit(0)

sys.path.insert(0, HERE)
from sfu_process import SfuProcess  # noqa: E402


def read_line(proc, timeout):
    """The first line the process writes on stdout, waiting at most `timeout` s."""
    fd, data = proc.stdout.fileno(), b""
    deadline = time.monotonic() + timeout
    while b"\n" not in data:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise TimeoutError(f"no line on stdout within {timeout} s")
        chunk = os.read(fd, 4096)
        if not chunk:
            raise EOFError("stdout closed before a line")
        data += chunk
    return data.decode().split("\n", 1)[0]


def last_json_line(text):
    for line in reversed(text.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    return {}


class TwoPartyExampleTest(unittest.TestCase):
    def start(self, cmd, stderr=subprocess.PIPE, **kw):
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=stderr, **kw)
        self.addCleanup(lambda: p.poll() is None and (p.kill(), p.wait(5)))
        return p

    def test_two_party_call(self):
        t0 = time.monotonic()
        # stdio control for the test, plus the WebSocket endpoint for the app server.
        sfu = SfuProcess("--workers", "1", "--rtc-port", str(RTC_PORT), "--control-listen", "127.0.0.1:0")
        self.addCleanup(sfu.kill)
        control = sfu.wait_running()["controlListen"]

        app_log_file = tempfile.TemporaryFile()  # not a pipe: nobody reads it until the end
        self.addCleanup(app_log_file.close)
        app = self.start([PYTHON, os.path.join(EXAMPLE, "app_server.py"), "--sfu", f"ws://{control}",
                          "--listen", "127.0.0.1:0"], stderr=app_log_file)
        line = read_line(app, 15)
        self.assertTrue(line.startswith("listening on http://"), line)
        base = line.split()[-1]

        clients = [self.start([PYTHON, os.path.join(EXAMPLE, "client.py"), "--server", base, "--room", "call",
                               "--name", name, "--seconds", str(SECONDS), "--wait-peer", "30"], text=True)
                   for name in ("alice", "bob")]
        results = {}
        for name, c in zip(("alice", "bob"), clients):
            out, err = c.communicate(timeout=SECONDS + 90)
            self.assertEqual(c.returncode, 0, f"{name}: {out}\n{err[-3000:]}")
            results[name] = last_json_line(out)
        ids = {name: r["peerId"] for name, r in results.items()}
        for name, other in (("alice", "bob"), ("bob", "alice")):
            r = results[name]
            self.assertTrue(r["ok"] and r["left"], r)
            tracks = {t["kind"]: t for t in r["tracks"]}
            self.assertEqual(sorted(tracks), ["audio", "video"], r)
            video, audio = tracks["video"], tracks["audio"]
            self.assertEqual({video["peerId"], audio["peerId"]}, {ids[other]}, r)
            self.assertEqual((video["width"], video["height"]), (320, 240), r)
            self.assertGreater(video["fps"], 8, r)
            self.assertGreater(video["frames"], 8 * (SECONDS - 3), r)  # the keyframe may take a while
            self.assertEqual(audio["sampleRate"], 48000, r)
            self.assertGreater(audio["samples"], 0.5 * 48000 * SECONDS, r)

        # Both left: no router (so no transport) remains in the sfu.
        deadline = time.monotonic() + 5
        while True:
            routers = [r for w in sfu.call("worker.dump")["result"]["workers"] for r in w["routers"]]
            if not routers or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        self.assertEqual(routers, [], "routers or transports left after both peers left")

        # The app server shuts down cleanly and logged the notifications: the first peer
        # out closed its two producers, whose consumers on the other peer's transport the
        # sfu closed and announced.
        app.send_signal(signal.SIGTERM)
        app.communicate(timeout=15)
        app_log_file.seek(0)
        app_log = app_log_file.read().decode(errors="replace")
        self.assertEqual(app.returncode, 0, app_log[-3000:])
        self.assertEqual(app_log.count("notification consumer.producerClose"), 2, app_log[-3000:])
        self.assertIn("room call: empty, router", app_log)

        sfu.signal(signal.SIGTERM)
        self.assertEqual(sfu.wait(5), 0, sfu.stderr[-3000:])
        print(f"\nalice: {json.dumps(results['alice']['tracks'])}\nbob: {json.dumps(results['bob']['tracks'])}"
              f"\n{time.monotonic() - t0:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    unittest.main()
