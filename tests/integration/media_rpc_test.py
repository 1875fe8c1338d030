#!/usr/bin/python3
"""The media methods over JSON-RPC against the real sfu binary (stdio control): produce,
consume, pause/resume with their notifications, stats and dumps, canConsume, closing
(and closing twice), and typed errors for bad input. No media flows here: the WHEP test
covers that.

Run: SFU_BINARY=build/debug/bin/sfu tests/integration/media_rpc_test.py"""
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sfu_process import SfuProcess  # noqa: E402

VP8_PARAMS = {
    "mid": "0",
    "codecs": [
        {"mimeType": "video/VP8", "payloadType": 96, "clockRate": 90000,
         "rtcpFeedback": [{"type": "nack"}, {"type": "nack", "parameter": "pli"}]},
        {"mimeType": "video/rtx", "payloadType": 97, "clockRate": 90000, "parameters": {"apt": 96}},
    ],
    "encodings": [{"ssrc": 1111, "rtx": {"ssrc": 2222}}],
    "headerExtensions": [{"uri": "urn:ietf:params:rtp-hdrext:sdes:mid", "id": 1}],
}

SUBSCRIBER_CAPS = {
    "codecs": [
        {"mimeType": "video/VP8", "preferredPayloadType": 100, "clockRate": 90000,
         "rtcpFeedback": [{"type": "nack"}, {"type": "nack", "parameter": "pli"}, {"type": "ccm", "parameter": "fir"}]},
        {"mimeType": "video/rtx", "preferredPayloadType": 101, "clockRate": 90000, "parameters": {"apt": 100}},
        {"mimeType": "audio/opus", "preferredPayloadType": 111, "clockRate": 48000, "channels": 2},
    ],
    "headerExtensions": [{"kind": "video", "uri": "urn:ietf:params:rtp-hdrext:sdes:mid", "preferredId": 4}],
}

H264_ONLY_CAPS = {"codecs": [{"mimeType": "video/H264", "preferredPayloadType": 102, "clockRate": 90000,
                              "parameters": {"packetization-mode": 1, "profile-level-id": "42e01f"}}]}


class MediaRpcTest(unittest.TestCase):
    def setUp(self):
        self.sfu = SfuProcess("--workers", "2")
        self.addCleanup(self.sfu.kill)
        self.sfu.wait_running()
        self.router = self.ok("router.create", {"keyFrameRequestDelay": 500})["routerId"]
        self.pub = self.ok("router.createWebRtcTransport", {"routerId": self.router})["transportId"]
        self.sub = self.ok("router.createWebRtcTransport", {"routerId": self.router})["transportId"]

    def ok(self, method, params=None):
        r = self.sfu.call(method, params)
        self.assertIn("result", r, r)
        return r["result"]

    def error(self, method, params, code, type_):
        r = self.sfu.call(method, params)
        self.assertIn("error", r, r)
        self.assertEqual(r["error"]["code"], code, r)
        self.assertEqual(r["error"]["data"]["type"], type_, r)
        return r["error"]

    def notification(self, method, timeout=3.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for n in self.sfu.notifications:
                if n.get("method") == method:
                    self.sfu.notifications.remove(n)
                    return n["params"]
            try:
                self.sfu.notifications.append(self.sfu.read_message(0.2))
            except TimeoutError:
                pass
        self.fail(f"no {method} notification")

    def produce(self):
        return self.ok("transport.produce", {"transportId": self.pub, "kind": "video", "rtpParameters": VP8_PARAMS})["producerId"]

    def test_produce_consume_pause_resume_close(self):
        producer = self.produce()
        caps = self.ok("router.getRtpCapabilities", {"routerId": self.router})
        self.assertIn("video/VP8", [c["mimeType"] for c in caps["codecs"]])
        self.assertTrue(self.ok("router.canConsume", {"routerId": self.router, "producerId": producer,
                                                      "rtpCapabilities": SUBSCRIBER_CAPS})["canConsume"])
        self.assertFalse(self.ok("router.canConsume", {"routerId": self.router, "producerId": producer,
                                                       "rtpCapabilities": H264_ONLY_CAPS})["canConsume"])
        consumer = self.ok("transport.consume", {"transportId": self.sub, "producerId": producer, "mid": "v0",
                                                 "rtpCapabilities": SUBSCRIBER_CAPS})
        rtp = consumer["rtpParameters"]
        self.assertEqual([c["payloadType"] for c in rtp["codecs"]], [100, 101])
        self.assertEqual(rtp["headerExtensions"], [{"uri": "urn:ietf:params:rtp-hdrext:sdes:mid", "id": 4}])
        self.assertIn("rtx", rtp["encodings"][0])
        cid = consumer["consumerId"]

        dump = self.ok("producer.dump", {"producerId": producer})
        self.assertEqual(dump["consumerIds"], [cid])
        self.assertEqual(self.ok("producer.getStats", {"producerId": producer})["kind"], "video")
        stats = self.ok("consumer.getStats", {"consumerId": cid})
        self.assertEqual(stats["stats"][0]["type"], "outbound-rtp")
        self.assertEqual(stats["stats"][0]["packetsSent"], 0)
        self.ok("consumer.requestKeyFrame", {"consumerId": cid})
        self.ok("consumer.pause", {"consumerId": cid})
        self.assertTrue(self.ok("consumer.dump", {"consumerId": cid})["paused"])
        self.ok("consumer.resume", {"consumerId": cid})
        self.assertFalse(self.ok("consumer.dump", {"consumerId": cid})["paused"])

        self.ok("producer.pause", {"producerId": producer})
        self.assertEqual(self.notification("consumer.producerPause")["consumerId"], cid)
        self.assertTrue(self.ok("consumer.dump", {"consumerId": cid})["producerPaused"])
        self.ok("producer.resume", {"producerId": producer})
        self.assertEqual(self.notification("consumer.producerResume")["consumerId"], cid)

        self.ok("transport.closeProducer", {"transportId": self.pub, "producerId": producer})
        closed = self.notification("consumer.producerClose")
        self.assertEqual((closed["consumerId"], closed["producerId"]), (cid, producer))
        self.error("consumer.getStats", {"consumerId": cid}, -32001, "NotFound")
        self.error("transport.closeProducer", {"transportId": self.pub, "producerId": producer}, -32001, "NotFound")

    def test_closing_a_transport_closes_its_objects(self):
        producer = self.produce()
        cid = self.ok("transport.consume", {"transportId": self.sub, "producerId": producer,
                                            "rtpCapabilities": SUBSCRIBER_CAPS})["consumerId"]
        self.ok("transport.closeConsumer", {"transportId": self.sub, "consumerId": cid})
        self.error("transport.closeConsumer", {"transportId": self.sub, "consumerId": cid}, -32001, "NotFound")
        cid = self.ok("transport.consume", {"transportId": self.sub, "producerId": producer,
                                            "rtpCapabilities": SUBSCRIBER_CAPS})["consumerId"]
        self.ok("router.closeTransport", {"routerId": self.router, "transportId": self.pub})
        self.assertEqual(self.notification("consumer.producerClose")["consumerId"], cid)
        self.error("producer.getStats", {"producerId": producer}, -32001, "NotFound")
        self.error("transport.consume", {"transportId": self.sub, "producerId": producer,
                                         "rtpCapabilities": SUBSCRIBER_CAPS}, -32001, "NotFound")

    def test_bad_input_gets_typed_errors(self):
        producer = self.produce()
        e = self.error("transport.consume", {"transportId": self.sub, "producerId": producer,
                                             "rtpCapabilities": H264_ONLY_CAPS}, -32003, "Unsupported")
        self.assertIn("VP8", e["message"])
        e = self.error("transport.produce", {"transportId": self.pub, "kind": "video",
                                             "rtpParameters": dict(VP8_PARAMS, encodings=[{"ssrc": -1}])},
                       -32602, "InvalidParams")
        self.assertIn("params.rtpParameters.encodings[0].ssrc", e["message"] + str(e["data"]))
        self.error("transport.produce", {"transportId": self.pub, "kind": "data", "rtpParameters": VP8_PARAMS},
                   -32602, "InvalidParams")
        self.error("transport.produce", {"transportId": self.pub, "kind": "video", "rtpParameters": {
            "codecs": [{"mimeType": "video/H263", "payloadType": 34, "clockRate": 90000}],
            "encodings": [{"ssrc": 5}]}}, -32003, "Unsupported")
        self.error("transport.produce", {"transportId": "nope", "kind": "video", "rtpParameters": VP8_PARAMS},
                   -32001, "NotFound")
        self.error("transport.produce", {"transportId": self.pub, "kind": "video", "producerId": producer,
                                         "rtpParameters": VP8_PARAMS}, -32002, "InvalidState")
        self.error("transport.consume", {"transportId": self.sub, "producerId": producer,
                                         "rtpCapabilities": {"codecs": "x"}}, -32602, "InvalidParams")
        self.error("producer.pause", {"producerId": "nope"}, -32001, "NotFound")
        self.error("consumer.resume", {"consumerId": 5}, -32602, "InvalidParams")
        self.error("producer.getStats", {"producerId": producer, "extra": 1}, -32602, "InvalidParams")
        e = self.error("router.create", {"keyFrameRequestDelay": -1}, -32602, "InvalidParams")
        self.assertIn("keyFrameRequestDelay", str(e))
        # The server still serves.
        self.assertEqual(self.ok("producer.getStats", {"producerId": producer})["producerId"], producer)


    def test_dumps_and_resource_usage(self):
        producer = self.ok("transport.produce", {"transportId": self.pub, "kind": "video",
                                                 "rtpParameters": VP8_PARAMS})["producerId"]
        consumer = self.ok("transport.consume", {"transportId": self.sub, "producerId": producer,
                                                 "rtpCapabilities": SUBSCRIBER_CAPS})["consumerId"]
        dump = self.ok("router.dump", {"routerId": self.router})
        self.assertEqual(sorted(dump["transportIds"]), sorted([self.pub, self.sub]))
        self.assertEqual(dump["producerIds"], [producer])
        self.assertEqual(dump["consumerIds"], [consumer])
        self.assertEqual(dump["mapProducerIdConsumerIds"], {producer: [consumer]})
        t = self.ok("transport.dump", {"transportId": self.sub})
        self.assertEqual((t["routerId"], t["consumerIds"], t["producerIds"]), (self.router, [consumer], []))
        self.assertEqual(t["iceState"], "new")
        self.assertTrue(t["iceParameters"]["iceLite"])
        self.assertEqual(t["dtlsParameters"]["fingerprints"][0]["algorithm"], "sha-256")
        usage = self.ok("worker.getResourceUsage")
        self.assertEqual([w["worker"] for w in usage["workers"]], [0, 1])
        self.assertGreater(usage["userCpuSeconds"] + usage["systemCpuSeconds"], 0)
        self.assertGreater(usage["rssKb"], 1000)
        # Closing the producer closes its consumer; the dumps follow.
        self.ok("transport.closeProducer", {"transportId": self.pub, "producerId": producer})
        dump = self.ok("router.dump", {"routerId": self.router})
        self.assertEqual((dump["producerIds"], dump["consumerIds"], dump["mapProducerIdConsumerIds"]), ([], [], {}))
        self.error("router.dump", {"routerId": "nope"}, -32001, "NotFound")
        self.error("transport.dump", {"transportId": "nope"}, -32001, "NotFound")

    def test_update_settings(self):
        self.assertEqual(self.ok("worker.updateSettings", {"logLevel": "debug", "logTags": ["ice", "http"]}),
                         {"logLevel": "debug", "logTags": ["ice", "http"]})
        self.assertEqual(self.ok("worker.updateSettings", {"logTags": "all"}), {"logLevel": "debug", "logTags": "all"})
        for bad in ({}, {"logLevel": "loud"}, {"logTags": []}, {"logTags": ["nope"]}, {"logTags": "some"},
                    {"logLevel": "info", "colour": True}):
            err = self.error("worker.updateSettings", bad, -32602, "InvalidParams")
            self.assertTrue(err["data"]["field"].startswith("params"), err)
        # Nothing of a rejected request was applied.
        self.assertEqual(self.ok("worker.updateSettings", {"logLevel": "warn"}), {"logLevel": "warn", "logTags": "all"})

    def test_malformed_params_for_every_method(self):
        # Every method the server has rejects params of the wrong shape with InvalidParams
        # naming the field, and the objects made in setUp keep working.
        methods = self.ok("worker.dump")["control"]["methods"]
        self.assertGreater(len(methods), 25)
        for method in methods:
            for bad in ([1, 2], {"bogusMember": 1}):
                err = self.error(method, bad, -32602, "InvalidParams")
                self.assertTrue(err["data"].get("field", "").startswith("params"), (method, bad, err))
            for bad in ("x", 7):  # Not even structured (JSON-RPC 2.0 section 4.2).
                self.error(method, bad, -32600, "InvalidRequest")
        self.assertEqual(self.ok("router.dump", {"routerId": self.router})["transportIds"], [self.pub, self.sub])


if __name__ == "__main__":
    unittest.main()
