#include "transport/dtls/srtp_profile.h"

namespace sfu {

const SrtpProfileInfo& InfoOf(SrtpProfile profile) {
  for (const auto& info : kSrtpProfiles) {
    if (info.profile == profile) return info;
  }
  return kSrtpProfiles[0];  // Unreachable: every enumerator is in the table.
}

std::optional<SrtpProfile> SrtpProfileFromId(uint16_t id) {
  for (const auto& info : kSrtpProfiles) {
    if (info.id == id) return info.profile;
  }
  return std::nullopt;
}

}  // namespace sfu
