#pragma once
// The SRTP protection profiles negotiated through DTLS use_srtp (RFC 5764, RFC 7714).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace sfu {

enum class SrtpProfile : uint8_t {
  kAeadAes256Gcm,    // RFC 7714, 0x0008
  kAeadAes128Gcm,    // RFC 7714, 0x0007
  kAes128CmSha1_80,  // RFC 5764, 0x0001
  kAes128CmSha1_32,  // RFC 5764, 0x0002
};

struct SrtpProfileInfo {
  SrtpProfile profile;
  uint16_t id;                  // The use_srtp protection profile number.
  std::string_view openssl_name;
  size_t key_len;
  size_t salt_len;
};

// In order of preference.
inline constexpr SrtpProfileInfo kSrtpProfiles[] = {
    {SrtpProfile::kAeadAes256Gcm, 0x0008, "SRTP_AEAD_AES_256_GCM", 32, 12},
    {SrtpProfile::kAeadAes128Gcm, 0x0007, "SRTP_AEAD_AES_128_GCM", 16, 12},
    {SrtpProfile::kAes128CmSha1_80, 0x0001, "SRTP_AES128_CM_SHA1_80", 16, 14},
    {SrtpProfile::kAes128CmSha1_32, 0x0002, "SRTP_AES128_CM_SHA1_32", 16, 14},
};

const SrtpProfileInfo& InfoOf(SrtpProfile profile);
std::optional<SrtpProfile> SrtpProfileFromId(uint16_t id);

}  // namespace sfu
