#pragma once
// libsrtp2 as the reference implementation that tests check our SRTP against.

#include <srtp2/srtp.h>

#include <cstdint>
#include <span>
#include <vector>

#include "transport/dtls/srtp_profile.h"

namespace sfu::testing {

class LibSrtp {
 public:
  enum class Direction { kOutbound, kInbound };

  LibSrtp(SrtpProfile profile, std::span<const uint8_t> key_salt, Direction direction) {
    static const bool initialized = srtp_init() == srtp_err_status_ok;
    (void)initialized;
    srtp_policy_t policy{};
    switch (profile) {
      case SrtpProfile::kAeadAes256Gcm:
        srtp_crypto_policy_set_aes_gcm_256_16_auth(&policy.rtp);
        srtp_crypto_policy_set_aes_gcm_256_16_auth(&policy.rtcp);
        break;
      case SrtpProfile::kAeadAes128Gcm:
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp);
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp);
        break;
      case SrtpProfile::kAes128CmSha1_80:
        srtp_crypto_policy_set_rtp_default(&policy.rtp);
        srtp_crypto_policy_set_rtcp_default(&policy.rtcp);
        break;
      case SrtpProfile::kAes128CmSha1_32:
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&policy.rtp);
        srtp_crypto_policy_set_rtcp_default(&policy.rtcp);
        break;
    }
    key_.assign(key_salt.begin(), key_salt.end());
    policy.key = key_.data();
    policy.ssrc.type = direction == Direction::kOutbound ? ssrc_any_outbound : ssrc_any_inbound;
    policy.window_size = 128;
    policy.allow_repeat_tx = 0;
    ok_ = srtp_create(&ctx_, &policy) == srtp_err_status_ok;
  }
  ~LibSrtp() {
    if (ok_) srtp_dealloc(ctx_);
  }
  LibSrtp(const LibSrtp&) = delete;
  LibSrtp& operator=(const LibSrtp&) = delete;

  bool ok() const { return ok_; }
  srtp_t ctx() const { return ctx_; }

  // Each returns the libsrtp status; `packet` is resized to the result.
  srtp_err_status_t ProtectRtp(std::vector<uint8_t>& packet) { return Run(packet, 0); }
  srtp_err_status_t UnprotectRtp(std::vector<uint8_t>& packet) { return Run(packet, 1); }
  srtp_err_status_t ProtectRtcp(std::vector<uint8_t>& packet) { return Run(packet, 2); }
  srtp_err_status_t UnprotectRtcp(std::vector<uint8_t>& packet) { return Run(packet, 3); }

 private:
  srtp_err_status_t Run(std::vector<uint8_t>& packet, int op) {
    int len = static_cast<int>(packet.size());
    packet.resize(packet.size() + SRTP_MAX_TRAILER_LEN + 4);
    srtp_err_status_t st = srtp_err_status_fail;
    switch (op) {
      case 0: st = srtp_protect(ctx_, packet.data(), &len); break;
      case 1: st = srtp_unprotect(ctx_, packet.data(), &len); break;
      case 2: st = srtp_protect_rtcp(ctx_, packet.data(), &len); break;
      case 3: st = srtp_unprotect_rtcp(ctx_, packet.data(), &len); break;
    }
    packet.resize(static_cast<size_t>(len));
    return st;
  }

  std::vector<uint8_t> key_;
  srtp_t ctx_ = nullptr;
  bool ok_ = false;
};

}  // namespace sfu::testing
