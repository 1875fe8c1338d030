#include <gtest/gtest.h>

#include <vector>

#include "router/producer.h"
#include "router/rtp/rtp_packet.h"
#include "router/rtp_demuxer.h"
#include "tests/router/router_test_util.h"

namespace sfu {
namespace {

TEST(RtpPacketTest, HeaderFieldsAndOneByteExtensions) {
  auto bytes = Rtp(0xAABBCCDD, 0x1234, 0x01020304, 96, {{1, "0"}, {10, "hi"}});
  auto p = rtp::RtpPacket::Parse(bytes);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->ssrc(), 0xAABBCCDDu);
  EXPECT_EQ(p->sequence(), 0x1234);
  EXPECT_EQ(p->timestamp(), 0x01020304u);
  EXPECT_EQ(p->payload_type(), 96);
  EXPECT_EQ(p->payload().size(), 20u);
  ASSERT_TRUE(p->Extension(10).has_value());
  EXPECT_EQ(std::string(p->Extension(10)->begin(), p->Extension(10)->end()), "hi");
  EXPECT_EQ((*p->Extension(1))[0], '0');
  EXPECT_FALSE(p->Extension(2).has_value());
}

TEST(RtpPacketTest, TwoByteExtensionsAndPadding) {
  std::vector<uint8_t> p = {0xB0, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 7,
                            0x10, 0x00, 0, 2,  // Two-byte profile, 2 words.
                            20, 3, 'a', 'b', 'c', 0, 0, 0,
                            9, 9, 0, 3};  // Payload "9 9" then 2 padding bytes... and count.
  p.back() = 3;
  auto pkt = rtp::RtpPacket::Parse(p);
  ASSERT_TRUE(pkt.has_value());
  EXPECT_EQ(pkt->padding_size(), 3u);
  EXPECT_EQ(pkt->payload().size(), 1u);
  auto ext = pkt->Extension(20);
  ASSERT_TRUE(ext.has_value());
  EXPECT_EQ(ext->size(), 3u);
}

TEST(RtpPacketTest, MalformedPacketsAreRefused) {
  auto good = Rtp(1, 1, 1, 96, {{1, "x"}});
  for (size_t n = 0; n < 12; ++n) EXPECT_FALSE(rtp::RtpPacket::Parse(std::span(good).first(n))) << n;
  auto v1 = good;
  v1[0] = 0x50;
  EXPECT_FALSE(rtp::RtpPacket::Parse(v1));
  auto csrc = Rtp(1, 1, 1, 96, {}, 0);
  csrc[0] = 0x85;  // 5 CSRCs, none present.
  EXPECT_FALSE(rtp::RtpPacket::Parse(csrc));
  auto ext_overrun = good;
  ext_overrun[15] = 50;  // 50 words of extension.
  EXPECT_FALSE(rtp::RtpPacket::Parse(ext_overrun));
  auto pad = Rtp(1, 1, 1, 96, {}, 4);
  pad[0] |= 0x20;
  pad.back() = 200;  // More padding than payload.
  EXPECT_FALSE(rtp::RtpPacket::Parse(pad));
  pad.back() = 0;
  EXPECT_FALSE(rtp::RtpPacket::Parse(pad));
}

TEST(ProducerTest, CountsLossAndJitter) {
  ProducerParams params;
  params.kind = "audio";
  params.codecs = {{111, "audio/opus", 48000, 2, "", std::nullopt, {}}};
  params.encodings = {{1234, std::nullopt, ""}};
  FakeSink sink;
  Producer producer("p1", params, {}, sink, 1);
  Timestamp t = Timestamp::Millis(1000);
  // 20 ms packets, seq 65530.. wrapping, with 2 lost; perfectly paced (zero jitter).
  int received = 0;
  for (int i = 0; i < 20; ++i) {
    if (i == 5 || i == 12) continue;
    auto bytes = Rtp(1234, static_cast<uint16_t>(65530 + i), static_cast<uint32_t>(960 * i), 111);
    producer.Receive(bytes, *rtp::RtpPacket::Parse(bytes), 0, false, t + TimeDelta::Millis(20 * i));
    ++received;
  }
  auto stats = producer.Stats(t);
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0].packets, static_cast<uint64_t>(received));
  EXPECT_EQ(stats[0].packets_lost, 2);
  EXPECT_NEAR(stats[0].jitter_seconds, 0.0, 1e-9);
  // A late packet (10 ms off) raises the jitter estimate by d/16.
  auto late = Rtp(1234, static_cast<uint16_t>(65530 + 20), 960 * 20, 111);
  producer.Receive(late, *rtp::RtpPacket::Parse(late), 0, false, t + TimeDelta::Millis(20 * 20 + 10));
  EXPECT_NEAR(producer.Stats(t)[0].jitter_seconds, 0.010 / 16, 1e-6);
}

TEST(RtpDemuxerTest, BySignaledSsrcThenByMidAndRid) {
  ProducerParams audio;
  audio.kind = "audio";
  audio.mid = "0";
  audio.codecs = {{111, "audio/opus", 48000, 2, "", std::nullopt, {}}};
  audio.encodings = {{5555, std::nullopt, ""}};
  ProducerParams video;
  video.kind = "video";
  video.mid = "1";
  video.codecs = {{96, "video/VP8", 90000, 0, "", 97, {}}};
  video.encodings = {{std::nullopt, std::nullopt, "q"}, {std::nullopt, std::nullopt, "f"}};
  video.mid_extension_id = 4;
  video.rid_extension_id = 10;
  video.repaired_rid_extension_id = 11;
  FakeSink sink;
  Producer a("a", audio, {}, sink, 1), v("v", video, {}, sink, 1);
  RtpDemuxer demux;
  demux.Add(&a);
  demux.Add(&v);

  auto m = demux.Find(*rtp::RtpPacket::Parse(Rtp(5555, 1, 1, 111)));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->producer, &a);

  auto f = Rtp(777, 1, 1, 96, {{4, "1"}, {10, "f"}});
  m = demux.Find(*rtp::RtpPacket::Parse(f));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->producer, &v);
  EXPECT_EQ(m->encoding, 1u);
  EXPECT_FALSE(m->rtx);
  // Learned: later packets of that SSRC need no extensions.
  m = demux.Find(*rtp::RtpPacket::Parse(Rtp(777, 2, 2, 96)));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->encoding, 1u);

  auto rtx = Rtp(888, 1, 1, 97, {{4, "1"}, {11, "q"}});
  m = demux.Find(*rtp::RtpPacket::Parse(rtx));
  ASSERT_TRUE(m.has_value());
  EXPECT_TRUE(m->rtx);
  EXPECT_EQ(m->encoding, 0u);

  EXPECT_FALSE(demux.Find(*rtp::RtpPacket::Parse(Rtp(999, 1, 1, 96, {{4, "1"}, {10, "zz"}}))));
  EXPECT_FALSE(demux.Find(*rtp::RtpPacket::Parse(Rtp(1000, 1, 1, 96))));
  EXPECT_EQ(demux.unmatched(), 2u);
  demux.Remove(&v);
  EXPECT_FALSE(demux.Find(*rtp::RtpPacket::Parse(Rtp(777, 3, 3, 96))));
}

}  // namespace
}  // namespace sfu
