// Fuzzes the router's media path with untrusted packets: RTP into a publisher endpoint
// (demux, RTX unwrap, NACK tracking, keyframe detection, fan-out and rewriting) and RTCP
// into both endpoints (reports, NACK, PLI, FIR, XR). The first byte of each input picks
// the path; the rest is one packet.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "router/packet_sink.h"
#include "router/router.h"
#include "router/rtp_endpoint.h"
#include "router/rtp_parameters.h"

namespace {

struct NullSink : sfu::PacketSink {
  void SendRtp(std::span<uint8_t>, size_t) override {}
  void SendRtcp(std::span<uint8_t>, size_t) override {}
};

struct World {
  NullSink pub_sink, sub_sink;
  sfu::Router router{"r", {}};
  sfu::RtpEndpoint pub{router, pub_sink, 1, "pub"};
  sfu::RtpEndpoint sub{router, sub_sink, 2, "sub"};
  World() {
    sfu::ProducerParams p;
    p.kind = "video";
    p.mid = "0";
    p.codecs = {{96, "video/VP8", 90000, 0, "", 97, {"nack", "nack pli"}}};
    p.encodings = {{1111, 2222, ""}};
    p.mid_extension_id = 1;
    p.header_extensions = {{"urn:ietf:params:rtp-hdrext:sdes:mid", 1}};
    (void)router.Produce(pub, "p", p);
    sfu::RtpCapabilities caps;
    caps.codecs = {{"video", "video/VP8", 100, 90000, 0, "", {"nack", "nack pli", "ccm fir"}},
                   {"video", "video/rtx", 101, 90000, 0, "apt=100", {}}};
    caps.header_extensions = {{"video", "urn:ietf:params:rtp-hdrext:sdes:mid", 4}};
    auto params = sfu::DeriveConsumerParams(router.FindProducer("p")->params(), caps, "v", 3333, 4444);
    (void)router.Consume(sub, "c", "p", *params, sfu::Timestamp::Millis(0));
  }
  ~World() {
    router.CloseEndpoint(sub);
    router.CloseEndpoint(pub);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static World* world = new World();
  static int64_t now_ms = 0;
  if (size < 1) return 0;
  now_ms += data[0] & 0x3F;
  sfu::Timestamp now = sfu::Timestamp::Millis(now_ms);
  std::vector<uint8_t> packet(data + 1, data + size);
  switch (data[0] >> 6) {
    case 0:
    case 1: world->pub.OnRtp(packet, now); break;
    case 2: world->pub.OnRtcp(packet, now); break;
    default: world->sub.OnRtcp(packet, now); break;
  }
  world->pub.OnTimer(now);
  world->sub.OnTimer(now);
  return 0;
}
