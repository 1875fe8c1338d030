#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "router/rtcp/bye.h"
#include "router/rtcp/feedback.h"
#include "router/rtcp/sdes.h"
#include "router/rtcp/sender_report.h"
#include "router/rtcp/transport_feedback.h"
#include "router/rtcp/xr.h"

namespace sfu::rtcp {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes Written(std::span<const uint8_t> buf, size_t n) { return Bytes(buf.begin(), buf.begin() + static_cast<ptrdiff_t>(n)); }

// The first `n` bytes (a multiple of 4) with the header's length rewritten to match, so
// the parser itself, not the header check, meets the cut.
Bytes Cut(const Bytes& wire, size_t n) {
  Bytes out(wire.begin(), wire.begin() + static_cast<ptrdiff_t>(n));
  out[2] = static_cast<uint8_t>((n / 4 - 1) >> 8);
  out[3] = static_cast<uint8_t>(n / 4 - 1);
  return out;
}

// Every cut of the buffer (the header then claims more than there is) fails.
template <typename T>
void ExpectTruncationsFail(const Bytes& wire) {
  for (size_t n = 0; n < wire.size(); ++n) {
    EXPECT_FALSE(T::Parse(std::span(wire).first(n)).has_value()) << "cut at " << n;
  }
}

// Cuts at 32-bit boundaries with a matching length field: only those in `valid` parse.
template <typename T>
void ExpectCutsFailExcept(const Bytes& wire, std::vector<size_t> valid) {
  for (size_t n = 4; n < wire.size(); n += 4) {
    bool ok = T::Parse(Cut(wire, n)).has_value();
    bool expected = std::find(valid.begin(), valid.end(), n) != valid.end();
    EXPECT_EQ(ok, expected) << "cut at " << n;
  }
}

// ---------------------------------------------------------------------------------------
// SDES (RFC 3550 section 6.5)

// Two chunks: CNAME "user@host" (11 bytes of item, 1 null); NAME "Al" then CNAME "ab"
// (8 bytes of items, 4 nulls).
const Bytes kSdesWire = {
    0x82, 202, 0x00, 0x08,                                       //
    0x11, 0x22, 0x33, 0x44, 0x01, 0x09, 'u', 's', 'e', 'r', '@', 'h', 'o', 's', 't', 0x00,
    0x55, 0x66, 0x77, 0x88, 0x02, 0x02, 'A', 'l', 0x01, 0x02, 'a', 'b', 0x00, 0x00, 0x00, 0x00};

TEST(SdesTest, ParsesChunksKeepingCname) {
  auto s = Sdes::Parse(kSdesWire);
  ASSERT_TRUE(s.has_value());
  ASSERT_EQ(s->chunks.size(), 2u);
  EXPECT_EQ(s->chunks[0].ssrc, 0x11223344u);
  EXPECT_EQ(s->chunks[0].cname, "user@host");
  EXPECT_EQ(s->chunks[1].ssrc, 0x55667788u);
  EXPECT_EQ(s->chunks[1].cname, "ab");
  // Written back without the NAME item: the second chunk shrinks to 12 bytes.
  uint8_t buf[64];
  size_t n = s->Write(buf);
  ASSERT_EQ(n, 4u + 16 + 12);
  EXPECT_EQ(n, s->size());
  Bytes expected = {0x82, 202, 0x00, 0x07};
  expected.insert(expected.end(), kSdesWire.begin() + 4, kSdesWire.begin() + 20);
  Bytes second = {0x55, 0x66, 0x77, 0x88, 0x01, 0x02, 'a', 'b', 0x00, 0x00, 0x00, 0x00};
  expected.insert(expected.end(), second.begin(), second.end());
  EXPECT_EQ(Written(buf, n), expected);
  EXPECT_EQ(Sdes::Parse({buf, n}), s);
}

TEST(SdesTest, RoundTripsPaddingForEveryCnameLength) {
  for (size_t len : {0u, 1u, 2u, 3u, 4u, 5u, 6u, 254u, 255u}) {
    Sdes s;
    s.chunks.push_back({0xCAFEBABE, std::string(len, 'x')});
    s.chunks.push_back({7, "peer"});
    uint8_t buf[600];
    size_t n = s.Write(buf);
    ASSERT_GT(n, 0u) << len;
    EXPECT_EQ(n % 4, 0u);
    EXPECT_EQ(n, s.size());
    EXPECT_EQ(Sdes::Parse({buf, n}), s) << len;
  }
  // An empty CNAME is written as a chunk with no items: four null octets.
  Sdes empty;
  empty.chunks.push_back({9, ""});
  uint8_t buf[16];
  ASSERT_EQ(empty.Write(buf), 12u);
  EXPECT_EQ(Written(buf, 12), (Bytes{0x81, 202, 0, 2, 0, 0, 0, 9, 0, 0, 0, 0}));
  Sdes none;
  ASSERT_EQ(none.Write(buf), 4u);
  auto back = Sdes::Parse({buf, 4});
  ASSERT_TRUE(back.has_value());
  EXPECT_TRUE(back->chunks.empty());
}

TEST(SdesTest, WriteRefusesWhatDoesNotFit) {
  Sdes s;
  s.chunks.push_back({1, std::string(256, 'x')});
  uint8_t buf[1024];
  EXPECT_EQ(s.Write(buf), 0u);  // CNAME over 255 bytes.
  s.chunks[0].cname = "ok";
  EXPECT_EQ(s.Write(std::span(buf).first(15)), 0u);  // Needs 16.
  EXPECT_EQ(s.Write(std::span(buf).first(16)), 16u);
  Sdes many;
  for (uint32_t i = 0; i < 32; ++i) many.chunks.push_back({i, "c"});
  EXPECT_EQ(many.Write(buf), 0u);  // Over 31 chunks.
}

TEST(SdesTest, RejectsMalformed) {
  ExpectTruncationsFail<Sdes>(kSdesWire);
  ExpectCutsFailExcept<Sdes>(kSdesWire, {});

  Bytes bad = kSdesWire;
  bad[0] = 0x83;  // Three chunks announced, two present.
  EXPECT_FALSE(Sdes::Parse(bad).has_value());
  bad = kSdesWire;
  bad[0] = 0x81;  // One announced: the second is left over.
  EXPECT_FALSE(Sdes::Parse(bad).has_value());
  bad = kSdesWire;
  bad[1] = 201;  // Wrong packet type.
  EXPECT_FALSE(Sdes::Parse(bad).has_value());
  bad = kSdesWire;
  bad[35] = 0x01;  // Non-null padding after the null item.
  EXPECT_FALSE(Sdes::Parse(bad).has_value());
  bad = kSdesWire;
  bad[29] = 0x20;  // CNAME length runs past the packet.
  EXPECT_FALSE(Sdes::Parse(bad).has_value());
  bad = kSdesWire;
  bad[25] = 0xFF;  // NAME length runs past the packet.
  EXPECT_FALSE(Sdes::Parse(bad).has_value());
  // Items end exactly at the boundary with no null item.
  const Bytes no_end = {0x81, 202, 0, 2, 0, 0, 0, 1, 0x01, 0x02, 'a', 'b'};
  EXPECT_FALSE(Sdes::Parse(no_end).has_value());
  // Not version 2.
  bad = kSdesWire;
  bad[0] = 0x42;
  EXPECT_FALSE(Sdes::Parse(bad).has_value());
}

// ---------------------------------------------------------------------------------------
// BYE (RFC 3550 section 6.6)

TEST(ByeTest, ParsesAndWritesKnownBytes) {
  // Two SSRCs and the reason "bye", which fills its word exactly.
  const Bytes wire = {0x82, 203, 0, 3, 1, 2, 3, 4, 5, 6, 7, 8, 3, 'b', 'y', 'e'};
  auto b = Bye::Parse(wire);
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(std::vector<uint32_t>(b->ssrcs.begin(), b->ssrcs.end()),
            (std::vector<uint32_t>{0x01020304, 0x05060708}));
  EXPECT_EQ(b->reason, "bye");
  uint8_t buf[64];
  size_t n = b->Write(buf);
  EXPECT_EQ(Written(buf, n), wire);

  // The reason "ciao!" is null padded to the boundary.
  const Bytes padded = {0x81, 203, 0, 3, 0xDE, 0xAD, 0xBE, 0xEF, 5, 'c', 'i', 'a', 'o', '!', 0, 0};
  b = Bye::Parse(padded);
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->reason, "ciao!");
  n = b->Write(buf);
  EXPECT_EQ(Written(buf, n), padded);

  // No reason.
  const Bytes bare = {0x81, 203, 0, 1, 0, 0, 0, 42};
  b = Bye::Parse(bare);
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->ssrcs.size(), 1u);
  EXPECT_TRUE(b->reason.empty());
  n = b->Write(buf);
  EXPECT_EQ(Written(buf, n), bare);
}

TEST(ByeTest, RoundTripsAndRefusesWhatDoesNotFit) {
  for (size_t len : {0u, 1u, 2u, 3u, 4u, 7u, 255u}) {
    Bye b;
    b.ssrcs = {10, 20, 30};
    b.reason = std::string(len, 'r');
    uint8_t buf[300];
    size_t n = b.Write(buf);
    ASSERT_GT(n, 0u);
    EXPECT_EQ(n, b.size());
    EXPECT_EQ(Bye::Parse({buf, n}), b) << len;
  }
  uint8_t buf[1024];
  Bye b;
  b.ssrcs = {1};
  b.reason = std::string(256, 'r');
  EXPECT_EQ(b.Write(buf), 0u);
  b.reason = "x";
  EXPECT_EQ(b.Write(std::span(buf).first(11)), 0u);
  EXPECT_EQ(b.Write(std::span(buf).first(12)), 12u);
  for (uint32_t i = 0; i < 31; ++i) b.ssrcs.push_back(i);
  EXPECT_EQ(b.Write(buf), 0u);  // 32 SSRCs.
}

TEST(ByeTest, RejectsMalformed) {
  const Bytes wire = {0x82, 203, 0, 4, 1, 2, 3, 4, 5, 6, 7, 8, 5, 'c', 'i', 'a', 'o', '!', 0, 0};
  ASSERT_TRUE(Bye::Parse(wire).has_value());
  ExpectTruncationsFail<Bye>(wire);
  ExpectCutsFailExcept<Bye>(wire, {12});  // Cut after the SSRCs: a BYE with no reason.

  Bytes bad = wire;
  bad[0] = 0x85;  // Five SSRCs announced: runs past the end.
  EXPECT_FALSE(Bye::Parse(bad).has_value());
  bad = wire;
  bad[12] = 8;  // Reason longer than the packet.
  EXPECT_FALSE(Bye::Parse(bad).has_value());
  bad = wire;
  bad[19] = '?';  // Padding not null.
  EXPECT_FALSE(Bye::Parse(bad).has_value());
  bad = wire;
  bad[1] = 202;
  EXPECT_FALSE(Bye::Parse(bad).has_value());
  // A whole word after the padded reason.
  const Bytes extra = {0x81, 203, 0, 3, 0, 0, 0, 1, 1, 'x', 0, 0, 0, 0, 0, 0};
  EXPECT_FALSE(Bye::Parse(extra).has_value());
}

// ---------------------------------------------------------------------------------------
// XR (RFC 3611)

// RRTR (section 4.4), an unknown block type 42 of one word, DLRR with two sub-blocks
// (section 4.5).
const Bytes kXrWire = {
    0x80, 207, 0, 13, 0x01, 0x02, 0x03, 0x04,                                //
    4, 0, 0, 2, 0xE5, 0xF0, 0xE1, 0xD2, 0xC3, 0xB4, 0xA5, 0x96,             //
    42, 0x77, 0, 1, 0xDE, 0xAD, 0xBE, 0xEF,                                  //
    5, 0, 0, 6,                                                              //
    0x0A, 0x0B, 0x0C, 0x0D, 0x11, 0x22, 0x33, 0x44, 0x00, 0x01, 0x00, 0x00,  //
    0x0E, 0x0F, 0x10, 0x11, 0x55, 0x66, 0x77, 0x88, 0x00, 0x00, 0x80, 0x00};

TEST(XrTest, ParsesRrtrAndDlrrSkippingUnknownBlocks) {
  auto xr = ExtendedReports::Parse(kXrWire);
  ASSERT_TRUE(xr.has_value());
  EXPECT_EQ(xr->sender_ssrc, 0x01020304u);
  ASSERT_TRUE(xr->rrtr_ntp_time.has_value());
  EXPECT_EQ(*xr->rrtr_ntp_time, 0xE5F0E1D2C3B4A596u);
  ASSERT_EQ(xr->dlrr.size(), 2u);
  EXPECT_EQ(xr->dlrr[0], (ExtendedReports::DlrrItem{0x0A0B0C0D, 0x11223344, 0x00010000}));
  EXPECT_EQ(xr->dlrr[1], (ExtendedReports::DlrrItem{0x0E0F1011, 0x55667788, 0x00008000}));

  // Written back without the unknown block.
  Bytes expected(kXrWire.begin(), kXrWire.begin() + 20);
  expected.insert(expected.end(), kXrWire.begin() + 28, kXrWire.end());
  expected[3] = 11;
  uint8_t buf[128];
  size_t n = xr->Write(buf);
  EXPECT_EQ(n, xr->size());
  EXPECT_EQ(Written(buf, n), expected);
}

TEST(XrTest, RoundTrips) {
  uint8_t buf[256];
  ExtendedReports xr;
  xr.sender_ssrc = 77;
  ASSERT_EQ(xr.Write(buf), 8u);  // No blocks.
  EXPECT_EQ(ExtendedReports::Parse({buf, 8}), xr);
  xr.rrtr_ntp_time = 0x0123456789ABCDEF;
  ASSERT_EQ(xr.Write(buf), 20u);
  EXPECT_EQ(ExtendedReports::Parse({buf, 20}), xr);
  xr.rrtr_ntp_time.reset();
  xr.dlrr = {{1, 2, 3}, {4, 5, 6}, {7, 8, 9}};
  ASSERT_EQ(xr.Write(buf), 8u + 4 + 36);
  EXPECT_EQ(ExtendedReports::Parse({buf, 48}), xr);
  xr.rrtr_ntp_time = 1;
  size_t n = xr.Write(buf);
  ASSERT_EQ(n, 60u);
  EXPECT_EQ(ExtendedReports::Parse({buf, n}), xr);
  EXPECT_EQ(xr.Write(std::span(buf).first(59)), 0u);
}

TEST(XrTest, MergesDlrrBlocksAndAcceptsEmptyOnes) {
  const Bytes wire = {0x80, 207, 0, 11, 0, 0, 0, 1,                    //
                      5,    0,   0, 0,                                  // No sub-blocks.
                      5,    0,   0, 3,  0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4,  //
                      5,    0,   0, 0,                                  //
                      5,    0,   0, 3,  0, 0, 0, 5, 0, 0, 0, 6, 0, 0, 0, 7};
  ASSERT_EQ(wire.size(), 48u);
  auto xr = ExtendedReports::Parse(wire);
  ASSERT_TRUE(xr.has_value());
  EXPECT_FALSE(xr->rrtr_ntp_time.has_value());
  ASSERT_EQ(xr->dlrr.size(), 2u);
  EXPECT_EQ(xr->dlrr[0], (ExtendedReports::DlrrItem{2, 3, 4}));
  EXPECT_EQ(xr->dlrr[1], (ExtendedReports::DlrrItem{5, 6, 7}));
  // Written back as one DLRR block.
  uint8_t buf[64];
  EXPECT_EQ(xr->Write(buf), 8u + 4 + 24);
}

TEST(XrTest, RejectsMalformed) {
  ExpectTruncationsFail<ExtendedReports>(kXrWire);
  // Cuts at block boundaries leave a shorter valid report: the SSRC alone, then with RRTR,
  // then with the unknown block.
  ExpectCutsFailExcept<ExtendedReports>(kXrWire, {8, 20, 28});
  EXPECT_FALSE(ExtendedReports::Parse(Cut(kXrWire, 4)).has_value());  // No SSRC.

  Bytes bad = kXrWire;
  bad[11] = 3;  // RRTR block length must be 2.
  EXPECT_FALSE(ExtendedReports::Parse(bad).has_value());
  bad = kXrWire;
  bad[31] = 5;  // DLRR length not a multiple of 3.
  EXPECT_FALSE(ExtendedReports::Parse(bad).has_value());
  bad = kXrWire;
  bad[23] = 9;  // Unknown block's length runs past the end.
  EXPECT_FALSE(ExtendedReports::Parse(bad).has_value());
  bad = kXrWire;
  bad[1] = 206;
  EXPECT_FALSE(ExtendedReports::Parse(bad).has_value());
  // A DLRR block of 4 words (length 3 is fine, 4 is not) that fits the packet.
  const Bytes dlrr4 = {0x80, 207, 0, 6, 0, 0, 0, 1, 5, 0, 0, 4,
                       0,    0,   0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5};
  EXPECT_FALSE(ExtendedReports::Parse(dlrr4).has_value());
}

// ---------------------------------------------------------------------------------------
// Transport-wide congestion control feedback (draft-holmer-rmcat-transport-wide-cc-
// extensions-01 section 3.1)

// Base sequence number 65534, 28 packets, reference time -2 (x 64 ms), feedback count 7.
// Chunks: a 2-bit status vector (small, large, lost, small, large, lost, small), a run of
// 20 lost, a 2-bit vector with one small. Deltas: 1, -4 (large), 255, 300 (large), 0, 4
// (x 250 us). Then two bytes of zero padding.
const Bytes kTccWire = {
    0x8F, 205,  0x00, 0x08, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02,  //
    0xFF, 0xFE, 0x00, 0x1C, 0xFF, 0xFF, 0xFE, 0x07,                          //
    0xD8, 0x61, 0x00, 0x14, 0xD0, 0x00,                                      //
    0x01, 0xFF, 0xFC, 0xFF, 0x01, 0x2C, 0x00, 0x04,                          //
    0x00, 0x00};

TEST(TransportFeedbackTest, ParsesRunLengthAndVectorChunksWithNegativeDelta) {
  auto fb = TransportFeedback::Parse(kTccWire);
  ASSERT_TRUE(fb.has_value());
  EXPECT_EQ(fb->sender_ssrc, 1u);
  EXPECT_EQ(fb->media_ssrc, 2u);
  EXPECT_EQ(fb->base_seq, 65534);
  EXPECT_EQ(fb->reference_time, -2);
  EXPECT_EQ(fb->feedback_count, 7);
  ASSERT_EQ(fb->packets.size(), 28u);
  using P = TransportFeedback::Packet;
  EXPECT_EQ(fb->packets[0], (P{65534, true, 250}));
  EXPECT_EQ(fb->packets[1], (P{65535, true, -1000}));
  EXPECT_EQ(fb->packets[2], (P{0, false, 0}));
  EXPECT_EQ(fb->packets[3], (P{1, true, 63750}));
  EXPECT_EQ(fb->packets[4], (P{2, true, 75000}));
  EXPECT_EQ(fb->packets[5], (P{3, false, 0}));
  EXPECT_EQ(fb->packets[6], (P{4, true, 0}));
  for (size_t i = 7; i < 27; ++i) {
    EXPECT_EQ(fb->packets[i], (P{static_cast<uint16_t>(i - 2), false, 0})) << i;
  }
  EXPECT_EQ(fb->packets[27], (P{25, true, 1000}));

  // The encoder picks the same chunks.
  uint8_t buf[64];
  size_t n = fb->Write(buf);
  EXPECT_EQ(n, fb->size());
  EXPECT_EQ(Written(buf, n), kTccWire);
}

TEST(TransportFeedbackTest, ParsesOneBitVectorAndRtcpPadding) {
  // 14 packets from 100 in one 1-bit vector: received, lost, received, received, 9 lost,
  // received. Deltas 4, 8, 0, 16.
  const Bytes wire = {0x8F, 205, 0, 6, 0, 0, 0, 9, 0, 0, 0, 8, 0, 100, 0, 14, 0, 0, 0, 0,
                      0xAC, 0x01, 0x04, 0x08, 0x00, 0x10, 0x00, 0x00};
  auto fb = TransportFeedback::Parse(wire);
  ASSERT_TRUE(fb.has_value());
  ASSERT_EQ(fb->packets.size(), 14u);
  std::vector<bool> received;
  for (const auto& p : fb->packets) received.push_back(p.received);
  EXPECT_EQ(received, (std::vector<bool>{true, false, true, true, false, false, false, false,
                                         false, false, false, false, false, true}));
  EXPECT_EQ(fb->packets[0].delta_us, 1000);
  EXPECT_EQ(fb->packets[2].delta_us, 2000);
  EXPECT_EQ(fb->packets[3].delta_us, 0);
  EXPECT_EQ(fb->packets[13].delta_us, 4000);
  EXPECT_EQ(fb->packets[13].seq, 113);
  uint8_t buf[64];
  size_t n = fb->Write(buf);
  EXPECT_EQ(Written(buf, n), wire);

  // The same packet padded with the P bit (RFC 3550 section 6.4.1), as libwebrtc does.
  Bytes with_p = wire;
  with_p[0] = 0xAF;
  with_p[27] = 2;
  EXPECT_EQ(TransportFeedback::Parse(with_p), fb);
}

TEST(TransportFeedbackTest, RejectsMalformed) {
  ExpectTruncationsFail<TransportFeedback>(kTccWire);
  ExpectCutsFailExcept<TransportFeedback>(kTccWire, {});

  Bytes bad = kTccWire;
  bad[0] = 0x81;  // FMT 1 is a generic NACK.
  EXPECT_FALSE(TransportFeedback::Parse(bad).has_value());
  EXPECT_FALSE(Nack::Parse(kTccWire).has_value());
  bad = kTccWire;
  bad[1] = 206;  // PSFB FMT 15 is REMB.
  EXPECT_FALSE(TransportFeedback::Parse(bad).has_value());
  bad = kTccWire;
  bad[14] = 0;
  bad[15] = 0;  // Packet status count 0.
  EXPECT_FALSE(TransportFeedback::Parse(bad).has_value());
  bad = kTccWire;
  bad[14] = 0xFF;
  bad[15] = 0xFF;  // Status count 65535: reading chunks runs into the deltas and fails.
  EXPECT_FALSE(TransportFeedback::Parse(bad).has_value());
  bad = kTccWire;
  bad[22] = 0x60;  // Run-length chunk with the reserved symbol.
  EXPECT_FALSE(TransportFeedback::Parse(bad).has_value());
  bad = kTccWire;
  bad[20] = 0xFB;  // 2-bit vector with the reserved symbol first.
  EXPECT_FALSE(TransportFeedback::Parse(bad).has_value());
  bad = kTccWire;
  bad[35] = 0x01;  // Padding not zero.
  EXPECT_FALSE(TransportFeedback::Parse(bad).has_value());
  bad = kTccWire;
  bad.insert(bad.end(), {0, 0, 0, 0});  // A whole word after the deltas.
  bad[3] = 9;
  EXPECT_FALSE(TransportFeedback::Parse(bad).has_value());
  // Status count 30, but the only chunk covers 20 and the next (padding) covers none.
  const Bytes short_chunks = {0x8F, 205, 0, 5, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0,
                              0,    30,  0, 0, 0, 0, 0x00, 0x14, 0x00, 0x00};
  EXPECT_FALSE(TransportFeedback::Parse(short_chunks).has_value());
  // The symbols past the status count in the last vector are ignored, reserved or not.
  Bytes tail = {0x8F, 205, 0, 5, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0,
                0xDF, 0xFF, 0x05, 0x00};
  auto fb = TransportFeedback::Parse(tail);
  ASSERT_TRUE(fb.has_value());
  ASSERT_EQ(fb->packets.size(), 1u);
  EXPECT_EQ(fb->packets[0].delta_us, 1250);
}

TEST(TransportFeedbackTest, WriteRefusesInvalidFeedback) {
  auto fb = TransportFeedback::Parse(kTccWire);
  ASSERT_TRUE(fb.has_value());
  uint8_t buf[64];
  EXPECT_EQ(fb->Write(std::span(buf).first(35)), 0u);
  auto bad = *fb;
  bad.packets.clear();
  EXPECT_EQ(bad.Write(buf), 0u);
  bad = *fb;
  bad.packets[3].seq = 9;  // Not consecutive.
  EXPECT_EQ(bad.Write(buf), 0u);
  bad = *fb;
  bad.packets[0].delta_us = 100;  // Not a multiple of 250 us.
  EXPECT_EQ(bad.Write(buf), 0u);
  bad = *fb;
  bad.packets[0].delta_us = 32768 * 250;  // Past the 16-bit range.
  EXPECT_EQ(bad.Write(buf), 0u);
  bad.packets[0].delta_us = 32767 * 250;
  EXPECT_GT(bad.Write(buf), 0u);
  bad.packets[0].delta_us = -32769 * 250;
  EXPECT_EQ(bad.Write(buf), 0u);
  bad = *fb;
  bad.packets[2].delta_us = 250;  // A lost packet with a delta.
  EXPECT_EQ(bad.Write(buf), 0u);
  bad = *fb;
  bad.reference_time = 0x800000;  // Past 24 bits.
  EXPECT_EQ(bad.Write(buf), 0u);
  bad.reference_time = -0x800000;
  size_t n = bad.Write(buf);
  ASSERT_GT(n, 0u);
  EXPECT_EQ(TransportFeedback::Parse({buf, n}), bad);
}

// Arrival time of each received packet as the feedback tells it.
std::vector<int64_t> Arrivals(const TransportFeedback& fb, int64_t reference_us) {
  std::vector<int64_t> out;
  int64_t t = reference_us;
  for (const auto& p : fb.packets) {
    if (!p.received) continue;
    t += p.delta_us;
    out.push_back(t);
  }
  return out;
}

TEST(TransportFeedbackTest, BuilderRoundTrips) {
  // 10'000'000 us is carried as 156 x 64 ms = 9'984'000 us.
  TransportFeedbackBuilder b(0xAAAA, 0xBBBB, 1000, 10'000'000, 3);
  EXPECT_TRUE(b.AddReceivedPacket(1000, 10'000'100));
  EXPECT_TRUE(b.AddReceivedPacket(1001, 9'999'000));  // Arrived earlier: negative delta.
  EXPECT_TRUE(b.AddReceivedPacket(1003, 10'100'000));
  EXPECT_TRUE(b.AddReceivedPacket(1031, 10'100'399));
  EXPECT_EQ(b.received_count(), 4u);
  const TransportFeedback& fb = b.feedback();
  EXPECT_EQ(fb.reference_time, 156);
  ASSERT_EQ(fb.packets.size(), 32u);
  EXPECT_EQ(fb.packets[0].delta_us, 16'000);  // Rounded down to 250 us.
  EXPECT_EQ(fb.packets[1].delta_us, -1'000);
  EXPECT_FALSE(fb.packets[2].received);
  EXPECT_EQ(fb.packets[3].delta_us, 101'000);
  EXPECT_EQ(fb.packets[31].delta_us, 250);
  EXPECT_EQ(Arrivals(fb, 9'984'000),
            (std::vector<int64_t>{10'000'000, 9'999'000, 10'100'000, 10'100'250}));

  uint8_t buf[128];
  size_t n = fb.Write(buf);
  ASSERT_GT(n, 0u);
  EXPECT_EQ(n % 4, 0u);
  auto back = TransportFeedback::Parse({buf, n});
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, fb);
  // small, large, lost, large, 27 lost, small: a 2-bit vector of 7, a run of 24 lost,
  // a 2-bit vector of 1. Deltas take 1 + 2 + 2 + 1 bytes.
  EXPECT_EQ(n, 4u + 16 + 3 * 2 + 6);
}

TEST(TransportFeedbackTest, BuilderStopsAtDeltaOutOfRange) {
  TransportFeedbackBuilder b(1, 2, 0, 0, 0);
  EXPECT_TRUE(b.AddReceivedPacket(0, 1'000));
  EXPECT_TRUE(b.AddReceivedPacket(1, 1'000 + 32767 * 250));  // The largest delta.
  EXPECT_FALSE(b.AddReceivedPacket(2, 1'000 + 32767 * 250 + 32768 * 250));
  EXPECT_FALSE(b.AddReceivedPacket(3, 1'000 + 32767 * 250 + 250));  // Closed.
  EXPECT_EQ(b.received_count(), 2u);
  EXPECT_EQ(b.feedback().packets.size(), 2u);
  uint8_t buf[64];
  size_t n = b.feedback().Write(buf);
  ASSERT_GT(n, 0u);
  EXPECT_EQ(TransportFeedback::Parse({buf, n}), b.feedback());

  TransportFeedbackBuilder neg(1, 2, 0, 10'000'000, 0);
  EXPECT_TRUE(neg.AddReceivedPacket(0, 10'000'000));
  EXPECT_TRUE(neg.AddReceivedPacket(1, 10'000'000 - 32768 * 250));  // The most negative.
  EXPECT_FALSE(neg.AddReceivedPacket(2, 10'000'000 - 2 * 32768 * 250 - 250));
  EXPECT_EQ(neg.received_count(), 2u);

  // The first delta is from the reference time, so it can be out of range too.
  TransportFeedbackBuilder first(1, 2, 0, 0, 0);
  EXPECT_FALSE(first.AddReceivedPacket(0, 9'000'000));
  EXPECT_EQ(first.received_count(), 0u);
  EXPECT_EQ(first.feedback().Write(buf), 0u);  // Nothing to send.
}

TEST(TransportFeedbackTest, BuilderRefusesSequenceOutOfOrder) {
  TransportFeedbackBuilder b(1, 2, 65530, 0, 0);
  EXPECT_TRUE(b.AddReceivedPacket(65535, 100));
  EXPECT_TRUE(b.AddReceivedPacket(2, 200));  // Wraps.
  EXPECT_FALSE(b.AddReceivedPacket(2, 300));  // Duplicate.
  EXPECT_EQ(b.feedback().packets.size(), 9u);
  EXPECT_EQ(b.feedback().packets.back().seq, 2);

  TransportFeedbackBuilder before(1, 2, 100, 0, 0);
  EXPECT_FALSE(before.AddReceivedPacket(99, 0));  // Before the base.
  TransportFeedbackBuilder far(1, 2, 100, 0, 0);
  EXPECT_TRUE(far.AddReceivedPacket(100 + 0x7FFF, 0));
  TransportFeedbackBuilder too_far(1, 2, 100, 0, 0);
  EXPECT_FALSE(too_far.AddReceivedPacket(100 + 0x8000, 0));
}

TEST(TransportFeedbackTest, BuilderWrapsReferenceTime) {
  constexpr int64_t kUnit = TransportFeedback::kReferenceTimeUnitUs;
  TransportFeedbackBuilder wrapped(1, 2, 0, ((int64_t{1} << 24) + 5) * kUnit + 10, 0);
  EXPECT_EQ(wrapped.feedback().reference_time, 5);
  TransportFeedbackBuilder high(1, 2, 0, 0x800000 * kUnit, 0);
  EXPECT_EQ(high.feedback().reference_time, -0x800000);
  TransportFeedbackBuilder negative(1, 2, 0, -3 * kUnit - 1, 0);  // Rounds down to -4.
  EXPECT_EQ(negative.feedback().reference_time, -4);
  EXPECT_TRUE(negative.AddReceivedPacket(0, -3 * kUnit - 1));
  EXPECT_EQ(negative.feedback().packets[0].delta_us, kUnit - 250);
}

TEST(TransportFeedbackTest, EncoderRoundTripsLongRunsAndMixedPatterns) {
  // A gap longer than one run-length chunk holds (8191).
  TransportFeedbackBuilder gap(1, 2, 0, 0, 0);
  EXPECT_TRUE(gap.AddReceivedPacket(0, 0));
  EXPECT_TRUE(gap.AddReceivedPacket(20000, 1000));
  uint8_t buf[4096];
  size_t n = gap.feedback().Write(buf);
  // A 1-bit vector (small, 13 lost), runs of 8191, 8191 and 3604 lost, a 2-bit vector.
  EXPECT_EQ(n, (4u + 16 + 5 * 2 + 2 + 3) / 4 * 4);
  ASSERT_GT(n, 0u);
  EXPECT_EQ(TransportFeedback::Parse({buf, n}), gap.feedback());

  // Long runs of received packets, both small and large deltas.
  TransportFeedbackBuilder runs(1, 2, 500, 0, 0);
  int64_t t = 0;
  for (uint16_t s = 500; s < 600; ++s) EXPECT_TRUE(runs.AddReceivedPacket(s, t += 1000));
  for (uint16_t s = 600; s < 620; ++s) EXPECT_TRUE(runs.AddReceivedPacket(s, t += 100'000));
  n = runs.feedback().Write(buf);
  ASSERT_GT(n, 0u);
  EXPECT_EQ(n, (4u + 16 + 2 * 2 + 100 + 40 + 3) / 4 * 4);  // Two run-length chunks.
  EXPECT_EQ(TransportFeedback::Parse({buf, n}), runs.feedback());

  // Pseudo-random loss, reordering and jumps.
  std::mt19937 rng(42);
  for (int round = 0; round < 200; ++round) {
    auto base = static_cast<uint16_t>(rng());
    TransportFeedbackBuilder b(3, 4, base, 5'000'000, static_cast<uint8_t>(round));
    int64_t arrival = 5'000'000;
    uint16_t seq = base;
    size_t added = 0;
    for (int i = 0; i < 300; ++i) {
      auto r = static_cast<uint32_t>(rng());
      seq = static_cast<uint16_t>(seq + 1u + (r % 4 == 0 ? r % 30 : 0u));
      arrival += static_cast<int64_t>(r % 3 == 0 ? -static_cast<int64_t>(r % 5000)
                                                 : static_cast<int64_t>(r % 80'000));
      if (!b.AddReceivedPacket(seq, arrival)) break;
      ++added;
    }
    EXPECT_EQ(b.received_count(), added);
    n = b.feedback().Write(buf);
    ASSERT_GT(n, 0u) << round;
    EXPECT_EQ(n, b.feedback().size());
    auto back = TransportFeedback::Parse({buf, n});
    ASSERT_TRUE(back.has_value()) << round;
    EXPECT_EQ(*back, b.feedback()) << round;
  }
}

// A compound packet of the new types walks and parses packet by packet.
TEST(RtcpExtraTest, CompoundWithNewTypes) {
  uint8_t buf[512];
  size_t n = 0;
  ReceiverReport rr;
  rr.ssrc = 5;
  n += rr.Write(std::span(buf).subspan(n));
  Sdes sdes;
  sdes.chunks.push_back({5, "me@example"});
  n += sdes.Write(std::span(buf).subspan(n));
  ExtendedReports xr;
  xr.sender_ssrc = 5;
  xr.rrtr_ntp_time = 99;
  n += xr.Write(std::span(buf).subspan(n));
  Bye bye;
  bye.ssrcs = {5};
  n += bye.Write(std::span(buf).subspan(n));
  CompoundIterator it({buf, n});
  std::vector<uint8_t> types;
  while (auto p = it.Next()) {
    types.push_back(p->first.type);
    if (p->first.type == kSdes) {
      EXPECT_EQ(Sdes::Parse(p->second), sdes);
    } else if (p->first.type == kExtendedReport) {
      EXPECT_EQ(ExtendedReports::Parse(p->second), xr);
    } else if (p->first.type == kBye) {
      EXPECT_EQ(Bye::Parse(p->second), bye);
    }
  }
  EXPECT_FALSE(it.error());
  EXPECT_EQ(types, (std::vector<uint8_t>{kReceiverReport, kSdes, kExtendedReport, kBye}));
}

}  // namespace
}  // namespace sfu::rtcp
