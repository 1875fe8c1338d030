#!/usr/bin/python3
"""End-to-end fan-out: an aiortc publisher sends audio and video over WHIP; two
subscribers (aiortc and headless Chromium) play it over WHEP at the same time for 20 s.
Both must decode video at the published frame rate and resolution and receive audio.
Then the same with 5% random loss on every SRTP/SRTCP packet (nftables numgen, in a
private network namespace: these machines have no netem): NACK/RTX must keep the
decoded frames within 5% of the loss-free run, with few freezes.

Runs inside `unshare --net` (loopback only); needs root, unshare, nft, aiortc, chromium
and chromedriver, else it is skipped.

Run: SFU_BINARY=build/debug/bin/sfu tests/integration/whep_test.py"""
import json
import os
import shutil
import subprocess
import sys
import time
import unittest
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
RTC_PORT = 41100
SECONDS = 20
LOSS_PERCENT = 5

# Drops LOSS_PERCENT% of UDP datagrams whose first payload byte says RTP version 2 (SRTP
# and SRTCP, in both directions; STUN and DTLS pass).
LOSS_RULES = f"""
add table inet sfu_loss
add chain inet sfu_loss out {{ type filter hook output priority 0 ; }}
add rule inet sfu_loss out meta l4proto udp @th,64,2 2 numgen random mod 100 < {LOSS_PERCENT} counter drop
"""


def can_run():
    return (os.geteuid() == 0 and shutil.which("unshare") and shutil.which("nft")
            and shutil.which("chromium") and shutil.which("chromedriver")
            and subprocess.run(["/usr/bin/python3", "-c", "import aiortc"], capture_output=True).returncode == 0)


if os.environ.get("SFU_IN_NETNS") != "1":
    if not can_run():
        print("skipped: needs root, unshare, nft, aiortc, chromium and chromedriver")
        sys.exit(0)
    env = dict(os.environ, SFU_IN_NETNS="1")
    r = subprocess.run(["unshare", "--net", "--", sys.executable, os.path.abspath(__file__)] + sys.argv[1:],
                       env=env, timeout=400)
    sys.exit(r.returncode)

subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
sys.path.insert(0, HERE)
import whip_test  # noqa: E402
from sfu_process import SfuProcess  # noqa: E402

INTEROP = whip_test.INTEROP


def get_json(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read().decode())


def last_json_line(text):
    for line in reversed(text.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    return {}


class Run:
    """One publisher and two subscribers; collects what each client and the server saw."""

    def __init__(self, test, room):
        self.test = test
        self.room = room
        self.sfu = SfuProcess("--workers", "1", "--http-listen", "127.0.0.1:0", "--rtc-port", str(RTC_PORT))
        test.addCleanup(self.sfu.kill)
        self.base = "http://" + self.sfu.wait_running()["httpListen"]

    def start(self, cmd):
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.test.addCleanup(lambda: p.poll() is None and p.kill())
        return p

    def go(self):
        publisher = self.start(["/usr/bin/python3", os.path.join(INTEROP, "whip_publish.py"),
                                f"{self.base}/whip/{self.room}?name=pub", "--audio", "--seconds", str(SECONDS + 12)])
        pub_id = None
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and pub_id is None:
            room = get_json(f"{self.base}/rooms/{self.room}")
            for p in room["publishers"]:
                if len(p["tracks"]) == 2 and all(t["layers"] for t in p["tracks"]):
                    pub_id = p["id"]
            time.sleep(0.3)
        self.test.assertIsNotNone(pub_id, "the publisher never appeared in GET /rooms")
        self.room_listing = room
        url = f"{self.base}/whep/{self.room}/{pub_id}"
        aiortc = self.start(["/usr/bin/python3", os.path.join(INTEROP, "whep_subscribe.py"), url,
                             "--seconds", str(SECONDS), "--expect", "both"])
        chromium = self.start(["/usr/bin/python3", os.path.join(INTEROP, "browser_whip_whep.py"),
                               "--whep", url, "--seconds", str(SECONDS)])
        time.sleep(SECONDS / 2)
        self.stats = self.sfu.call("transport.getStats", {"transportId": pub_id})["result"]
        self.consumer_stats = []
        for t in self.sfu.call("worker.dump")["result"]["workers"][0]["routers"][0]["transportIds"]:
            if t != pub_id:
                stats = self.sfu.call("transport.getStats", {"transportId": t})["result"]
                for c in stats["consumers"]:
                    c["remotePort"] = (stats.get("selectedTuple") or {}).get("remotePort")
                    self.consumer_stats.append(c)
        out_a, err_a = aiortc.communicate(timeout=SECONDS + 60)
        out_c, err_c = chromium.communicate(timeout=SECONDS + 90)
        self.test.assertEqual(aiortc.returncode, 0, out_a + err_a[-3000:])
        self.test.assertEqual(chromium.returncode, 0, err_c[-3000:])
        self.aiortc = last_json_line(out_a)
        self.chromium = last_json_line(out_c)["subscribe"]
        publisher.kill()
        publisher.communicate()
        self.sfu.kill()  # Frees the media port for the next run.
        return self

    def chromium_inbound(self, kind):
        return next(s for s in self.chromium["inbound"] if s["kind"] == kind)


class WhepFanOutTest(unittest.TestCase):
    def check_run(self, run, min_fps, min_audio_fraction):
        # Opus at 50 packets/s; audio has no retransmission, so loss shows there.
        a = run.aiortc
        self.assertEqual((a["width"], a["height"]), (640, 480), a)
        self.assertGreaterEqual(a["fps"], min_fps, a)
        self.assertGreater(a["audio_frames"], min_audio_fraction * 50 * SECONDS, a)
        video = run.chromium_inbound("video")
        self.assertEqual((video["frameWidth"], video["frameHeight"]), (640, 480), video)
        self.assertGreaterEqual(video["framesDecoded"], min_fps * SECONDS * 0.95, video)
        self.assertGreater(run.chromium_inbound("audio")["totalSamplesReceived"],
                           min_audio_fraction * 48000 * SECONDS, run.chromium)
        # Two consumers per track, each started on a keyframe.
        self.assertEqual(len(run.consumer_stats), 4, run.consumer_stats)
        for c in run.consumer_stats:
            self.assertGreater(c["stats"][0]["packetsSent"], 100, c)
            if c["kind"] == "video":
                self.assertGreaterEqual(c["stats"][0]["keyFramesSent"], 1, c)

    def test_fan_out_then_loss_recovery(self):
        clean = Run(self, "clean").go()
        self.check_run(clean, min_fps=27, min_audio_fraction=0.8)
        listing = clean.room_listing["publishers"][0]
        self.assertEqual(listing["name"], "pub")
        self.assertEqual(sorted(t["kind"] for t in listing["tracks"]), ["audio", "video"])

        subprocess.run(["nft", "-f", "-"], input=LOSS_RULES.encode(), check=True)
        self.addCleanup(lambda: subprocess.run(["nft", "delete", "table", "inet", "sfu_loss"]))
        lossy = Run(self, "lossy").go()
        counters = subprocess.run(["nft", "list", "table", "inet", "sfu_loss"], capture_output=True, text=True).stdout
        self.assertNotIn("packets 0 ", counters)  # The rule did drop packets.
        self.check_run(lossy, min_fps=26, min_audio_fraction=0.4)

        # NACK/RTX at work on both legs: we asked the publisher, we answered subscribers.
        video_producer = next(p for p in lossy.stats["producers"] if p["kind"] == "video")
        self.assertGreater(video_producer["streams"][0]["nackCount"], 0, video_producer)
        self.assertGreater(video_producer["streams"][0]["packetsRecovered"], 0, video_producer)
        # aiortc NACKs every gap it sees, so its consumer must have answered with RTX.
        # (Chromium asks for few of the packets dropped on its leg, and still decodes
        # without loss or freezes; its consumer is checked through its own stats below.)
        aiortc_port = int(lossy.aiortc["ice_pair"]["local"].rsplit(":", 1)[1])
        aiortc_video = [c for c in lossy.consumer_stats if c["kind"] == "video" and c["remotePort"] == aiortc_port]
        self.assertEqual(len(aiortc_video), 1, (aiortc_port, lossy.consumer_stats))
        self.assertGreater(aiortc_video[0]["stats"][0]["retransmittedPacketsSent"], 0, aiortc_video)
        self.assertGreater(lossy.chromium_inbound("video")["nackCount"], 0, lossy.chromium)

        # Decoded frames within 5% of the loss-free run; few freezes. The frame count also
        # depends on when decoding began (it varies by a few % between clean runs), so
        # the 5% bound applies to the decoded frame rate from the first frame on.
        clean_frames = clean.chromium_inbound("video")["framesDecoded"]
        lossy_frames = lossy.chromium_inbound("video")["framesDecoded"]
        self.assertGreaterEqual(lossy.chromium["fps_measured"], 0.95 * clean.chromium["fps_measured"],
                                (clean.chromium, lossy.chromium))
        self.assertGreaterEqual(lossy_frames, 0.9 * clean_frames, (clean_frames, lossy_frames))
        # aiortc's count depends on when its 20 s began; compare its decoded frame rate.
        self.assertGreaterEqual(lossy.aiortc["fps"], 0.95 * clean.aiortc["fps"], (clean.aiortc, lossy.aiortc))
        self.assertLessEqual(lossy.chromium_inbound("video")["freezeCount"], 2, lossy.chromium)
        print(json.dumps({"clean": {"chromium_frames": clean_frames, "aiortc_frames": clean.aiortc["video_frames"],
                                    "chromium_fps": clean.chromium["fps_measured"]},
                          "lossy": {"chromium_frames": lossy_frames, "aiortc_frames": lossy.aiortc["video_frames"],
                                    "chromium_fps": lossy.chromium["fps_measured"],
                                    "chromium_freeze_seconds": lossy.chromium_inbound("video")["totalFreezesDuration"],
                                    "chromium_freezes": lossy.chromium_inbound("video")["freezeCount"],
                                    "chromium_nacks": lossy.chromium_inbound("video")["nackCount"],
                                    "producer_nacks": video_producer["streams"][0]["nackCount"],
                                    "producer_recovered": video_producer["streams"][0]["packetsRecovered"]}}),
              file=sys.stderr)


if __name__ == "__main__":
    unittest.main()
