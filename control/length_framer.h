#pragma once
// Framing of the stdio control channel: each message is preceded by its length as a
// 4-byte big-endian integer. The decoder takes bytes as they arrive, in pieces of any
// size, and reports whole messages. A frame longer than the limit is reported once and
// its payload skipped as it streams by, so the channel stays in sync and usable.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "absl/functional/function_ref.h"

namespace sfu::control {

inline constexpr size_t kFrameHeaderSize = 4;

class LengthPrefixDecoder {
 public:
  explicit LengthPrefixDecoder(size_t max_message) : max_message_(max_message) {}

  // Consumes `data`; calls on_message for each complete frame and on_oversized (with the
  // declared length) for each frame over the limit.
  void Feed(std::span<const uint8_t> data, absl::FunctionRef<void(std::string_view)> on_message,
            absl::FunctionRef<void(size_t)> on_oversized);

  // Bytes of an incomplete frame held back (header or payload).
  size_t buffered() const { return header_len_ + payload_.size(); }

 private:
  size_t max_message_;
  uint8_t header_[kFrameHeaderSize] = {};
  size_t header_len_ = 0;
  bool in_payload_ = false;
  size_t expected_ = 0;     // Payload length of the frame being read.
  size_t to_skip_ = 0;      // Bytes of an oversized payload still to drop.
  std::string payload_;
};

// Returns `message` with its 4-byte length prefix. The caller keeps messages under 4 GiB.
std::string EncodeLengthPrefixed(std::string_view message);

}  // namespace sfu::control
