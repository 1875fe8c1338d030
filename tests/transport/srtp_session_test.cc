#include "transport/srtp/srtp_session.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "tests/support/libsrtp_reference.h"

namespace sfu {
namespace {

using testing::LibSrtp;

// An RTP packet: version 2, optional CSRCs and a one-byte-header extension.
std::vector<uint8_t> MakeRtp(uint32_t ssrc, uint16_t seq, uint32_t ts, size_t payload,
                             int csrcs = 0, bool extension = false, uint8_t fill = 0xAB) {
  std::vector<uint8_t> p = {static_cast<uint8_t>(0x80 | (extension ? 0x10 : 0) | csrcs), 96,
                            static_cast<uint8_t>(seq >> 8), static_cast<uint8_t>(seq),
                            static_cast<uint8_t>(ts >> 24), static_cast<uint8_t>(ts >> 16),
                            static_cast<uint8_t>(ts >> 8), static_cast<uint8_t>(ts),
                            static_cast<uint8_t>(ssrc >> 24), static_cast<uint8_t>(ssrc >> 16),
                            static_cast<uint8_t>(ssrc >> 8), static_cast<uint8_t>(ssrc)};
  for (int i = 0; i < csrcs; ++i) p.insert(p.end(), {0, 0, 0, static_cast<uint8_t>(i + 1)});
  if (extension) p.insert(p.end(), {0xBE, 0xDE, 0x00, 0x01, 0x10, 0x55, 0x00, 0x00});
  for (size_t i = 0; i < payload; ++i) p.push_back(static_cast<uint8_t>(fill + i));
  return p;
}

// An RTCP receiver report with one block.
std::vector<uint8_t> MakeRtcp(uint32_t ssrc, uint8_t fill) {
  std::vector<uint8_t> p = {0x81, 201, 0, 7, static_cast<uint8_t>(ssrc >> 24),
                            static_cast<uint8_t>(ssrc >> 16), static_cast<uint8_t>(ssrc >> 8),
                            static_cast<uint8_t>(ssrc)};
  for (int i = 0; i < 24; ++i) p.push_back(static_cast<uint8_t>(fill + i));
  return p;
}

std::vector<uint8_t> KeySalt(SrtpProfile profile, uint32_t seed) {
  const auto& info = InfoOf(profile);
  std::mt19937 rng(seed);
  std::vector<uint8_t> k(info.key_len + info.salt_len);
  for (auto& b : k) b = static_cast<uint8_t>(rng());
  return k;
}

SrtpError Protect(SrtpSession& s, std::vector<uint8_t>& p, bool rtcp = false) {
  size_t len = p.size();
  p.resize(len + SrtpSession::kMaxTrailer);
  SrtpError e = rtcp ? s.ProtectRtcp(p, &len) : s.ProtectRtp(p, &len);
  p.resize(e == SrtpError::kOk ? len : p.size() - SrtpSession::kMaxTrailer);
  return e;
}

SrtpError Unprotect(SrtpSession& s, std::vector<uint8_t>& p, bool rtcp = false) {
  size_t len = p.size();
  SrtpError e = rtcp ? s.UnprotectRtcp(p, &len) : s.UnprotectRtp(p, &len);
  if (e == SrtpError::kOk) p.resize(len);
  return e;
}

class SrtpProfileTest : public ::testing::TestWithParam<SrtpProfile> {};

TEST_P(SrtpProfileTest, RtpMatchesLibsrtpByteForByteAcrossSequenceWrap) {
  auto key = KeySalt(GetParam(), 1);
  auto ours = std::move(*SrtpSession::Create(GetParam(), key));
  LibSrtp reference(GetParam(), key, LibSrtp::Direction::kOutbound);
  ASSERT_TRUE(reference.ok());
  // 65530 .. wraps past 65535 into the next rollover, with varied header shapes.
  uint16_t seq = 65530;
  for (int i = 0; i < 20; ++i, ++seq) {
    auto plain = MakeRtp(0x11223344, seq, 1000u * static_cast<uint32_t>(i),
                         static_cast<size_t>(1 + i * 61), i % 3, i % 2 == 0,
                         static_cast<uint8_t>(i));
    auto a = plain;
    auto b = plain;
    ASSERT_EQ(Protect(*ours, a), SrtpError::kOk);
    ASSERT_EQ(reference.ProtectRtp(b), srtp_err_status_ok);
    EXPECT_EQ(a, b) << "packet " << i << " seq " << seq;
  }
}

TEST_P(SrtpProfileTest, LibsrtpDecryptsOursAndWeDecryptLibsrtps) {
  auto key = KeySalt(GetParam(), 2);
  auto ours_out = std::move(*SrtpSession::Create(GetParam(), key));
  auto ours_in = std::move(*SrtpSession::Create(GetParam(), key));
  LibSrtp ref_in(GetParam(), key, LibSrtp::Direction::kInbound);
  LibSrtp ref_out(GetParam(), key, LibSrtp::Direction::kOutbound);
  for (uint32_t ssrc : {1u, 0xDEADBEEFu}) {
    for (int i = 0; i < 30; ++i) {
      auto plain = MakeRtp(ssrc, static_cast<uint16_t>(100 + i), 0, 160 + static_cast<size_t>(i));
      auto p = plain;
      ASSERT_EQ(Protect(*ours_out, p), SrtpError::kOk);
      ASSERT_EQ(ref_in.UnprotectRtp(p), srtp_err_status_ok);
      EXPECT_EQ(p, plain);
      auto q = plain;
      ASSERT_EQ(ref_out.ProtectRtp(q), srtp_err_status_ok);
      ASSERT_EQ(Unprotect(*ours_in, q), SrtpError::kOk);
      EXPECT_EQ(q, plain);
    }
  }
}

TEST_P(SrtpProfileTest, RtcpInteroperatesWithLibsrtpBothWays) {
  auto key = KeySalt(GetParam(), 3);
  auto ours_out = std::move(*SrtpSession::Create(GetParam(), key));
  auto ours_in = std::move(*SrtpSession::Create(GetParam(), key));
  LibSrtp ref_in(GetParam(), key, LibSrtp::Direction::kInbound);
  LibSrtp ref_out(GetParam(), key, LibSrtp::Direction::kOutbound);
  for (int i = 0; i < 20; ++i) {
    auto plain = MakeRtcp(0xCAFE0000u + static_cast<uint32_t>(i % 2), static_cast<uint8_t>(i));
    auto p = plain;
    ASSERT_EQ(Protect(*ours_out, p, true), SrtpError::kOk);
    ASSERT_EQ(ref_in.UnprotectRtcp(p), srtp_err_status_ok) << i;
    EXPECT_EQ(p, plain);
    auto q = plain;
    ASSERT_EQ(ref_out.ProtectRtcp(q), srtp_err_status_ok);
    ASSERT_EQ(Unprotect(*ours_in, q, true), SrtpError::kOk) << i;
    EXPECT_EQ(q, plain);
  }
}

TEST_P(SrtpProfileTest, ReplayAndTamperingAreRejected) {
  auto key = KeySalt(GetParam(), 4);
  auto out = std::move(*SrtpSession::Create(GetParam(), key));
  auto in = std::move(*SrtpSession::Create(GetParam(), key));
  std::vector<std::vector<uint8_t>> sent;
  for (int i = 0; i < 200; ++i) {
    auto p = MakeRtp(7, static_cast<uint16_t>(i), 0, 100);
    ASSERT_EQ(Protect(*out, p), SrtpError::kOk);
    sent.push_back(p);
  }
  // Deliver out of order within the window: fine.
  for (int i : {5, 3, 4, 0, 1, 2}) {
    auto p = sent[static_cast<size_t>(i)];
    EXPECT_EQ(Unprotect(*in, p), SrtpError::kOk) << i;
  }
  auto again = sent[3];
  EXPECT_EQ(Unprotect(*in, again), SrtpError::kReplay);
  auto p199 = sent[199];
  EXPECT_EQ(Unprotect(*in, p199), SrtpError::kOk);
  auto old = sent[50];  // 149 behind the newest: outside the 128-packet window.
  EXPECT_EQ(Unprotect(*in, old), SrtpError::kTooOld);
  auto recent = sent[100];
  EXPECT_EQ(Unprotect(*in, recent), SrtpError::kOk);
  // Any flipped bit fails authentication, and a failed packet does not enter the window.
  auto tampered = sent[150];
  tampered[tampered.size() / 2] ^= 1;
  EXPECT_EQ(Unprotect(*in, tampered), SrtpError::kAuthFailed);
  auto genuine = sent[150];
  EXPECT_EQ(Unprotect(*in, genuine), SrtpError::kOk);
  auto wrong_key = KeySalt(GetParam(), 99);
  auto other = std::move(*SrtpSession::Create(GetParam(), wrong_key));
  auto p = sent[180];
  EXPECT_EQ(Unprotect(*other, p), SrtpError::kAuthFailed);

  auto rtcp = MakeRtcp(9, 1);
  ASSERT_EQ(Protect(*out, rtcp, true), SrtpError::kOk);
  auto rtcp_copy = rtcp;
  EXPECT_EQ(Unprotect(*in, rtcp, true), SrtpError::kOk);
  EXPECT_EQ(Unprotect(*in, rtcp_copy, true), SrtpError::kReplay);
}

TEST_P(SrtpProfileTest, MalformedInputIsRefusedNotRead) {
  auto key = KeySalt(GetParam(), 5);
  auto s = std::move(*SrtpSession::Create(GetParam(), key));
  auto good = MakeRtp(1, 1, 1, 50, 2, true);
  ASSERT_EQ(Protect(*s, good), SrtpError::kOk);
  for (size_t n = 0; n < good.size(); ++n) {
    std::vector<uint8_t> cut(good.begin(), good.begin() + static_cast<long>(n));
    EXPECT_NE(Unprotect(*s, cut), SrtpError::kOk) << n;
  }
  std::vector<uint8_t> bad_version = MakeRtp(1, 2, 1, 50);
  bad_version[0] = 0x40;
  EXPECT_EQ(Protect(*s, bad_version), SrtpError::kBadHeader);
  std::vector<uint8_t> csrc_overrun = MakeRtp(1, 3, 1, 0);
  csrc_overrun[0] = 0x8F;  // 15 CSRCs in a 12-byte packet.
  EXPECT_EQ(Protect(*s, csrc_overrun), SrtpError::kBadHeader);
  std::vector<uint8_t> rtcp_short = {0x80, 200, 0, 1};
  EXPECT_EQ(Protect(*s, rtcp_short, true), SrtpError::kTooShort);
  auto no_room = MakeRtp(1, 4, 1, 10);
  size_t len = no_room.size();
  EXPECT_EQ(s->ProtectRtp(no_room, &len), SrtpError::kNoRoom);
}

INSTANTIATE_TEST_SUITE_P(AllProfiles, SrtpProfileTest,
                         ::testing::Values(SrtpProfile::kAeadAes256Gcm, SrtpProfile::kAeadAes128Gcm,
                                           SrtpProfile::kAes128CmSha1_80,
                                           SrtpProfile::kAes128CmSha1_32),
                         [](const auto& param_info) {
                           return std::string(InfoOf(param_info.param).openssl_name).substr(5);
                         });

TEST(SrtpSessionTest, WrongKeyLengthNamesTheField) {
  std::vector<uint8_t> short_key(10);
  auto s = SrtpSession::Create(SrtpProfile::kAeadAes128Gcm, short_key);
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorField(s.status()), "srtpParameters.keyBase64");
}

}  // namespace
}  // namespace sfu
