#pragma once
// H264 profile-level-id (RFC 6184 section 8.1) and the fmtp helpers codec matching needs.
// Profiles are classified with the profile_idc / profile-iop table browsers use.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sfu::codecs {

enum class H264Profile {
  kConstrainedBaseline,
  kBaseline,
  kMain,
  kConstrainedHigh,
  kHigh,
  kPredictiveHigh444,
};

// `level` is level_idc (10 = 1.0, 11 = 1.1, ..., 52 = 5.2), or kH264Level1b for level 1b
// (level_idc 11 with constraint_set3_flag in Baseline, Main and Extended profiles).
inline constexpr uint8_t kH264Level1b = 0;

struct H264ProfileLevelId {
  H264Profile profile;
  uint8_t level;
  bool operator==(const H264ProfileLevelId&) const = default;
};

// Six hex digits: profile_idc, profile-iop, level_idc. nullopt for anything else, an
// unknown level or a profile outside the table.
std::optional<H264ProfileLevelId> ParseH264ProfileLevelId(std::string_view hex6);

// The value of `key` in an a=fmtp parameter list ("k1=v1;k2=v2"), keys case-insensitive,
// whitespace around keys and values ignored. The first occurrence wins.
std::optional<std::string> FmtpParameter(std::string_view fmtp, std::string_view key);

// Both profile-level-ids parse (missing means "42000a", RFC 6184 section 8.1) and name the
// same profile; levels may differ.
bool H264SameProfile(std::string_view fmtp_a, std::string_view fmtp_b);

// Both packetization-modes (missing means 0) are valid numbers and equal.
bool H264SamePacketizationMode(std::string_view fmtp_a, std::string_view fmtp_b);

}  // namespace sfu::codecs
