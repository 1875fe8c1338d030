#!/usr/bin/python3
"""The group-call demo page end to end: three headless Chromium browsers (Debian's
chromium and chromedriver, fake 320x240 camera and fake microphone) open the page the
sfu serves, /?room=R&name=N&join=1, and stay in the call for 20 s. Each must decode
video from both others at >= 15 fps (measured over the 20 s from
window.sfuDemo.stats(), the page's getStats) at 320x240 and receive audio. Then one
leaves: the other two drop its tile within 2 s, and router.dump shows nothing of it.

Run: SFU_BINARY=build/debug/bin/sfu tests/integration/demo_test.py"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sfu_process import SfuProcess  # noqa: E402

CALL_SECONDS = 20
NAMES = ["ann", "bob", "cy"]


def can_run():
    return shutil.which("chromium") and shutil.which("chromedriver")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class WebDriver:
    """W3C WebDriver over urllib: one chromedriver, one session per browser."""

    def __init__(self, test):
        self.port = free_port()
        self.profile = tempfile.mkdtemp(prefix="sfu-demo-test-")
        test.addCleanup(shutil.rmtree, self.profile, True)
        self.proc = subprocess.Popen(["chromedriver", f"--port={self.port}"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        test.addCleanup(self.stop)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if self.call("GET", "/status", timeout=2).get("ready"):
                    return
            except (OSError, RuntimeError):
                pass
            time.sleep(0.1)
        raise AssertionError("chromedriver did not start")

    def call(self, method, path, payload=None, timeout=60):
        data = json.dumps(payload).encode() if payload is not None else None
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return json.loads(r.read() or b"{}").get("value")
        except urllib.error.HTTPError as e:
            raise RuntimeError(f"WebDriver {method} {path}: {e.code} {e.read()[:500]!r}") from None

    def browser(self, name):
        args = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync",
                "--disable-background-networking", "--disable-component-update", "--disable-dev-shm-usage",
                "--use-fake-device-for-media-stream=fps=30", "--use-fake-ui-for-media-stream",
                "--allow-loopback-in-peer-connection", "--disable-features=WebRtcHideLocalIpsWithMdns",
                "--autoplay-policy=no-user-gesture-required", "--window-size=800,600",
                f"--user-data-dir={self.profile}/{name}"]
        caps = {"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {"args": args}}}}
        session = self.call("POST", "/session", caps)["sessionId"]
        self.call("POST", f"/session/{session}/timeouts", {"script": 20000})
        return session

    def run(self, session, script):
        """Awaits `script` (an expression giving a promise or a value) in the page."""
        wrapped = ("const done = arguments[arguments.length - 1];"
                   f"Promise.resolve().then(() => {script}).then(done, (e) => done({{__error: String(e)}}));")
        value = self.call("POST", f"/session/{session}/execute/async", {"script": wrapped, "args": []})
        if isinstance(value, dict) and "__error" in value:
            raise AssertionError(f"page script {script!r} failed: {value['__error']}")
        return value

    def stop(self):
        for s in self.call("GET", "/sessions", timeout=5) or [] if self.proc.poll() is None else []:
            try:
                self.call("DELETE", f"/session/{s['id']}", timeout=20)
            except (OSError, RuntimeError):
                pass
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@unittest.skipUnless(can_run(), "needs chromium and chromedriver")
class DemoCallTest(unittest.TestCase):
    def setUp(self):
        self.sfu = SfuProcess("--workers", "1", "--http-listen", "127.0.0.1:0")
        self.addCleanup(self.sfu.kill)
        self.base = "http://" + self.sfu.wait_running()["httpListen"]
        self.driver = WebDriver(self)

    def remote_names(self, session):
        script = "window.sfuDemo.participants().filter((p) => p.id !== window.sfuDemo.publisherId)"
        return sorted(p["name"] for p in self.driver.run(session, script))

    def wait_for(self, what, predicate, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return time.monotonic()
            time.sleep(0.1)
        raise AssertionError(f"{what}: not within {timeout} s")

    def test_three_party_call_then_one_leaves(self):
        room = "demo-call"
        pages = {}
        for name in NAMES:
            pages[name] = self.driver.browser(name)
            self.driver.call("POST", f"/session/{pages[name]}/url",
                             {"url": f"{self.base}/?room={room}&name={name}&join=1"})
        for name, session in pages.items():
            others = sorted(n for n in NAMES if n != name)
            self.wait_for(f"{name} sees {others}", lambda: self.remote_names(session) == others, 30)
            errors = self.driver.run(session, "window.sfuDemo.errors")
            self.assertEqual(errors, [], name)

        # Decoding from both others for CALL_SECONDS.
        def stats():
            return {name: {s["name"]: s for s in self.driver.run(session, "window.sfuDemo.stats()")}
                    for name, session in pages.items()}

        self.wait_for("first frames everywhere",
                      lambda: all(s["video"]["framesDecoded"] > 0 for v in stats().values() for s in v.values()), 20)
        start, t0 = stats(), time.monotonic()
        time.sleep(CALL_SECONDS)
        end, elapsed = stats(), time.monotonic() - t0
        report = {}
        for name in NAMES:
            for other in NAMES:
                if other == name:
                    continue
                a, b = start[name][other], end[name][other]
                fps = (b["video"]["framesDecoded"] - a["video"]["framesDecoded"]) / elapsed
                samples = b["audio"]["totalSamplesReceived"] - a["audio"]["totalSamplesReceived"]
                report[f"{name}<-{other}"] = {"fps": round(fps, 1), "size": [b["video"]["frameWidth"],
                                                                          b["video"]["frameHeight"]],
                                               "audio_s": round(samples / 48000, 1)}
        print(json.dumps(report), file=sys.stderr)
        for pair, r in report.items():
            self.assertGreaterEqual(r["fps"], 15, (pair, report))
            self.assertEqual(r["size"], [320, 240], (pair, report))
            self.assertGreater(r["audio_s"], 0.8 * CALL_SECONDS, (pair, report))

        # cy leaves; ann and bob drop its tile within 2 s.
        router_id = self.sfu.call("worker.dump")["result"]["workers"][0]["routers"][0]["routerId"]
        before = self.sfu.call("router.dump", {"routerId": router_id})["result"]
        self.assertEqual((len(before["transportIds"]), len(before["producerIds"]), len(before["consumerIds"])),
                         (9, 6, 12), before)  # Each: a WHIP transport, two WHEP ones; 2 tracks each.
        self.driver.run(pages["cy"], "window.sfuDemo.leave()")
        left = time.monotonic()
        for name in ("ann", "bob"):
            seen = self.wait_for(f"{name} drops cy", lambda: self.remote_names(pages[name]) == [
                n for n in ("ann", "bob") if n != name], 2.5)
            self.assertLessEqual(seen - left, 2.0, name)
        after = self.sfu.call("router.dump", {"routerId": router_id})["result"]
        self.assertEqual((len(after["transportIds"]), len(after["producerIds"]), len(after["consumerIds"])),
                         (4, 4, 4), after)  # ann and bob: a WHIP and a WHEP transport each.


if __name__ == "__main__":
    unittest.main()
