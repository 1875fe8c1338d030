#include "transport/dtls/dtls_session.h"

#include <openssl/err.h>

#include <algorithm>
#include <cstring>

#include "base/str_cat.h"

namespace sfu {
namespace {

constexpr char kExporterLabel[] = "EXTRACTOR-dtls_srtp";

std::string OpenSslError() {
  unsigned long e = ERR_get_error();
  if (e == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof(buf));
  ERR_clear_error();
  return buf;
}

// The outgoing side: a BIO whose every write is one datagram, handed to the session.
int OutWrite(BIO* bio, const char* data, int len) {
  auto* session = static_cast<DtlsSession*>(BIO_get_data(bio));
  if (session && len > 0) {
    session->EmitDatagram({reinterpret_cast<const uint8_t*>(data), static_cast<size_t>(len)});
  }
  return len;
}

long OutCtrl(BIO*, int cmd, long, void*) {
  switch (cmd) {
    case BIO_CTRL_FLUSH: return 1;
    case BIO_CTRL_DGRAM_QUERY_MTU: return DtlsSession::kMtu;
    case BIO_CTRL_WPENDING:
    case BIO_CTRL_PENDING: return 0;
    default: return 0;
  }
}

int OutCreate(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

const BIO_METHOD* OutMethod() {
  static BIO_METHOD* const method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "sfu-dtls-out");
    BIO_meth_set_write(m, OutWrite);
    BIO_meth_set_ctrl(m, OutCtrl);
    BIO_meth_set_create(m, OutCreate);
    return m;
  }();
  return method;
}

// Retransmission backoff: 100 ms first (RFC 6347 suggests 1 s, too slow for calls), then
// doubling up to 3 s.
unsigned int TimerCallback(SSL*, unsigned int previous_us) {
  if (previous_us == 0) return 100'000;
  return std::min(previous_us * 2, 3'000'000u);
}

}  // namespace

std::string_view DtlsStateName(DtlsState s) {
  switch (s) {
    case DtlsState::kNew: return "new";
    case DtlsState::kConnecting: return "connecting";
    case DtlsState::kConnected: return "connected";
    case DtlsState::kFailed: return "failed";
    case DtlsState::kClosed: return "closed";
  }
  return "?";
}

StatusOr<std::unique_ptr<DtlsContext>> DtlsContext::Create(const DtlsCertificate& certificate,
                                                          std::span<const SrtpProfile> profiles) {
  auto c = std::unique_ptr<DtlsContext>(new DtlsContext());
  c->ctx_.reset(SSL_CTX_new(DTLS_method()));
  SSL_CTX* ctx = c->ctx_.get();
  if (!ctx) return absl::InternalError(StrCat("DTLS: ", OpenSslError()));
  SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION);
  // A DTLS record never spans datagrams, and no datagram we send or read exceeds 2 kB:
  // the write buffer sized for 2 kB records instead of 16 kB saves ~14 kB per transport.
  SSL_CTX_set_max_send_fragment(ctx, 2048);
  if (SSL_CTX_use_certificate(ctx, certificate.cert()) != 1 ||
      SSL_CTX_use_PrivateKey(ctx, certificate.key()) != 1) {
    return absl::InternalError(StrCat("DTLS: certificate: ", OpenSslError()));
  }
  // Self-signed certificates are the norm in WebRTC: any is accepted during the
  // handshake, and checked against the signaled fingerprint once it is done.
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                     [](int, X509_STORE_CTX*) { return 1; });
  std::string list;
  if (profiles.empty()) {
    for (const auto& info : kSrtpProfiles) StrAppend(&list, list.empty() ? "" : ":", info.openssl_name);
  } else {
    for (SrtpProfile p : profiles) StrAppend(&list, list.empty() ? "" : ":", InfoOf(p).openssl_name);
  }
  // Note: returns 0 on success.
  if (SSL_CTX_set_tlsext_use_srtp(ctx, list.c_str()) != 0) {
    return absl::InternalError(StrCat("DTLS: use_srtp: ", OpenSslError()));
  }
  c->fingerprint_ = certificate.fingerprint();
  return c;
}

DtlsSession::DtlsSession(DtlsContext& context, Listener& listener)
    : context_(context), listener_(listener) {}

DtlsSession::~DtlsSession() = default;

Status DtlsSession::Start(DtlsRole role, std::string fingerprint_algorithm,
                          std::string fingerprint) {
  if (state_ != DtlsState::kNew) return InvalidStateError("DTLS already started");
  if (!SupportedFingerprintAlgorithm(fingerprint_algorithm)) {
    return InvalidParamsError("fingerprint.algorithm",
                              StrCat("unsupported hash function \"", fingerprint_algorithm, "\""));
  }
  ssl_.reset(SSL_new(context_.ctx()));
  if (!ssl_) return absl::InternalError(StrCat("DTLS: ", OpenSslError()));
  rbio_ = BIO_new(BIO_s_mem());
  BIO* wbio = BIO_new(OutMethod());
  BIO_set_mem_eof_return(rbio_, -1);
  BIO_set_data(wbio, this);
  SSL_set_bio(ssl_.get(), rbio_, wbio);
  SSL_set_options(ssl_.get(), SSL_OP_NO_QUERY_MTU);
  SSL_set_mtu(ssl_.get(), kMtu);
  DTLS_set_timer_cb(ssl_.get(), TimerCallback);
  role_ = role;
  remote_algorithm_ = std::move(fingerprint_algorithm);
  std::transform(fingerprint.begin(), fingerprint.end(), fingerprint.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
  remote_fingerprint_ = std::move(fingerprint);
  state_ = DtlsState::kConnecting;
  if (role == DtlsRole::kClient) {
    SSL_set_connect_state(ssl_.get());
    AfterIo(SSL_do_handshake(ssl_.get()));
  } else {
    SSL_set_accept_state(ssl_.get());
  }
  return absl::OkStatus();
}

void DtlsSession::OnPacket(std::span<const uint8_t> datagram) {
  if (state_ != DtlsState::kConnecting && state_ != DtlsState::kConnected) return;
  if (datagram.empty()) return;
  BIO_write(rbio_, datagram.data(), static_cast<int>(datagram.size()));
  if (state_ == DtlsState::kConnecting) {
    AfterIo(SSL_do_handshake(ssl_.get()));
    if (state_ != DtlsState::kConnected) {
      (void)BIO_reset(rbio_);  // Drop what the handshake did not consume.
      return;
    }
  }
  ReadApplicationData();
  (void)BIO_reset(rbio_);
}

void DtlsSession::ReadApplicationData() {
  uint8_t buf[16384];
  while (state_ == DtlsState::kConnected) {
    int n = SSL_read(ssl_.get(), buf, sizeof(buf));
    if (n > 0) {
      listener_.OnDtlsData({buf, static_cast<size_t>(n)});
      continue;
    }
    int err = SSL_get_error(ssl_.get(), n);
    if (err == SSL_ERROR_ZERO_RETURN) {
      state_ = DtlsState::kClosed;
      listener_.OnDtlsClosed();
    } else if (err != SSL_ERROR_WANT_READ) {
      Fail(StrCat("DTLS read: ", OpenSslError()));
    }
    return;
  }
}

void DtlsSession::AfterIo(int ret) {
  if (ret == 1) {
    OnHandshakeDone();
    return;
  }
  int err = SSL_get_error(ssl_.get(), ret);
  if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return;
  Fail(StrCat("DTLS handshake failed: ", OpenSslError()));
}

void DtlsSession::OnHandshakeDone() {
  X509* peer = SSL_get0_peer_certificate(ssl_.get());
  if (!peer) {
    Fail("DTLS: the peer sent no certificate");
    return;
  }
  std::string actual = CertificateFingerprint(peer, remote_algorithm_);
  if (actual != remote_fingerprint_) {
    Fail(StrCat("DTLS: the remote certificate's ", remote_algorithm_, " fingerprint ", actual,
                " does not match the signaled ", remote_fingerprint_));
    return;
  }
  std::optional<SrtpKeys> keys;
  if (SRTP_PROTECTION_PROFILE* p = SSL_get_selected_srtp_profile(ssl_.get())) {
    auto profile = SrtpProfileFromId(static_cast<uint16_t>(p->id));
    if (!profile) {
      Fail(StrCat("DTLS: unexpected SRTP profile ", p->id));
      return;
    }
    const SrtpProfileInfo& info = InfoOf(*profile);
    size_t kl = info.key_len;
    size_t sl = info.salt_len;
    std::vector<uint8_t> material(2 * (kl + sl));
    if (SSL_export_keying_material(ssl_.get(), material.data(), material.size(), kExporterLabel,
                                   sizeof(kExporterLabel) - 1, nullptr, 0, 0) != 1) {
      Fail(StrCat("DTLS: key export failed: ", OpenSslError()));
      return;
    }
    // client key | server key | client salt | server salt (RFC 5764 section 4.2).
    auto slice = [&](size_t key_off, size_t salt_off) {
      std::vector<uint8_t> out(material.begin() + static_cast<long>(key_off),
                               material.begin() + static_cast<long>(key_off + kl));
      out.insert(out.end(), material.begin() + static_cast<long>(salt_off),
                 material.begin() + static_cast<long>(salt_off + sl));
      return out;
    };
    std::vector<uint8_t> client = slice(0, 2 * kl);
    std::vector<uint8_t> server = slice(kl, 2 * kl + sl);
    bool is_client = role_ == DtlsRole::kClient;
    keys = SrtpKeys{*profile, is_client ? client : server, is_client ? server : client};
    OPENSSL_cleanse(material.data(), material.size());
  }
  state_ = DtlsState::kConnected;
  listener_.OnDtlsConnected(keys);
}

std::optional<TimeDelta> DtlsSession::TimeoutIn() const {
  if (state_ != DtlsState::kConnecting || !ssl_) return std::nullopt;
  timeval tv{};
  if (DTLSv1_get_timeout(ssl_.get(), &tv) != 1) return std::nullopt;
  return TimeDelta::Micros(int64_t{tv.tv_sec} * 1'000'000 + tv.tv_usec);
}

void DtlsSession::OnTimeout() {
  if (state_ != DtlsState::kConnecting || !ssl_) return;
  if (DTLSv1_handle_timeout(ssl_.get()) < 0) Fail("DTLS: handshake timed out");
}

bool DtlsSession::Send(std::span<const uint8_t> data) {
  if (state_ != DtlsState::kConnected || data.empty()) return false;
  return SSL_write(ssl_.get(), data.data(), static_cast<int>(data.size())) ==
         static_cast<int>(data.size());
}

void DtlsSession::Close() {
  if (state_ == DtlsState::kConnected) SSL_shutdown(ssl_.get());  // Sends close_notify.
  if (state_ != DtlsState::kFailed) state_ = DtlsState::kClosed;
}

void DtlsSession::Fail(std::string reason) {
  ERR_clear_error();
  state_ = DtlsState::kFailed;
  failure_ = reason;
  listener_.OnDtlsFailed(failure_);
}

}  // namespace sfu
