#pragma once
// Goodbye (RFC 3550 section 6.6): the sources leaving, and an optional reason.

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "absl/container/inlined_vector.h"
#include "router/rtcp/rtcp_header.h"

namespace sfu::rtcp {

struct Bye {
  absl::InlinedVector<uint32_t, 2> ssrcs;  // At most 31.
  std::string reason;                      // Empty if absent. At most 255 bytes.

  static std::optional<Bye> Parse(std::span<const uint8_t> packet);
  size_t size() const;
  // Returns the size, or 0 if it does not fit, has over 31 SSRCs or a reason over 255 bytes.
  size_t Write(std::span<uint8_t> out) const;
  bool operator==(const Bye&) const = default;
};

}  // namespace sfu::rtcp
