#include "transport/webrtc_transport.h"

#include "base/log.h"
#include "base/str_cat.h"

namespace sfu {

WebRtcTransport::WebRtcTransport(DtlsContext& dtls_context, ice::Credentials local_ice,
                                 Sender& sender, Listener& listener, TimeDelta consent_timeout)
    : sender_(sender),
      listener_(listener),
      ice_(std::move(local_ice), *this, consent_timeout),
      dtls_(dtls_context, *this) {}

WebRtcTransport::~WebRtcTransport() = default;

Status WebRtcTransport::Connect(std::string remote_ice_ufrag, DtlsRole local_role,
                                std::string fingerprint_algorithm, std::string fingerprint) {
  if (dtls_role_) return InvalidStateError("transport already connected");
  if (!SupportedFingerprintAlgorithm(fingerprint_algorithm)) {
    return InvalidParamsError("params.dtlsParameters.fingerprints",
                              StrCat("unsupported hash function \"", fingerprint_algorithm, "\""));
  }
  if (!remote_ice_ufrag.empty()) ice_.SetRemoteUfrag(std::move(remote_ice_ufrag));
  dtls_role_ = local_role;
  fingerprint_algorithm_ = std::move(fingerprint_algorithm);
  fingerprint_ = std::move(fingerprint);
  MaybeStartDtls();
  return absl::OkStatus();
}

void WebRtcTransport::MaybeStartDtls() {
  // A server waits for the ClientHello, so it can start at once; a client needs a path.
  if (dtls_started_ || !dtls_role_ || closed_) return;
  if (*dtls_role_ == DtlsRole::kClient && !ice_.selected()) return;
  dtls_started_ = true;
  Status st = dtls_.Start(*dtls_role_, fingerprint_algorithm_, fingerprint_);
  if (!st.ok()) listener_.OnDtlsStateChange(DtlsState::kFailed, FromAbsl(st.message()));
  else listener_.OnDtlsStateChange(DtlsState::kConnecting, "");
}

void WebRtcTransport::OnPacket(std::span<uint8_t> data, const ice::Tuple& from, Timestamp now) {
  if (closed_ || data.empty()) return;
  uint8_t first = data[0];
  if (first < 4) {
    if (auto message = stun::StunMessage::Parse(data)) {
      OnStun(*message, from, now);
    } else {
      counters_.bytes_in += data.size();
      ++counters_.dropped_unknown;
    }
    return;
  }
  counters_.bytes_in += data.size();
  if (!ice_.IsSelected(from)) {
    ++counters_.dropped_not_selected;
    return;
  }
  if (first >= 20 && first <= 63) {
    dtls_.OnPacket(data);
    return;
  }
  if (first >= 128 && first <= 191) {
    OnSrtp(data, now);
    return;
  }
  ++counters_.dropped_unknown;
}

void WebRtcTransport::OnStun(const stun::StunMessage& message, const ice::Tuple& from,
                             Timestamp now) {
  if (closed_) return;
  counters_.bytes_in += message.bytes().size();
  auto result = ice_.OnStun(message, from, now, stun_out_);
  if (!result.response.empty()) sender_.SendTo(from, result.response);
}

void WebRtcTransport::OnSrtp(std::span<uint8_t> data, Timestamp now) {
  if (!srtp_in_) {
    ++counters_.dropped_before_srtp;
    return;
  }
  // RTCP packet types 192-223 fall where RTP would carry payload types 64-95, which
  // RTP over a multiplexed port must not use (RFC 5761 section 4).
  bool rtcp = data.size() >= 2 && data[1] >= 192 && data[1] <= 223;
  size_t len = data.size();
  SrtpError e = rtcp ? srtp_in_->UnprotectRtcp(data, &len) : srtp_in_->UnprotectRtp(data, &len);
  if (e != SrtpError::kOk) {
    ++counters_.srtp_auth_failures;
    return;
  }
  if (rtcp) {
    ++counters_.rtcp_in;
    listener_.OnRtcp(data.first(len), now);
  } else {
    ++counters_.rtp_in;
    listener_.OnRtp(data.first(len), now);
  }
}

void WebRtcTransport::OnTimer(Timestamp now) {
  if (closed_) return;
  ice_.OnTimer(now);
  if (auto in = dtls_.TimeoutIn(); in && in->us() <= 0) dtls_.OnTimeout();
}

bool WebRtcTransport::SendRtp(std::span<uint8_t> buffer, size_t len) {
  if (!srtp_out_ || !ice_.selected()) return false;
  if (srtp_out_->ProtectRtp(buffer, &len) != SrtpError::kOk) return false;
  ++counters_.rtp_out;
  counters_.bytes_out += len;
  sender_.SendTo(*ice_.selected(), buffer.first(len));
  return true;
}

bool WebRtcTransport::SendRtcp(std::span<uint8_t> buffer, size_t len) {
  if (!srtp_out_ || !ice_.selected()) return false;
  if (srtp_out_->ProtectRtcp(buffer, &len) != SrtpError::kOk) return false;
  ++counters_.rtcp_out;
  counters_.bytes_out += len;
  sender_.SendTo(*ice_.selected(), buffer.first(len));
  return true;
}

void WebRtcTransport::RestartIce(ice::Credentials local, std::string remote_ufrag) {
  ice_.Restart(std::move(local), std::move(remote_ufrag));
}

void WebRtcTransport::Close() {
  if (closed_) return;
  dtls_.Close();  // close_notify goes out on the selected tuple.
  ice_.Close();
  closed_ = true;
}

std::optional<SrtpProfile> WebRtcTransport::srtp_profile() const {
  if (!srtp_in_) return std::nullopt;
  return srtp_in_->profile();
}

void WebRtcTransport::OnIceStateChange(ice::State state) { listener_.OnIceStateChange(state); }

void WebRtcTransport::OnSelectedTupleChange(const ice::Tuple& tuple) {
  listener_.OnIceSelectedTupleChange(tuple);
  MaybeStartDtls();
}

void WebRtcTransport::OnDtlsSend(std::span<const uint8_t> datagram) {
  if (ice_.selected()) sender_.SendTo(*ice_.selected(), datagram);
}

void WebRtcTransport::OnDtlsConnected(const std::optional<SrtpKeys>& keys) {
  if (keys) {
    auto in = SrtpSession::Create(keys->profile, keys->remote);
    auto out = SrtpSession::Create(keys->profile, keys->local);
    if (!in.ok() || !out.ok()) {
      listener_.OnDtlsStateChange(DtlsState::kFailed, "SRTP setup failed");
      return;
    }
    srtp_in_ = std::move(*in);
    srtp_out_ = std::move(*out);
  }
  listener_.OnDtlsStateChange(DtlsState::kConnected, "");
}

void WebRtcTransport::OnDtlsFailed(std::string_view reason) {
  SFU_LOG(kWarn, kDtls, reason);
  listener_.OnDtlsStateChange(DtlsState::kFailed, reason);
}

void WebRtcTransport::OnDtlsClosed() { listener_.OnDtlsStateChange(DtlsState::kClosed, "close_notify"); }

void WebRtcTransport::OnDtlsData(std::span<const uint8_t>) {
  // SCTP (data channels) arrives here once the SCTP association is added.
}

}  // namespace sfu
