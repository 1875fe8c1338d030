#include "base/byte_writer.h"

#include <cstring>

namespace sfu {

bool ByteWriter::WriteBigEndian(uint64_t v, size_t n) {
  if (remaining() < n) {
    overflow_ = true;
    return false;
  }
  for (size_t i = 0; i < n; ++i) {
    buf_[pos_ + i] = static_cast<uint8_t>(v >> (8 * (n - 1 - i)));
  }
  pos_ += n;
  return true;
}

bool ByteWriter::WriteBytes(std::span<const uint8_t> bytes) {
  if (remaining() < bytes.size()) {
    overflow_ = true;
    return false;
  }
  if (!bytes.empty()) std::memcpy(buf_.data() + pos_, bytes.data(), bytes.size());
  pos_ += bytes.size();
  return true;
}

bool ByteWriter::WriteString(std::string_view s) {
  return WriteBytes({reinterpret_cast<const uint8_t*>(s.data()), s.size()});
}

bool ByteWriter::Fill(uint8_t value, size_t n) {
  if (remaining() < n) {
    overflow_ = true;
    return false;
  }
  if (n > 0) std::memset(buf_.data() + pos_, value, n);  // An empty buffer may be null.
  pos_ += n;
  return true;
}


}  // namespace sfu
