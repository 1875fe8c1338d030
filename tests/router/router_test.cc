// The router end to end, without sockets: a publisher-side and a subscriber-side
// RtpEndpoint, each with a FakeSink, one VP8 producer and its consumers. Time is a fake
// clock (plain Timestamp values).

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "router/consumer.h"
#include "router/media_time.h"
#include "router/producer.h"
#include "router/rate_meter.h"
#include "router/router.h"
#include "router/rtcp/feedback.h"
#include "router/rtcp/rtcp_header.h"
#include "router/rtcp/sender_report.h"
#include "router/rtp/rtp_packet.h"
#include "router/rtp_endpoint.h"
#include "router/rtp_parameters.h"
#include "router/trace_event.h"
#include "tests/router/router_test_util.h"

namespace sfu {
namespace {

using Bytes = std::vector<uint8_t>;

constexpr uint32_t kPubRtcpSsrc = 0x0A0A0001;
constexpr uint32_t kSubRtcpSsrc = 0x0B0B0002;
constexpr uint32_t kSsrc = 1000;
constexpr uint32_t kRtxSsrc = 1001;
constexpr uint8_t kPt = 96;
constexpr uint8_t kRtxPt = 97;
constexpr uint32_t kConsumerSsrc = 5000;
constexpr uint32_t kConsumerRtxSsrc = 5001;
constexpr uint8_t kSubPt = 100;
constexpr uint8_t kSubRtxPt = 101;
constexpr int64_t kUnixMinusMonotonicUs = 1'700'000'000'000'000;

// Publisher extension ids.
constexpr int kPubMidId = 1;
constexpr int kPubAbsSendTimeId = 3;
constexpr int kPubOrientationId = 4;
constexpr int kPubTransportCcId = 5;
// Subscriber extension ids.
constexpr int kSubMidId = 9;
constexpr int kSubAbsSendTimeId = 2;
constexpr int kSubOrientationId = 12;
constexpr int kSubTransportCcId = 7;

Timestamp T(int64_t ms) { return Timestamp::Millis(100'000 + ms); }

// A VP8 payload: descriptor (S=1, PID 0), then a keyframe header (P=0, start code
// 9d 01 2a, 640x480) or a delta frame tag (P=1); then bytes that identify the packet.
Bytes Vp8Payload(bool key, uint16_t tag) {
  Bytes p = key ? Bytes{0x10, 0x00, 0x00, 0x00, 0x9D, 0x01, 0x2A, 0x80, 0x02, 0xE0, 0x01}
                : Bytes{0x10, 0x01, 0x00, 0x00};
  for (uint8_t i = 0; i < 8; ++i) p.push_back(static_cast<uint8_t>(tag + i * 7));
  return p;
}

std::vector<Ext> PublisherExts() {
  return {{kPubMidId, "v"}, {kPubAbsSendTimeId, "abc"}, {kPubOrientationId, "\x01"},
          {kPubTransportCcId, std::string("\x00\x07", 2)}};
}

Bytes MediaPacket(uint16_t seq, uint32_t ts, bool key, uint32_t ssrc = kSsrc) {
  Bytes b = Rtp(ssrc, seq, ts, kPt, PublisherExts(), 0);
  Bytes payload = Vp8Payload(key, seq);
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

// An RTX packet (RFC 4588) carrying original sequence number `osn`.
Bytes RtxPacket(uint16_t rtx_seq, uint16_t osn, uint32_t ts, bool key) {
  Bytes b = Rtp(kRtxSsrc, rtx_seq, ts, kRtxPt, PublisherExts(), 0);
  b.push_back(static_cast<uint8_t>(osn >> 8));
  b.push_back(static_cast<uint8_t>(osn));
  Bytes payload = Vp8Payload(key, osn);
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

struct Out {
  uint32_t ssrc = 0;
  uint8_t pt = 0;
  uint16_t seq = 0;
  uint32_t ts = 0;
  bool marker = false;
  Bytes payload;
  std::map<int, Bytes> ext;
};

Out ParseOut(const Bytes& b) {
  Out o;
  auto p = rtp::RtpPacket::Parse(b);
  EXPECT_TRUE(p.has_value());
  if (!p) return o;
  o.ssrc = p->ssrc();
  o.pt = p->payload_type();
  o.seq = p->sequence();
  o.ts = p->timestamp();
  o.marker = p->marker();
  o.payload.assign(p->payload().begin(), p->payload().end());
  EXPECT_TRUE(p->ForEachExtension([&](int id, std::span<const uint8_t> v) { o.ext[id] = Bytes(v.begin(), v.end()); }));
  return o;
}

template <typename Msg>
Bytes WriteRtcp(const Msg& msg) {
  Bytes b(1500);
  size_t n = msg.Write(b);
  EXPECT_GT(n, 0u);
  b.resize(n);
  return b;
}

struct RtcpLog {
  std::vector<rtcp::Pli> plis;
  std::vector<rtcp::Fir> firs;
  std::vector<rtcp::Nack> nacks;
  std::vector<rtcp::SenderReport> srs;
  std::vector<rtcp::ReceiverReport> rrs;
  int other = 0;
};

RtcpLog ParseRtcp(const FakeSink& sink) {
  RtcpLog log;
  for (const Bytes& packet : sink.rtcp) {
    rtcp::CompoundIterator it(packet);
    while (auto next = it.Next()) {
      const auto& [header, bytes] = *next;
      if (header.type == rtcp::kPayloadFeedback && header.count == rtcp::kPliFormat) {
        auto pli = rtcp::Pli::Parse(bytes);
        EXPECT_TRUE(pli.has_value());
        if (pli) log.plis.push_back(*pli);
      } else if (header.type == rtcp::kPayloadFeedback && header.count == rtcp::kFirFormat) {
        auto fir = rtcp::Fir::Parse(bytes);
        EXPECT_TRUE(fir.has_value());
        if (fir) log.firs.push_back(*fir);
      } else if (header.type == rtcp::kRtpFeedback && header.count == rtcp::kNackFormat) {
        auto nack = rtcp::Nack::Parse(bytes);
        EXPECT_TRUE(nack.has_value());
        if (nack) log.nacks.push_back(*nack);
      } else if (header.type == rtcp::kSenderReport) {
        auto sr = rtcp::SenderReport::Parse(bytes);
        EXPECT_TRUE(sr.has_value());
        if (sr) log.srs.push_back(*sr);
      } else if (header.type == rtcp::kReceiverReport) {
        auto rr = rtcp::ReceiverReport::Parse(bytes);
        EXPECT_TRUE(rr.has_value());
        if (rr) log.rrs.push_back(*rr);
      } else {
        ++log.other;
      }
    }
    EXPECT_FALSE(it.error());
  }
  return log;
}

ProducerParams VideoProducerParams() {
  ProducerParams p;
  p.kind = "video";
  p.mid = "v";
  p.codecs = {{kPt, "video/VP8", 90000, 0, "", kRtxPt, {"nack", "nack pli"}}};
  p.encodings = {{kSsrc, kRtxSsrc, ""}};
  p.mid_extension_id = kPubMidId;
  p.header_extensions = {{std::string(ext_uri::kMid), kPubMidId},
                         {std::string(ext_uri::kAbsSendTime), kPubAbsSendTimeId},
                         {std::string(ext_uri::kVideoOrientation), kPubOrientationId},
                         {std::string(ext_uri::kTransportCc), kPubTransportCcId}};
  return p;
}

RtpCapabilities SubscriberCaps(bool rtx) {
  RtpCapabilities caps;
  caps.codecs.push_back({"video", "video/H264", 98, 90000, 0, "packetization-mode=1;profile-level-id=42e01f",
                         {"nack", "nack pli"}});
  caps.codecs.push_back({"video", "video/VP8", kSubPt, 90000, 0, "", {"nack", "nack pli", "ccm fir", "goog-remb"}});
  if (rtx) caps.codecs.push_back({"video", "video/rtx", kSubRtxPt, 90000, 0, "apt=100", {}});
  caps.header_extensions = {{"video", std::string(ext_uri::kMid), kSubMidId},
                            {"video", std::string(ext_uri::kAbsSendTime), kSubAbsSendTimeId},
                            {"video", std::string(ext_uri::kVideoOrientation), kSubOrientationId},
                            {"video", std::string(ext_uri::kTransportCc), kSubTransportCcId}};
  return caps;
}

class RecordingObserver : public Router::Observer {
 public:
  void OnProducerScore(const Producer& p) override { producer_scores.push_back(p.score()); }
  void OnConsumerScore(const Consumer& c) override { consumer_scores.push_back(c.score()); }
  void OnConsumerProducerPause(const Consumer& c) override { paused.push_back(c.id()); }
  void OnConsumerProducerResume(const Consumer& c) override { resumed.push_back(c.id()); }
  void OnConsumerProducerClose(const Consumer& c) override {
    closed.push_back(c.id());
    // The consumer is still reachable while the observer hears about it.
    still_there = c.producer().id() == "p";
  }
  std::vector<int> producer_scores;
  std::vector<int> consumer_scores;
  std::vector<std::string> paused;
  std::vector<std::string> resumed;
  std::vector<std::string> closed;
  bool still_there = false;

  struct Traced {
    std::string id;  // The producer's or consumer's id; the endpoint's CNAME.
    TraceEvent event;
  };
  void OnProducerTrace(const Producer& p, const TraceEvent& e) override { producer_traces.push_back({p.id(), e}); }
  void OnConsumerTrace(const Consumer& c, const TraceEvent& e) override { consumer_traces.push_back({c.id(), e}); }
  void OnEndpointTrace(const RtpEndpoint& ep, const TraceEvent& e) override {
    endpoint_traces.push_back({ep.cname(), e});
  }
  std::vector<Traced> producer_traces;
  std::vector<Traced> consumer_traces;
  std::vector<Traced> endpoint_traces;
};

RouterOptions Options() {
  RouterOptions o;
  o.clock.unix_minus_monotonic_us = kUnixMinusMonotonicUs;
  o.randomize_report_interval = false;  // The tests below count reports at exact times.
  return o;
}

class RouterTest : public testing::Test {
 protected:
  RouterTest()
      : router_("r", Options(), &observer_),
        pub_(router_, pub_sink_, kPubRtcpSsrc, "pub"),
        sub_(router_, sub_sink_, kSubRtcpSsrc, "sub") {
    auto p = router_.Produce(pub_, "p", VideoProducerParams());
    EXPECT_TRUE(p.ok()) << p.status();
    producer_ = p.ok() ? *p : nullptr;
  }
  ~RouterTest() override {
    router_.CloseEndpoint(sub_);
    router_.CloseEndpoint(pub_);
  }

  Consumer* Consume(const std::string& id, Timestamp now, bool rtx = true, uint32_t ssrc = kConsumerSsrc,
                    uint32_t rtx_ssrc = kConsumerRtxSsrc) {
    auto params = DeriveConsumerParams(VideoProducerParams(), SubscriberCaps(rtx), "0", ssrc, rtx_ssrc);
    EXPECT_TRUE(params.ok()) << params.status();
    if (!params.ok()) return nullptr;
    auto c = router_.Consume(sub_, id, "p", *params, now);
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? *c : nullptr;
  }

  void Send(Bytes packet, Timestamp now) { pub_.OnRtp(packet, now); }
  void SendMedia(uint16_t seq, uint32_t ts, bool key, Timestamp now) { Send(MediaPacket(seq, ts, key), now); }

  std::vector<Out> SubOut(size_t from = 0) const {
    std::vector<Out> out;
    for (size_t i = from; i < sub_sink_.rtp.size(); ++i) out.push_back(ParseOut(sub_sink_.rtp[i]));
    return out;
  }

  RecordingObserver observer_;
  FakeSink pub_sink_;
  FakeSink sub_sink_;
  Router router_;
  RtpEndpoint pub_;
  RtpEndpoint sub_;
  Producer* producer_ = nullptr;
};

// ---------------------------------------------------------------------------------------

TEST_F(RouterTest, NewVideoConsumerRequestsKeyFrameAndDropsUntilOne) {
  ASSERT_NE(producer_, nullptr);
  Consumer* c = Consume("c", T(0));
  ASSERT_NE(c, nullptr);
  // The creation asked the publisher for a keyframe.
  RtcpLog log = ParseRtcp(pub_sink_);
  ASSERT_EQ(log.plis.size(), 1u);
  EXPECT_EQ(log.plis[0].sender_ssrc, kPubRtcpSsrc);
  EXPECT_EQ(log.plis[0].media_ssrc, kSsrc);
  EXPECT_TRUE(sub_sink_.rtcp.empty());
  EXPECT_TRUE(c->waiting_keyframe());

  SendMedia(10, 1000, false, T(10));
  SendMedia(11, 1000, false, T(11));
  EXPECT_TRUE(sub_sink_.rtp.empty());
  EXPECT_EQ(c->stats().dropped_waiting_keyframe, 2u);

  SendMedia(12, 4000, true, T(40));
  SendMedia(13, 4000, false, T(41));
  ASSERT_EQ(sub_sink_.rtp.size(), 2u);
  EXPECT_FALSE(c->waiting_keyframe());
  EXPECT_EQ(c->stats().keyframes_sent, 1u);
  EXPECT_EQ(c->stats().packets_sent, 2u);
  auto out = SubOut();
  EXPECT_EQ(out[0].payload, Vp8Payload(true, 12));
  EXPECT_EQ(out[1].payload, Vp8Payload(false, 13));
  EXPECT_EQ(static_cast<uint16_t>(out[1].seq - out[0].seq), 1);
  EXPECT_EQ(c->stats().bytes_sent, sub_sink_.rtp[0].size() + sub_sink_.rtp[1].size());
  // The producer's keyframe satisfied the request: no further PLI from the timer.
  pub_.OnTimer(T(2000));
  EXPECT_EQ(ParseRtcp(pub_sink_).plis.size(), 1u);
}

TEST_F(RouterTest, AudioConsumerDoesNotWaitOrRequest) {
  ProducerParams audio;
  audio.kind = "audio";
  audio.mid = "a";
  audio.codecs = {{111, "audio/opus", 48000, 2, "", std::nullopt, {}}};
  audio.encodings = {{2000, std::nullopt, ""}};
  ASSERT_TRUE(router_.Produce(pub_, "pa", audio).ok());
  RtpCapabilities caps;
  caps.codecs = {{"audio", "audio/opus", 109, 48000, 2, "", {}}};
  auto params = DeriveConsumerParams(audio, caps, "1", 7000, 7001);
  ASSERT_TRUE(params.ok());
  auto c = router_.Consume(sub_, "ca", "pa", *params, T(0));
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE((*c)->waiting_keyframe());
  EXPECT_TRUE(pub_sink_.rtcp.empty());
  Bytes a = Rtp(2000, 50, 960, 111, {}, 30);
  pub_.OnRtp(a, T(10));
  ASSERT_EQ(sub_sink_.rtp.size(), 1u);
  Out o = ParseOut(sub_sink_.rtp[0]);
  EXPECT_EQ(o.ssrc, 7000u);
  EXPECT_EQ(o.pt, 109);
  EXPECT_EQ(o.seq, 50);
  // Kind mismatch is refused.
  auto wrong = router_.Consume(sub_, "cv", "pa", *DeriveConsumerParams(VideoProducerParams(), SubscriberCaps(true),
                                                                        "2", 8000, 8001),
                               T(0));
  EXPECT_FALSE(wrong.ok());
}

TEST_F(RouterTest, RewritesSsrcPayloadTypeAndExtensions) {
  Consumer* c = Consume("c", T(0));
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->params().payload_type, kSubPt);
  EXPECT_EQ(c->params().rtx_payload_type, kSubRtxPt);
  Bytes key = MediaPacket(500, 9000, true);
  key[1] |= 0x80;  // Marker.
  Send(key, T(10));
  ASSERT_EQ(sub_sink_.rtp.size(), 1u);
  Out o = ParseOut(sub_sink_.rtp[0]);
  EXPECT_EQ(o.ssrc, kConsumerSsrc);
  EXPECT_EQ(o.pt, kSubPt);
  EXPECT_TRUE(o.marker);
  EXPECT_EQ(o.payload, Vp8Payload(true, 500));
  uint32_t ast = rtp::AbsSendTime(T(10).us());
  std::map<int, Bytes> want = {
      {kSubMidId, {'0'}},
      {kSubAbsSendTimeId, {static_cast<uint8_t>(ast >> 16), static_cast<uint8_t>(ast >> 8), static_cast<uint8_t>(ast)}},
      {kSubOrientationId, {0x01}},
  };
  EXPECT_EQ(o.ext, want);  // The publisher's MID, abs-send-time and transport-cc are gone.

  // The next packet: sequence and timestamp follow the publisher's.
  SendMedia(501, 12000, false, T(43));
  ASSERT_EQ(sub_sink_.rtp.size(), 2u);
  Out next = ParseOut(sub_sink_.rtp[1]);
  EXPECT_EQ(static_cast<uint16_t>(next.seq - o.seq), 1);
  EXPECT_EQ(next.ts - o.ts, 3000u);
  EXPECT_FALSE(next.marker);
}

TEST_F(RouterTest, SequenceContinuousAcrossConsumerPauseResume) {
  Consumer* c = Consume("c", T(0));
  ASSERT_NE(c, nullptr);
  SendMedia(100, 1000, true, T(10));
  for (uint16_t s = 101; s <= 104; ++s) SendMedia(s, 1000 + 3000u * (s - 100u), false, T(10 + 33 * (s - 100)));
  ASSERT_EQ(sub_sink_.rtp.size(), 5u);
  Out last = ParseOut(sub_sink_.rtp.back());
  Timestamp last_time = T(10 + 33 * 4);

  ASSERT_TRUE(router_.PauseConsumer("c").ok());
  EXPECT_TRUE(c->paused());
  SendMedia(105, 16000, true, T(200));
  SendMedia(106, 19000, false, T(233));
  EXPECT_EQ(sub_sink_.rtp.size(), 5u);

  ASSERT_TRUE(router_.ResumeConsumer("c", T(1500)).ok());
  EXPECT_TRUE(c->waiting_keyframe());
  // Resuming asked for a keyframe (the first request was 1.5 s ago: not throttled).
  EXPECT_EQ(ParseRtcp(pub_sink_).plis.size(), 2u);
  SendMedia(150, 500000, false, T(1510));  // The publisher's sequence jumped meanwhile.
  SendMedia(151, 503000, false, T(1543));
  EXPECT_EQ(sub_sink_.rtp.size(), 5u);
  EXPECT_EQ(c->stats().dropped_waiting_keyframe, 2u);

  Timestamp key_time = T(1576);
  SendMedia(152, 506000, true, key_time);
  SendMedia(153, 509000, false, T(1609));
  ASSERT_EQ(sub_sink_.rtp.size(), 7u);
  Out first = ParseOut(sub_sink_.rtp[5]);
  Out second = ParseOut(sub_sink_.rtp[6]);
  EXPECT_EQ(first.seq, static_cast<uint16_t>(last.seq + 1));
  EXPECT_EQ(second.seq, static_cast<uint16_t>(last.seq + 2));
  EXPECT_EQ(first.ts, last.ts + static_cast<uint32_t>(RtpTicks(key_time - last_time, 90000)));
  EXPECT_EQ(first.ts - last.ts, 90u * (1576 - 142));
  EXPECT_EQ(second.ts - first.ts, 3000u);  // Publisher's spacing kept.
  EXPECT_EQ(first.payload, Vp8Payload(true, 152));
  EXPECT_EQ(first.ssrc, kConsumerSsrc);
}

TEST_F(RouterTest, SequenceContinuousAcrossProducerPauseResume) {
  Consumer* c = Consume("c", T(0));
  ASSERT_NE(c, nullptr);
  SendMedia(7, 90000, true, T(10));
  SendMedia(8, 93000, false, T(43));
  ASSERT_EQ(sub_sink_.rtp.size(), 2u);
  Out last = ParseOut(sub_sink_.rtp.back());

  ASSERT_TRUE(router_.PauseProducer("p").ok());
  EXPECT_TRUE(producer_->paused());
  EXPECT_TRUE(c->producer_paused());
  EXPECT_EQ(observer_.paused, std::vector<std::string>{"c"});
  SendMedia(9, 96000, true, T(76));
  SendMedia(10, 99000, false, T(109));
  EXPECT_EQ(sub_sink_.rtp.size(), 2u);

  ASSERT_TRUE(router_.ResumeProducer("p", T(3000)).ok());
  EXPECT_FALSE(c->producer_paused());
  EXPECT_EQ(observer_.resumed, std::vector<std::string>{"c"});
  EXPECT_TRUE(c->waiting_keyframe());
  EXPECT_EQ(ParseRtcp(pub_sink_).plis.size(), 2u);
  SendMedia(11, 102000, false, T(3010));
  EXPECT_EQ(sub_sink_.rtp.size(), 2u);
  SendMedia(12, 105000, true, T(3043));
  SendMedia(13, 108000, false, T(3076));
  ASSERT_EQ(sub_sink_.rtp.size(), 4u);
  Out first = ParseOut(sub_sink_.rtp[2]);
  Out second = ParseOut(sub_sink_.rtp[3]);
  EXPECT_EQ(first.seq, static_cast<uint16_t>(last.seq + 1));
  EXPECT_EQ(second.seq, static_cast<uint16_t>(last.seq + 2));
  EXPECT_EQ(first.ts - last.ts, 90u * (3043 - 43));
  EXPECT_EQ(second.ts - first.ts, 3000u);
  EXPECT_EQ(first.payload, Vp8Payload(true, 12));
}

TEST_F(RouterTest, PausedConsumerIsNotRestartedByProducerResume) {
  Consumer* c = Consume("c", T(0));
  ASSERT_NE(c, nullptr);
  SendMedia(1, 0, true, T(10));
  ASSERT_TRUE(router_.PauseConsumer("c").ok());
  ASSERT_TRUE(router_.PauseProducer("p").ok());
  ASSERT_TRUE(router_.ResumeProducer("p", T(5000)).ok());
  EXPECT_EQ(ParseRtcp(pub_sink_).plis.size(), 1u);  // Nobody needs a keyframe.
  SendMedia(2, 3000, true, T(5010));
  EXPECT_EQ(sub_sink_.rtp.size(), 1u);
}

TEST_F(RouterTest, SubscriberNackAnsweredWithRtx) {
  Consumer* c = Consume("c", T(0));
  ASSERT_NE(c, nullptr);
  SendMedia(200, 0, true, T(10));
  for (uint16_t s = 201; s <= 205; ++s) SendMedia(s, 3000u * (s - 200u), false, T(10 + (s - 200)));
  ASSERT_EQ(sub_sink_.rtp.size(), 6u);
  std::vector<Out> sent = SubOut();

  rtcp::Nack nack;
  nack.sender_ssrc = 0xCAFE;
  nack.media_ssrc = kConsumerSsrc;
  nack.sequence_numbers = {sent[2].seq, sent[4].seq};
  sub_.OnRtcp(WriteRtcp(nack), T(100));
  ASSERT_EQ(sub_sink_.rtp.size(), 8u);
  EXPECT_EQ(c->stats().nack_count, 1u);
  EXPECT_EQ(c->stats().retransmitted_packets, 2u);
  for (size_t i = 0; i < 2; ++i) {
    const Out& orig = sent[i == 0 ? 2 : 4];
    Out rtx = ParseOut(sub_sink_.rtp[6 + i]);
    EXPECT_EQ(rtx.ssrc, kConsumerRtxSsrc);
    EXPECT_EQ(rtx.pt, kSubRtxPt);
    EXPECT_EQ(rtx.ts, orig.ts);
    ASSERT_GE(rtx.payload.size(), 2u);
    uint16_t osn = static_cast<uint16_t>((rtx.payload[0] << 8) | rtx.payload[1]);
    EXPECT_EQ(osn, orig.seq);
    EXPECT_EQ(Bytes(rtx.payload.begin() + 2, rtx.payload.end()), orig.payload);
    EXPECT_EQ(rtx.ext.at(kSubMidId), Bytes{'0'});
    EXPECT_FALSE(rtx.ext.contains(kPubTransportCcId));
  }
  // RTX has its own sequence space, consecutive.
  EXPECT_EQ(static_cast<uint16_t>(ParseOut(sub_sink_.rtp[7]).seq - ParseOut(sub_sink_.rtp[6]).seq), 1);
  EXPECT_EQ(c->stats().retransmitted_bytes, sub_sink_.rtp[6].size() + sub_sink_.rtp[7].size());

  // The unwrapped RTX packet is the original packet, byte for byte except abs-send-time.
  Bytes rtx_bytes = sub_sink_.rtp[6];
  auto unwrapped = rtp::UnwrapRtx(rtx_bytes, kConsumerSsrc, kSubPt);
  ASSERT_TRUE(unwrapped.has_value());
  Out u = ParseOut(Bytes(unwrapped->begin(), unwrapped->end()));
  EXPECT_EQ(u.seq, sent[2].seq);
  EXPECT_EQ(u.payload, sent[2].payload);
  EXPECT_EQ(u.ext.at(kSubOrientationId), sent[2].ext.at(kSubOrientationId));
}

TEST_F(RouterTest, SubscriberNackAcrossResumeMapsToTheRightPacket) {
  Consumer* c = Consume("c", T(0));
  ASSERT_NE(c, nullptr);
  SendMedia(200, 0, true, T(10));
  SendMedia(201, 3000, false, T(20));
  SendMedia(202, 6000, false, T(30));
  ASSERT_TRUE(router_.PauseConsumer("c").ok());
  SendMedia(203, 9000, false, T(40));
  ASSERT_TRUE(router_.ResumeConsumer("c", T(50)).ok());
  SendMedia(300, 90000, true, T(60));
  SendMedia(301, 93000, false, T(70));
  ASSERT_EQ(sub_sink_.rtp.size(), 5u);
  std::vector<Out> sent = SubOut();
  ASSERT_EQ(sent[3].seq, static_cast<uint16_t>(sent[2].seq + 1));

  rtcp::Nack nack;
  nack.media_ssrc = kConsumerSsrc;
  nack.sequence_numbers = {sent[1].seq, sent[4].seq};  // One of each epoch.
  sub_.OnRtcp(WriteRtcp(nack), T(80));
  ASSERT_EQ(sub_sink_.rtp.size(), 7u);
  Out a = ParseOut(sub_sink_.rtp[5]);
  Out b = ParseOut(sub_sink_.rtp[6]);
  EXPECT_EQ(Bytes(a.payload.begin() + 2, a.payload.end()), Vp8Payload(false, 201));
  EXPECT_EQ(a.ts, sent[1].ts);
  EXPECT_EQ(Bytes(b.payload.begin() + 2, b.payload.end()), Vp8Payload(false, 301));
  EXPECT_EQ(b.ts, sent[4].ts);
  EXPECT_EQ(c->stats().nack_missed, 0u);
}

TEST_F(RouterTest, SubscriberNackWithoutRtxRetransmitsPlain) {
  Consumer* c = Consume("c", T(0), /*rtx=*/false);
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(c->params().nack);
  EXPECT_FALSE(c->params().rtx_ssrc.has_value());
  SendMedia(40000, 0, true, T(10));
  SendMedia(40001, 3000, false, T(20));
  SendMedia(40002, 6000, false, T(30));
  std::vector<Out> sent = SubOut();
  ASSERT_EQ(sent.size(), 3u);

  rtcp::Nack nack;
  nack.media_ssrc = kConsumerSsrc;
  nack.sequence_numbers = {sent[1].seq};
  sub_.OnRtcp(WriteRtcp(nack), T(40));
  ASSERT_EQ(sub_sink_.rtp.size(), 4u);
  Out re = ParseOut(sub_sink_.rtp[3]);
  EXPECT_EQ(re.ssrc, kConsumerSsrc);
  EXPECT_EQ(re.pt, kSubPt);
  EXPECT_EQ(re.seq, sent[1].seq);
  EXPECT_EQ(re.ts, sent[1].ts);
  EXPECT_EQ(re.payload, sent[1].payload);
  EXPECT_EQ(c->stats().retransmitted_packets, 1u);
  // Retransmissions are not counted as sent media.
  EXPECT_EQ(c->stats().packets_sent, 3u);
}

TEST_F(RouterTest, SubscriberNackAcrossSequenceWrap) {
  Consumer* c = Consume("c", T(0));
  ASSERT_NE(c, nullptr);
  SendMedia(65533, 0, true, T(10));
  for (uint16_t s : {uint16_t{65534}, uint16_t{65535}, uint16_t{0}, uint16_t{1}, uint16_t{2}}) {
    SendMedia(s, 3000, false, T(20));
  }
  std::vector<Out> sent = SubOut();
  ASSERT_EQ(sent.size(), 6u);
  EXPECT_EQ(sent[3].seq, static_cast<uint16_t>(sent[2].seq + 1));
  rtcp::Nack nack;
  nack.media_ssrc = kConsumerSsrc;
  nack.sequence_numbers = {sent[1].seq, sent[4].seq};  // Either side of the wrap.
  sub_.OnRtcp(WriteRtcp(nack), T(30));
  ASSERT_EQ(sub_sink_.rtp.size(), 8u);
  Out a = ParseOut(sub_sink_.rtp[6]);
  Out b = ParseOut(sub_sink_.rtp[7]);
  EXPECT_EQ(static_cast<uint16_t>((a.payload[0] << 8) | a.payload[1]), sent[1].seq);
  EXPECT_EQ(Bytes(a.payload.begin() + 2, a.payload.end()), Vp8Payload(false, 65534));
  EXPECT_EQ(static_cast<uint16_t>((b.payload[0] << 8) | b.payload[1]), sent[4].seq);
  EXPECT_EQ(Bytes(b.payload.begin() + 2, b.payload.end()), Vp8Payload(false, 1));
  EXPECT_EQ(c->stats().nack_missed, 0u);
}

TEST_F(RouterTest, NackIgnoredWhenNotNegotiated) {
  RtpCapabilities caps = SubscriberCaps(true);
  for (auto& codec : caps.codecs) codec.rtcp_feedback = {"nack pli"};
  auto params = DeriveConsumerParams(VideoProducerParams(), caps, "0", kConsumerSsrc, kConsumerRtxSsrc);
  ASSERT_TRUE(params.ok());
  EXPECT_FALSE(params->nack);
  EXPECT_FALSE(params->rtx_ssrc.has_value());
  auto c = router_.Consume(sub_, "c", "p", *params, T(0));
  ASSERT_TRUE(c.ok());
  SendMedia(1, 0, true, T(10));
  SendMedia(2, 0, false, T(11));
  rtcp::Nack nack;
  nack.media_ssrc = kConsumerSsrc;
  nack.sequence_numbers = {1};
  sub_.OnRtcp(WriteRtcp(nack), T(20));
  EXPECT_EQ(sub_sink_.rtp.size(), 2u);
  EXPECT_EQ((*c)->stats().nack_count, 1u);
  EXPECT_EQ((*c)->stats().retransmitted_packets, 0u);
}

TEST_F(RouterTest, DuplicatePublisherPacketIsForwardedOnce) {
  Consume("c", T(0));
  SendMedia(1, 0, true, T(10));
  SendMedia(2, 0, false, T(11));
  SendMedia(2, 0, false, T(12));
  SendMedia(1, 0, true, T(13));
  EXPECT_EQ(sub_sink_.rtp.size(), 2u);
  EXPECT_EQ(producer_->Stats(T(13))[0].packets_discarded, 2u);
  // An RTX packet for something never missed is dropped too.
  Send(RtxPacket(9, 2, 0, false), T(14));
  EXPECT_EQ(sub_sink_.rtp.size(), 2u);
  EXPECT_EQ(producer_->Stats(T(14))[0].packets_discarded, 3u);
  EXPECT_EQ(producer_->Stats(T(14))[0].rtx_packets, 1u);
}

TEST_F(RouterTest, HugePublisherGapAsksForKeyFrameInsteadOfNacks) {
  Consume("c", T(0));
  SendMedia(10, 0, true, T(10));
  SendMedia(11, 0, false, T(20));
  ASSERT_EQ(ParseRtcp(pub_sink_).plis.size(), 1u);
  SendMedia(11 + 1000, 90000, false, T(2000));  // 999 lost: more than the NACK list holds.
  RtcpLog log = ParseRtcp(pub_sink_);
  EXPECT_EQ(log.plis.size(), 2u);
  pub_.OnTimer(T(2100));
  EXPECT_TRUE(ParseRtcp(pub_sink_).nacks.empty());
}

TEST_F(RouterTest, NackForPacketNoLongerStoredCountsMissed) {
  Consumer* c = Consume("c", T(0));
  ASSERT_NE(c, nullptr);
  SendMedia(10, 0, true, T(10));
  SendMedia(11, 3000, false, T(20));
  std::vector<Out> sent = SubOut();
  ASSERT_EQ(sent.size(), 2u);
  // Kept for store_max_age (2 s).
  SendMedia(12, 6000, false, T(2500));
  ASSERT_EQ(sub_sink_.rtp.size(), 3u);
  rtcp::Nack nack;
  nack.media_ssrc = kConsumerSsrc;
  nack.sequence_numbers = {sent[0].seq, sent[1].seq, static_cast<uint16_t>(sent[1].seq + 1)};
  sub_.OnRtcp(WriteRtcp(nack), T(2500));
  EXPECT_EQ(c->stats().nack_missed, 2u);
  ASSERT_EQ(sub_sink_.rtp.size(), 4u);  // Only the fresh one.
  Out re = ParseOut(sub_sink_.rtp[3]);
  EXPECT_EQ(Bytes(re.payload.begin() + 2, re.payload.end()), Vp8Payload(false, 12));

  // A NACK for what was never sent (ahead of the newest) is ignored, not missed.
  nack.sequence_numbers = {static_cast<uint16_t>(sent[1].seq + 5)};
  sub_.OnRtcp(WriteRtcp(nack), T(2501));
  EXPECT_EQ(c->stats().nack_missed, 2u);
  EXPECT_EQ(sub_sink_.rtp.size(), 4u);
  EXPECT_EQ(c->stats().nack_count, 2u);
}

TEST_F(RouterTest, NackForUnknownSsrcIsCounted) {
  Consume("c", T(0));
  rtcp::Nack nack;
  nack.media_ssrc = 0xDEAD;
  nack.sequence_numbers = {1};
  sub_.OnRtcp(WriteRtcp(nack), T(10));
  EXPECT_EQ(sub_.counters().rtcp_unknown_ssrc, 1u);
  EXPECT_EQ(sub_.counters().rtcp_packets, 1u);
  Bytes junk = {0x80, 200, 0, 50};
  sub_.OnRtcp(junk, T(10));
  EXPECT_EQ(sub_.counters().rtcp_malformed, 1u);
}

TEST_F(RouterTest, PublisherLossNackedAfterReorderDelayAndFilledByRtx) {
  Consumer* c = Consume("c", T(0));
  ASSERT_NE(c, nullptr);
  // One pause/resume first, so the consumer's sequence numbers are offset.
  SendMedia(100, 0, true, T(10));
  SendMedia(101, 3000, false, T(20));
  ASSERT_TRUE(router_.PauseConsumer("c").ok());
  SendMedia(102, 6000, false, T(30));
  ASSERT_TRUE(router_.ResumeConsumer("c", T(40)).ok());
  pub_.OnTimer(T(40));  // Arms the report timer.
  size_t rtcp_before = pub_sink_.rtcp.size();

  SendMedia(103, 9000, true, T(100));
  SendMedia(104, 12000, false, T(110));
  SendMedia(106, 18000, false, T(120));  // 105 lost.
  ASSERT_EQ(sub_sink_.rtp.size(), 5u);
  std::vector<Out> sent = SubOut();
  // Output 102 is input 103: the pause shifted the numbering by one.
  EXPECT_EQ(sent[2].seq, static_cast<uint16_t>(sent[1].seq + 1));
  EXPECT_EQ(sent[2].payload, Vp8Payload(true, 103));
  EXPECT_EQ(sent[4].seq, static_cast<uint16_t>(sent[3].seq + 2));  // A hole where 105 goes.

  // Not before the reorder delay (5 ms).
  pub_.OnTimer(T(124));
  EXPECT_EQ(pub_sink_.rtcp.size(), rtcp_before);
  pub_.OnTimer(T(125));
  ASSERT_EQ(pub_sink_.rtcp.size(), rtcp_before + 1);
  auto nack = rtcp::Nack::Parse(pub_sink_.rtcp.back());
  ASSERT_TRUE(nack.has_value());
  EXPECT_EQ(nack->sender_ssrc, kPubRtcpSsrc);
  EXPECT_EQ(nack->media_ssrc, kSsrc);
  EXPECT_EQ(std::vector<uint16_t>(nack->sequence_numbers.begin(), nack->sequence_numbers.end()),
            std::vector<uint16_t>{105});

  // The retransmission fills the gap.
  Send(RtxPacket(1, 105, 15000, false), T(160));
  ASSERT_EQ(sub_sink_.rtp.size(), 6u);
  Out filled = ParseOut(sub_sink_.rtp[5]);
  EXPECT_EQ(filled.seq, static_cast<uint16_t>(sent[3].seq + 1));
  EXPECT_EQ(filled.ssrc, kConsumerSsrc);
  EXPECT_EQ(filled.pt, kSubPt);
  EXPECT_EQ(filled.ts, sent[3].ts + 3000);
  EXPECT_EQ(filled.payload, Vp8Payload(false, 105));
  EXPECT_EQ(filled.ext.at(kSubMidId), Bytes{'0'});

  auto stats = producer_->Stats(T(160));
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0].rtx_packets, 1u);
  EXPECT_EQ(stats[0].packets_recovered, 1u);
  EXPECT_EQ(stats[0].nack_count, 1u);
  EXPECT_EQ(stats[0].nack_packets, 1u);
  EXPECT_EQ(stats[0].packets_lost, 0);

  // A second copy is a duplicate: dropped. No more NACKs for 105.
  Send(RtxPacket(2, 105, 15000, false), T(170));
  EXPECT_EQ(sub_sink_.rtp.size(), 6u);
  EXPECT_EQ(producer_->Stats(T(170))[0].packets_discarded, 1u);
  pub_.OnTimer(T(500));
  EXPECT_TRUE(ParseRtcp(pub_sink_).nacks.size() == 1u);

  // The recovered packet is in the store: a subscriber NACK for it is answered.
  rtcp::Nack sub_nack;
  sub_nack.media_ssrc = kConsumerSsrc;
  sub_nack.sequence_numbers = {filled.seq};
  sub_.OnRtcp(WriteRtcp(sub_nack), T(510));
  ASSERT_EQ(sub_sink_.rtp.size(), 7u);
  Out re = ParseOut(sub_sink_.rtp[6]);
  EXPECT_EQ(re.ssrc, kConsumerRtxSsrc);
  EXPECT_EQ(Bytes(re.payload.begin() + 2, re.payload.end()), Vp8Payload(false, 105));
  EXPECT_EQ(c->stats().nack_missed, 0u);
}

TEST_F(RouterTest, LatePublisherPacketBeforeReorderDelayIsNotNacked) {
  Consume("c", T(0));
  pub_.OnTimer(T(0));
  SendMedia(1, 0, true, T(10));
  SendMedia(3, 6000, false, T(11));
  SendMedia(2, 3000, false, T(13));  // Reordered, 2 ms late.
  pub_.OnTimer(T(20));
  pub_.OnTimer(T(500));
  EXPECT_TRUE(ParseRtcp(pub_sink_).nacks.empty());
  EXPECT_EQ(sub_sink_.rtp.size(), 3u);
}

TEST_F(RouterTest, SubscriberPliThrottledToOnePerSecond) {
  Consumer* c = Consume("c", T(0));
  ASSERT_NE(c, nullptr);
  ASSERT_EQ(ParseRtcp(pub_sink_).plis.size(), 1u);  // From the creation.
  rtcp::Pli pli{0xCAFE, kConsumerSsrc};

  sub_.OnRtcp(WriteRtcp(pli), T(2000));
  EXPECT_EQ(ParseRtcp(pub_sink_).plis.size(), 2u);  // Immediately.
  sub_.OnRtcp(WriteRtcp(pli), T(2300));
  EXPECT_EQ(ParseRtcp(pub_sink_).plis.size(), 2u);  // Throttled.
  EXPECT_EQ(c->stats().pli_count, 2u);

  pub_.OnTimer(T(2500));
  pub_.OnTimer(T(2999));
  EXPECT_EQ(ParseRtcp(pub_sink_).plis.size(), 2u);
  pub_.OnTimer(T(3000));
  RtcpLog log = ParseRtcp(pub_sink_);
  ASSERT_EQ(log.plis.size(), 3u);
  EXPECT_EQ(log.plis[2].media_ssrc, kSsrc);
  EXPECT_EQ(log.plis[2].sender_ssrc, kPubRtcpSsrc);
  pub_.OnTimer(T(5000));
  EXPECT_EQ(ParseRtcp(pub_sink_).plis.size(), 3u);
  auto stats = producer_->Stats(T(5000));
  // Stats only list streams that saw a packet or have a known SSRC.
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0].pli_count, 3u);

  // FIR from the subscriber is a keyframe request too.
  rtcp::Fir fir;
  fir.sender_ssrc = 0xCAFE;
  fir.entries.push_back({kConsumerSsrc, 1});
  sub_.OnRtcp(WriteRtcp(fir), T(6000));
  EXPECT_EQ(c->stats().fir_count, 1u);
  EXPECT_EQ(ParseRtcp(pub_sink_).plis.size(), 4u);  // The publisher takes PLI.
}

TEST_F(RouterTest, ReceiverReportToPublisher) {
  pub_.OnTimer(T(0));  // Arms the report timer: next at T(1000).
  // 65530 .. 9 across the wrap, 65533 and 4 lost. Perfect pacing: no jitter.
  const uint32_t ts0 = 777;
  auto send = [&](uint16_t seq, int64_t ms) { SendMedia(seq, ts0 + static_cast<uint32_t>(90 * ms), seq == 65530, T(ms)); };
  int64_t ms = 10;
  for (int i = 0; i < 16; ++i, ms += 20) {
    uint16_t seq = static_cast<uint16_t>(65530 + i);
    if (seq == 65533 || seq == 4) continue;
    send(seq, ms);
  }
  // A sender report from the publisher at T(500).
  rtcp::SenderReport psr;
  psr.ssrc = kSsrc;
  psr.ntp_time = 0xE1234567'89ABCDEFull;
  psr.rtp_timestamp = ts0 + 90 * 500;
  pub_.OnRtcp(WriteRtcp(psr), T(500));

  pub_.OnTimer(T(1000));
  EXPECT_EQ(observer_.producer_scores, std::vector<int>{10 - 32 * 50 / 256});
  RtcpLog log = ParseRtcp(pub_sink_);
  ASSERT_EQ(log.rrs.size(), 1u);
  EXPECT_EQ(log.rrs[0].ssrc, kPubRtcpSsrc);
  ASSERT_EQ(log.rrs[0].blocks.size(), 1u);
  rtcp::ReportBlock b = log.rrs[0].blocks[0];
  EXPECT_EQ(b.ssrc, kSsrc);
  // 16 expected, 14 received: 2/16 of 256.
  EXPECT_EQ(b.fraction_lost, 32);
  EXPECT_EQ(b.cumulative_lost, 2);
  EXPECT_EQ(b.extended_highest_seq, (1u << 16) | 9u);
  EXPECT_EQ(b.jitter, 0u);
  EXPECT_EQ(b.last_sr, 0x456789ABu);
  EXPECT_EQ(b.delay_since_last_sr, 1u << 15);  // 0.5 s.
  EXPECT_FALSE(log.nacks.empty());  // The losses were NACKed meanwhile.

  // Second interval: 10..19 with 15 and 16 lost, and the lost 4 arriving late.
  ms = 1010;
  for (uint16_t seq = 10; seq < 20; ++seq, ms += 20) {
    if (seq == 15 || seq == 16) continue;
    send(seq, ms);
  }
  SendMedia(4, ts0 + 90 * 210, false, T(ms));
  pub_.OnTimer(T(2000));
  log = ParseRtcp(pub_sink_);
  ASSERT_EQ(log.rrs.size(), 2u);
  ASSERT_EQ(log.rrs[1].blocks.size(), 1u);
  b = log.rrs[1].blocks[0];
  // Expected 10 more, received 9 (8 new + the late one): 1/10 of 256.
  EXPECT_EQ(b.fraction_lost, 25);
  EXPECT_EQ(b.cumulative_lost, 3);  // 26 expected, 23 received.
  EXPECT_EQ(b.extended_highest_seq, (1u << 16) | 19u);
  EXPECT_GT(b.jitter, 0u);  // The late packet.

  // An interval where retransmissions outnumber the losses: fraction 0, not negative.
  Send(MediaPacket(15, ts0, false), T(2010));
  Send(MediaPacket(16, ts0, false), T(2011));
  send(20, 2020);
  pub_.OnTimer(T(3000));
  log = ParseRtcp(pub_sink_);
  ASSERT_EQ(log.rrs.size(), 3u);
  b = log.rrs[2].blocks[0];
  EXPECT_EQ(b.fraction_lost, 0);
  EXPECT_EQ(b.cumulative_lost, 1);  // 65533 never came.
  EXPECT_EQ(b.extended_highest_seq, (1u << 16) | 20u);
  EXPECT_EQ(observer_.producer_scores, (std::vector<int>{4, 6, 10}));
  EXPECT_EQ(producer_->score(), 10);
  EXPECT_EQ(pub_.counters().receiver_reports_sent, 3u);
}

TEST_F(RouterTest, SenderReportToSubscriberFollowsPublisherMapping) {
  Consumer* c = Consume("c", T(0));
  ASSERT_NE(c, nullptr);
  sub_.OnTimer(T(0));  // Arms the report timer.
  SendMedia(100, 10000, true, T(10));
  SendMedia(101, 10900, false, T(20));
  ASSERT_TRUE(router_.PauseConsumer("c").ok());
  ASSERT_TRUE(router_.ResumeConsumer("c", T(900)).ok());
  SendMedia(120, 50000, true, T(950));
  ASSERT_EQ(sub_sink_.rtp.size(), 3u);
  Out resumed = ParseOut(sub_sink_.rtp[2]);
  uint32_t ts_offset = resumed.ts - 50000;
  EXPECT_EQ(resumed.ts, 10900u + 90u * 930u);

  // The publisher's mapping: RTP 49000 at T(940).
  rtcp::SenderReport psr;
  psr.ssrc = kSsrc;
  psr.ntp_time = 0x1234;
  psr.rtp_timestamp = 49000;
  pub_.OnRtcp(WriteRtcp(psr), T(940));

  sub_.OnTimer(T(999));
  EXPECT_TRUE(sub_sink_.rtcp.empty());
  sub_.OnTimer(T(1000));
  RtcpLog log = ParseRtcp(sub_sink_);
  ASSERT_EQ(log.srs.size(), 1u);
  EXPECT_TRUE(log.rrs.empty());  // Nothing received on the subscriber side.
  const rtcp::SenderReport& sr = log.srs[0];
  EXPECT_EQ(sr.ssrc, kConsumerSsrc);
  EXPECT_EQ(sr.ntp_time, NtpFromUnixMicros(T(1000).us() + kUnixMinusMonotonicUs));
  EXPECT_EQ(sr.rtp_timestamp, 49000u + 90u * 60u + ts_offset);
  EXPECT_EQ(sr.packet_count, 3u);
  // RFC 3550 section 6.4.1: payload octets, without headers or padding.
  size_t payload_octets = 0;
  for (const Out& o : SubOut()) payload_octets += o.payload.size();
  EXPECT_EQ(sr.octet_count, payload_octets);
  EXPECT_LT(sr.octet_count, c->stats().bytes_sent);
  EXPECT_EQ(sub_.counters().sender_reports_sent, 1u);
}

TEST_F(RouterTest, SenderReportWithoutPublisherMappingExtrapolatesLastPacket) {
  Consumer* c = Consume("c", T(0));
  ASSERT_NE(c, nullptr);
  sub_.OnTimer(T(0));
  sub_.OnTimer(T(1000));
  EXPECT_TRUE(sub_sink_.rtcp.empty());  // Nothing sent yet: no sender report.
  SendMedia(100, 10000, true, T(1010));
  SendMedia(101, 13000, false, T(1043));
  sub_.OnTimer(T(2000));
  RtcpLog log = ParseRtcp(sub_sink_);
  ASSERT_EQ(log.srs.size(), 1u);
  Out last = ParseOut(sub_sink_.rtp.back());
  EXPECT_EQ(log.srs[0].rtp_timestamp, last.ts + 90u * (2000 - 1043));
}

TEST_F(RouterTest, SubscriberReceiverReportGivesRttAndLoss) {
  Consumer* c = Consume("c", T(0));
  ASSERT_NE(c, nullptr);
  sub_.OnTimer(T(0));
  SendMedia(1, 0, true, T(10));
  sub_.OnTimer(T(1000));
  RtcpLog log = ParseRtcp(sub_sink_);
  ASSERT_EQ(log.srs.size(), 1u);
  uint32_t lsr = CompactNtp(log.srs[0].ntp_time);

  rtcp::ReceiverReport rr;
  rr.ssrc = 0xCAFE;
  rtcp::ReportBlock b;
  b.ssrc = kConsumerSsrc;
  b.fraction_lost = 26;  // ~10%.
  b.cumulative_lost = 5;
  b.jitter = 900;
  b.last_sr = lsr;
  b.delay_since_last_sr = 250u * 65536u / 1000u;  // 250 ms.
  rr.blocks.push_back(b);
  // Arrives 300 ms after our sender report: RTT 50 ms.
  sub_.OnRtcp(WriteRtcp(rr), T(1300));
  ASSERT_TRUE(c->stats().rtt.has_value());
  EXPECT_NEAR(static_cast<double>(c->stats().rtt->us()), 50'000.0, 50.0);
  EXPECT_EQ(c->stats().fraction_lost, 26);
  EXPECT_EQ(c->stats().packets_lost, 5);
  EXPECT_DOUBLE_EQ(c->stats().jitter_seconds, 0.01);
  EXPECT_EQ(c->score(), 10 - 26 * 50 / 256);
  ASSERT_EQ(observer_.consumer_scores.size(), 1u);
  EXPECT_EQ(observer_.consumer_scores[0], c->score());

  // A report without LSR leaves the RTT as it was.
  b.last_sr = 0;
  b.delay_since_last_sr = 0;
  rr.blocks = {b};
  sub_.OnRtcp(WriteRtcp(rr), T(1400));
  ASSERT_TRUE(c->stats().rtt.has_value());
  EXPECT_NEAR(static_cast<double>(c->stats().rtt->us()), 50'000.0, 50.0);
  EXPECT_EQ(observer_.consumer_scores.size(), 1u);  // Same score: no notification.
}

TEST_F(RouterTest, SubscriberReportOnTheRtxStreamDoesNotOverrideMediaStats) {
  Consumer* c = Consume("c", T(0));
  ASSERT_NE(c, nullptr);
  SendMedia(1, 0, true, T(10));
  // Receivers such as libwebrtc report on every SSRC they receive, RTX included.
  rtcp::ReceiverReport rr;
  rr.ssrc = 0xCAFE;
  rtcp::ReportBlock media;
  media.ssrc = kConsumerSsrc;
  media.fraction_lost = 51;  // 20%.
  media.cumulative_lost = 40;
  media.jitter = 1800;
  rtcp::ReportBlock rtx;
  rtx.ssrc = kConsumerRtxSsrc;
  rr.blocks = {media, rtx};
  sub_.OnRtcp(WriteRtcp(rr), T(1000));
  EXPECT_EQ(c->stats().fraction_lost, 51);
  EXPECT_EQ(c->stats().packets_lost, 40);
  EXPECT_DOUBLE_EQ(c->stats().jitter_seconds, 0.02);
  EXPECT_EQ(c->score(), 10 - 51 * 50 / 256);
  EXPECT_EQ(observer_.consumer_scores, std::vector<int>{10 - 51 * 50 / 256});
}

TEST_F(RouterTest, ClosingTheProducerClosesItsConsumers) {
  Consumer* c = Consume("c", T(0));
  Consumer* c2 = Consume("c2", T(0), true, 6000, 6001);
  ASSERT_NE(c, nullptr);
  ASSERT_NE(c2, nullptr);
  EXPECT_EQ(router_.ConsumersOf(*producer_).size(), 2u);
  EXPECT_EQ(router_.EndpointOf(*producer_), &pub_);
  ASSERT_TRUE(router_.CloseProducer("p").ok());
  std::vector<std::string> closed = observer_.closed;
  std::sort(closed.begin(), closed.end());
  EXPECT_EQ(closed, (std::vector<std::string>{"c", "c2"}));
  EXPECT_TRUE(observer_.still_there);
  EXPECT_EQ(router_.FindConsumer("c"), nullptr);
  EXPECT_EQ(router_.FindConsumer("c2"), nullptr);
  EXPECT_EQ(router_.FindProducer("p"), nullptr);
  EXPECT_TRUE(sub_.consumers().empty());
  EXPECT_TRUE(pub_.producers().empty());
  EXPECT_TRUE(router_.consumers().empty());
  producer_ = nullptr;

  // Its packets are no longer matched, and feedback for the consumer finds nobody.
  SendMedia(1, 0, true, T(10));
  EXPECT_TRUE(sub_sink_.rtp.empty());
  EXPECT_EQ(pub_.counters().rtp_unmatched, 1u);
  rtcp::Pli pli{0xCAFE, kConsumerSsrc};
  sub_.OnRtcp(WriteRtcp(pli), T(20));
  EXPECT_EQ(sub_.counters().rtcp_unknown_ssrc, 1u);
  EXPECT_FALSE(router_.CloseProducer("p").ok());
  EXPECT_FALSE(router_.CloseConsumer("c").ok());
}

TEST_F(RouterTest, ClosingAConsumerKeepsTheOthers) {
  Consume("c", T(0));
  Consume("c2", T(0), true, 6000, 6001);
  ASSERT_TRUE(router_.CloseConsumer("c").ok());
  EXPECT_TRUE(observer_.closed.empty());
  SendMedia(1, 0, true, T(10));
  ASSERT_EQ(sub_sink_.rtp.size(), 1u);
  EXPECT_EQ(ParseOut(sub_sink_.rtp[0]).ssrc, 6000u);
  ASSERT_EQ(sub_.consumers().size(), 1u);
  EXPECT_EQ(sub_.consumers()[0]->id(), "c2");
}

TEST_F(RouterTest, DuplicateIdsAndUnknownProducerAreRefused) {
  EXPECT_FALSE(router_.Produce(pub_, "p", VideoProducerParams()).ok());
  ProducerParams bad = VideoProducerParams();
  bad.kind = "data";
  EXPECT_FALSE(router_.Produce(pub_, "x", bad).ok());
  auto params = DeriveConsumerParams(VideoProducerParams(), SubscriberCaps(true), "0", 1, 2);
  ASSERT_TRUE(params.ok());
  EXPECT_EQ(router_.Consume(sub_, "c", "nope", *params, T(0)).status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(router_.Consume(sub_, "c", "p", *params, T(0)).ok());
  EXPECT_FALSE(router_.Consume(sub_, "c", "p", *params, T(0)).ok());
}

// ---------------------------------------------------------------------------------------
// Trace events, consumer priority, bitrate caps.

using TT = TraceEvent::Type;

std::vector<TT> Types(const std::vector<RecordingObserver::Traced>& traces, size_t from = 0) {
  std::vector<TT> out;
  for (size_t i = from; i < traces.size(); ++i) out.push_back(traces[i].event.type);
  return out;
}

TEST(TraceEventTest, NamesAndBits) {
  const std::vector<std::pair<TT, std::string_view>> names = {
      {TT::kRtp, "rtp"}, {TT::kKeyFrame, "keyframe"}, {TT::kNack, "nack"},
      {TT::kPli, "pli"}, {TT::kFir, "fir"},           {TT::kBwe, "bwe"}};
  uint8_t all = 0;
  for (const auto& [type, name] : names) {
    EXPECT_EQ(TraceTypeName(type), name);
    EXPECT_EQ(TraceTypeFromName(name), type);
    EXPECT_EQ(all & TraceBit(type), 0);
    all = static_cast<uint8_t>(all | TraceBit(type));
  }
  EXPECT_EQ(all, kAllTraceTypes);
  EXPECT_EQ(TraceBit(TT::kRtp), 1);
  EXPECT_EQ(TraceBit(TT::kBwe), 32);
  EXPECT_FALSE(TraceTypeFromName("probation").has_value());
  EXPECT_FALSE(TraceTypeFromName("RTP").has_value());
}

TEST_F(RouterTest, ProducerTraceEventsFollowTheMask) {
  ASSERT_NE(producer_, nullptr);
  EXPECT_EQ(producer_->trace_types(), 0);
  Consumer* c = Consume("c", T(0));  // A PLI to the publisher.
  ASSERT_NE(c, nullptr);
  SendMedia(1, 0, true, T(10));
  SendMedia(2, 3000, false, T(20));
  pub_.OnTimer(T(20));
  EXPECT_TRUE(observer_.producer_traces.empty());

  producer_->SetTraceTypes(TraceBit(TT::kRtp) | TraceBit(TT::kKeyFrame) | TraceBit(TT::kNack) | TraceBit(TT::kPli));
  EXPECT_EQ(producer_->trace_types(), 0x0F);
  Bytes key = MediaPacket(3, 6000, true);
  key[1] |= 0x80;  // Marker.
  Send(key, T(30));
  ASSERT_EQ(Types(observer_.producer_traces), (std::vector<TT>{TT::kRtp, TT::kKeyFrame}));
  for (const auto& [id, e] : observer_.producer_traces) {
    EXPECT_EQ(id, "p");
    EXPECT_FALSE(e.outgoing);
    EXPECT_EQ(e.at, T(30));
    EXPECT_EQ(e.ssrc, kSsrc);
    EXPECT_EQ(e.seq, 3);
    EXPECT_EQ(e.timestamp, 6000u);
    EXPECT_EQ(e.payload_type, kPt);
    EXPECT_TRUE(e.marker);
    EXPECT_FALSE(e.retransmission);
    EXPECT_EQ(e.size, key.size());
    EXPECT_EQ(e.encoding, 0u);
  }

  // A delta frame: kRtp only. Then a loss, NACKed from the timer.
  SendMedia(4, 9000, false, T(40));
  SendMedia(6, 15000, false, T(50));  // 5 lost.
  EXPECT_EQ(Types(observer_.producer_traces, 2), (std::vector<TT>{TT::kRtp, TT::kRtp}));
  EXPECT_FALSE(observer_.producer_traces[2].event.marker);
  pub_.OnTimer(T(60));
  ASSERT_EQ(ParseRtcp(pub_sink_).nacks.size(), 1u);
  ASSERT_EQ(observer_.producer_traces.size(), 5u);
  const TraceEvent& nack = observer_.producer_traces[4].event;
  EXPECT_EQ(nack.type, TT::kNack);
  EXPECT_TRUE(nack.outgoing);
  EXPECT_EQ(nack.at, T(60));
  EXPECT_EQ(nack.ssrc, kSsrc);
  EXPECT_EQ(nack.count, 1u);

  // The retransmission: kRtp flagged, with the media stream's SSRC and sequence number.
  Send(RtxPacket(1, 5, 12000, false), T(70));
  ASSERT_EQ(observer_.producer_traces.size(), 6u);
  const TraceEvent& rtx = observer_.producer_traces[5].event;
  EXPECT_EQ(rtx.type, TT::kRtp);
  EXPECT_TRUE(rtx.retransmission);
  EXPECT_EQ(rtx.ssrc, kSsrc);
  EXPECT_EQ(rtx.seq, 5);
  EXPECT_EQ(rtx.timestamp, 12000u);

  // A keyframe request to the publisher.
  router_.RequestKeyFrame(*c, T(2000));
  ASSERT_EQ(ParseRtcp(pub_sink_).plis.size(), 2u);
  ASSERT_EQ(observer_.producer_traces.size(), 7u);
  const TraceEvent& pli = observer_.producer_traces[6].event;
  EXPECT_EQ(pli.type, TT::kPli);
  EXPECT_TRUE(pli.outgoing);
  EXPECT_EQ(pli.ssrc, kSsrc);
  EXPECT_EQ(pli.at, T(2000));

  // Keyframes only.
  producer_->SetTraceTypes(TraceBit(TT::kKeyFrame));
  SendMedia(7, 18000, false, T(2010));
  SendMedia(8, 21000, true, T(2020));
  EXPECT_EQ(Types(observer_.producer_traces, 7), std::vector<TT>{TT::kKeyFrame});
  EXPECT_EQ(observer_.producer_traces.back().event.seq, 8);

  // Off again: nothing, though packets and a PLI go on.
  producer_->SetTraceTypes(0);
  SendMedia(9, 24000, true, T(2030));
  router_.RequestKeyFrame(*c, T(5000));
  EXPECT_EQ(ParseRtcp(pub_sink_).plis.size(), 3u);
  EXPECT_EQ(observer_.producer_traces.size(), 8u);
  EXPECT_TRUE(observer_.consumer_traces.empty());  // The consumer's mask is 0.
  EXPECT_TRUE(observer_.endpoint_traces.empty());
}

TEST_F(RouterTest, ProducerTracesFirWhenThePublisherTakesFir) {
  ProducerParams params = VideoProducerParams();
  params.mid = "f";
  params.codecs[0].rtcp_feedback = {"nack", "ccm fir"};
  params.encodings = {{4000, std::nullopt, ""}};
  auto p = router_.Produce(pub_, "pf", params);
  ASSERT_TRUE(p.ok());
  (*p)->SetTraceTypes(kAllTraceTypes);
  auto cp = DeriveConsumerParams(params, SubscriberCaps(true), "1", 6000, 6001);
  ASSERT_TRUE(cp.ok());
  ASSERT_TRUE(router_.Consume(sub_, "cf", "pf", *cp, T(0)).ok());  // Asks for a keyframe.
  ASSERT_EQ(ParseRtcp(pub_sink_).firs.size(), 1u);
  ASSERT_EQ(observer_.producer_traces.size(), 1u);
  EXPECT_EQ(observer_.producer_traces[0].id, "pf");
  EXPECT_EQ(observer_.producer_traces[0].event.type, TT::kFir);
  EXPECT_TRUE(observer_.producer_traces[0].event.outgoing);
  EXPECT_EQ(observer_.producer_traces[0].event.ssrc, 4000u);
}

TEST_F(RouterTest, ConsumerTraceEventsFollowTheMask) {
  Consumer* c = Consume("c", T(0));
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->trace_types(), 0);
  SendMedia(1, 0, true, T(10));
  sub_.OnRtcp(WriteRtcp(rtcp::Pli{0xCAFE, kConsumerSsrc}), T(15));
  EXPECT_TRUE(observer_.consumer_traces.empty());

  c->SetTraceTypes(kAllTraceTypes);
  SendMedia(2, 3000, false, T(20));
  ASSERT_EQ(observer_.consumer_traces.size(), 1u);
  Out sent = ParseOut(sub_sink_.rtp.back());
  const auto& [id, first] = observer_.consumer_traces[0];
  EXPECT_EQ(id, "c");
  EXPECT_EQ(first.type, TT::kRtp);
  EXPECT_TRUE(first.outgoing);
  EXPECT_EQ(first.at, T(20));
  EXPECT_EQ(first.ssrc, kConsumerSsrc);
  EXPECT_EQ(first.seq, sent.seq);
  EXPECT_EQ(first.timestamp, sent.ts);
  EXPECT_EQ(first.payload_type, kSubPt);
  EXPECT_FALSE(first.retransmission);
  EXPECT_EQ(first.size, sub_sink_.rtp.back().size());

  SendMedia(3, 6000, true, T(30));
  EXPECT_EQ(Types(observer_.consumer_traces, 1), (std::vector<TT>{TT::kRtp, TT::kKeyFrame}));
  EXPECT_EQ(observer_.consumer_traces[2].event.seq, ParseOut(sub_sink_.rtp.back()).seq);
  EXPECT_TRUE(observer_.consumer_traces[2].event.outgoing);

  // The subscriber's NACK (incoming), then the retransmission it causes (RTX, flagged).
  rtcp::Nack nack;
  nack.sender_ssrc = 0xCAFE;
  nack.media_ssrc = kConsumerSsrc;
  nack.sequence_numbers = {sent.seq};
  sub_.OnRtcp(WriteRtcp(nack), T(40));
  ASSERT_EQ(Types(observer_.consumer_traces, 3), (std::vector<TT>{TT::kNack, TT::kRtp}));
  const TraceEvent& n = observer_.consumer_traces[3].event;
  EXPECT_FALSE(n.outgoing);
  EXPECT_EQ(n.ssrc, kConsumerSsrc);
  EXPECT_EQ(n.count, 1u);
  EXPECT_EQ(n.at, T(40));
  const TraceEvent& re = observer_.consumer_traces[4].event;
  EXPECT_TRUE(re.outgoing);
  EXPECT_TRUE(re.retransmission);
  EXPECT_EQ(re.ssrc, kConsumerRtxSsrc);
  EXPECT_EQ(re.payload_type, kSubRtxPt);
  EXPECT_EQ(re.seq, ParseOut(sub_sink_.rtp.back()).seq);
  EXPECT_EQ(re.timestamp, sent.ts);
  EXPECT_EQ(re.size, sub_sink_.rtp.back().size());

  // PLI and FIR from the subscriber (incoming).
  sub_.OnRtcp(WriteRtcp(rtcp::Pli{0xCAFE, kConsumerSsrc}), T(50));
  rtcp::Fir fir;
  fir.sender_ssrc = 0xCAFE;
  fir.entries.push_back({kConsumerSsrc, 1});
  sub_.OnRtcp(WriteRtcp(fir), T(60));
  ASSERT_EQ(Types(observer_.consumer_traces, 5), (std::vector<TT>{TT::kPli, TT::kFir}));
  for (size_t i = 5; i < 7; ++i) {
    EXPECT_FALSE(observer_.consumer_traces[i].event.outgoing);
    EXPECT_EQ(observer_.consumer_traces[i].event.ssrc, kConsumerSsrc);
  }

  // NACKs only: no kRtp for media nor for the retransmission.
  c->SetTraceTypes(TraceBit(TT::kNack));
  SendMedia(4, 9000, true, T(70));
  sub_.OnRtcp(WriteRtcp(nack), T(80));
  sub_.OnRtcp(WriteRtcp(rtcp::Pli{0xCAFE, kConsumerSsrc}), T(90));
  EXPECT_EQ(Types(observer_.consumer_traces, 7), std::vector<TT>{TT::kNack});
  EXPECT_EQ(c->stats().retransmitted_packets, 2u);
  EXPECT_TRUE(observer_.producer_traces.empty());
}

TEST_F(RouterTest, EndpointTracesIncomingRemb) {
  Consume("c", T(0));
  rtcp::Remb remb;
  remb.sender_ssrc = 0xCAFE;
  remb.bitrate_bps = 1'000'000;
  remb.ssrcs = {kConsumerSsrc};
  sub_.OnRtcp(WriteRtcp(remb), T(10));
  EXPECT_TRUE(observer_.endpoint_traces.empty());

  sub_.SetTraceTypes(TraceBit(TT::kBwe));
  EXPECT_EQ(sub_.trace_types(), TraceBit(TT::kBwe));
  // In a compound packet after a receiver report, as browsers send it.
  rtcp::ReceiverReport rr;
  rr.ssrc = 0xCAFE;
  Bytes compound = WriteRtcp(rr);
  Bytes remb_bytes = WriteRtcp(remb);
  compound.insert(compound.end(), remb_bytes.begin(), remb_bytes.end());
  sub_.OnRtcp(compound, T(20));
  ASSERT_EQ(observer_.endpoint_traces.size(), 1u);
  const auto& [cname, e] = observer_.endpoint_traces[0];
  EXPECT_EQ(cname, "sub");
  EXPECT_EQ(e.type, TT::kBwe);
  EXPECT_FALSE(e.outgoing);
  EXPECT_EQ(e.at, T(20));
  EXPECT_EQ(e.ssrc, 0xCAFEu);
  EXPECT_EQ(e.bitrate, 1'000'000u);
  EXPECT_EQ(e.count, 1u);

  // Over 32 bits: saturated.
  remb.bitrate_bps = 10'000'000'000ull;
  sub_.OnRtcp(WriteRtcp(remb), T(30));
  ASSERT_EQ(observer_.endpoint_traces.size(), 2u);
  EXPECT_EQ(observer_.endpoint_traces[1].event.bitrate, 0xFFFFFFFFu);

  // Other feedback is not a bwe event; with the mask off REMB is not either.
  sub_.OnRtcp(WriteRtcp(rtcp::Pli{0xCAFE, kConsumerSsrc}), T(40));
  sub_.SetTraceTypes(0);
  sub_.OnRtcp(WriteRtcp(remb), T(50));
  EXPECT_EQ(observer_.endpoint_traces.size(), 2u);
  EXPECT_EQ(sub_.counters().rtcp_malformed, 0u);
  EXPECT_TRUE(observer_.consumer_traces.empty());
}

TEST_F(RouterTest, HigherPriorityConsumersAreSentFirst) {
  Consumer* a = Consume("a", T(0), true, 6000, 6001);
  Consumer* b = Consume("b", T(0), true, 7000, 7001);
  Consumer* c = Consume("c", T(0), true, 8000, 8001);
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(a->priority(), 1);
  auto ids = [&] {
    std::vector<std::string> out;
    for (Consumer* x : router_.ConsumersOf(*producer_)) out.push_back(x->id());
    return out;
  };
  auto ssrcs = [&](size_t from) {
    std::vector<uint32_t> out;
    for (const Out& o : SubOut(from)) out.push_back(o.ssrc);
    return out;
  };
  EXPECT_EQ(ids(), (std::vector<std::string>{"a", "b", "c"}));
  SendMedia(1, 0, true, T(10));
  EXPECT_EQ(ssrcs(0), (std::vector<uint32_t>{6000, 7000, 8000}));

  c->SetPriority(5);
  b->SetPriority(3);
  EXPECT_EQ(c->priority(), 5);
  EXPECT_EQ(ids(), (std::vector<std::string>{"c", "b", "a"}));
  SendMedia(2, 3000, false, T(20));
  EXPECT_EQ(ssrcs(3), (std::vector<uint32_t>{8000, 7000, 6000}));

  // Equal priorities keep their order; a new consumer goes after those of its priority.
  a->SetPriority(3);
  EXPECT_EQ(ids(), (std::vector<std::string>{"c", "b", "a"}));
  Consumer* d = Consume("d", T(100), true, 9000, 9001);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(ids(), (std::vector<std::string>{"c", "b", "a", "d"}));
  d->SetPriority(4);
  EXPECT_EQ(ids(), (std::vector<std::string>{"c", "d", "b", "a"}));
  Consumer* e = Consume("e", T(100), true, 9500, 9501);
  e->SetPriority(3);
  EXPECT_EQ(ids(), (std::vector<std::string>{"c", "d", "b", "a", "e"}));

  // 0 is taken as 1 (the lowest).
  c->SetPriority(0);
  EXPECT_EQ(c->priority(), 1);
  EXPECT_EQ(ids(), (std::vector<std::string>{"d", "b", "a", "e", "c"}));
  SendMedia(3, 6000, true, T(110));
  EXPECT_EQ(ssrcs(6), (std::vector<uint32_t>{9000, 7000, 6000, 9500, 8000}));

  ASSERT_TRUE(router_.CloseConsumer("b").ok());
  EXPECT_EQ(ids(), (std::vector<std::string>{"d", "a", "e", "c"}));
  SendMedia(4, 9000, false, T(120));
  EXPECT_EQ(ssrcs(11), (std::vector<uint32_t>{9000, 6000, 9500, 8000}));
}

TEST(RateMeterTest, BitsPerSecondOverTheLastSecond) {
  RateMeter m;
  EXPECT_EQ(m.BitsPerSecond(T(0)), 0u);
  for (int64_t ms = 0; ms < 2000; ms += 10) m.Add(125, T(ms));  // 100 kbps.
  // Buckets from 1000 ms: 100 packets over 990 ms.
  EXPECT_NEAR(static_cast<double>(m.BitsPerSecond(T(1990))), 100'000.0, 1'500.0);
  // Young: over the time since the first sample.
  RateMeter young;
  for (int64_t ms = 0; ms <= 300; ms += 10) young.Add(125, T(ms));
  EXPECT_NEAR(static_cast<double>(young.BitsPerSecond(T(300))), 100'000.0, 5'000.0);
  // After a pause: only what is still in the window, then nothing.
  EXPECT_NEAR(static_cast<double>(m.BitsPerSecond(T(2500))), 40'000.0 / 0.9, 1.0);
  EXPECT_EQ(m.BitsPerSecond(T(3100)), 0u);
  // Samples older than the window are ignored.
  m.Add(1'000'000, T(500));
  EXPECT_EQ(m.BitsPerSecond(T(3100)), 0u);
  m.Add(125, T(3100));
  EXPECT_EQ(m.BitsPerSecond(T(3100)), 1000u * 10u / 9u);
}

constexpr uint32_t kLowSsrc = 3000;
constexpr uint32_t kHighSsrc = 3100;

ProducerParams SimulcastParams() {
  ProducerParams p = VideoProducerParams();
  p.mid = "s";
  p.encodings = {{kLowSsrc, std::nullopt, "l"}, {kHighSsrc, std::nullopt, "h"}};
  return p;
}

// A keyframe packet of `size` bytes.
Bytes SizedPacket(uint32_t ssrc, uint16_t seq, uint32_t ts, size_t size) {
  Bytes b = MediaPacket(seq, ts, true, ssrc);
  b.resize(size, 0x42);
  return b;
}

TEST_F(RouterTest, OutgoingBitrateCapSelectsTheEncodingThatFits) {
  ASSERT_TRUE(router_.Produce(pub_, "s", SimulcastParams()).ok());
  Producer* s = router_.FindProducer("s");
  FakeSink sink2;
  RtpEndpoint sub2(router_, sink2, 0x0C0C0003, "sub2");
  EXPECT_EQ(sub_.max_outgoing_bitrate(), 0u);
  sub_.SetMaxOutgoingBitrate(200'000);
  EXPECT_EQ(sub_.max_outgoing_bitrate(), 200'000u);
  auto p1 = DeriveConsumerParams(SimulcastParams(), SubscriberCaps(true), "0", 6000, 6001);
  auto p2 = DeriveConsumerParams(SimulcastParams(), SubscriberCaps(true), "0", 7000, 7001);
  ASSERT_TRUE(p1.ok() && p2.ok());
  auto capped = router_.Consume(sub_, "capped", "s", *p1, T(0));
  auto uncapped = router_.Consume(sub2, "free", "s", *p2, T(0));
  ASSERT_TRUE(capped.ok() && uncapped.ok());

  // Every 20 ms: the low encoding 100 bytes (40 kbps), the high one 1000 bytes (400
  // kbps). Every packet is a keyframe, so a switch takes effect at once.
  auto run = [&](int64_t from_ms, int64_t to_ms, bool low = true) {
    for (int64_t ms = from_ms; ms < to_ms; ms += 20) {
      auto n = static_cast<uint16_t>(ms / 20);
      auto ts = static_cast<uint32_t>(ms * 90);
      if (low) Send(SizedPacket(kLowSsrc, n, ts, 100), T(ms));
      Send(SizedPacket(kHighSsrc, n, ts, 1000), T(ms));
    }
  };
  run(0, 1500);
  EXPECT_NEAR(static_cast<double>(s->ReceiveBitrate(0, T(1480))), 40'000.0, 4'000.0);
  EXPECT_NEAR(static_cast<double>(s->ReceiveBitrate(1, T(1480))), 400'000.0, 40'000.0);
  EXPECT_EQ(s->ReceiveBitrate(2, T(1480)), 0u);
  EXPECT_EQ(s->EncodingForBitrate(200'000, T(1480)), 0u);
  EXPECT_EQ(s->EncodingForBitrate(500'000, T(1480)), 1u);
  EXPECT_EQ(s->EncodingForBitrate(0, T(1480)), 1u);  // No cap: the best.
  EXPECT_EQ((*capped)->encoding(), 0u);
  EXPECT_EQ((*uncapped)->encoding(), 1u);
  EXPECT_LT(sub_sink_.rtp.back().size(), 200u);
  EXPECT_GT(sink2.rtp.back().size(), 900u);
  EXPECT_EQ(ParseOut(sub_sink_.rtp.back()).ssrc, 6000u);

  // A cap over the high encoding's rate: it.
  sub_.SetMaxOutgoingBitrate(1'000'000);
  size_t before = sub_sink_.rtp.size();
  run(1500, 1600);
  EXPECT_EQ((*capped)->encoding(), 1u);
  ASSERT_GT(sub_sink_.rtp.size(), before);
  EXPECT_GT(sub_sink_.rtp.back().size(), 900u);

  // A cap under every encoding: the lowest active one.
  sub_.SetMaxOutgoingBitrate(10'000);
  run(1600, 1700);
  EXPECT_EQ((*capped)->encoding(), 0u);
  EXPECT_LT(sub_sink_.rtp.back().size(), 200u);
  // The low encoding stops: after 1.5 s the high one is the lowest active, over the cap.
  run(1700, 3400, /*low=*/false);
  EXPECT_EQ((*capped)->encoding(), 1u);
  EXPECT_GT(sub_sink_.rtp.back().size(), 900u);
  EXPECT_EQ((*uncapped)->encoding(), 1u);

  // No cap again: the best.
  sub_.SetMaxOutgoingBitrate(0);
  run(3400, 3500);
  EXPECT_EQ((*capped)->encoding(), 1u);

  // Audio on the capped endpoint is not affected.
  sub_.SetMaxOutgoingBitrate(1'000);
  ProducerParams audio;
  audio.kind = "audio";
  audio.mid = "a";
  audio.codecs = {{111, "audio/opus", 48000, 2, "", std::nullopt, {}}};
  audio.encodings = {{2000, std::nullopt, ""}};
  ASSERT_TRUE(router_.Produce(pub_, "pa", audio).ok());
  RtpCapabilities caps;
  caps.codecs = {{"audio", "audio/opus", 109, 48000, 2, "", {}}};
  auto ap = DeriveConsumerParams(audio, caps, "1", 7500, 7501);
  ASSERT_TRUE(ap.ok());
  ASSERT_TRUE(router_.Consume(sub_, "ca", "pa", *ap, T(3500)).ok());
  before = sub_sink_.rtp.size();
  for (int i = 0; i < 10; ++i) {
    Bytes a = Rtp(2000, static_cast<uint16_t>(50 + i), 960u * static_cast<uint32_t>(i), 111, {}, 200);
    pub_.OnRtp(a, T(3500 + 20 * i));
  }
  EXPECT_EQ(sub_sink_.rtp.size(), before + 10);
  router_.CloseEndpoint(sub2);
}

std::vector<rtcp::Remb> Rembs(const FakeSink& sink, size_t from = 0) {
  std::vector<rtcp::Remb> out;
  for (size_t i = from; i < sink.rtcp.size(); ++i) {
    rtcp::CompoundIterator it(sink.rtcp[i]);
    while (auto next = it.Next()) {
      const auto& [header, bytes] = *next;
      if (header.type != rtcp::kPayloadFeedback || header.count != rtcp::kAfbFormat) continue;
      auto remb = rtcp::Remb::Parse(bytes);
      EXPECT_TRUE(remb.has_value());
      if (remb) out.push_back(*remb);
    }
  }
  return out;
}

// The types of the packets in one compound packet, in order.
std::vector<std::pair<uint8_t, uint8_t>> CompoundTypes(const Bytes& packet) {
  std::vector<std::pair<uint8_t, uint8_t>> out;
  rtcp::CompoundIterator it(packet);
  while (auto next = it.Next()) out.emplace_back(next->first.type, next->first.count);
  EXPECT_FALSE(it.error());
  return out;
}

TEST_F(RouterTest, IncomingBitrateCapSendsRembWithTheReceiverReport) {
  EXPECT_EQ(pub_.max_incoming_bitrate(), 0u);
  pub_.OnTimer(T(0));
  SendMedia(1, 0, true, T(10));
  pub_.OnTimer(T(1000));
  ASSERT_EQ(pub_sink_.rtcp.size(), 1u);
  EXPECT_TRUE(Rembs(pub_sink_).empty());
  EXPECT_EQ(pub_.counters().remb_sent, 0u);

  pub_.SetMaxIncomingBitrate(300'000);
  EXPECT_EQ(pub_.max_incoming_bitrate(), 300'000u);
  SendMedia(2, 3000, false, T(1010));
  pub_.OnTimer(T(2000));
  ASSERT_EQ(pub_sink_.rtcp.size(), 2u);
  // RR (1 block), XR, REMB, SDES.
  const std::vector<std::pair<uint8_t, uint8_t>> want = {
      {rtcp::kReceiverReport, 1}, {rtcp::kExtendedReport, 0}, {rtcp::kPayloadFeedback, rtcp::kAfbFormat},
      {rtcp::kSdes, 1}};
  EXPECT_EQ(CompoundTypes(pub_sink_.rtcp[1]), want);
  auto rembs = Rembs(pub_sink_);
  ASSERT_EQ(rembs.size(), 1u);
  EXPECT_EQ(rembs[0].sender_ssrc, kPubRtcpSsrc);
  EXPECT_EQ(rembs[0].bitrate_bps, 300'000u);
  EXPECT_EQ(std::vector<uint32_t>(rembs[0].ssrcs.begin(), rembs[0].ssrcs.end()), std::vector<uint32_t>{kSsrc});
  EXPECT_EQ(pub_.counters().remb_sent, 1u);
  EXPECT_EQ(ParseRtcp(pub_sink_).rrs.back().blocks.size(), 1u);

  // Every producer's signaled streams, even before their first packet; a bitrate the
  // format cannot hold exactly is rounded down.
  ASSERT_TRUE(router_.Produce(pub_, "s", SimulcastParams()).ok());
  pub_.SetMaxIncomingBitrate(1'234'567);
  pub_.OnTimer(T(3000));
  rembs = Rembs(pub_sink_, 2);
  ASSERT_EQ(rembs.size(), 1u);
  EXPECT_LE(rembs[0].bitrate_bps, 1'234'567u);
  EXPECT_GE(rembs[0].bitrate_bps, 1'234'567u - 8u);
  EXPECT_EQ(std::vector<uint32_t>(rembs[0].ssrcs.begin(), rembs[0].ssrcs.end()),
            (std::vector<uint32_t>{kSsrc, kLowSsrc, kHighSsrc}));

  // Off: no REMB.
  pub_.SetMaxIncomingBitrate(0);
  SendMedia(3, 6000, false, T(3010));
  size_t before = pub_sink_.rtcp.size();
  pub_.OnTimer(T(4000));
  ASSERT_EQ(pub_sink_.rtcp.size(), before + 1);
  EXPECT_TRUE(Rembs(pub_sink_, before).empty());
  EXPECT_EQ(pub_.counters().remb_sent, 2u);
}

TEST_F(RouterTest, IncomingBitrateCapGoesOutBeforeAnyMedia) {
  pub_.SetMaxIncomingBitrate(500'000);
  pub_.OnTimer(T(0));
  pub_.OnTimer(T(1000));
  ASSERT_EQ(pub_sink_.rtcp.size(), 1u);
  // An empty receiver report to start the compound packet, the REMB, the SDES.
  const std::vector<std::pair<uint8_t, uint8_t>> want = {
      {rtcp::kReceiverReport, 0}, {rtcp::kPayloadFeedback, rtcp::kAfbFormat}, {rtcp::kSdes, 1}};
  EXPECT_EQ(CompoundTypes(pub_sink_.rtcp[0]), want);
  auto rembs = Rembs(pub_sink_);
  ASSERT_EQ(rembs.size(), 1u);
  EXPECT_EQ(rembs[0].bitrate_bps, 500'000u);
  EXPECT_EQ(std::vector<uint32_t>(rembs[0].ssrcs.begin(), rembs[0].ssrcs.end()), std::vector<uint32_t>{kSsrc});
  // Without producers there is nobody to cap.
  sub_.SetMaxIncomingBitrate(500'000);
  sub_.OnTimer(T(0));
  sub_.OnTimer(T(1000));
  EXPECT_TRUE(sub_sink_.rtcp.empty());
}

TEST_F(RouterTest, IncomingBitrateCapRembTooBigForTheReportGoesInItsOwnCompound) {
  // 90 more producers of 3 encodings: 271 SSRCs; the REMB lists the first 255.
  std::vector<uint32_t> ssrcs = {kSsrc};
  for (uint32_t i = 0; i < 90; ++i) {
    ProducerParams params = VideoProducerParams();
    params.encodings.clear();
    for (uint32_t e = 0; e < 3; ++e) {
      params.encodings.push_back({10'000 + 10 * i + e, std::nullopt, std::string(1, static_cast<char>('a' + e))});
      ssrcs.push_back(10'000 + 10 * i + e);
    }
    ASSERT_TRUE(router_.Produce(pub_, "p" + std::to_string(i), params).ok());
  }
  ssrcs.resize(255);
  pub_.OnTimer(T(0));
  // 31 active streams: a full receiver report.
  for (uint32_t i = 0; i < 31; ++i) Send(MediaPacket(1, 0, true, 10'000 + 10 * (i / 3) + i % 3), T(10));
  pub_.SetMaxIncomingBitrate(2'000'000);
  pub_.OnTimer(T(1000));
  ASSERT_EQ(pub_sink_.rtcp.size(), 2u);
  const std::vector<std::pair<uint8_t, uint8_t>> first = {
      {rtcp::kReceiverReport, 31}, {rtcp::kExtendedReport, 0}, {rtcp::kSdes, 1}};
  const std::vector<std::pair<uint8_t, uint8_t>> second = {
      {rtcp::kReceiverReport, 0}, {rtcp::kPayloadFeedback, rtcp::kAfbFormat}, {rtcp::kSdes, 1}};
  EXPECT_EQ(CompoundTypes(pub_sink_.rtcp[0]), first);
  EXPECT_EQ(CompoundTypes(pub_sink_.rtcp[1]), second);
  for (const Bytes& b : pub_sink_.rtcp) EXPECT_LE(b.size(), kMaxRtpPacket);
  auto rembs = Rembs(pub_sink_);
  ASSERT_EQ(rembs.size(), 1u);
  EXPECT_EQ(rembs[0].bitrate_bps, 2'000'000u);
  EXPECT_EQ(std::vector<uint32_t>(rembs[0].ssrcs.begin(), rembs[0].ssrcs.end()), ssrcs);
  EXPECT_EQ(pub_.counters().remb_sent, 1u);
}

TEST(RtcpIntervalTest, ReportIntervalsAreRandomizedPerEndpoint) {
  // RFC 3550 section 6.3.1: 0.5 to 1.5 times the interval, so endpoints made in the same
  // instant drift apart instead of all reporting in the same timer tick.
  Router router("r", RouterOptions{});
  FakeSink sink_a, sink_b;
  RtpEndpoint a(router, sink_a, 0x1111, "a");
  RtpEndpoint b(router, sink_b, 0x2222, "b");
  ProducerParams params_b = VideoProducerParams();
  params_b.encodings = {{kSsrc + 10, kRtxSsrc + 10, ""}};
  ASSERT_TRUE(router.Produce(a, "pa", VideoProducerParams()).ok());
  ASSERT_TRUE(router.Produce(b, "pb", params_b).ok());
  a.SetMaxIncomingBitrate(500'000);  // A report (RR + REMB) even with no media.
  b.SetMaxIncomingBitrate(500'000);
  std::vector<int64_t> times_a, times_b;
  for (int64_t ms = 0; ms <= 60'000; ms += 20) {
    size_t before_a = sink_a.rtcp.size(), before_b = sink_b.rtcp.size();
    a.OnTimer(T(ms));
    b.OnTimer(T(ms));
    if (sink_a.rtcp.size() > before_a) times_a.push_back(ms);
    if (sink_b.rtcp.size() > before_b) times_b.push_back(ms);
  }
  for (const auto* times : {&times_a, &times_b}) {
    // About one a second on average; every gap within [0.5, 1.5] s (20 ms ticks).
    EXPECT_GT(times->size(), 50u);
    EXPECT_LT(times->size(), 70u);
    int64_t shortest = 10'000, longest = 0;
    for (size_t i = 1; i < times->size(); ++i) {
      shortest = std::min(shortest, (*times)[i] - (*times)[i - 1]);
      longest = std::max(longest, (*times)[i] - (*times)[i - 1]);
    }
    EXPECT_GE(shortest, 500);
    EXPECT_LE(longest, 1520);
    EXPECT_LT(shortest, 800);  // Spread, not a constant interval.
    EXPECT_GT(longest, 1200);
  }
  EXPECT_NE(times_a, times_b);
  router.CloseEndpoint(a);
  router.CloseEndpoint(b);
}

}  // namespace
}  // namespace sfu
