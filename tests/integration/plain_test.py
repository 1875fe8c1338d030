#!/usr/bin/python3
"""Plain RTP transports end to end: ffmpeg publishes a VP8 test pattern over SRTP
(AES_CM_128_HMAC_SHA1_80) to a comedia transport, the router forwards it to a consumer
on a second plain transport (separate RTCP port, its own SRTP key), and a second ffmpeg,
given that key in an SDP a=crypto line, receives and decodes it. Also the JSON-RPC
errors of createPlainTransport and connect, and comedia's address learning.

Run: SFU_BINARY=build/debug/bin/sfu tests/integration/plain_test.py"""
import base64
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sfu_process import SfuProcess  # noqa: E402

FFMPEG = shutil.which("ffmpeg")
VP8 = {
    "codecs": [{"mimeType": "video/VP8", "payloadType": 96, "clockRate": 90000,
                "rtcpFeedback": [{"type": "nack"}, {"type": "nack", "parameter": "pli"}]}],
    "encodings": [{"ssrc": 1111}],
}
RECEIVER_CAPS = {"codecs": [{"mimeType": "video/VP8", "preferredPayloadType": 100, "clockRate": 90000,
                             "rtcpFeedback": [{"type": "nack", "parameter": "pli"}]}]}


def free_udp_port_pair():
    """An even port P with P and P+1 free (ffmpeg receives RTP on P, RTCP on P+1)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1] & ~1
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as a, \
                    socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as b:
                a.bind(("127.0.0.1", port))
                b.bind(("127.0.0.1", port + 1))
                return port
        except OSError:
            continue
    raise RuntimeError("no free UDP port pair")


class PlainTransportTest(unittest.TestCase):
    def setUp(self):
        self.sfu = SfuProcess("--workers", "1")
        self.addCleanup(self.sfu.kill)
        self.sfu.wait_running()
        self.router = self.ok("router.create", {})["routerId"]

    def ok(self, method, params=None):
        r = self.sfu.call(method, params)
        self.assertIn("result", r, r)
        return r["result"]

    def error(self, method, params, field):
        r = self.sfu.call(method, params)
        self.assertIn("error", r, r)
        self.assertEqual(r["error"]["data"].get("field"), field, r)
        return r["error"]

    def test_errors(self):
        self.error("router.createPlainTransport", {"routerId": self.router, "srtpCryptoSuite": "AEAD_AES_128_GCM"},
                   "params.srtpCryptoSuite")
        self.error("router.createPlainTransport", {"routerId": self.router, "enableSrtp": True,
                                                   "srtpCryptoSuite": "NULL"}, "params.srtpCryptoSuite")
        self.error("router.createPlainTransport", {"routerId": self.router, "comedia": "yes"}, "params.comedia")
        t = self.ok("router.createPlainTransport", {"routerId": self.router, "enableSrtp": True,
                                                    "srtpCryptoSuite": "AEAD_AES_128_GCM"})
        self.assertEqual(len(base64.b64decode(t["srtpParameters"]["keyBase64"])), 28)
        tid = t["transportId"]
        self.error("transport.connect", {"transportId": tid, "ip": "127.0.0.1"}, "params.port")
        self.error("transport.connect", {"transportId": tid, "ip": "nope", "port": 5000}, "params.ip")
        self.error("transport.connect", {"transportId": tid, "ip": "127.0.0.1", "port": 5000}, "params.srtpParameters")
        self.error("transport.connect", {"transportId": tid, "ip": "127.0.0.1", "port": 5000, "srtpParameters": {
            "cryptoSuite": "AEAD_AES_128_GCM", "keyBase64": "!!"}}, "params.srtpParameters.keyBase64")
        e = self.error("transport.connect", {"transportId": tid, "ip": "127.0.0.1", "port": 5000, "srtpParameters": {
            "cryptoSuite": "AEAD_AES_128_GCM", "keyBase64": base64.b64encode(b"x" * 30).decode()}},
            "params.srtpParameters.keyBase64")
        self.assertIn("28 bytes", e["message"])
        self.error("transport.connect", {"transportId": tid, "dtlsParameters": {"fingerprints": [
            {"algorithm": "sha-256", "value": "AB"}]}}, "params.dtlsParameters")
        good = {"transportId": tid, "ip": "127.0.0.1", "port": 5000, "srtpParameters": {
            "cryptoSuite": "AEAD_AES_128_GCM", "keyBase64": base64.b64encode(b"k" * 28).decode()}}
        self.assertEqual(self.ok("transport.connect", good)["tuple"]["remotePort"], 5000)
        r = self.sfu.call("transport.connect", good)
        self.assertEqual(r["error"]["data"]["type"], "InvalidState")
        # One remote address, one transport.
        other = self.ok("router.createPlainTransport", {"routerId": self.router})["transportId"]
        r = self.sfu.call("transport.connect", {"transportId": other, "ip": "127.0.0.1", "port": 5000})
        self.assertIn("in use by transport " + tid, r["error"]["message"])
        webrtc = self.ok("router.createWebRtcTransport", {"routerId": self.router})["transportId"]
        self.error("transport.connect", {"transportId": webrtc, "ip": "127.0.0.1", "port": 5001},
                   "params.dtlsParameters")
        self.assertEqual(self.ok("transport.dump", {"transportId": tid})["srtpCryptoSuite"], "AEAD_AES_128_GCM")
        self.assertNotIn("srtpParameters", self.ok("transport.dump", {"transportId": tid}))

    @unittest.skipUnless(FFMPEG, "needs ffmpeg (scripts/bootstrap.sh installs it)")
    def test_shutdown_with_everything_open(self):
        # Routers, transports, producers and consumers still open at shutdown: the worker
        # tears them down in order (this was a use-after-free, caught under ASan, that
        # glibc reported as a double free when sfu-load ended its runs).
        pub = self.ok("router.createPlainTransport", {"routerId": self.router, "comedia": True})
        producer = self.ok("transport.produce", {"transportId": pub["transportId"], "kind": "video",
                                                 "rtpParameters": VP8})["producerId"]
        for i in range(3):
            sub = self.ok("router.createPlainTransport", {"routerId": self.router})
            self.ok("transport.connect", {"transportId": sub["transportId"], "ip": "127.0.0.1", "port": 9 + i})
            self.ok("transport.consume", {"transportId": sub["transportId"], "producerId": producer,
                                          "rtpCapabilities": RECEIVER_CAPS})
        self.ok("router.create", {})  # And an empty router.
        self.sfu.signal()
        self.assertEqual(self.sfu.wait(), 0, self.sfu.stderr[-3000:])

    def test_ffmpeg_in_and_out_over_srtp(self):
        # Publisher side: comedia, SRTP; ffmpeg's sending key is ours to choose.
        pub = self.ok("router.createPlainTransport", {"routerId": self.router, "comedia": True, "enableSrtp": True})
        self.assertEqual(pub["srtpParameters"]["cryptoSuite"], "AES_CM_128_HMAC_SHA1_80")
        ffmpeg_key = base64.b64encode(os.urandom(30)).decode()
        self.ok("transport.connect", {"transportId": pub["transportId"], "srtpParameters": {
            "cryptoSuite": "AES_CM_128_HMAC_SHA1_80", "keyBase64": ffmpeg_key}})
        producer = self.ok("transport.produce", {"transportId": pub["transportId"], "kind": "video",
                                                 "rtpParameters": VP8})["producerId"]

        # Subscriber side: a separate RTCP port, as ffmpeg's RTP input uses P and P+1.
        port = free_udp_port_pair()
        sub = self.ok("router.createPlainTransport", {"routerId": self.router, "rtcpMux": False,
                                                      "enableSrtp": True})
        self.ok("transport.connect", {"transportId": sub["transportId"], "ip": "127.0.0.1", "port": port,
                                      "rtcpPort": port + 1, "srtpParameters": sub["srtpParameters"]})
        consumer = self.ok("transport.consume", {"transportId": sub["transportId"], "producerId": producer,
                                                 "rtpCapabilities": RECEIVER_CAPS})
        pt = consumer["rtpParameters"]["codecs"][0]["payloadType"]
        work = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, work, True)
        sdp = os.path.join(work, "in.sdp")
        with open(sdp, "w") as f:
            f.write("v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=sfu\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                    f"m=video {port} RTP/SAVP {pt}\r\na=rtpmap:{pt} VP8/90000\r\n"
                    f"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{sub['srtpParameters']['keyBase64']}\r\n")
        receiver = subprocess.Popen(
            [FFMPEG, "-hide_banner", "-nostdin", "-loglevel", "info", "-protocol_whitelist", "file,udp,rtp,srtp",
             "-i", sdp, "-t", "5", "-f", "null", "-"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: receiver.poll() is None and receiver.kill())
        time.sleep(1.0)  # The receiver binds before media flows.
        sfu_port = pub["tuple"]["localPort"]
        sender = subprocess.run(
            [FFMPEG, "-hide_banner", "-nostdin", "-loglevel", "error", "-re", "-f", "lavfi",
             "-i", "testsrc=size=320x240:rate=30", "-t", "6", "-c:v", "libvpx", "-deadline", "realtime",
             "-cpu-used", "8", "-b:v", "400k", "-g", "30", "-payload_type", "96", "-ssrc", "1111",
             "-f", "rtp", "-srtp_out_suite", "AES_CM_128_HMAC_SHA1_80", "-srtp_out_params", ffmpeg_key,
             f"srtp://127.0.0.1:{sfu_port}?rtcpport={sfu_port}&pkt_size=1200"],
            capture_output=True, text=True, timeout=30)
        self.assertEqual(sender.returncode, 0, sender.stderr)
        try:
            _, err = receiver.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            receiver.kill()
            _, err = receiver.communicate()
        frames = [int(m) for m in re.findall(r"frame=\s*(\d+)", err)]
        decoded = max(frames) if frames else 0

        stats = self.ok("transport.getStats", {"transportId": pub["transportId"]})
        self.assertTrue(stats["connected"])
        self.assertEqual(stats["srtpAuthFailures"], 0, stats)
        self.assertGreater(stats["rtpPacketsReceived"], 150, stats)
        self.assertEqual(stats["tuple"]["remoteIp"], "127.0.0.1")
        self.assertGreater(stats["receiverReportsSent"], 3, stats)
        self.assertTrue(any(n["method"] == "transport.tuple" and n["params"]["transportId"] == pub["transportId"]
                            for n in self.sfu.notifications))
        out = self.ok("transport.getStats", {"transportId": sub["transportId"]})
        self.assertGreater(out["rtpPacketsSent"], 150, out)
        self.assertGreater(out["senderReportsSent"], 3, out)
        self.assertEqual(out["rtcpTuple"]["remotePort"], port + 1)
        print(f"ffmpeg in: {stats['rtpPacketsReceived']} SRTP packets; out: {out['rtpPacketsSent']} packets; "
              f"receiving ffmpeg decoded {decoded} frames (stops at 150)", file=sys.stderr)
        self.assertGreaterEqual(decoded, 140, err[-2000:])


if __name__ == "__main__":
    unittest.main()
