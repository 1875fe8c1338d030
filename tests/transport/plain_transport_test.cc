#include "transport/plain_transport.h"

#include <gtest/gtest.h>

#include <vector>

namespace sfu {
namespace {

struct Sent {
  SocketAddress to;
  std::vector<uint8_t> bytes;
};

class Peer : public PlainTransport::Sender, public PlainTransport::Listener {
 public:
  void SendDatagram(const SocketAddress& to, std::span<const uint8_t> datagram) override {
    sent.push_back({to, {datagram.begin(), datagram.end()}});
  }
  void OnRemoteAddress(const std::optional<SocketAddress>& rtp_at, const std::optional<SocketAddress>& rtcp_at) override {
    remote_rtp = rtp_at;
    remote_rtcp = rtcp_at;
    ++address_changes;
  }
  void OnConnected() override { ++connected; }
  void OnRtp(std::span<uint8_t> p, Timestamp) override { rtp.emplace_back(p.begin(), p.end()); }
  void OnRtcp(std::span<uint8_t> p, Timestamp) override { rtcp.emplace_back(p.begin(), p.end()); }

  std::vector<Sent> sent;
  std::vector<std::vector<uint8_t>> rtp, rtcp;
  std::optional<SocketAddress> remote_rtp, remote_rtcp;
  int address_changes = 0;
  int connected = 0;
};

SocketAddress Addr(uint16_t port) { return *SocketAddress::FromIp("127.0.0.1", port); }

std::vector<uint8_t> RtpPacket(uint16_t seq, uint32_t ssrc = 0x11223344) {
  std::vector<uint8_t> p = {0x80, 96, static_cast<uint8_t>(seq >> 8), static_cast<uint8_t>(seq), 0, 0, 0, 1,
                            static_cast<uint8_t>(ssrc >> 24), static_cast<uint8_t>(ssrc >> 16),
                            static_cast<uint8_t>(ssrc >> 8), static_cast<uint8_t>(ssrc)};
  for (int i = 0; i < 100; ++i) p.push_back(static_cast<uint8_t>(i));
  return p;
}

// An empty receiver report from SSRC 0x55667788.
std::vector<uint8_t> RtcpPacket() { return {0x80, 201, 0, 1, 0x55, 0x66, 0x77, 0x88}; }

// Sends `packet` through `t` (with room for a trailer) and returns what went out.
Sent SendThrough(PlainTransport& t, Peer& peer, std::vector<uint8_t> packet, bool rtcp = false) {
  size_t len = packet.size();
  packet.resize(len + SrtpSession::kMaxTrailer);
  EXPECT_TRUE(rtcp ? t.SendRtcp(packet, len) : t.SendRtp(packet, len));
  EXPECT_FALSE(peer.sent.empty());
  return peer.sent.back();
}

TEST(PlainTransportTest, PlainRtpBothWays) {
  Peer peer;
  auto t = PlainTransport::Create({}, peer, peer);
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE((*t)->local_srtp_key().empty());
  EXPECT_FALSE((*t)->connected());
  ASSERT_TRUE((*t)->Connect(Addr(5000), std::nullopt, std::nullopt, {}).ok());
  EXPECT_EQ(peer.connected, 1);
  EXPECT_EQ(peer.remote_rtp, Addr(5000));

  Sent out = SendThrough(**t, peer, RtpPacket(1));
  EXPECT_EQ(out.to, Addr(5000));
  EXPECT_EQ(out.bytes, RtpPacket(1));
  out = SendThrough(**t, peer, RtcpPacket(), true);
  EXPECT_EQ(out.to, Addr(5000));  // rtcp-mux

  auto in = RtpPacket(7);
  (*t)->OnPacket(in, Addr(5000), Timestamp::Micros(0));
  auto rr = RtcpPacket();
  (*t)->OnPacket(rr, Addr(5000), Timestamp::Micros(0));
  ASSERT_EQ(peer.rtp.size(), 1u);
  EXPECT_EQ(peer.rtp[0], RtpPacket(7));
  ASSERT_EQ(peer.rtcp.size(), 1u);
  EXPECT_EQ((*t)->counters().rtp_in, 1u);
  EXPECT_EQ((*t)->counters().rtcp_out, 1u);
}

TEST(PlainTransportTest, SrtpRoundTripEveryProfile) {
  for (SrtpProfile profile : {SrtpProfile::kAeadAes128Gcm, SrtpProfile::kAeadAes256Gcm,
                              SrtpProfile::kAes128CmSha1_80, SrtpProfile::kAes128CmSha1_32}) {
    SCOPED_TRACE(std::string(SdesSuiteName(profile)));
    Peer pa, pb;
    auto a = PlainTransport::Create({.srtp = profile}, pa, pa);
    auto b = PlainTransport::Create({.srtp = profile}, pb, pb);
    ASSERT_TRUE(a.ok() && b.ok());
    const SrtpProfileInfo& info = InfoOf(profile);
    EXPECT_EQ((*a)->local_srtp_key().size(), info.key_len + info.salt_len);
    EXPECT_NE(std::vector<uint8_t>((*a)->local_srtp_key().begin(), (*a)->local_srtp_key().end()),
              std::vector<uint8_t>((*b)->local_srtp_key().begin(), (*b)->local_srtp_key().end()));
    ASSERT_TRUE((*a)->Connect(Addr(2), std::nullopt, profile, (*b)->local_srtp_key()).ok());
    ASSERT_TRUE((*b)->Connect(Addr(1), std::nullopt, profile, (*a)->local_srtp_key()).ok());

    for (uint16_t seq = 65530; seq != 5; ++seq) {
      Sent out = SendThrough(**a, pa, RtpPacket(seq));
      EXPECT_NE(out.bytes, RtpPacket(seq));
      (*b)->OnPacket(out.bytes, Addr(1), Timestamp::Micros(0));
      ASSERT_FALSE(pb.rtp.empty());
      EXPECT_EQ(pb.rtp.back(), RtpPacket(seq));
    }
    Sent rr = SendThrough(**b, pb, RtcpPacket(), true);
    (*a)->OnPacket(rr.bytes, Addr(2), Timestamp::Micros(0));
    ASSERT_EQ(pa.rtcp.size(), 1u);
    EXPECT_EQ(pa.rtcp[0], RtcpPacket());

    // A replay, a flipped bit: counted, not delivered.
    size_t delivered = pb.rtp.size();
    Sent again = SendThrough(**a, pa, RtpPacket(9));
    (*b)->OnPacket(again.bytes, Addr(1), Timestamp::Micros(0));
    (*b)->OnPacket(again.bytes, Addr(1), Timestamp::Micros(0));
    Sent bad = SendThrough(**a, pa, RtpPacket(10));
    bad.bytes[20] ^= 1;
    (*b)->OnPacket(bad.bytes, Addr(1), Timestamp::Micros(0));
    EXPECT_EQ(pb.rtp.size(), delivered + 1);
    EXPECT_EQ((*b)->counters().srtp_auth_failures, 2u);
  }
}

TEST(PlainTransportTest, ComediaLearnsFromFirstAuthenticPacket) {
  Peer pa, pb;
  auto server = PlainTransport::Create({.comedia = true, .srtp = SrtpProfile::kAeadAes128Gcm}, pa, pa);
  auto client = PlainTransport::Create({.srtp = SrtpProfile::kAeadAes128Gcm}, pb, pb);
  ASSERT_TRUE(server.ok() && client.ok());
  // No address in comedia mode.
  EXPECT_FALSE((*server)->Connect(Addr(9), std::nullopt, SrtpProfile::kAeadAes128Gcm, (*client)->local_srtp_key()).ok());
  ASSERT_TRUE((*server)->Connect(std::nullopt, std::nullopt, SrtpProfile::kAeadAes128Gcm, (*client)->local_srtp_key()).ok());
  EXPECT_FALSE((*server)->connected());
  ASSERT_TRUE((*client)->Connect(Addr(1), std::nullopt, SrtpProfile::kAeadAes128Gcm, (*server)->local_srtp_key()).ok());

  // Until it knows where to, the server sends nothing.
  auto pkt = RtpPacket(1);
  size_t len = pkt.size();
  pkt.resize(len + SrtpSession::kMaxTrailer);
  EXPECT_FALSE((*server)->SendRtp(pkt, len));
  EXPECT_EQ((*server)->counters().dropped_not_connected, 1u);

  // A forged packet (wrong key) from elsewhere teaches nothing.
  Peer px;
  auto forger = PlainTransport::Create({.srtp = SrtpProfile::kAeadAes128Gcm}, px, px);
  ASSERT_TRUE((*forger)->Connect(Addr(1), std::nullopt, SrtpProfile::kAeadAes128Gcm, (*server)->local_srtp_key()).ok());
  Sent forged = SendThrough(**forger, px, RtpPacket(1));
  (*server)->OnPacket(forged.bytes, Addr(6666), Timestamp::Micros(0));
  EXPECT_FALSE((*server)->connected());
  EXPECT_EQ(pa.address_changes, 0);

  Sent first = SendThrough(**client, pb, RtpPacket(1));
  (*server)->OnPacket(first.bytes, Addr(7777), Timestamp::Micros(0));
  EXPECT_TRUE((*server)->connected());
  EXPECT_EQ(pa.connected, 1);
  EXPECT_EQ(pa.remote_rtp, Addr(7777));
  EXPECT_EQ(pa.rtp.size(), 1u);
  Sent back = SendThrough(**server, pa, RtpPacket(2));
  EXPECT_EQ(back.to, Addr(7777));
  (*client)->OnPacket(back.bytes, Addr(1), Timestamp::Micros(0));
  EXPECT_EQ(pb.rtp.size(), 1u);
  // Learned once: a later packet from elsewhere does not move it.
  Sent second = SendThrough(**client, pb, RtpPacket(3));
  (*server)->OnPacket(second.bytes, Addr(8888), Timestamp::Micros(0));
  EXPECT_EQ((*server)->remote_rtp(), Addr(7777));
  EXPECT_EQ(pa.address_changes, 1);
}

TEST(PlainTransportTest, SeparateRtcpPort) {
  Peer peer;
  auto t = PlainTransport::Create({.rtcp_mux = false, .comedia = false, .srtp = std::nullopt}, peer, peer);
  ASSERT_TRUE(t.ok());
  Status missing = (*t)->Connect(Addr(5000), std::nullopt, std::nullopt, {});
  EXPECT_EQ(missing.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(missing.message()).find("without rtcpMux"), std::string::npos);
  ASSERT_TRUE((*t)->Connect(Addr(5000), Addr(5001), std::nullopt, {}).ok());
  EXPECT_EQ(SendThrough(**t, peer, RtpPacket(1)).to, Addr(5000));
  EXPECT_EQ(SendThrough(**t, peer, RtcpPacket(), true).to, Addr(5001));
}

TEST(PlainTransportTest, ComediaWithoutRtcpMuxLearnsBothPorts) {
  Peer peer;
  auto t = PlainTransport::Create({.rtcp_mux = false, .comedia = true, .srtp = std::nullopt}, peer, peer);
  ASSERT_TRUE(t.ok());
  ASSERT_TRUE((*t)->Connect(std::nullopt, std::nullopt, std::nullopt, {}).ok());
  auto rr = RtcpPacket();
  (*t)->OnPacket(rr, Addr(4001), Timestamp::Micros(0));
  EXPECT_FALSE((*t)->connected());  // RTCP alone gives no RTP address.
  EXPECT_EQ(peer.remote_rtcp, Addr(4001));
  auto p = RtpPacket(1);
  (*t)->OnPacket(p, Addr(4000), Timestamp::Micros(0));
  EXPECT_TRUE((*t)->connected());
  EXPECT_EQ(peer.remote_rtp, Addr(4000));
  EXPECT_EQ(SendThrough(**t, peer, RtcpPacket(), true).to, Addr(4001));
}

TEST(PlainTransportTest, ConnectRejectsBadParameters) {
  Peer peer;
  auto plain = PlainTransport::Create({}, peer, peer);
  std::vector<uint8_t> key(28, 1);
  EXPECT_FALSE((*plain)->Connect(std::nullopt, std::nullopt, std::nullopt, {}).ok());  // No address.
  EXPECT_FALSE((*plain)->Connect(Addr(1), Addr(2), std::nullopt, {}).ok());  // rtcpPort with rtcp-mux.
  EXPECT_FALSE((*plain)->Connect(Addr(1), std::nullopt, SrtpProfile::kAeadAes128Gcm, key).ok());  // SRTP not enabled.
  ASSERT_TRUE((*plain)->Connect(Addr(1), std::nullopt, std::nullopt, {}).ok());
  EXPECT_EQ((*plain)->Connect(Addr(1), std::nullopt, std::nullopt, {}).code(), absl::StatusCode::kFailedPrecondition);

  auto secure = PlainTransport::Create({.srtp = SrtpProfile::kAeadAes128Gcm}, peer, peer);
  EXPECT_FALSE((*secure)->Connect(Addr(1), std::nullopt, std::nullopt, {}).ok());  // Key missing.
  Status short_key = (*secure)->Connect(Addr(1), std::nullopt, SrtpProfile::kAeadAes128Gcm,
                                        std::span<const uint8_t>(key).first(20));
  EXPECT_NE(std::string(short_key.message()).find("28 bytes"), std::string::npos) << short_key;
  EXPECT_FALSE((*secure)->connect_called());
  // Before its key, SRTP input is dropped; garbage always is.
  auto p = RtpPacket(1);
  (*secure)->OnPacket(p, Addr(1), Timestamp::Micros(0));
  EXPECT_EQ((*secure)->counters().dropped_before_keys, 1u);
  std::vector<uint8_t> junk = {1, 2, 3};
  (*secure)->OnPacket(junk, Addr(1), Timestamp::Micros(0));
  EXPECT_EQ((*secure)->counters().dropped_unknown, 1u);
}

TEST(PlainTransportTest, SdesSuiteNames) {
  for (const SrtpProfileInfo& info : kSrtpProfiles) {
    EXPECT_EQ(SrtpProfileFromSdesName(SdesSuiteName(info.profile)), info.profile);
  }
  EXPECT_EQ(SrtpProfileFromSdesName("AES_CM_128_HMAC_SHA1_80"), SrtpProfile::kAes128CmSha1_80);
  EXPECT_FALSE(SrtpProfileFromSdesName("SRTP_AES128_CM_SHA1_80"));
}

}  // namespace
}  // namespace sfu
