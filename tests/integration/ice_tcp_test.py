#!/usr/bin/python3
"""ICE-TCP end to end (RFC 6544): headless Chromium publishes over WHIP while UDP to the
server is dropped, so the only path is the server's passive TCP candidate. Runs inside a
private network namespace (unshare --net, loopback only) with an nftables rule that drops
UDP to the server's ports; needs root, unshare, nft and chromium, else it is skipped.

Run: SFU_BINARY=build/debug/bin/sfu tests/integration/ice_tcp_test.py"""
import os
import shutil
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
RTC_PORT = 41000

RULES = f"""
add table inet sfu_ice_tcp_test
add chain inet sfu_ice_tcp_test out {{ type filter hook output priority 0 ; }}
add rule inet sfu_ice_tcp_test out udp dport {RTC_PORT}-{RTC_PORT + 8} drop
"""


def can_run():
    return (os.geteuid() == 0 and shutil.which("unshare") and shutil.which("nft")
            and shutil.which("chromium") and shutil.which("chromedriver"))


if os.environ.get("SFU_IN_NETNS") != "1":
    # Re-run this file inside a fresh network namespace.
    if not can_run():
        print("skipped: needs root, unshare, nft, chromium and chromedriver")
        print("0 passed, 0 failed, 1 skipped")
        sys.exit(0)
    env = dict(os.environ, SFU_IN_NETNS="1")
    r = subprocess.run(["unshare", "--net", "--", sys.executable, os.path.abspath(__file__)] + sys.argv[1:],
                       env=env, timeout=280)
    sys.exit(r.returncode)

subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
subprocess.run(["nft", "-f", "-"], input=RULES.encode(), check=True)

sys.path.insert(0, HERE)
import whip_test  # noqa: E402
from sfu_process import SfuProcess  # noqa: E402


class IceTcpTest(whip_test.WhipTest):
    def setUp(self):
        self.sfu = SfuProcess("--workers", "1", "--http-listen", "127.0.0.1:0", "--rtc-port", str(RTC_PORT))
        self.addCleanup(self.sfu.kill)
        self.base = "http://" + self.sfu.wait_running()["httpListen"]

    def test_chromium_publishes_over_tcp_when_udp_is_dropped(self):
        tid, stats, result = self.run_client(
            ["/usr/bin/python3", os.path.join(whip_test.INTEROP, "browser_whip_whep.py"), "--whip",
             self.base + "/whip/tcp", "--seconds", str(whip_test.SECONDS)])
        self.assertEqual(stats["selectedTuple"]["protocol"], "tcp", stats)
        dump = self.sfu.call("worker.dump")["result"]
        self.assertEqual(dump["workers"][0]["udp"]["packetsReceived"], 0)  # UDP never arrived.
        self.assertGreater(dump["workers"][0]["tcp"]["framesReceived"], 100)

    # The inherited tests run over UDP; not here.
    test_aiortc_publishes_audio_and_video = None
    test_chromium_publishes_audio_and_video = None
    test_bad_offers_get_clear_errors = None


if __name__ == "__main__":
    unittest.main()
