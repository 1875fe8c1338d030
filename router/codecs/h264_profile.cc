#include "router/codecs/h264_profile.h"

#include <cstddef>

namespace sfu::codecs {
namespace {

char ToLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (ToLower(a[i]) != ToLower(b[i])) return false;
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

std::optional<uint8_t> HexDigit(char c) {
  if (c >= '0' && c <= '9') return static_cast<uint8_t>(c - '0');
  c = ToLower(c);
  if (c >= 'a' && c <= 'f') return static_cast<uint8_t>(c - 'a' + 10);
  return std::nullopt;
}

// profile-iop patterns, most significant bit first: '1'/'0' must match, 'x' is free.
struct ProfilePattern {
  uint8_t profile_idc;
  const char* iop;
  H264Profile profile;
};

bool IopMatches(const char* pattern, uint8_t iop) {
  for (unsigned bit = 0; bit < 8; ++bit) {
    bool set = (iop & (0x80u >> bit)) != 0;
    if ((pattern[bit] == '1' && !set) || (pattern[bit] == '0' && set)) return false;
  }
  return true;
}

// The table libwebrtc uses (h264_profile_level_id.cc); first match wins.
constexpr ProfilePattern kProfiles[] = {
    {0x42, "x1xx0000", H264Profile::kConstrainedBaseline},
    {0x4D, "1xxx0000", H264Profile::kConstrainedBaseline},
    {0x58, "11xx0000", H264Profile::kConstrainedBaseline},
    {0x42, "x0xx0000", H264Profile::kBaseline},
    {0x58, "10xx0000", H264Profile::kBaseline},
    {0x4D, "0x0x0000", H264Profile::kMain},
    {0x64, "00000000", H264Profile::kHigh},
    {0x64, "00001100", H264Profile::kConstrainedHigh},
    {0xF4, "00000000", H264Profile::kPredictiveHigh444},
};

constexpr uint8_t kConstraintSet3 = 0x10;

// level_idc values of H.264 Table A-1.
bool KnownLevel(uint8_t level_idc) {
  switch (level_idc) {
    case 10: case 11: case 12: case 13:
    case 20: case 21: case 22:
    case 30: case 31: case 32:
    case 40: case 41: case 42:
    case 50: case 51: case 52:
    case 60: case 61: case 62:
      return true;
    default:
      return false;
  }
}

std::optional<H264ProfileLevelId> ProfileOf(std::string_view fmtp) {
  auto value = FmtpParameter(fmtp, "profile-level-id");
  return ParseH264ProfileLevelId(value ? std::string_view(*value) : "42000a");
}

std::optional<unsigned> PacketizationModeOf(std::string_view fmtp) {
  auto value = FmtpParameter(fmtp, "packetization-mode");
  if (!value) return 0;
  if (value->empty() || value->size() > 3) return std::nullopt;
  unsigned mode = 0;
  for (char c : *value) {
    if (c < '0' || c > '9') return std::nullopt;
    mode = mode * 10 + static_cast<unsigned>(c - '0');
  }
  return mode;
}

}  // namespace

std::optional<H264ProfileLevelId> ParseH264ProfileLevelId(std::string_view hex6) {
  if (hex6.size() != 6) return std::nullopt;
  uint8_t bytes[3];
  for (size_t i = 0; i < 3; ++i) {
    auto high = HexDigit(hex6[2 * i]);
    auto low = HexDigit(hex6[2 * i + 1]);
    if (!high || !low) return std::nullopt;
    bytes[i] = static_cast<uint8_t>((*high << 4) | *low);
  }
  uint8_t profile_idc = bytes[0];
  uint8_t iop = bytes[1];
  uint8_t level = bytes[2];
  if (!KnownLevel(level)) return std::nullopt;
  if (level == 11 && (iop & kConstraintSet3)) level = kH264Level1b;
  for (const ProfilePattern& p : kProfiles) {
    if (p.profile_idc == profile_idc && IopMatches(p.iop, iop)) {
      return H264ProfileLevelId{p.profile, level};
    }
  }
  return std::nullopt;
}

std::optional<std::string> FmtpParameter(std::string_view fmtp, std::string_view key) {
  key = Trim(key);
  if (key.empty()) return std::nullopt;
  while (true) {
    size_t semi = fmtp.find(';');
    std::string_view item = fmtp.substr(0, semi);
    size_t eq = item.find('=');
    if (eq != std::string_view::npos && EqualsIgnoreCase(Trim(item.substr(0, eq)), key)) {
      return std::string(Trim(item.substr(eq + 1)));
    }
    if (semi == std::string_view::npos) return std::nullopt;
    fmtp.remove_prefix(semi + 1);
  }
}

bool H264SameProfile(std::string_view fmtp_a, std::string_view fmtp_b) {
  auto a = ProfileOf(fmtp_a);
  auto b = ProfileOf(fmtp_b);
  return a && b && a->profile == b->profile;
}

bool H264SamePacketizationMode(std::string_view fmtp_a, std::string_view fmtp_b) {
  auto a = PacketizationModeOf(fmtp_a);
  auto b = PacketizationModeOf(fmtp_b);
  return a && b && *a == *b;
}

}  // namespace sfu::codecs
