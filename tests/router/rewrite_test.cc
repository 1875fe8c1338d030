// RTP header rewriting (WriteRewritten, UnwrapRtx, RewriteExtensionIds, Set*, AbsSendTime)
// and the RTCP timing helpers of media_time.h.

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "router/media_time.h"
#include "router/rtp/rtp_packet.h"
#include "tests/router/router_test_util.h"

namespace sfu {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes B(std::string_view s) { return Bytes(s.begin(), s.end()); }

// A packet description, written the way RFC 3550 / RFC 8285 lay it out: extension
// elements back to back, zero fill to the next word.
struct Pkt {
  bool marker = false;
  uint8_t pt = 96;
  uint16_t seq = 0;
  uint32_t ts = 0;
  uint32_t ssrc = 0;
  std::vector<uint32_t> csrcs;
  bool two_byte = false;
  std::vector<std::pair<int, Bytes>> exts;
  Bytes payload;
  uint8_t padding = 0;  // Padding bytes, the last one holding the count.
};

void PutU32(Bytes& b, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) b.push_back(static_cast<uint8_t>(v >> shift));
}

Bytes Build(const Pkt& p) {
  Bytes b;
  b.push_back(static_cast<uint8_t>(0x80 | (p.padding ? 0x20 : 0) | (p.exts.empty() ? 0 : 0x10) | p.csrcs.size()));
  b.push_back(static_cast<uint8_t>((p.marker ? 0x80 : 0) | p.pt));
  b.push_back(static_cast<uint8_t>(p.seq >> 8));
  b.push_back(static_cast<uint8_t>(p.seq));
  PutU32(b, p.ts);
  PutU32(b, p.ssrc);
  for (uint32_t c : p.csrcs) PutU32(b, c);
  if (!p.exts.empty()) {
    Bytes body;
    for (const auto& [id, value] : p.exts) {
      if (p.two_byte) {
        body.push_back(static_cast<uint8_t>(id));
        body.push_back(static_cast<uint8_t>(value.size()));
      } else {
        body.push_back(static_cast<uint8_t>((id << 4) | static_cast<int>(value.size() - 1)));
      }
      body.insert(body.end(), value.begin(), value.end());
    }
    while (body.size() % 4) body.push_back(0);
    b.push_back(p.two_byte ? 0x10 : 0xBE);
    b.push_back(p.two_byte ? 0x00 : 0xDE);
    b.push_back(static_cast<uint8_t>((body.size() / 4) >> 8));
    b.push_back(static_cast<uint8_t>(body.size() / 4));
    b.insert(b.end(), body.begin(), body.end());
  }
  b.insert(b.end(), p.payload.begin(), p.payload.end());
  if (p.padding) {
    b.insert(b.end(), p.padding - 1u, uint8_t{0});
    b.push_back(p.padding);
  }
  return b;
}

// id -> value of every extension element.
std::map<int, Bytes> Extensions(const rtp::RtpPacket& p) {
  std::map<int, Bytes> out;
  EXPECT_TRUE(p.ForEachExtension([&](int id, std::span<const uint8_t> v) {
    EXPECT_FALSE(out.contains(id)) << "duplicate id " << id;
    out[id] = Bytes(v.begin(), v.end());
  }));
  return out;
}

Bytes ToBytes(std::span<const uint8_t> s) { return {s.begin(), s.end()}; }

// The profile of the extension block (after the CSRCs).
uint16_t ExtensionProfile(std::span<const uint8_t> packet) {
  size_t at = 12 + 4 * size_t{packet[0] & 0x0Fu};
  return static_cast<uint16_t>((packet[at] << 8) | packet[at + 1]);
}

Pkt Sample() {
  Pkt p;
  p.marker = true;
  p.pt = 96;
  p.seq = 1000;
  p.ts = 0xDEADBEEF;
  p.ssrc = 0x11111111;
  p.csrcs = {0xAAAAAAAA, 0xBBBBBBBB};
  p.exts = {{1, B("m0")}, {3, B("xyz")}, {4, {0x01}}, {5, {0x00, 0x07}}};
  p.payload = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  p.padding = 4;
  return p;
}

// ---------------------------------------------------------------------------------------
// WriteRewritten

TEST(WriteRewrittenTest, ReplacesFieldsKeepsCsrcsMapsExtensions) {
  Bytes in_bytes = Build(Sample());
  auto in = rtp::RtpPacket::Parse(in_bytes);
  ASSERT_TRUE(in.has_value());
  ASSERT_EQ(in->padding_size(), 4u);

  rtp::HeaderRewrite h{100, 4242, 0x01020304, 0x22222222};
  rtp::ExtensionRewrite ext;
  ext.id_map[1] = 9;   // The incoming MID: replaced by the written one.
  ext.id_map[3] = 2;   // The incoming abs-send-time: replaced by the written one.
  ext.id_map[4] = 12;  // Forwarded under a new id.
  ext.id_map[5] = 0;   // Dropped.
  ext.mid_id = 9;
  ext.mid = "v0";
  ext.abs_send_time_id = 2;
  ext.abs_send_time = 0x123456;

  std::array<uint8_t, 1500> out{};
  size_t n = rtp::WriteRewritten(out, *in, h, ext);
  ASSERT_GT(n, 0u);
  auto o = rtp::RtpPacket::Parse(std::span<const uint8_t>(out.data(), n));
  ASSERT_TRUE(o.has_value());
  EXPECT_TRUE(o->marker());
  EXPECT_EQ(o->payload_type(), 100);
  EXPECT_EQ(o->sequence(), 4242);
  EXPECT_EQ(o->timestamp(), 0x01020304u);
  EXPECT_EQ(o->ssrc(), 0x22222222u);
  EXPECT_EQ(ToBytes(o->csrcs()), ToBytes(in->csrcs()));
  EXPECT_EQ(o->csrcs().size(), 8u);
  // Padding stripped: no P bit, the payload ends the packet.
  EXPECT_EQ(out[0] & 0x20, 0);
  EXPECT_EQ(o->padding_size(), 0u);
  EXPECT_EQ(ToBytes(o->payload()), Sample().payload);
  EXPECT_EQ(n, o->header_size() + Sample().payload.size());
  EXPECT_EQ(o->header_size() % 4, 0u);

  EXPECT_EQ(ExtensionProfile(std::span<const uint8_t>(out.data(), n)), 0xBEDE);
  std::map<int, Bytes> want = {{9, B("v0")}, {2, {0x12, 0x34, 0x56}}, {12, {0x01}}};
  EXPECT_EQ(Extensions(*o), want);
}

TEST(WriteRewrittenTest, NoExtensionsLeavesNoBlock) {
  Pkt p = Sample();
  Bytes in_bytes = Build(p);
  auto in = rtp::RtpPacket::Parse(in_bytes);
  ASSERT_TRUE(in.has_value());
  std::array<uint8_t, 1500> out{};
  size_t n = rtp::WriteRewritten(out, *in, {96, 1, 2, 3}, rtp::ExtensionRewrite{});
  ASSERT_EQ(n, 12u + 8u + p.payload.size());
  EXPECT_EQ(out[0], 0x82);  // V=2, no P, no X, CC=2.
  auto o = rtp::RtpPacket::Parse(std::span<const uint8_t>(out.data(), n));
  ASSERT_TRUE(o.has_value());
  EXPECT_TRUE(Extensions(*o).empty());
  EXPECT_EQ(ToBytes(o->payload()), p.payload);
}

TEST(WriteRewrittenTest, MidAloneOnPacketWithoutExtensions) {
  Pkt p;
  p.ssrc = 7;
  p.payload = {9, 9, 9};
  Bytes in_bytes = Build(p);
  auto in = rtp::RtpPacket::Parse(in_bytes);
  ASSERT_TRUE(in.has_value());
  rtp::ExtensionRewrite ext;
  ext.mid_id = 3;
  ext.mid = "audio";
  std::array<uint8_t, 1500> out{};
  size_t n = rtp::WriteRewritten(out, *in, {111, 5, 6, 7}, ext);
  auto o = rtp::RtpPacket::Parse(std::span<const uint8_t>(out.data(), n));
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(out[0] & 0x10, 0x10);
  // One-byte form: 1 + 5 bytes, padded to 8.
  EXPECT_EQ(o->header_size(), 12u + 4u + 8u);
  std::map<int, Bytes> want = {{3, B("audio")}};
  EXPECT_EQ(Extensions(*o), want);
  EXPECT_EQ(ToBytes(o->payload()), p.payload);
}

TEST(WriteRewrittenTest, TwoByteFormWhenAnIdIsAbove14) {
  Bytes in_bytes = Build(Sample());
  auto in = rtp::RtpPacket::Parse(in_bytes);
  ASSERT_TRUE(in.has_value());
  rtp::ExtensionRewrite ext;
  ext.id_map[4] = 20;
  ext.id_map[5] = 7;
  std::array<uint8_t, 1500> out{};
  size_t n = rtp::WriteRewritten(out, *in, {96, 1, 2, 3}, ext);
  ASSERT_GT(n, 0u);
  EXPECT_EQ(ExtensionProfile(std::span<const uint8_t>(out.data(), n)), 0x1000);
  auto o = rtp::RtpPacket::Parse(std::span<const uint8_t>(out.data(), n));
  ASSERT_TRUE(o.has_value());
  std::map<int, Bytes> want = {{20, {0x01}}, {7, {0x00, 0x07}}};
  EXPECT_EQ(Extensions(*o), want);
  EXPECT_EQ(ToBytes(o->payload()), Sample().payload);
}

TEST(WriteRewrittenTest, TwoByteFormWhenAValueIsOver16Bytes) {
  Pkt p = Sample();
  p.two_byte = true;
  p.exts = {{6, Bytes(17, 0xCD)}, {4, {0x02}}};
  Bytes in_bytes = Build(p);
  auto in = rtp::RtpPacket::Parse(in_bytes);
  ASSERT_TRUE(in.has_value());
  rtp::ExtensionRewrite ext;
  ext.id_map[6] = 6;
  ext.id_map[4] = 4;
  std::array<uint8_t, 1500> out{};
  size_t n = rtp::WriteRewritten(out, *in, {96, 1, 2, 3}, ext);
  ASSERT_GT(n, 0u);
  EXPECT_EQ(ExtensionProfile(std::span<const uint8_t>(out.data(), n)), 0x1000);
  auto o = rtp::RtpPacket::Parse(std::span<const uint8_t>(out.data(), n));
  ASSERT_TRUE(o.has_value());
  std::map<int, Bytes> want = {{6, Bytes(17, 0xCD)}, {4, {0x02}}};
  EXPECT_EQ(Extensions(*o), want);

  // A MID longer than 16 bytes also needs the two-byte form.
  rtp::ExtensionRewrite long_mid;
  long_mid.mid_id = 1;
  long_mid.mid = "a-very-long-mid-value";
  n = rtp::WriteRewritten(out, *in, {96, 1, 2, 3}, long_mid);
  ASSERT_GT(n, 0u);
  EXPECT_EQ(ExtensionProfile(std::span<const uint8_t>(out.data(), n)), 0x1000);
  o = rtp::RtpPacket::Parse(std::span<const uint8_t>(out.data(), n));
  ASSERT_TRUE(o.has_value());
  std::map<int, Bytes> want_mid = {{1, B("a-very-long-mid-value")}};
  EXPECT_EQ(Extensions(*o), want_mid);
}

TEST(WriteRewrittenTest, TwoByteInputWithSmallElementsBecomesOneByte) {
  Pkt p = Sample();
  p.two_byte = true;
  p.exts = {{30, {0x01, 0x02}}, {4, {0x03}}};
  Bytes in_bytes = Build(p);
  auto in = rtp::RtpPacket::Parse(in_bytes);
  ASSERT_TRUE(in.has_value());
  rtp::ExtensionRewrite ext;
  ext.id_map[30] = 10;
  ext.id_map[4] = 11;
  std::array<uint8_t, 1500> out{};
  size_t n = rtp::WriteRewritten(out, *in, {96, 1, 2, 3}, ext);
  ASSERT_GT(n, 0u);
  EXPECT_EQ(ExtensionProfile(std::span<const uint8_t>(out.data(), n)), 0xBEDE);
  auto o = rtp::RtpPacket::Parse(std::span<const uint8_t>(out.data(), n));
  ASSERT_TRUE(o.has_value());
  std::map<int, Bytes> want = {{10, {0x01, 0x02}}, {11, {0x03}}};
  EXPECT_EQ(Extensions(*o), want);
}

TEST(WriteRewrittenTest, PrefixGoesBeforeThePayload) {
  Bytes in_bytes = Build(Sample());
  auto in = rtp::RtpPacket::Parse(in_bytes);
  ASSERT_TRUE(in.has_value());
  const uint8_t osn[2] = {0x03, 0xE8};
  std::array<uint8_t, 1500> out{};
  size_t n = rtp::WriteRewritten(out, *in, {97, 77, 0xDEADBEEF, 0x33333333}, rtp::ExtensionRewrite{}, osn);
  auto o = rtp::RtpPacket::Parse(std::span<const uint8_t>(out.data(), n));
  ASSERT_TRUE(o.has_value());
  Bytes want = {0x03, 0xE8};
  const Bytes payload = Sample().payload;
  want.insert(want.end(), payload.begin(), payload.end());
  EXPECT_EQ(ToBytes(o->payload()), want);
}

TEST(WriteRewrittenTest, ReturnsZeroWhenOutIsTooSmall) {
  Bytes in_bytes = Build(Sample());
  auto in = rtp::RtpPacket::Parse(in_bytes);
  ASSERT_TRUE(in.has_value());
  rtp::ExtensionRewrite ext;
  ext.id_map[4] = 4;
  ext.mid_id = 1;
  ext.mid = "0";
  const uint8_t prefix[2] = {0, 1};
  std::array<uint8_t, 1500> big{};
  size_t need = rtp::WriteRewritten(big, *in, {96, 1, 2, 3}, ext, prefix);
  ASSERT_GT(need, 0u);
  for (size_t size : {size_t{0}, size_t{11}, size_t{12}, size_t{20}, need - 3, need - 1}) {
    Bytes small(size);
    EXPECT_EQ(rtp::WriteRewritten(small, *in, {96, 1, 2, 3}, ext, prefix), 0u) << size;
  }
  Bytes exact(need);
  EXPECT_EQ(rtp::WriteRewritten(exact, *in, {96, 1, 2, 3}, ext, prefix), need);
  EXPECT_EQ(exact, Bytes(big.begin(), big.begin() + static_cast<std::ptrdiff_t>(need)));
}

// ---------------------------------------------------------------------------------------
// UnwrapRtx

TEST(UnwrapRtxTest, RoundTripThroughWriteRewritten) {
  Pkt p;
  p.marker = true;
  p.pt = 96;
  p.seq = 0xFFFE;
  p.ts = 0x12345678;
  p.ssrc = 0x1111;
  p.exts = {{1, B("0")}, {4, {0x01}}};  // 1+1+1+1 = 4 bytes: no fill.
  p.payload = {0x10, 0x20, 0x30, 0x40, 0x50};
  Bytes original = Build(p);
  auto in = rtp::RtpPacket::Parse(original);
  ASSERT_TRUE(in.has_value());

  rtp::ExtensionRewrite identity;
  for (size_t i = 0; i < identity.id_map.size(); ++i) identity.id_map[i] = static_cast<uint8_t>(i);
  const uint8_t osn[2] = {static_cast<uint8_t>(p.seq >> 8), static_cast<uint8_t>(p.seq)};
  std::array<uint8_t, 1500> buffer{};
  size_t n = rtp::WriteRewritten(buffer, *in, {97, 5, p.ts, 0x2222}, identity, osn);
  ASSERT_EQ(n, original.size() + 2);
  auto rtx = rtp::RtpPacket::Parse(std::span<const uint8_t>(buffer.data(), n));
  ASSERT_TRUE(rtx.has_value());
  EXPECT_EQ(rtx->ssrc(), 0x2222u);
  EXPECT_EQ(rtx->payload_type(), 97);
  EXPECT_EQ(rtx->sequence(), 5);

  auto unwrapped = rtp::UnwrapRtx(std::span<uint8_t>(buffer.data(), n), 0x1111, 96);
  ASSERT_TRUE(unwrapped.has_value());
  EXPECT_EQ(unwrapped->data(), buffer.data() + 2);
  EXPECT_EQ(unwrapped->size(), original.size());
  auto u = rtp::RtpPacket::Parse(*unwrapped);
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->sequence(), in->sequence());
  EXPECT_EQ(u->timestamp(), in->timestamp());
  EXPECT_EQ(u->ssrc(), in->ssrc());
  EXPECT_EQ(u->payload_type(), in->payload_type());
  EXPECT_EQ(u->marker(), in->marker());
  EXPECT_EQ(ToBytes(u->payload()), p.payload);
  EXPECT_EQ(Extensions(*u), Extensions(*in));
  // Byte for byte the original.
  EXPECT_EQ(ToBytes(*unwrapped), original);
}

TEST(UnwrapRtxTest, KeepsCsrcsAndPadding) {
  Pkt p = Sample();
  p.payload = {0x00, 0x2A, 0xAB, 0xCD};  // OSN 42, then the media payload.
  Bytes rtx = Build(p);
  auto unwrapped = rtp::UnwrapRtx(rtx, 0x5555, 100);
  ASSERT_TRUE(unwrapped.has_value());
  auto u = rtp::RtpPacket::Parse(*unwrapped);
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->sequence(), 42);
  EXPECT_EQ(u->ssrc(), 0x5555u);
  EXPECT_EQ(u->payload_type(), 100);
  EXPECT_TRUE(u->marker());
  EXPECT_EQ(u->timestamp(), Sample().ts);
  EXPECT_EQ(u->csrcs().size(), 8u);
  EXPECT_EQ(u->padding_size(), 4u);
  EXPECT_EQ(ToBytes(u->payload()), Bytes({0xAB, 0xCD}));
  const auto exts = Sample().exts;
  std::map<int, Bytes> want(exts.begin(), exts.end());
  EXPECT_EQ(Extensions(*u), want);
}

TEST(UnwrapRtxTest, PayloadShorterThanOsnIsRefused) {
  Pkt p;
  p.payload = {0x01};
  Bytes one = Build(p);
  Bytes before = one;
  EXPECT_FALSE(rtp::UnwrapRtx(one, 1, 96).has_value());
  EXPECT_EQ(one, before);
  p.payload = {};
  p.padding = 8;  // A padding-only probe.
  Bytes probe = Build(p);
  EXPECT_FALSE(rtp::UnwrapRtx(probe, 1, 96).has_value());
  Bytes garbage = {1, 2, 3};
  EXPECT_FALSE(rtp::UnwrapRtx(garbage, 1, 96).has_value());
}

// ---------------------------------------------------------------------------------------
// RewriteExtensionIds

TEST(RewriteExtensionIdsTest, OneByteMapsAndDrops) {
  Pkt p = Sample();
  p.exts = {{1, B("m0")}, {2, {0x05}}, {3, B("xyz")}, {4, {0x01}}};
  Bytes bytes = Build(p);
  size_t size = bytes.size();
  std::array<uint8_t, 256> map{};
  map[1] = 5;
  map[2] = 0;   // Dropped.
  map[3] = 15;  // Not expressible in the one-byte form: dropped.
  map[4] = 4;
  ASSERT_TRUE(rtp::RewriteExtensionIds(bytes, map));
  EXPECT_EQ(bytes.size(), size);
  auto o = rtp::RtpPacket::Parse(bytes);
  ASSERT_TRUE(o.has_value());
  std::map<int, Bytes> want = {{5, B("m0")}, {4, {0x01}}};
  EXPECT_EQ(Extensions(*o), want);
  EXPECT_EQ(ToBytes(o->payload()), p.payload);
  EXPECT_EQ(o->padding_size(), 4u);
  EXPECT_EQ(o->sequence(), p.seq);
}

TEST(RewriteExtensionIdsTest, TwoByteMapsAndDrops) {
  Pkt p = Sample();
  p.two_byte = true;
  p.exts = {{20, B("abc")}, {1, {}}, {2, Bytes(20, 0x77)}};
  Bytes bytes = Build(p);
  std::array<uint8_t, 256> map{};
  map[20] = 200;
  map[1] = 0;
  map[2] = 3;
  ASSERT_TRUE(rtp::RewriteExtensionIds(bytes, map));
  auto o = rtp::RtpPacket::Parse(bytes);
  ASSERT_TRUE(o.has_value());
  std::map<int, Bytes> want = {{200, B("abc")}, {3, Bytes(20, 0x77)}};
  EXPECT_EQ(Extensions(*o), want);
  EXPECT_EQ(ToBytes(o->payload()), p.payload);
}

TEST(RewriteExtensionIdsTest, MalformedBlockIsLeftAlone) {
  // Two-byte block of one word whose element claims 10 bytes.
  Bytes bytes = {0x90, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0x10, 0x00, 0, 1, 5, 10, 1, 2, 0xEE};
  ASSERT_TRUE(rtp::RtpPacket::Parse(bytes).has_value());
  Bytes before = bytes;
  std::array<uint8_t, 256> map{};
  map[5] = 6;
  EXPECT_FALSE(rtp::RewriteExtensionIds(bytes, map));
  EXPECT_EQ(bytes, before);
  // No extensions: nothing to do, fine. Not RTP: refused.
  Bytes plain = Rtp(1, 2, 3, 96);
  Bytes plain_before = plain;
  EXPECT_TRUE(rtp::RewriteExtensionIds(plain, map));
  EXPECT_EQ(plain, plain_before);
  Bytes garbage = {0, 1, 2};
  EXPECT_FALSE(rtp::RewriteExtensionIds(garbage, map));
}

// ---------------------------------------------------------------------------------------
// Set* and AbsSendTime

TEST(RtpSettersTest, RewriteFixedHeaderInPlace) {
  Bytes bytes = Build(Sample());
  rtp::SetPayloadType(bytes, 0x7F);
  rtp::SetSequence(bytes, 0xABCD);
  rtp::SetTimestamp(bytes, 0x89ABCDEF);
  rtp::SetSsrc(bytes, 0x01020304);
  auto p = rtp::RtpPacket::Parse(bytes);
  ASSERT_TRUE(p.has_value());
  EXPECT_TRUE(p->marker());  // SetPayloadType keeps the marker.
  EXPECT_EQ(p->payload_type(), 0x7F);
  EXPECT_EQ(p->sequence(), 0xABCD);
  EXPECT_EQ(p->timestamp(), 0x89ABCDEFu);
  EXPECT_EQ(p->ssrc(), 0x01020304u);
  rtp::SetMarker(bytes, false);
  p = rtp::RtpPacket::Parse(bytes);
  EXPECT_FALSE(p->marker());
  EXPECT_EQ(p->payload_type(), 0x7F);  // SetMarker keeps the payload type.
  rtp::SetPayloadType(bytes, 0xE0);    // Only 7 bits.
  EXPECT_EQ(bytes[1], 0x60);
  rtp::SetMarker(bytes, true);
  EXPECT_EQ(bytes[1], 0xE0);
  // The rest of the packet is untouched.
  Bytes want = Build(Sample());
  EXPECT_TRUE(std::equal(bytes.begin() + 12, bytes.end(), want.begin() + 12));
  EXPECT_EQ(bytes[0], want[0]);
}

TEST(AbsSendTimeTest, SixPointEighteenWrappingEvery64Seconds) {
  EXPECT_EQ(rtp::AbsSendTime(0), 0u);
  EXPECT_EQ(rtp::AbsSendTime(1'000'000), 1u << 18);
  EXPECT_EQ(rtp::AbsSendTime(500'000), 1u << 17);
  EXPECT_EQ(rtp::AbsSendTime(63'500'000), (63u << 18) | (1u << 17));
  EXPECT_EQ(rtp::AbsSendTime(64'000'000), 0u);
  EXPECT_EQ(rtp::AbsSendTime(65'000'000), 1u << 18);
  EXPECT_LE(rtp::AbsSendTime(63'999'999), 0x00FFFFFFu);
  EXPECT_EQ(rtp::AbsSendTime(63'999'999), 0x00FFFFFFu);
  // Any clock works, however far from its origin: only the time modulo 64 s counts.
  for (int64_t us : {int64_t{1'700'000'000'123'456}, int64_t{1} << 46, int64_t{1} << 52,
                     int64_t{400} * 86'400'000'000 + 1'500'000, int64_t{500} * 86'400'000'000 + 1'500'000}) {
    EXPECT_EQ(rtp::AbsSendTime(us), rtp::AbsSendTime(us % 64'000'000)) << us;
  }
  EXPECT_EQ(rtp::AbsSendTime(64'000'000 * int64_t{10'000'000} + 500'000), 1u << 17);
}

// ---------------------------------------------------------------------------------------
// media_time.h

TEST(MediaTimeTest, NtpFromUnixMicros) {
  EXPECT_EQ(NtpFromUnixMicros(0), kNtpUnixOffsetSeconds << 32);
  EXPECT_EQ(NtpFromUnixMicros(1'500'000), ((kNtpUnixOffsetSeconds + 1) << 32) | 0x80000000u);
  EXPECT_EQ(NtpFromUnixMicros(250'000), (kNtpUnixOffsetSeconds << 32) | 0x40000000u);
  EXPECT_EQ(NtpFromUnixMicros(-5), kNtpUnixOffsetSeconds << 32);
  // 2024-01-01T00:00:00Z: 1704067200 s since 1970, 3913056000 s since 1900.
  EXPECT_EQ(NtpFromUnixMicros(1'704'067'200'000'000) >> 32, 3'913'056'000u);
  // One microsecond is 4294.967296 fractional units.
  EXPECT_EQ(NtpFromUnixMicros(1) & 0xFFFFFFFFu, 4294u);
  EXPECT_EQ(NtpFromUnixMicros(999'999) & 0xFFFFFFFFu, 0xFFFFEF39u);
}

TEST(MediaTimeTest, CompactNtp) {
  EXPECT_EQ(CompactNtp(0x0123456789ABCDEFull), 0x456789ABu);
  // RFC 3550 section 6.4.1's example: 46864.5 s is 0xb710:8000.
  uint64_t ntp = (uint64_t{46864} << 32) | 0x80000000u;
  EXPECT_EQ(CompactNtp(ntp), 0xB7108000u);
}

TEST(MediaTimeTest, RttFromReport) {
  // RFC 3550 section 6.4.1: A 0xb710:8000, LSR 0xb705:2000, DLSR 0x0005:4000 -> 6.125 s.
  auto rfc = RttFromReport(0xB7108000u, 0xB7052000u, 0x00054000u);
  ASSERT_TRUE(rfc.has_value());
  EXPECT_EQ(rfc->us(), 6'125'000);

  // 120 ms: 7864.32 units of 1/65536 s; 7864 units are 119995 us.
  const uint32_t lsr = 0xB7052000u;
  const uint32_t dlsr = 0x00054000u;  // 5.25 s held by the peer.
  const uint32_t rtt_units = 7864;
  auto rtt = RttFromReport(lsr + dlsr + rtt_units, lsr, dlsr);
  ASSERT_TRUE(rtt.has_value());
  EXPECT_EQ(rtt->us(), 119'995);
  EXPECT_NEAR(static_cast<double>(rtt->us()), 120'000.0, 1e6 / 65536);

  // Across the wrap of the compact NTP time.
  rtt = RttFromReport(0x00001000u, 0xFFFFF000u, 0x1000u);
  ASSERT_TRUE(rtt.has_value());
  EXPECT_EQ(rtt->us(), (int64_t{0x1000} * 1'000'000) >> 16);

  EXPECT_EQ(RttFromReport(lsr + dlsr, lsr, dlsr)->us(), 0);
  // No sender report seen by the peer.
  EXPECT_FALSE(RttFromReport(lsr + dlsr + rtt_units, 0, dlsr).has_value());
  // Negative: the report claims more delay than elapsed.
  EXPECT_FALSE(RttFromReport(lsr + dlsr - 1, lsr, dlsr).has_value());
  // Implausible: over a minute.
  EXPECT_TRUE(RttFromReport(lsr + (60u << 16), lsr, 0).has_value());
  EXPECT_FALSE(RttFromReport(lsr + (60u << 16) + 1, lsr, 0).has_value());
}

TEST(MediaTimeTest, MediaClockAndTicks) {
  MediaClock clock{1'704'067'200'000'000 - 5'000'000};
  EXPECT_EQ(clock.Ntp(Timestamp::Millis(5'000)), NtpFromUnixMicros(1'704'067'200'000'000));
  EXPECT_EQ(RtpTicks(TimeDelta::Millis(20), 90000), 1800);
  EXPECT_EQ(RtpTicks(TimeDelta::Millis(20), 48000), 960);
  EXPECT_EQ(RtpTicks(TimeDelta::Seconds(1), 90000), 90000);
  EXPECT_EQ(RtpTicks(TimeDelta::Micros(11), 90000), 0);
  EXPECT_EQ(RtpTicks(TimeDelta::Micros(12), 90000), 1);
}

}  // namespace
}  // namespace sfu
