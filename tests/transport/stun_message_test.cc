#include "transport/ice/stun_message.h"

#include <gtest/gtest.h>

#include <vector>

#include "tests/transport/stun_vectors.h"

namespace sfu::stun {
namespace {

namespace v = ::sfu::testing::rfc5769;

std::span<const uint8_t> Key(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

TEST(StunMessageTest, Rfc5769SampleRequest) {
  ParseError error;
  auto m = StunMessage::Parse(v::kSampleRequest, &error);
  ASSERT_TRUE(m.has_value()) << ParseErrorName(error);
  EXPECT_TRUE(m->IsBindingRequest());
  EXPECT_EQ(m->transaction_id(), v::kTransactionId);
  EXPECT_EQ(m->Username(), v::kUsername);
  EXPECT_EQ(m->Priority(), 0x6e0001ffu);
  EXPECT_EQ(m->IceControlled(), 0x932ff9b151263b36u);
  EXPECT_FALSE(m->IceControlling().has_value());
  EXPECT_FALSE(m->UseCandidate());
  EXPECT_TRUE(m->FingerprintValid());
  EXPECT_EQ(m->CheckIntegrity(Key(v::kPassword)), Integrity::kValid);
  EXPECT_EQ(m->CheckIntegrity(Key("wrong password")), Integrity::kInvalid);
  const uint16_t known[] = {attr::kUsername, attr::kPriority, attr::kMessageIntegrity};
  EXPECT_FALSE(m->UnknownRequiredAttribute(known).has_value());
}

TEST(StunMessageTest, Rfc5769Ipv4Response) {
  auto m = StunMessage::Parse(v::kSampleIpv4Response);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->method(), kBindingMethod);
  EXPECT_EQ(m->message_class(), MessageClass::kSuccess);
  auto mapped = m->XorMappedAddress();
  ASSERT_TRUE(mapped.has_value());
  EXPECT_EQ(mapped->IpString(), v::kMappedIpv4Address);
  EXPECT_EQ(mapped->port(), v::kMappedPort);
  EXPECT_TRUE(m->FingerprintValid());
  EXPECT_EQ(m->CheckIntegrity(Key(v::kPassword)), Integrity::kValid);
}

TEST(StunMessageTest, Rfc5769Ipv6Response) {
  auto m = StunMessage::Parse(v::kSampleIpv6Response);
  ASSERT_TRUE(m.has_value());
  auto mapped = m->XorMappedAddress();
  ASSERT_TRUE(mapped.has_value());
  EXPECT_TRUE(mapped->is_v6());
  EXPECT_EQ(mapped->IpString(), v::kMappedIpv6Address);
  EXPECT_EQ(mapped->port(), v::kMappedPort);
  EXPECT_EQ(m->CheckIntegrity(Key(v::kPassword)), Integrity::kValid);
  EXPECT_TRUE(m->FingerprintValid());
}

TEST(StunMessageTest, Rfc5769LongTermRequest) {
  auto m = StunMessage::Parse(v::kSampleRequestLongTerm);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->Username(), v::kLongTermUsername);
  EXPECT_FALSE(m->HasFingerprint());
  auto key = LongTermKey(v::kLongTermUsername, v::kRealm, v::kLongTermPassword);
  EXPECT_EQ(m->CheckIntegrity(key), Integrity::kValid);
  // REALM and NONCE are comprehension-required and unknown to ICE.
  const uint16_t known[] = {attr::kUsername, attr::kMessageIntegrity};
  EXPECT_EQ(m->UnknownRequiredAttribute(known), attr::kNonce);
}

TEST(StunMessageTest, BuilderReproducesTheVectorsAddressAndChecks) {
  uint8_t buf[512];
  StunBuilder b(buf, kBindingMethod, MessageClass::kSuccess, v::kTransactionId);
  b.AddString(attr::kSoftware, v::kSoftwareResponse);
  b.AddXorMappedAddress(*SocketAddress::FromIp(v::kMappedIpv4Address, v::kMappedPort));
  b.AddMessageIntegrity(Key(v::kPassword));
  b.AddFingerprint();
  auto out = b.Finish();
  ASSERT_TRUE(out.has_value());
  // Same layout as RFC 5769 2.2 except SOFTWARE's padding (zeros here, spaces there):
  // the XOR-MAPPED-ADDRESS attribute bytes are identical.
  ASSERT_EQ(out->size(), v::kSampleIpv4Response.size());
  EXPECT_TRUE(std::equal(out->begin() + 36, out->begin() + 48, v::kSampleIpv4Response.begin() + 36));
  auto m = StunMessage::Parse(*out);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->CheckIntegrity(Key(v::kPassword)), Integrity::kValid);
  EXPECT_TRUE(m->FingerprintValid());
  EXPECT_EQ(m->XorMappedAddress()->ToString(), "192.0.2.1:32853");
}

TEST(StunMessageTest, BuilderRoundTripsEveryField) {
  uint8_t buf[512];
  TransactionId tid{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  StunBuilder b(buf, kBindingMethod, MessageClass::kRequest, tid);
  b.AddString(attr::kUsername, "abcd:efgh1");  // 10 bytes: padded to 12.
  b.AddU32(attr::kPriority, 1853817087);
  b.AddU64(attr::kIceControlling, 0x0102030405060708);
  b.AddFlag(attr::kUseCandidate);
  b.AddMessageIntegrity(Key("pwd"));
  b.AddFingerprint();
  auto m = StunMessage::Parse(*b.Finish());
  ASSERT_TRUE(m.has_value());
  EXPECT_TRUE(m->IsBindingRequest());
  EXPECT_EQ(m->transaction_id(), tid);
  EXPECT_EQ(m->Username(), "abcd:efgh1");
  EXPECT_EQ(m->Priority(), 1853817087u);
  EXPECT_EQ(m->IceControlling(), 0x0102030405060708u);
  EXPECT_TRUE(m->UseCandidate());
  EXPECT_EQ(m->CheckIntegrity(Key("pwd")), Integrity::kValid);
  EXPECT_TRUE(m->FingerprintValid());
}

TEST(StunMessageTest, ErrorResponse) {
  uint8_t buf[128];
  StunBuilder b(buf, kBindingMethod, MessageClass::kError, v::kTransactionId);
  b.AddErrorCode(487, "Role Conflict");
  auto m = StunMessage::Parse(*b.Finish());
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->message_class(), MessageClass::kError);
  auto code = m->ErrorCode();
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(code->first, 487);
  EXPECT_EQ(code->second, "Role Conflict");
}

TEST(StunMessageTest, AttributesAfterIntegrityAreIgnored) {
  uint8_t buf[256];
  StunBuilder b(buf, kBindingMethod, MessageClass::kRequest, v::kTransactionId);
  b.AddString(attr::kUsername, "a:b");
  b.AddMessageIntegrity(Key("k"));
  b.AddU32(attr::kPriority, 7);  // After MESSAGE-INTEGRITY: not covered, so not trusted.
  auto m = StunMessage::Parse(*b.Finish());
  ASSERT_TRUE(m.has_value());
  EXPECT_FALSE(m->Priority().has_value());
  EXPECT_EQ(m->CheckIntegrity(Key("k")), Integrity::kValid);
}

TEST(StunMessageTest, BuilderOverflowIsReported) {
  uint8_t small[24];
  StunBuilder b(small, kBindingMethod, MessageClass::kRequest, v::kTransactionId);
  b.AddString(attr::kUsername, "too long for the buffer");
  EXPECT_FALSE(b.Finish().has_value());
  uint8_t tiny[8];
  EXPECT_FALSE(StunBuilder(tiny, kBindingMethod, MessageClass::kRequest, v::kTransactionId)
                   .Finish()
                   .has_value());
}

TEST(StunMessageTest, EveryTruncationIsRefused) {
  std::vector<uint8_t> msg(v::kSampleRequest.begin(), v::kSampleRequest.end());
  for (size_t n = 0; n < msg.size(); ++n) {
    ParseError error;
    EXPECT_FALSE(StunMessage::Parse({msg.data(), n}, &error).has_value()) << n;
    EXPECT_NE(error, ParseError::kNone);
  }
}

TEST(StunMessageTest, EveryFlippedByteIsCaught) {
  // A flipped bit anywhere either breaks parsing or fails integrity or fingerprint.
  for (size_t i = 0; i < v::kSampleRequest.size(); ++i) {
    std::vector<uint8_t> msg(v::kSampleRequest.begin(), v::kSampleRequest.end());
    msg[i] ^= 0x10;
    auto m = StunMessage::Parse(msg);
    if (!m) continue;
    bool intact = m->CheckIntegrity(Key(v::kPassword)) == Integrity::kValid && m->FingerprintValid();
    EXPECT_FALSE(intact) << "byte " << i;
  }
}

TEST(StunMessageTest, MalformedMessages) {
  auto parse_error = [](std::vector<uint8_t> bytes) {
    ParseError e = ParseError::kNone;
    EXPECT_FALSE(StunMessage::Parse(bytes, &e).has_value());
    return e;
  };
  std::vector<uint8_t> header = {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42,
                                 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  EXPECT_TRUE(StunMessage::Parse(header).has_value());  // Empty body is fine.

  auto bad_cookie = header;
  bad_cookie[4] = 0;
  EXPECT_EQ(parse_error(bad_cookie), ParseError::kNotStun);
  auto top_bits = header;
  top_bits[0] = 0x80;  // RTP-like first byte.
  EXPECT_EQ(parse_error(top_bits), ParseError::kNotStun);

  auto unaligned = header;
  unaligned[3] = 2;
  unaligned.insert(unaligned.end(), {0, 0});
  EXPECT_EQ(parse_error(unaligned), ParseError::kBadLength);

  auto longer_than_datagram = header;
  longer_than_datagram[3] = 8;
  EXPECT_EQ(parse_error(longer_than_datagram), ParseError::kTooShort);

  auto trailing = header;
  trailing.insert(trailing.end(), {0, 0, 0, 0});  // Bytes the length does not cover.
  EXPECT_EQ(parse_error(trailing), ParseError::kBadLength);

  auto overrun = header;  // Attribute claims 8 bytes, has 4.
  overrun[3] = 8;
  overrun.insert(overrun.end(), {0x00, 0x06, 0x00, 0x08, 'a', 'b', 'c', 'd'});
  EXPECT_EQ(parse_error(overrun), ParseError::kBadAttribute);

  auto after_fingerprint = header;  // FINGERPRINT must be last.
  after_fingerprint[3] = 16;
  after_fingerprint.insert(after_fingerprint.end(),
                           {0x80, 0x28, 0x00, 0x04, 0, 0, 0, 0, 0x00, 0x25, 0x00, 0x00, 0, 0, 0, 0});
  after_fingerprint[3] = 12;
  after_fingerprint.resize(32);
  EXPECT_EQ(parse_error(after_fingerprint), ParseError::kBadFingerprint);

  auto short_integrity = header;
  short_integrity[3] = 8;
  short_integrity.insert(short_integrity.end(), {0x00, 0x08, 0x00, 0x04, 1, 2, 3, 4});
  EXPECT_EQ(parse_error(short_integrity), ParseError::kBadAttribute);

  auto many = header;  // 40 empty attributes: over the limit.
  for (int i = 0; i < 40; ++i) many.insert(many.end(), {0x80, 0x00, 0x00, 0x00});
  many[2] = 0;
  many[3] = 160;
  EXPECT_EQ(parse_error(many), ParseError::kTooManyAttributes);
}

TEST(StunMessageTest, LooksLikeStun) {
  EXPECT_TRUE(LooksLikeStun(v::kSampleRequest));
  std::vector<uint8_t> rtp(v::kSampleRequest.begin(), v::kSampleRequest.end());
  rtp[0] = 0x80;
  EXPECT_FALSE(LooksLikeStun(rtp));
  EXPECT_FALSE(LooksLikeStun(std::span(v::kSampleRequest).first(10)));
}

TEST(StunMessageTest, BadXorMappedAddressFamilies) {
  uint8_t buf[64];
  StunBuilder b(buf, kBindingMethod, MessageClass::kSuccess, v::kTransactionId);
  const uint8_t bad[] = {0, 0x03, 0x12, 0x34, 1, 2, 3, 4};
  b.AddBytes(attr::kXorMappedAddress, bad);
  auto m = StunMessage::Parse(*b.Finish());
  ASSERT_TRUE(m.has_value());
  EXPECT_FALSE(m->XorMappedAddress().has_value());
}

}  // namespace
}  // namespace sfu::stun
