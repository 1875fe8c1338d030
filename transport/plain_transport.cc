#include "transport/plain_transport.h"

#include <openssl/rand.h>

#include "base/str_cat.h"

namespace sfu {
namespace {

struct SdesSuite {
  SrtpProfile profile;
  std::string_view name;
};
constexpr SdesSuite kSdesSuites[] = {
    {SrtpProfile::kAeadAes256Gcm, "AEAD_AES_256_GCM"},
    {SrtpProfile::kAeadAes128Gcm, "AEAD_AES_128_GCM"},
    {SrtpProfile::kAes128CmSha1_80, "AES_CM_128_HMAC_SHA1_80"},
    {SrtpProfile::kAes128CmSha1_32, "AES_CM_128_HMAC_SHA1_32"},
};

// RTCP packet types 192-223 sit where multiplexed RTP must not put payload types 64-95
// (RFC 5761 section 4).
bool IsRtcp(std::span<const uint8_t> data) { return data.size() >= 2 && data[1] >= 192 && data[1] <= 223; }

}  // namespace

std::string_view SdesSuiteName(SrtpProfile profile) {
  for (const SdesSuite& s : kSdesSuites) {
    if (s.profile == profile) return s.name;
  }
  return "";
}

std::optional<SrtpProfile> SrtpProfileFromSdesName(std::string_view name) {
  for (const SdesSuite& s : kSdesSuites) {
    if (s.name == name) return s.profile;
  }
  return std::nullopt;
}

PlainTransport::PlainTransport(PlainTransportOptions options, Sender& sender, Listener& listener)
    : options_(options), sender_(sender), listener_(listener) {}

StatusOr<std::unique_ptr<PlainTransport>> PlainTransport::Create(PlainTransportOptions options, Sender& sender,
                                                                 Listener& listener) {
  auto t = std::unique_ptr<PlainTransport>(new PlainTransport(options, sender, listener));
  if (options.srtp) {
    const SrtpProfileInfo& info = InfoOf(*options.srtp);
    t->local_key_.resize(info.key_len + info.salt_len);
    if (RAND_bytes(t->local_key_.data(), static_cast<int>(t->local_key_.size())) != 1) {
      return absl::InternalError("no random bytes for the SRTP key");
    }
    auto out = SrtpSession::Create(*options.srtp, t->local_key_);
    if (!out.ok()) return out.status();
    t->srtp_out_ = std::move(*out);
  }
  return t;
}

Status PlainTransport::Connect(std::optional<SocketAddress> remote_rtp, std::optional<SocketAddress> remote_rtcp,
                               std::optional<SrtpProfile> srtp_profile, std::span<const uint8_t> srtp_key) {
  if (connect_called_) return InvalidStateError("transport already connected");
  if (options_.comedia && (remote_rtp || remote_rtcp)) {
    return InvalidParamsError("params.ip", "must be absent in comedia mode (the address is learned)");
  }
  if (!options_.comedia && !remote_rtp) return InvalidParamsError("params.ip", "ip and port are required");
  if (options_.rtcp_mux && remote_rtcp) {
    return InvalidParamsError("params.rtcpPort", "must be absent with rtcpMux");
  }
  if (!options_.comedia && !options_.rtcp_mux && !remote_rtcp) {
    return InvalidParamsError("params.rtcpPort", "is required without rtcpMux");
  }
  if (!options_.srtp && srtp_profile) {
    return InvalidParamsError("params.srtpParameters", "the transport was created without SRTP");
  }
  if (options_.srtp && !srtp_profile) {
    return InvalidParamsError("params.srtpParameters", "is required (the transport was created with SRTP)");
  }
  if (srtp_profile) {
    const SrtpProfileInfo& info = InfoOf(*srtp_profile);
    if (srtp_key.size() != info.key_len + info.salt_len) {
      return InvalidParamsError("params.srtpParameters.keyBase64",
                                StrCat("must decode to ", info.key_len + info.salt_len, " bytes (key and salt of ",
                                       SdesSuiteName(*srtp_profile), "), not ", srtp_key.size()));
    }
    auto in = SrtpSession::Create(*srtp_profile, srtp_key);
    if (!in.ok()) return in.status();
    srtp_in_ = std::move(*in);
  }
  connect_called_ = true;
  if (remote_rtp) {
    remote_rtp_ = remote_rtp;
    remote_rtcp_ = remote_rtcp;
    listener_.OnRemoteAddress(remote_rtp_, remote_rtcp_);
  }
  MaybeConnected();
  return absl::OkStatus();
}

void PlainTransport::MaybeConnected() {
  if (connected_ || !remote_rtp_ || (options_.srtp && !srtp_in_)) return;
  connected_ = true;
  listener_.OnConnected();
}

void PlainTransport::OnPacket(std::span<uint8_t> data, const SocketAddress& from, Timestamp now) {
  counters_.bytes_in += data.size();
  if (data.size() < 8 || data[0] < 128 || data[0] > 191) {
    ++counters_.dropped_unknown;
    return;
  }
  bool rtcp = IsRtcp(data);
  size_t len = data.size();
  if (options_.srtp) {
    if (!srtp_in_) {
      ++counters_.dropped_before_keys;
      return;
    }
    SrtpError e = rtcp ? srtp_in_->UnprotectRtcp(data, &len) : srtp_in_->UnprotectRtp(data, &len);
    if (e != SrtpError::kOk) {
      ++counters_.srtp_auth_failures;
      return;
    }
  }
  if (options_.comedia) {
    // Learn from the first authentic packet of each kind: RTP gives the RTP address and
    // RTCP the RTCP one. With rtcp-mux our RTCP still goes to the RTP address, but RTCP
    // from a port of its own is accepted (ffmpeg sends it from its RTP port + 1).
    bool learned = false;
    if (!rtcp && !remote_rtp_) {
      remote_rtp_ = from;
      learned = true;
    } else if (rtcp && !remote_rtcp_) {
      remote_rtcp_ = from;
      learned = true;
    }
    if (learned) {
      listener_.OnRemoteAddress(remote_rtp_, remote_rtcp_);
      MaybeConnected();
    }
  }
  if (rtcp) {
    ++counters_.rtcp_in;
    listener_.OnRtcp(data.first(len), now);
  } else {
    ++counters_.rtp_in;
    listener_.OnRtp(data.first(len), now);
  }
}

bool PlainTransport::SendRtp(std::span<uint8_t> buffer, size_t len) {
  if (!connected_) {
    ++counters_.dropped_not_connected;
    return false;
  }
  if (srtp_out_ && srtp_out_->ProtectRtp(buffer, &len) != SrtpError::kOk) return false;
  ++counters_.rtp_out;
  counters_.bytes_out += len;
  sender_.SendDatagram(*remote_rtp_, buffer.first(len));
  return true;
}

bool PlainTransport::SendRtcp(std::span<uint8_t> buffer, size_t len) {
  const std::optional<SocketAddress>& to = options_.rtcp_mux ? remote_rtp_ : remote_rtcp_;
  if (!connected_ || !to) {
    ++counters_.dropped_not_connected;
    return false;
  }
  if (srtp_out_ && srtp_out_->ProtectRtcp(buffer, &len) != SrtpError::kOk) return false;
  ++counters_.rtcp_out;
  counters_.bytes_out += len;
  sender_.SendDatagram(*to, buffer.first(len));
  return true;
}

std::optional<SrtpProfile> PlainTransport::remote_srtp_profile() const {
  if (!srtp_in_) return std::nullopt;
  return srtp_in_->profile();
}

}  // namespace sfu
