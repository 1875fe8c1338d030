#!/usr/bin/python3
"""Rooms over HTTP against the real sfu binary: the room event stream
(GET /rooms/{room}/events, Server-Sent Events) reports joins, mutes and leaves; ending
a WHIP session (DELETE, or a client that vanished and let ICE consent run out) frees its
transport, the WHEP sessions that played it, and the room's router; the demo page is
served at /. Bad input gets a clear status and the server keeps serving.

Run: SFU_BINARY=build/debug/bin/sfu tests/integration/rooms_test.py [-k NAME]
Clients come from ../shared/interop (SFU_INTEROP overrides)."""
import http.client
import json
import os
import queue
import subprocess
import sys
import threading
import time
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sfu_process import SfuProcess  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
INTEROP = os.environ.get("SFU_INTEROP", os.path.normpath(os.path.join(HERE, "../../../shared/interop")))
# aiortc checks consent every 5 s; a shorter timeout would end live sessions.
CONSENT_TIMEOUT = 8


def have_aiortc():
    return subprocess.run(["/usr/bin/python3", "-c", "import aiortc"], capture_output=True).returncode == 0


def request(method, url, body=None, content_type=None):
    req = urllib.request.Request(url, data=body.encode() if body is not None else None, method=method)
    if content_type:
        req.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode()


class EventReader:
    """Reads a Server-Sent Events stream on a thread; events land in a queue."""

    def __init__(self, host_port, path):
        host, port = host_port.rsplit(":", 1)
        self.conn = http.client.HTTPConnection(host, int(port), timeout=60)
        self.conn.request("GET", path)
        self.response = self.conn.getresponse()
        self.events = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        event, data = None, None
        try:
            for raw in self.response:
                line = raw.decode().rstrip("\n")
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: "):
                    data = json.loads(line[6:])
                elif line == "" and event:
                    self.events.put((event, data))
                    event, data = None, None
        except (OSError, ValueError):
            pass

    def next(self, name, timeout):
        """The next event called `name`, skipping others; fails after `timeout` s."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {name} event within {timeout} s")
            try:
                event, data = self.events.get(timeout=left)
            except queue.Empty:
                continue
            if event == name:
                return data

    def close(self):
        self.conn.close()


class RoomsTest(unittest.TestCase):
    def setUp(self):
        self.sfu = SfuProcess("--workers", "1", "--http-listen", "127.0.0.1:0",
                              "--consent-timeout", str(CONSENT_TIMEOUT))
        self.addCleanup(self.sfu.kill)
        self.host = self.sfu.wait_running()["httpListen"]
        self.base = "http://" + self.host

    def start(self, cmd):
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: p.poll() is None and p.kill())
        return p

    def events(self, room):
        reader = EventReader(self.host, f"/rooms/{room}/events")
        self.addCleanup(reader.close)
        self.assertEqual(reader.response.status, 200)
        self.assertEqual(reader.response.getheader("Content-Type"), "text/event-stream")
        return reader

    def routers(self):
        return self.sfu.call("worker.dump")["result"]["workers"][0].get("routers", [])

    def publish(self, room, name, seconds):
        return self.start(["/usr/bin/python3", os.path.join(INTEROP, "whip_publish.py"),
                           f"{self.base}/whip/{room}?name={name}", "--audio", "--seconds", str(seconds)])

    @unittest.skipUnless(have_aiortc(), "needs aiortc")
    def test_join_mute_leave_frees_everything(self):
        events = self.events("r1")
        self.assertEqual(events.next("snapshot", 5), {"room": "r1", "publishers": []})
        self.publish("r1", "ann", 30)
        joined = events.next("join", 15)["publisher"]
        self.assertEqual(joined["name"], "ann")
        self.assertEqual(sorted(t["kind"] for t in joined["tracks"]), ["audio", "video"])
        pub = joined["id"]

        # A second page sees the publisher in its snapshot.
        late = self.events("r1")
        self.assertEqual([p["id"] for p in late.next("snapshot", 5)["publishers"]], [pub])

        # A player of the publisher: a WHEP session of its own.
        player = self.start(["/usr/bin/python3", os.path.join(INTEROP, "whep_subscribe.py"),
                             f"{self.base}/whep/r1/{pub}", "--seconds", "30"])
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and len(self.routers()[0]["transportIds"]) < 2:
            time.sleep(0.2)
        self.assertEqual(len(self.routers()[0]["transportIds"]), 2)

        status, _, _ = request("PATCH", f"{self.base}/whip/r1/{pub}", json.dumps({"kind": "video", "muted": True}),
                               "application/json")
        self.assertEqual(status, 204)
        self.assertEqual(events.next("mute", 5), {"id": pub, "kind": "video", "muted": True})
        listing = json.loads(request("GET", f"{self.base}/rooms/r1")[2])
        video = next(t for t in listing["publishers"][0]["tracks"] if t["kind"] == "video")
        self.assertTrue(video["paused"])

        status, _, _ = request("DELETE", f"{self.base}/whip/r1/{pub}")
        self.assertEqual(status, 200)
        self.assertEqual(events.next("leave", 5), {"id": pub})
        self.assertEqual(late.next("leave", 5), {"id": pub})
        # The publisher, its player and the room's router are gone.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and self.routers():
            time.sleep(0.1)
        self.assertEqual(self.routers(), [])
        self.assertEqual(request("DELETE", f"{self.base}/whip/r1/{pub}")[0], 404)  # Twice.
        player.kill()

    @unittest.skipUnless(have_aiortc(), "needs aiortc")
    def test_vanished_publisher_ends_by_consent(self):
        events = self.events("r2")
        publisher = self.publish("r2", "bob", 60)
        pub = events.next("join", 15)["publisher"]["id"]
        time.sleep(2 * 5)  # Longer than aiortc's consent interval: a live session stays.
        self.assertEqual(len(self.routers()), 1)
        publisher.kill()  # No DELETE: the tab closed, the network went.
        started = time.monotonic()
        self.assertEqual(events.next("leave", CONSENT_TIMEOUT + 5), {"id": pub})
        print("leave after", round(time.monotonic() - started, 2), "s", file=sys.stderr)
        self.assertLess(time.monotonic() - started, CONSENT_TIMEOUT + 3)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and self.routers():
            time.sleep(0.1)
        self.assertEqual(self.routers(), [])

    @unittest.skipUnless(have_aiortc(), "needs aiortc")
    def test_trace_events_and_incoming_cap(self):
        events = self.events("r5")
        self.publish("r5", "dee", 30)
        publisher = events.next("join", 15)["publisher"]
        video = next(t["producerId"] for t in publisher["tracks"] if t["kind"] == "video")
        self.assertEqual(self.sfu.call("producer.enableTraceEvent",
                                       {"producerId": video, "types": ["keyframe", "pli"]})["result"], {})
        self.assertEqual(self.sfu.call("transport.setMaxIncomingBitrate",
                                       {"transportId": publisher["id"], "bitrate": 250000})["result"], {})
        # The publisher's keyframes are traced as they come in.
        seen = set()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not {"keyframe"} <= seen:
            try:
                m = self.sfu.read_message(1)
            except TimeoutError:
                continue
            if m.get("method") == "producer.trace":
                self.assertEqual(m["params"]["producerId"], video, m)
                seen.add(m["params"]["type"])
                if m["params"]["type"] == "keyframe":
                    self.assertEqual(m["params"]["direction"], "in", m)
                    self.assertIn("sequenceNumber", m["params"]["info"], m)
        self.assertIn("keyframe", seen)
        time.sleep(1.5)  # Reports go every second; with the cap, each carries a REMB.
        stats = self.sfu.call("transport.getStats", {"transportId": publisher["id"]})["result"]
        self.assertGreaterEqual(stats["rembSent"], 1, stats)
        self.assertEqual(self.sfu.call("transport.dump", {"transportId": publisher["id"]})["result"]
                         ["maxIncomingBitrate"], 250000)
        # Disabled: no more trace notifications.
        self.assertEqual(self.sfu.call("producer.enableTraceEvent", {"producerId": video, "types": []})["result"], {})

    def test_demo_page_and_bad_input(self):
        status, headers, body = request("GET", f"{self.base}/")
        self.assertEqual(status, 200)
        self.assertTrue(headers["Content-Type"].startswith("text/html"), headers)
        self.assertIn("demo.js", body)
        self.assertEqual(request("GET", f"{self.base}/demo.js")[0], 200)
        self.assertEqual(request("GET", f"{self.base}/nothing-here")[0], 404)
        self.assertEqual(request("POST", f"{self.base}/", "x", "text/plain")[0], 405)
        # Room names are checked on the event stream too.
        self.assertEqual(request("GET", f"{self.base}/rooms/bad%20room/events")[0], 404)
        self.assertEqual(request("GET", f"{self.base}/rooms/{'x' * 65}/events")[0], 404)
        # Mutes of sessions that do not exist, and malformed mutes.
        self.assertEqual(request("PATCH", f"{self.base}/whip/r3/nope", '{"kind":"audio","muted":true}',
                                 "application/json")[0], 404)
        events = self.events("r3")
        self.assertEqual(events.next("snapshot", 5)["publishers"], [])
        # The server still answers.
        self.assertEqual(request("GET", f"{self.base}/rooms/r3")[0], 200)

    @unittest.skipUnless(have_aiortc(), "needs aiortc")
    def test_malformed_mute(self):
        events = self.events("r4")
        self.publish("r4", "cy", 20)
        pub = events.next("join", 15)["publisher"]["id"]
        for body in ["", "{", "[]", '{"kind":"audio"}', '{"kind":"screen","muted":true}', '{"kind":"audio","muted":1}']:
            status, _, text = request("PATCH", f"{self.base}/whip/r4/{pub}", body, "application/json")
            self.assertEqual(status, 400, body)
            self.assertIn("muted", text)
        # A WHEP path cannot mute or delete a WHIP session.
        self.assertEqual(request("DELETE", f"{self.base}/whep/r4/{pub}/{pub}")[0], 404)
        self.assertEqual(request("PATCH", f"{self.base}/whip/r4/{pub}", "{}", "text/plain")[0], 415)
        self.assertEqual(len(self.routers()), 1)


if __name__ == "__main__":
    unittest.main()
