#include <gtest/gtest.h>

#include <vector>

#include "router/rtcp/feedback.h"
#include "router/rtcp/rtcp_header.h"
#include "router/rtcp/sender_report.h"

namespace sfu::rtcp {
namespace {

ReportBlock Block(uint32_t ssrc, int32_t lost) {
  ReportBlock b;
  b.ssrc = ssrc;
  b.fraction_lost = 25;
  b.cumulative_lost = lost;
  b.extended_highest_seq = 0x00010005;
  b.jitter = 123;
  b.last_sr = 0xAABBCCDD;
  b.delay_since_last_sr = 65536;
  return b;
}

TEST(RtcpTest, SenderReportRoundTrip) {
  SenderReport sr;
  sr.ssrc = 0x11111111;
  sr.ntp_time = 0xE5F0E1D2C3B4A596;
  sr.rtp_timestamp = 90000;
  sr.packet_count = 10;
  sr.octet_count = 12000;
  sr.blocks = {Block(1, 5), Block(2, -3)};
  uint8_t buf[256];
  size_t n = sr.Write(buf);
  ASSERT_EQ(n, 4u + 24 + 48);
  auto back = SenderReport::Parse({buf, n});
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->ntp_time, sr.ntp_time);
  EXPECT_EQ(back->octet_count, 12000u);
  ASSERT_EQ(back->blocks.size(), 2u);
  EXPECT_EQ(back->blocks[0], sr.blocks[0]);
  EXPECT_EQ(back->blocks[1].cumulative_lost, -3);  // Sign-extended from 24 bits.
  EXPECT_FALSE(ReceiverReport::Parse({buf, n}).has_value());  // Wrong type.
}

TEST(RtcpTest, ReceiverReportAndLossClamping) {
  ReceiverReport rr;
  rr.ssrc = 7;
  rr.blocks = {Block(9, 100'000'000)};  // More than 24 bits hold: clamped.
  uint8_t buf[64];
  size_t n = rr.Write(buf);
  ASSERT_EQ(n, 32u);
  auto back = ReceiverReport::Parse({buf, n});
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->blocks[0].cumulative_lost, 0x7FFFFF);
  EXPECT_EQ(rr.Write(std::span(buf).first(20)), 0u);  // Does not fit.
}

TEST(RtcpTest, NackExpandsPidAndBitmaskAndPacksBack) {
  // PID 1000 with BLP 0x0005: 1000, 1001, 1003 (RFC 4585 section 6.2.1).
  const uint8_t wire[] = {0x81, 205, 0, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0x03, 0xE8, 0x00, 0x05};
  auto n = Nack::Parse(wire);
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->media_ssrc, 2u);
  EXPECT_EQ(std::vector<uint16_t>(n->sequence_numbers.begin(), n->sequence_numbers.end()),
            (std::vector<uint16_t>{1000, 1001, 1003}));
  uint8_t buf[64];
  size_t size = n->Write(buf);
  EXPECT_EQ(std::vector<uint8_t>(buf, buf + size), std::vector<uint8_t>(std::begin(wire), std::end(wire)));

  Nack wrap;
  wrap.sequence_numbers = {65534, 65535, 0, 20, 100};
  size = wrap.Write(buf);
  auto back = Nack::Parse({buf, size});
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(std::vector<uint16_t>(back->sequence_numbers.begin(), back->sequence_numbers.end()),
            (std::vector<uint16_t>{65534, 65535, 0, 20, 100}));
  EXPECT_EQ(size, 12u + 4 * 3);  // {65534..0}, {20}, {100}.
}

TEST(RtcpTest, PliFirRemb) {
  uint8_t buf[64];
  size_t n = Pli{5, 6}.Write(buf);
  auto pli = Pli::Parse({buf, n});
  ASSERT_TRUE(pli.has_value());
  EXPECT_EQ(pli->media_ssrc, 6u);
  EXPECT_FALSE(Fir::Parse({buf, n}).has_value());  // Same type, other format.

  Fir fir;
  fir.sender_ssrc = 1;
  fir.entries = {{0xABCD, 7}};
  n = fir.Write(buf);
  auto f = Fir::Parse({buf, n});
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->entries[0].ssrc, 0xABCDu);
  EXPECT_EQ(f->entries[0].sequence, 7);

  Remb remb;
  remb.sender_ssrc = 1;
  remb.bitrate_bps = 2'500'000;
  remb.ssrcs = {10, 11};
  n = remb.Write(buf);
  auto r = Remb::Parse({buf, n});
  ASSERT_TRUE(r.has_value());
  EXPECT_NEAR(static_cast<double>(r->bitrate_bps), 2'500'000.0, 2'500'000.0 / (1 << 17));
  EXPECT_EQ(r->ssrcs.size(), 2u);
}

TEST(RtcpTest, RembRoundTripRoundsTheBitrateDown) {
  for (uint64_t bps : {uint64_t{0}, uint64_t{1}, uint64_t{262'143}, uint64_t{262'144}, uint64_t{300'000},
                       uint64_t{1'234'567}, uint64_t{2'500'000}, uint64_t{10'000'000'000}}) {
    Remb remb;
    remb.sender_ssrc = 7;
    remb.bitrate_bps = bps;
    remb.ssrcs = {1, 0xFFFFFFFF, 3};
    uint8_t buf[64];
    size_t n = remb.Write(buf);
    EXPECT_EQ(n, remb.size());
    EXPECT_EQ(n, 32u);
    auto r = Remb::Parse({buf, n});
    ASSERT_TRUE(r.has_value()) << bps;
    EXPECT_EQ(r->sender_ssrc, 7u);
    // Never above what was written, less than one mantissa step (2^-17 of it) below.
    EXPECT_LE(r->bitrate_bps, bps);
    EXPECT_GE(r->bitrate_bps, bps - bps / (1 << 17)) << bps;
    EXPECT_EQ(std::vector<uint32_t>(r->ssrcs.begin(), r->ssrcs.end()), (std::vector<uint32_t>{1, 0xFFFFFFFF, 3}));
    if (bps == 300'000 || bps == 262'144 || bps == 1) {
      EXPECT_EQ(r->bitrate_bps, bps);
    }
  }
  // No SSRCs, and the most a REMB holds (255); over that, or a short buffer, nothing.
  Remb remb;
  remb.bitrate_bps = 64'000;
  uint8_t big[2048];
  size_t n = remb.Write(big);
  ASSERT_EQ(n, 20u);
  ASSERT_TRUE(Remb::Parse({big, n}).has_value());
  EXPECT_TRUE(Remb::Parse({big, n})->ssrcs.empty());
  for (uint32_t i = 0; i < 255; ++i) remb.ssrcs.push_back(i + 100);
  n = remb.Write(big);
  ASSERT_EQ(n, 20u + 4 * 255);
  auto r = Remb::Parse({big, n});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->ssrcs.size(), 255u);
  EXPECT_EQ(r->ssrcs.back(), 354u);
  EXPECT_EQ(remb.Write(std::span(big, n - 1)), 0u);
  remb.ssrcs.push_back(1);
  EXPECT_EQ(remb.Write(big), 0u);
}

TEST(RtcpTest, CompoundIterationStopsAtTheFirstMalformedPacket) {
  uint8_t buf[256];
  ReceiverReport rr;
  rr.ssrc = 1;
  size_t a = rr.Write(buf);
  size_t b = Pli{1, 2}.Write(std::span(buf).subspan(a));
  CompoundIterator it({buf, a + b});
  auto p1 = it.Next();
  auto p2 = it.Next();
  ASSERT_TRUE(p1 && p2);
  EXPECT_EQ(p1->first.type, kReceiverReport);
  EXPECT_EQ(p2->first.type, kPayloadFeedback);
  EXPECT_FALSE(it.Next().has_value());
  EXPECT_FALSE(it.error());

  // Garbage after a good packet: the good one is kept, then an error.
  buf[a] = 0x00;  // Version 0.
  CompoundIterator bad({buf, a + b});
  EXPECT_TRUE(bad.Next().has_value());
  EXPECT_FALSE(bad.Next().has_value());
  EXPECT_TRUE(bad.error());
}

TEST(RtcpTest, MalformedPacketsAreRefused) {
  uint8_t buf[128];
  SenderReport sr;
  sr.blocks = {Block(1, 1)};
  size_t n = sr.Write(buf);
  for (size_t len = 0; len < n; ++len) {
    EXPECT_FALSE(SenderReport::Parse({buf, len}).has_value()) << len;
  }
  // The count claims 2 blocks, the length holds 1.
  std::vector<uint8_t> wrong_count(buf, buf + n);
  wrong_count[0] = 0x82;
  EXPECT_FALSE(SenderReport::Parse(wrong_count).has_value());
  // Padding bit with a bad count.
  std::vector<uint8_t> padded(buf, buf + n);
  padded[0] |= 0x20;
  padded.back() = 0;
  EXPECT_FALSE(ParseHeader(padded).has_value());
  padded.back() = 200;
  EXPECT_FALSE(ParseHeader(padded).has_value());
  // A NACK without any PID/BLP item, or with a partial one.
  const uint8_t empty_nack[] = {0x81, 205, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2};
  EXPECT_FALSE(Nack::Parse(empty_nack).has_value());
  // REMB with a wrong identifier and with an overflowing exponent.
  Remb remb;
  remb.bitrate_bps = 1000;
  size_t rn = remb.Write(buf);
  std::vector<uint8_t> not_remb(buf, buf + rn);
  not_remb[12] = 'X';
  EXPECT_FALSE(Remb::Parse(not_remb).has_value());
  std::vector<uint8_t> huge(buf, buf + rn);
  huge[17] = 0xFC;  // Exponent 63.
  EXPECT_FALSE(Remb::Parse(huge).has_value());
}

}  // namespace
}  // namespace sfu::rtcp
