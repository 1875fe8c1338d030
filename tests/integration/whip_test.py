#!/usr/bin/python3
"""End-to-end WHIP ingest against the real sfu binary on loopback: a real WebRTC client
(aiortc, and headless Chromium when installed) publishes audio and video for a few
seconds; the server's transport.getStats must show ICE completed, DTLS connected, SRTP
packets decrypted for every track with no authentication failures; DELETE ends it.
Also: malformed and unsupported offers get 400/415/422 with a reason and the server
keeps serving.

Run: SFU_BINARY=build/debug/bin/sfu tests/integration/whip_test.py [-k NAME]
Clients come from ../shared/interop (SFU_INTEROP overrides)."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sfu_process import SfuProcess  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
INTEROP = os.environ.get("SFU_INTEROP", os.path.normpath(os.path.join(HERE, "../../../shared/interop")))
SECONDS = 6


def have_aiortc():
    return subprocess.run(["/usr/bin/python3", "-c", "import aiortc"], capture_output=True).returncode == 0


def read_data(name):
    with open(os.path.join(HERE, "../data/sdp", name), encoding="utf-8") as f:
        return f.read()


def http(method, url, body=None, content_type=None):
    req = urllib.request.Request(url, data=body.encode() if body else None, method=method)
    if content_type:
        req.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode()


class WhipTest(unittest.TestCase):
    def setUp(self):
        self.sfu = SfuProcess("--workers", "2", "--http-listen", "127.0.0.1:0")
        self.addCleanup(self.sfu.kill)
        running = self.sfu.wait_running()
        self.base = "http://" + running["httpListen"]

    def transports(self):
        dump = self.sfu.call("worker.dump")["result"]
        return [t for w in dump["workers"] for r in w.get("routers", []) for t in r["transportIds"]]

    def wait_transport(self, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ids = self.transports()
            if ids:
                return ids[0]
            time.sleep(0.2)
        self.fail("no transport appeared")

    def check_media_flowed(self, transport_id):
        # Poll until both tracks have packets (bounded), then check the counters.
        deadline = time.monotonic() + 10
        while True:
            stats = self.sfu.call("transport.getStats", {"transportId": transport_id})["result"]
            producers = stats["producers"]
            if all(p["packetsReceived"] > 50 for p in producers) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        self.assertEqual(stats["dtlsState"], "connected", stats)
        self.assertIn(stats["iceState"], ("connected", "completed"))
        self.assertEqual(stats["srtpAuthFailures"], 0, stats)
        self.assertEqual(stats["rtpUnmatched"], 0, stats)
        kinds = sorted(p["kind"] for p in producers)
        self.assertEqual(kinds, ["audio", "video"])
        for p in producers:
            self.assertGreater(p["packetsReceived"], 50, p)
        return stats

    def run_client(self, cmd):
        client = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: client.poll() is None and client.kill())
        tid = self.wait_transport()
        stats = self.check_media_flowed(tid)
        out, err = client.communicate(timeout=120)
        self.assertEqual(client.returncode, 0, err[-2000:])
        result = json.loads(out.strip().splitlines()[-1])
        return tid, stats, result

    def test_rtc_methods_check_their_params(self):
        router = self.sfu.call("router.create")["result"]["routerId"]
        t = self.sfu.call("router.createWebRtcTransport", {"routerId": router})["result"]
        self.assertTrue(t["iceParameters"]["iceLite"])
        self.assertEqual({c["protocol"] for c in t["iceCandidates"]}, {"udp", "tcp"})
        tid = t["transportId"]
        bad = self.sfu.call("transport.connect", {"transportId": tid, "dtlsParameters": {"role": 5}})
        self.assertEqual(bad["error"]["code"], -32602)
        self.assertEqual(bad["error"]["data"]["field"], "params.dtlsParameters.role")
        bad = self.sfu.call("transport.connect", {"transportId": tid, "dtlsParameters": {
            "role": "client", "fingerprints": [{"algorithm": "md5", "value": "AA"}]}})
        self.assertEqual(bad["error"]["data"]["field"], "params.dtlsParameters.fingerprints")
        ok = self.sfu.call("transport.connect", {"transportId": tid, "dtlsParameters": {
            "role": "client", "fingerprints": [{"algorithm": "sha-256", "value": "AA:BB"}]}})
        self.assertEqual(ok["result"]["dtlsLocalRole"], "server")
        again = self.sfu.call("transport.connect", {"transportId": tid, "dtlsParameters": {
            "role": "client", "fingerprints": [{"algorithm": "sha-256", "value": "AA:BB"}]}})
        self.assertEqual(again["error"]["data"]["type"], "InvalidState")
        self.assertEqual(self.sfu.call("transport.getStats", {"transportId": "nope"})["error"]["code"], -32001)
        self.assertEqual(self.sfu.call("router.closeTransport", {"routerId": router, "transportId": tid})["result"], {})
        self.assertEqual(self.sfu.call("router.close", {"routerId": router})["result"], {})
        self.assertEqual(self.sfu.call("router.close", {"routerId": router})["error"]["code"], -32001)

    @unittest.skipUnless(have_aiortc(), "python3-aiortc not installed")
    def test_aiortc_publishes_audio_and_video(self):
        tid, stats, result = self.run_client(
            ["/usr/bin/python3", os.path.join(INTEROP, "whip_publish.py"), self.base + "/whip/room1",
             "--seconds", str(SECONDS), "--audio"])
        self.assertEqual(result["http_status"], 201)
        self.assertEqual(result["delete_status"], 200)
        self.assertTrue(result["resource"].endswith("/whip/room1/" + tid))
        self.assertIn(stats["srtpCryptoSuite"], ("SRTP_AES128_CM_SHA1_80", "SRTP_AEAD_AES_128_GCM"))
        # DELETE freed the transport.
        self.assertEqual(self.transports(), [])
        self.sfu.signal(signal.SIGTERM)
        self.assertEqual(self.sfu.wait(), 0, self.sfu.stderr)

    @unittest.skipUnless(shutil.which("chromium") and shutil.which("chromedriver"), "chromium not installed")
    def test_chromium_publishes_audio_and_video(self):
        tid, stats, result = self.run_client(
            ["/usr/bin/python3", os.path.join(INTEROP, "browser_whip_whep.py"), "--whip",
             self.base + "/whip/room2", "--seconds", str(SECONDS)])
        self.assertEqual(stats["srtpCryptoSuite"], "SRTP_AEAD_AES_256_GCM")
        self.assertEqual(self.transports(), [])

    def test_bad_offers_get_clear_errors(self):
        url = self.base + "/whip/room3"
        status, _, body = http("POST", url, "v=0\r\nnonsense\r\n", "application/sdp")
        self.assertEqual(status, 400)
        self.assertIn("line 2", body)
        status, _, _ = http("POST", url, "v=0\r\n", "text/plain")
        self.assertEqual(status, 415)
        recvonly = read_data("chromium_recvonly.sdp")
        status, _, body = http("POST", url, recvonly, "application/sdp")
        self.assertEqual(status, 422)
        self.assertIn("recvonly", body)
        status, _, _ = http("POST", self.base + "/whip/bad%20room", "v=0\r\n", "application/sdp")
        self.assertEqual(status, 400)
        status, _, _ = http("DELETE", url + "/nosuchsession")
        self.assertEqual(status, 404)
        status, headers, _ = http("OPTIONS", url)
        self.assertEqual(status, 204)
        self.assertEqual(headers.get("Access-Control-Allow-Origin"), "*")
        # A valid captured offer is accepted (no client behind it, so no media).
        offer = read_data("chromium_sendonly_av.sdp")
        status, headers, answer = http("POST", url, offer, "application/sdp")
        self.assertEqual(status, 201, answer)
        self.assertIn("a=ice-lite", answer)
        self.assertIn("a=setup:passive", answer)
        self.assertIn("a=recvonly", answer)
        location = headers["Location"]
        self.assertTrue(location.startswith("/whip/room3/"))
        # Trickle (the offer's own ufrag) needs nothing; a new ufrag is an ICE restart.
        offer_ufrag = [l for l in offer.splitlines() if l.startswith("a=ice-ufrag:")][0].split(":", 1)[1]
        frag = "a=ice-ufrag:%s\r\na=ice-pwd:x\r\na=candidate:1 1 udp 1 127.0.0.1 9 typ host\r\n"
        status, _, _ = http("PATCH", self.base + location, frag % offer_ufrag, "application/trickle-ice-sdpfrag")
        self.assertEqual(status, 204)
        status, _, body = http("PATCH", self.base + location, frag % "newUfrag", "application/trickle-ice-sdpfrag")
        self.assertEqual(status, 200)
        self.assertIn("a=ice-ufrag:", body)
        self.assertNotIn(offer_ufrag, body)
        status, _, _ = http("DELETE", self.base + location)
        self.assertEqual(status, 200)
        self.assertEqual(self.sfu.call("worker.getInfo")["result"]["workers"], 2)


if __name__ == "__main__":
    unittest.main()
