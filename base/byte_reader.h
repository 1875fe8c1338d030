#pragma once
// Bounds-checked big-endian reader over untrusted bytes. Every read either succeeds
// completely or fails without moving the cursor; nothing here can read past the span.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace sfu {

class ByteReader {
 public:
  explicit ByteReader(std::span<const uint8_t> data) : data_(data) {}
  explicit ByteReader(std::string_view data)
      : data_(reinterpret_cast<const uint8_t*>(data.data()), data.size()) {}

  size_t remaining() const { return data_.size() - pos_; }
  size_t position() const { return pos_; }
  bool empty() const { return remaining() == 0; }

  std::optional<uint8_t> ReadU8();
  std::optional<uint16_t> ReadU16();
  std::optional<uint32_t> ReadU24();
  std::optional<uint32_t> ReadU32();
  std::optional<uint64_t> ReadU64();
  // The next n bytes as a view into the underlying buffer.
  std::optional<std::span<const uint8_t>> ReadBytes(size_t n);
  bool Skip(size_t n);

  // Looks without consuming.
  std::optional<uint8_t> PeekU8() const;
  std::span<const uint8_t> Rest() const { return data_.subspan(pos_); }

 private:
  std::optional<uint64_t> ReadBigEndian(size_t n);

  std::span<const uint8_t> data_;
  size_t pos_ = 0;
};

}  // namespace sfu
