#pragma once
// SRTP and SRTCP (RFC 3711, and AES-GCM per RFC 7714) on OpenSSL EVP, in place. One
// SrtpSession holds one direction's master key: Protect* for what we send, Unprotect*
// for what we receive. Cipher and MAC contexts are keyed once, at creation; per packet
// only the IV changes. Per-SSRC state (rollover counter, replay window, SRTCP index) is
// created on a stream's first packet, so steady state allocates nothing.
//
// libsrtp2 is the reference: tests check every profile against it packet for packet.
// Debian's libsrtp2 runs on NSS and re-keys its cipher for every packet; see
// docs/performance.md for the measurement that chose this implementation.

#include <openssl/evp.h>

#include <bitset>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "base/status.h"
#include "transport/dtls/srtp_profile.h"

namespace sfu {

enum class SrtpError : uint8_t {
  kOk,
  kTooShort,     // Shorter than its header and tag.
  kBadHeader,    // Not RTP version 2, or CSRCs/extension past the end.
  kAuthFailed,   // Tag mismatch (or AEAD open failed).
  kReplay,       // Seen before.
  kTooOld,       // Behind the replay window.
  kNoRoom,       // The buffer cannot hold the tag.
  kCryptoError,  // OpenSSL failed (should not happen).
};
std::string_view SrtpErrorName(SrtpError e);

class SrtpSession {
 public:
  // The longest trailer Protect* appends (GCM tag 16 + SRTCP index 4).
  static constexpr size_t kMaxTrailer = 20;
  // Packets remembered behind the newest, per SSRC (RFC 3711 section 3.3.2).
  static constexpr int64_t kReplayWindow = 128;

  // `key_salt` is the master key followed by the master salt (as the DTLS exporter
  // gives them, or as SDES carries them).
  static StatusOr<std::unique_ptr<SrtpSession>> Create(SrtpProfile profile,
                                                       std::span<const uint8_t> key_salt);
  ~SrtpSession();
  SrtpSession(const SrtpSession&) = delete;
  SrtpSession& operator=(const SrtpSession&) = delete;

  // `buffer` holds the packet in its first `*len` bytes and has room for the trailer;
  // on success `*len` is the new length.
  SrtpError ProtectRtp(std::span<uint8_t> buffer, size_t* len);
  SrtpError UnprotectRtp(std::span<uint8_t> buffer, size_t* len);
  SrtpError ProtectRtcp(std::span<uint8_t> buffer, size_t* len);
  SrtpError UnprotectRtcp(std::span<uint8_t> buffer, size_t* len);

  SrtpProfile profile() const { return profile_; }

 private:
  struct Keys;  // Derived keys and keyed contexts for RTP or RTCP.
  // Bit k marks index (highest - k) as seen.
  using Window = std::bitset<kReplayWindow>;
  struct Stream {
    bool rtp_started = false;
    uint32_t roc = 0;
    uint16_t highest_seq = 0;
    int64_t rtp_highest = -1;  // Highest authenticated 48-bit index (inbound).
    Window rtp_window;
    uint32_t rtcp_next_index = 0;  // Outbound.
    int64_t rtcp_highest = -1;     // Inbound.
    Window rtcp_window;
  };

  explicit SrtpSession(SrtpProfile profile);
  bool aead() const;
  Stream& StreamFor(uint32_t ssrc) { return streams_[ssrc]; }
  // Estimated 48-bit index of `seq` (RFC 3711 appendix A).
  static uint64_t EstimateIndex(const Stream& s, uint16_t seq);

  SrtpProfile profile_;
  size_t tag_len_rtp_ = 0;
  size_t tag_len_rtcp_ = 0;
  std::unique_ptr<Keys> rtp_;
  std::unique_ptr<Keys> rtcp_;
  absl::flat_hash_map<uint32_t, Stream> streams_;
};

}  // namespace sfu
