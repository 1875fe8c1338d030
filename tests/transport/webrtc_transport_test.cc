#include "transport/webrtc_transport.h"

#include <gtest/gtest.h>

#include <deque>
#include <vector>

namespace sfu {
namespace {

std::span<const uint8_t> Bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// The server side's collaborators.
struct Wire : WebRtcTransport::Sender {
  std::deque<std::pair<ice::Tuple, std::vector<uint8_t>>> sent;
  void SendTo(const ice::Tuple& t, std::span<const uint8_t> d) override {
    sent.emplace_back(t, std::vector<uint8_t>(d.begin(), d.end()));
  }
};

struct Events : WebRtcTransport::Listener {
  std::vector<ice::State> ice;
  std::vector<DtlsState> dtls;
  std::string dtls_reason;
  std::vector<std::vector<uint8_t>> rtp, rtcp;
  void OnIceStateChange(ice::State s) override { ice.push_back(s); }
  void OnIceSelectedTupleChange(const ice::Tuple&) override {}
  void OnDtlsStateChange(DtlsState s, std::string_view reason) override {
    dtls.push_back(s);
    dtls_reason = reason;
  }
  void OnRtp(std::span<uint8_t> p, Timestamp) override { rtp.emplace_back(p.begin(), p.end()); }
  void OnRtcp(std::span<uint8_t> p, Timestamp) override { rtcp.emplace_back(p.begin(), p.end()); }
};

// The browser: sends ICE checks, runs DTLS as client, protects RTP with its keys.
struct Browser : DtlsSession::Listener {
  explicit Browser(DtlsContext& ctx) : dtls(ctx, *this) {}
  void OnDtlsSend(std::span<const uint8_t> d) override { out.emplace_back(d.begin(), d.end()); }
  void OnDtlsConnected(const std::optional<SrtpKeys>& k) override { keys = k; }
  void OnDtlsFailed(std::string_view) override {}
  void OnDtlsClosed() override {}
  void OnDtlsData(std::span<const uint8_t>) override {}

  std::vector<uint8_t> Check(bool nominate) {
    std::vector<uint8_t> buf(256);
    stun::TransactionId tid{};
    tid[0] = ++n;
    stun::StunBuilder b(buf, stun::kBindingMethod, stun::MessageClass::kRequest, tid);
    b.AddString(stun::attr::kUsername, "srv:cli");
    b.AddU32(stun::attr::kPriority, 100);
    b.AddU64(stun::attr::kIceControlling, 1);
    if (nominate) b.AddFlag(stun::attr::kUseCandidate);
    b.AddMessageIntegrity(Bytes("server-ice-password-0123"));
    b.AddFingerprint();
    buf.resize(b.Finish()->size());
    return buf;
  }

  DtlsSession dtls;
  std::deque<std::vector<uint8_t>> out;
  std::optional<SrtpKeys> keys;
  uint8_t n = 0;
};

std::vector<uint8_t> Rtp(uint16_t seq, uint8_t pt = 96) {
  std::vector<uint8_t> p = {0x80, pt, static_cast<uint8_t>(seq >> 8), static_cast<uint8_t>(seq),
                            0, 0, 0, 9, 0xAA, 0xBB, 0xCC, 0xDD};
  for (int i = 0; i < 100; ++i) p.push_back(static_cast<uint8_t>(i));
  return p;
}

class WebRtcTransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_cert_.emplace(std::move(*DtlsCertificate::Generate()));
    browser_cert_.emplace(std::move(*DtlsCertificate::Generate()));
    server_ctx_ = std::move(*DtlsContext::Create(*server_cert_));
    browser_ctx_ = std::move(*DtlsContext::Create(*browser_cert_));
    transport_ = std::make_unique<WebRtcTransport>(
        *server_ctx_, ice::Credentials{"srv", "server-ice-password-0123"}, wire_, events_);
    browser_ = std::make_unique<Browser>(*browser_ctx_);
  }

  void Deliver(std::vector<uint8_t> d, const ice::Tuple& from) {
    transport_->OnPacket(d, from, now_);
  }

  // ICE, then DTLS with the browser as client; returns when both are connected.
  void Connect() {
    ASSERT_TRUE(transport_->Connect("cli", DtlsRole::kServer, "sha-256", browser_cert_->fingerprint()).ok());
    Deliver(browser_->Check(true), tuple_);
    ASSERT_EQ(wire_.sent.size(), 1u);  // The binding response.
    wire_.sent.clear();
    ASSERT_TRUE(browser_->dtls.Start(DtlsRole::kClient, "sha-256", server_cert_->fingerprint()).ok());
    for (int round = 0; round < 20 && (!browser_->out.empty() || !wire_.sent.empty()); ++round) {
      while (!browser_->out.empty()) {
        auto d = std::move(browser_->out.front());
        browser_->out.pop_front();
        Deliver(std::move(d), tuple_);
      }
      while (!wire_.sent.empty()) {
        auto [t, d] = std::move(wire_.sent.front());
        wire_.sent.pop_front();
        EXPECT_EQ(t, tuple_);
        browser_->dtls.OnPacket(d);
      }
    }
    ASSERT_TRUE(browser_->keys.has_value());
    ASSERT_TRUE(transport_->srtp_ready());
  }

  std::optional<DtlsCertificate> server_cert_, browser_cert_;
  std::unique_ptr<DtlsContext> server_ctx_, browser_ctx_;
  Wire wire_;
  Events events_;
  std::unique_ptr<WebRtcTransport> transport_;
  std::unique_ptr<Browser> browser_;
  ice::Tuple tuple_{*SocketAddress::FromIp("127.0.0.1", 40000), ice::Protocol::kUdp, 0};
  Timestamp now_ = Timestamp::Millis(1000);
};

TEST_F(WebRtcTransportTest, IceThenDtlsThenSrtpInBothDirections) {
  Connect();
  EXPECT_EQ(events_.ice.back(), ice::State::kCompleted);
  EXPECT_EQ(events_.dtls, (std::vector<DtlsState>{DtlsState::kConnecting, DtlsState::kConnected}));
  EXPECT_EQ(transport_->srtp_profile(), SrtpProfile::kAeadAes256Gcm);

  // Browser -> server: SRTP decrypted once, handed up.
  auto browser_out = std::move(*SrtpSession::Create(browser_->keys->profile, browser_->keys->local));
  auto plain = Rtp(1);
  std::vector<uint8_t> p = plain;
  size_t len = p.size();
  p.resize(len + SrtpSession::kMaxTrailer);
  ASSERT_EQ(browser_out->ProtectRtp(p, &len), SrtpError::kOk);
  p.resize(len);
  Deliver(p, tuple_);
  ASSERT_EQ(events_.rtp.size(), 1u);
  EXPECT_EQ(events_.rtp[0], plain);

  // RTCP (a receiver report) goes to OnRtcp, told apart by packet type.
  std::vector<uint8_t> rr = {0x80, 201, 0, 1, 0, 0, 0, 9};
  len = rr.size();
  rr.resize(len + SrtpSession::kMaxTrailer);
  ASSERT_EQ(browser_out->ProtectRtcp(rr, &len), SrtpError::kOk);
  rr.resize(len);
  Deliver(rr, tuple_);
  ASSERT_EQ(events_.rtcp.size(), 1u);
  EXPECT_EQ(events_.rtcp[0].size(), 8u);

  // Server -> browser on the selected tuple.
  auto browser_in = std::move(*SrtpSession::Create(browser_->keys->profile, browser_->keys->remote));
  std::vector<uint8_t> out = Rtp(7);
  size_t out_len = out.size();
  out.resize(out_len + SrtpSession::kMaxTrailer);
  ASSERT_TRUE(transport_->SendRtp(out, out_len));
  ASSERT_EQ(wire_.sent.size(), 1u);
  EXPECT_EQ(wire_.sent[0].first, tuple_);
  auto got = wire_.sent[0].second;
  size_t got_len = got.size();
  ASSERT_EQ(browser_in->UnprotectRtp(got, &got_len), SrtpError::kOk);
  got.resize(got_len);
  EXPECT_EQ(got, Rtp(7));
  EXPECT_EQ(transport_->counters().rtp_in, 1u);
  EXPECT_EQ(transport_->counters().rtp_out, 1u);
}

TEST_F(WebRtcTransportTest, PacketsFromOtherTuplesOrBeforeDtlsAreDropped) {
  ASSERT_TRUE(transport_->Connect("cli", DtlsRole::kServer, "sha-256", browser_cert_->fingerprint()).ok());
  Deliver(Rtp(1), tuple_);  // No ICE path yet.
  EXPECT_EQ(transport_->counters().dropped_not_selected, 1u);
  Deliver(browser_->Check(true), tuple_);
  Deliver(Rtp(2), tuple_);  // Path, but no keys yet.
  EXPECT_EQ(transport_->counters().dropped_before_srtp, 1u);
  ice::Tuple stranger{*SocketAddress::FromIp("127.0.0.9", 1), ice::Protocol::kUdp, 0};
  Deliver(Rtp(3), stranger);
  EXPECT_EQ(transport_->counters().dropped_not_selected, 2u);
  Deliver({0x42, 1, 2, 3}, tuple_);  // Neither STUN, DTLS nor RTP.
  EXPECT_EQ(transport_->counters().dropped_unknown, 1u);
  EXPECT_TRUE(events_.rtp.empty());
}

TEST_F(WebRtcTransportTest, ForgedSrtpIsCountedNotDelivered) {
  Connect();
  auto forged = Rtp(5);
  forged.resize(forged.size() + 16, 0);  // A tag that cannot verify.
  Deliver(forged, tuple_);
  EXPECT_EQ(transport_->counters().srtp_auth_failures, 1u);
  EXPECT_TRUE(events_.rtp.empty());
}

TEST_F(WebRtcTransportTest, WrongFingerprintFailsDtls) {
  ASSERT_TRUE(transport_->Connect("cli", DtlsRole::kServer, "sha-256", server_cert_->fingerprint()).ok());
  Deliver(browser_->Check(true), tuple_);
  wire_.sent.clear();
  browser_->dtls.Start(DtlsRole::kClient, "sha-256", server_cert_->fingerprint()).IgnoreError();
  for (int round = 0; round < 10; ++round) {
    while (!browser_->out.empty()) {
      auto d = std::move(browser_->out.front());
      browser_->out.pop_front();
      Deliver(std::move(d), tuple_);
    }
    while (!wire_.sent.empty()) {
      browser_->dtls.OnPacket(wire_.sent.front().second);
      wire_.sent.pop_front();
    }
  }
  EXPECT_EQ(events_.dtls.back(), DtlsState::kFailed);
  EXPECT_NE(events_.dtls_reason.find("fingerprint"), std::string::npos);
  EXPECT_FALSE(transport_->srtp_ready());
}

TEST_F(WebRtcTransportTest, ClientRoleStartsOnceIcePicksAPath) {
  ASSERT_TRUE(transport_->Connect("cli", DtlsRole::kClient, "sha-256", browser_cert_->fingerprint()).ok());
  EXPECT_TRUE(wire_.sent.empty());  // No path yet: no ClientHello.
  Deliver(browser_->Check(false), tuple_);
  ASSERT_EQ(wire_.sent.size(), 2u);  // The ClientHello and the binding response.
  int hellos = 0;
  for (const auto& [t, d] : wire_.sent) hellos += d[0] == 22;  // DTLS handshake record.
  EXPECT_EQ(hellos, 1);
}

TEST_F(WebRtcTransportTest, ConnectValidates) {
  EXPECT_EQ(transport_->Connect("cli", DtlsRole::kServer, "md5", "AA").code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(transport_->Connect("cli", DtlsRole::kServer, "sha-256", "AA").ok());
  EXPECT_EQ(transport_->Connect("cli", DtlsRole::kServer, "sha-256", "AA").code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace sfu
