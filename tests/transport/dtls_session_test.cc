#include "transport/dtls/dtls_session.h"

#include <gtest/gtest.h>

#include <deque>
#include <vector>

namespace sfu {
namespace {

struct Endpoint : DtlsSession::Listener {
  explicit Endpoint(DtlsContext& ctx) : session(ctx, *this) {}
  void OnDtlsSend(std::span<const uint8_t> d) override {
    outbox.emplace_back(d.begin(), d.end());
    EXPECT_LE(d.size(), static_cast<size_t>(DtlsSession::kMtu)) << "datagram over the MTU";
  }
  void OnDtlsConnected(const std::optional<SrtpKeys>& k) override {
    connected = true;
    keys = k;
  }
  void OnDtlsFailed(std::string_view reason) override { failure = reason; }
  void OnDtlsClosed() override { closed = true; }
  void OnDtlsData(std::span<const uint8_t> d) override { received.emplace_back(d.begin(), d.end()); }

  DtlsSession session;
  std::deque<std::vector<uint8_t>> outbox;
  bool connected = false;
  bool closed = false;
  std::string failure;
  std::optional<SrtpKeys> keys;
  std::vector<std::vector<uint8_t>> received;
};

// Delivers datagrams both ways until neither side has anything to say.
void Pump(Endpoint& a, Endpoint& b, int max_rounds = 50) {
  for (int i = 0; i < max_rounds && (!a.outbox.empty() || !b.outbox.empty()); ++i) {
    while (!a.outbox.empty()) {
      auto d = std::move(a.outbox.front());
      a.outbox.pop_front();
      b.session.OnPacket(d);
    }
    while (!b.outbox.empty()) {
      auto d = std::move(b.outbox.front());
      b.outbox.pop_front();
      a.session.OnPacket(d);
    }
  }
}

class DtlsSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c1 = DtlsCertificate::Generate();
    auto c2 = DtlsCertificate::Generate();
    ASSERT_TRUE(c1.ok() && c2.ok());
    cert_a_.emplace(std::move(*c1));
    cert_b_.emplace(std::move(*c2));
    ctx_a_ = std::move(*DtlsContext::Create(*cert_a_));
    ctx_b_ = std::move(*DtlsContext::Create(*cert_b_));
  }

  std::optional<DtlsCertificate> cert_a_, cert_b_;
  std::unique_ptr<DtlsContext> ctx_a_, ctx_b_;
};

TEST_F(DtlsSessionTest, CertificateFingerprint) {
  const std::string& fp = cert_a_->fingerprint();
  EXPECT_EQ(fp.size(), 32u * 3 - 1);
  EXPECT_EQ(fp[2], ':');
  EXPECT_NE(fp, cert_b_->fingerprint());
  EXPECT_EQ(CertificateFingerprint(cert_a_->cert(), "sha-1").size(), 20u * 3 - 1);
  EXPECT_TRUE(CertificateFingerprint(cert_a_->cert(), "md5").empty());
}

TEST_F(DtlsSessionTest, HandshakeExportsMatchingSrtpKeys) {
  Endpoint client(*ctx_a_), server(*ctx_b_);
  ASSERT_TRUE(server.session.Start(DtlsRole::kServer, "sha-256", cert_a_->fingerprint()).ok());
  ASSERT_TRUE(client.session.Start(DtlsRole::kClient, "sha-256", cert_b_->fingerprint()).ok());
  EXPECT_FALSE(client.outbox.empty());  // ClientHello at once.
  EXPECT_TRUE(client.session.TimeoutIn().has_value());
  Pump(client, server);
  ASSERT_TRUE(client.connected) << client.failure;
  ASSERT_TRUE(server.connected) << server.failure;
  EXPECT_EQ(client.session.state(), DtlsState::kConnected);
  ASSERT_TRUE(client.keys && server.keys);
  EXPECT_EQ(client.keys->profile, SrtpProfile::kAeadAes256Gcm);  // First preference.
  EXPECT_EQ(client.keys->local.size(), 32u + 12u);
  EXPECT_EQ(client.keys->local, server.keys->remote);
  EXPECT_EQ(client.keys->remote, server.keys->local);
  EXPECT_NE(client.keys->local, client.keys->remote);
  EXPECT_FALSE(client.session.TimeoutIn().has_value());
}

TEST_F(DtlsSessionTest, ProfileNegotiationFollowsWhatBothOffer) {
  const SrtpProfile only_cm80[] = {SrtpProfile::kAes128CmSha1_80};
  auto ctx_cm = std::move(*DtlsContext::Create(*cert_a_, only_cm80));
  Endpoint client(*ctx_cm), server(*ctx_b_);
  ASSERT_TRUE(server.session.Start(DtlsRole::kServer, "sha-256", cert_a_->fingerprint()).ok());
  ASSERT_TRUE(client.session.Start(DtlsRole::kClient, "sha-256", cert_b_->fingerprint()).ok());
  Pump(client, server);
  ASSERT_TRUE(client.keys && server.keys);
  EXPECT_EQ(server.keys->profile, SrtpProfile::kAes128CmSha1_80);
  EXPECT_EQ(server.keys->local.size(), 16u + 14u);
}

TEST_F(DtlsSessionTest, FingerprintMismatchFailsWithAClearReason) {
  Endpoint client(*ctx_a_), server(*ctx_b_);
  // The server expects some other certificate.
  ASSERT_TRUE(server.session.Start(DtlsRole::kServer, "sha-256", cert_b_->fingerprint()).ok());
  ASSERT_TRUE(client.session.Start(DtlsRole::kClient, "sha-256", cert_b_->fingerprint()).ok());
  Pump(client, server);
  EXPECT_FALSE(server.connected);
  EXPECT_EQ(server.session.state(), DtlsState::kFailed);
  EXPECT_NE(server.failure.find("does not match the signaled"), std::string::npos) << server.failure;
}

TEST_F(DtlsSessionTest, FingerprintComparisonIgnoresCase) {
  Endpoint client(*ctx_a_), server(*ctx_b_);
  std::string lower = cert_a_->fingerprint();
  for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  ASSERT_TRUE(server.session.Start(DtlsRole::kServer, "sha-256", lower).ok());
  ASSERT_TRUE(client.session.Start(DtlsRole::kClient, "sha-256", cert_b_->fingerprint()).ok());
  Pump(client, server);
  EXPECT_TRUE(server.connected) << server.failure;
}

TEST_F(DtlsSessionTest, UnsupportedFingerprintAlgorithmIsAnError) {
  Endpoint e(*ctx_a_);
  auto st = e.session.Start(DtlsRole::kServer, "md5", "AA:BB");
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorField(st), "fingerprint.algorithm");
}

TEST_F(DtlsSessionTest, ApplicationDataAndCloseNotify) {
  Endpoint client(*ctx_a_), server(*ctx_b_);
  server.session.Start(DtlsRole::kServer, "sha-256", cert_a_->fingerprint()).IgnoreError();
  client.session.Start(DtlsRole::kClient, "sha-256", cert_b_->fingerprint()).IgnoreError();
  Pump(client, server);
  const uint8_t msg[] = {1, 2, 3, 4, 5};
  ASSERT_TRUE(client.session.Send(msg));
  Pump(client, server);
  ASSERT_EQ(server.received.size(), 1u);
  EXPECT_EQ(server.received[0], std::vector<uint8_t>(std::begin(msg), std::end(msg)));
  client.session.Close();
  Pump(client, server);
  EXPECT_TRUE(server.closed);
  EXPECT_EQ(server.session.state(), DtlsState::kClosed);
  EXPECT_FALSE(client.session.Send(msg));
}

TEST_F(DtlsSessionTest, GarbageDuringAndAfterHandshakeIsHarmless) {
  Endpoint client(*ctx_a_), server(*ctx_b_);
  server.session.Start(DtlsRole::kServer, "sha-256", cert_a_->fingerprint()).IgnoreError();
  const uint8_t junk[] = {0x16, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2};
  server.session.OnPacket(junk);  // A truncated "record": ignored.
  client.session.Start(DtlsRole::kClient, "sha-256", cert_b_->fingerprint()).IgnoreError();
  Pump(client, server);
  ASSERT_TRUE(server.connected) << server.failure;
  server.session.OnPacket(junk);
  EXPECT_EQ(server.session.state(), DtlsState::kConnected);
}

TEST_F(DtlsSessionTest, LostFlightIsRetransmittedOnTimeout) {
  Endpoint client(*ctx_a_), server(*ctx_b_);
  server.session.Start(DtlsRole::kServer, "sha-256", cert_a_->fingerprint()).IgnoreError();
  client.session.Start(DtlsRole::kClient, "sha-256", cert_b_->fingerprint()).IgnoreError();
  client.outbox.clear();  // The ClientHello is lost.
  // OpenSSL's DTLS timer reads the real clock; its first expiry is set to 100 ms. Wait for
  // it in small bounded steps rather than asserting a time.
  for (int i = 0; i < 100 && client.outbox.empty(); ++i) {
    auto in = client.session.TimeoutIn();
    ASSERT_TRUE(in.has_value());
    if (in->us() > 0) usleep(static_cast<useconds_t>(std::min<int64_t>(in->us(), 20'000)));
    client.session.OnTimeout();
  }
  ASSERT_FALSE(client.outbox.empty());
  Pump(client, server);
  EXPECT_TRUE(client.connected && server.connected);
}

TEST_F(DtlsSessionTest, CannotStartTwice) {
  Endpoint e(*ctx_a_);
  ASSERT_TRUE(e.session.Start(DtlsRole::kServer, "sha-256", "AA").ok());
  EXPECT_EQ(e.session.Start(DtlsRole::kServer, "sha-256", "AA").code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace sfu
