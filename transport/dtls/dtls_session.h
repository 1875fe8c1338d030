#pragma once
// DTLS 1.2 for one transport, over OpenSSL with memory BIOs: received datagrams go in
// through OnPacket(), outgoing datagrams come out through the listener. The handshake
// never touches a socket. On success it checks the peer's certificate against the
// fingerprint signaled in SDP (RFC 8122) and exports the SRTP keys (RFC 5764 section 4.2).

#include <openssl/ssl.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/units.h"
#include "transport/dtls/dtls_certificate.h"
#include "transport/dtls/srtp_profile.h"

namespace sfu {

struct SslCtxDeleter {
  void operator()(SSL_CTX* p) const { SSL_CTX_free(p); }
};
struct SslDeleter {
  void operator()(SSL* p) const { SSL_free(p); }
};

// Shared settings of the sessions on one worker: the certificate and the SRTP profiles
// offered, most preferred first.
class DtlsContext {
 public:
  static StatusOr<std::unique_ptr<DtlsContext>> Create(
      const DtlsCertificate& certificate,
      std::span<const SrtpProfile> profiles = {});
  SSL_CTX* ctx() const { return ctx_.get(); }
  const std::string& fingerprint() const { return fingerprint_; }

 private:
  std::unique_ptr<SSL_CTX, SslCtxDeleter> ctx_;
  std::string fingerprint_;
};

enum class DtlsRole : uint8_t { kClient, kServer };
enum class DtlsState : uint8_t { kNew, kConnecting, kConnected, kFailed, kClosed };
std::string_view DtlsStateName(DtlsState s);

struct SrtpKeys {
  SrtpProfile profile;
  std::vector<uint8_t> local;   // Key then salt, for what this side sends.
  std::vector<uint8_t> remote;  // Key then salt, for what the peer sends.
};

class DtlsSession {
 public:
  class Listener {
   public:
    virtual ~Listener() = default;
    virtual void OnDtlsSend(std::span<const uint8_t> datagram) = 0;
    virtual void OnDtlsConnected(const std::optional<SrtpKeys>& keys) = 0;
    virtual void OnDtlsFailed(std::string_view reason) = 0;
    // The peer sent close_notify.
    virtual void OnDtlsClosed() = 0;
    virtual void OnDtlsData(std::span<const uint8_t> data) = 0;
  };

  static constexpr int kMtu = 1200;

  DtlsSession(DtlsContext& context, Listener& listener);
  ~DtlsSession();
  DtlsSession(const DtlsSession&) = delete;
  DtlsSession& operator=(const DtlsSession&) = delete;

  // Starts the handshake (a client sends its ClientHello at once). `fingerprint` is the
  // peer's, as signaled: algorithm ("sha-256") and value ("AB:CD:...").
  Status Start(DtlsRole role, std::string fingerprint_algorithm, std::string fingerprint);
  void OnPacket(std::span<const uint8_t> datagram);
  // When a retransmission timer runs: how long until OnTimeout() is due.
  std::optional<TimeDelta> TimeoutIn() const;
  void OnTimeout();
  // Application data (SCTP); false unless connected.
  bool Send(std::span<const uint8_t> data);
  // Sends close_notify and stops.
  void Close();

  DtlsState state() const { return state_; }
  std::optional<DtlsRole> role() const { return role_; }
  const std::string& failure() const { return failure_; }

  // Used by the outgoing BIO.
  void EmitDatagram(std::span<const uint8_t> datagram) { listener_.OnDtlsSend(datagram); }

 private:
  void AfterIo(int ret);
  void OnHandshakeDone();
  void Fail(std::string reason);
  void ReadApplicationData();

  DtlsContext& context_;
  Listener& listener_;
  std::unique_ptr<SSL, SslDeleter> ssl_;
  BIO* rbio_ = nullptr;  // Owned by ssl_.
  DtlsState state_ = DtlsState::kNew;
  std::optional<DtlsRole> role_;
  std::string remote_algorithm_;
  std::string remote_fingerprint_;
  std::string failure_;
};

}  // namespace sfu
