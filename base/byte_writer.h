#pragma once
// Bounds-checked big-endian writer into a caller-owned buffer. A write that does not fit
// fails, leaves the buffer untouched and marks the writer as overflowed, so a sequence of
// writes can be checked once at the end.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace sfu {

class ByteWriter {
 public:
  explicit ByteWriter(std::span<uint8_t> buffer) : buf_(buffer) {}

  size_t size() const { return pos_; }
  size_t remaining() const { return buf_.size() - pos_; }
  bool ok() const { return !overflow_; }
  std::span<const uint8_t> Written() const { return buf_.first(pos_); }

  bool WriteU8(uint8_t v) { return WriteBigEndian(v, 1); }
  bool WriteU16(uint16_t v) { return WriteBigEndian(v, 2); }
  bool WriteU24(uint32_t v) { return WriteBigEndian(v, 3); }
  bool WriteU32(uint32_t v) { return WriteBigEndian(v, 4); }
  bool WriteU64(uint64_t v) { return WriteBigEndian(v, 8); }
  bool WriteBytes(std::span<const uint8_t> bytes);
  bool WriteString(std::string_view s);
  bool Fill(uint8_t value, size_t n);

 private:
  bool WriteBigEndian(uint64_t v, size_t n);

  std::span<uint8_t> buf_;
  size_t pos_ = 0;
  bool overflow_ = false;
};

// Writes v big-endian into exactly 4 bytes at out (for fixed headers).
inline void StoreU32BigEndian(uint32_t v, uint8_t out[4]) {
  out[0] = static_cast<uint8_t>(v >> 24);
  out[1] = static_cast<uint8_t>(v >> 16);
  out[2] = static_cast<uint8_t>(v >> 8);
  out[3] = static_cast<uint8_t>(v);
}

}  // namespace sfu
