#include "base/byte_reader.h"

namespace sfu {

std::optional<uint64_t> ByteReader::ReadBigEndian(size_t n) {
  if (remaining() < n) return std::nullopt;
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v = (v << 8) | data_[pos_ + i];
  pos_ += n;
  return v;
}

std::optional<uint8_t> ByteReader::ReadU8() {
  auto v = ReadBigEndian(1);
  if (!v) return std::nullopt;
  return static_cast<uint8_t>(*v);
}

std::optional<uint16_t> ByteReader::ReadU16() {
  auto v = ReadBigEndian(2);
  if (!v) return std::nullopt;
  return static_cast<uint16_t>(*v);
}

std::optional<uint32_t> ByteReader::ReadU24() {
  auto v = ReadBigEndian(3);
  if (!v) return std::nullopt;
  return static_cast<uint32_t>(*v);
}

std::optional<uint32_t> ByteReader::ReadU32() {
  auto v = ReadBigEndian(4);
  if (!v) return std::nullopt;
  return static_cast<uint32_t>(*v);
}

std::optional<uint64_t> ByteReader::ReadU64() { return ReadBigEndian(8); }

std::optional<std::span<const uint8_t>> ByteReader::ReadBytes(size_t n) {
  if (remaining() < n) return std::nullopt;
  auto out = data_.subspan(pos_, n);
  pos_ += n;
  return out;
}

bool ByteReader::Skip(size_t n) {
  if (remaining() < n) return false;
  pos_ += n;
  return true;
}

std::optional<uint8_t> ByteReader::PeekU8() const {
  if (remaining() < 1) return std::nullopt;
  return data_[pos_];
}

}  // namespace sfu
