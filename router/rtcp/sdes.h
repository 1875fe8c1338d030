#pragma once
// Source description (RFC 3550 section 6.5). Only the CNAME of each chunk is kept (the
// first, if several); the other items are checked for well-formedness and skipped.

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "absl/container/inlined_vector.h"
#include "router/rtcp/rtcp_header.h"

namespace sfu::rtcp {

inline constexpr uint8_t kSdesEnd = 0;    // Null item: ends a chunk's item list.
inline constexpr uint8_t kSdesCname = 1;  // RFC 3550 section 6.5.1.

struct Sdes {
  struct Chunk {
    uint32_t ssrc = 0;
    std::string cname;  // Empty if the chunk has none. At most 255 bytes.
    bool operator==(const Chunk&) const = default;
  };
  absl::InlinedVector<Chunk, 2> chunks;  // At most 31.

  static std::optional<Sdes> Parse(std::span<const uint8_t> packet);
  // Each chunk is written with its CNAME item (if not empty) and null padding to 32 bits.
  size_t size() const;
  // Returns the size, or 0 if it does not fit, has over 31 chunks or a CNAME over 255 bytes.
  size_t Write(std::span<uint8_t> out) const;
  bool operator==(const Sdes&) const = default;
};

}  // namespace sfu::rtcp
