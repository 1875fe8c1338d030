#include "router/rtcp/rtcp_header.h"

namespace sfu::rtcp {

std::optional<Header> ParseHeader(std::span<const uint8_t> data) {
  ByteReader r(data);
  auto b0 = r.ReadU8();
  auto type = r.ReadU8();
  auto length = r.ReadU16();
  if (!b0 || !type || !length || (*b0 >> 6) != 2) return std::nullopt;
  Header h;
  h.count = *b0 & 0x1F;
  h.padding = (*b0 & 0x20) != 0;
  h.type = *type;
  h.size = (size_t{*length} + 1) * 4;
  if (h.size > data.size()) return std::nullopt;
  if (h.padding) {
    // The last byte counts the padding, which must leave the header intact.
    uint8_t pad = data[h.size - 1];
    if (pad == 0 || pad > h.size - kHeaderSize) return std::nullopt;
  }
  return h;
}

bool WriteHeader(ByteWriter& w, uint8_t count, uint8_t type, size_t size) {
  if (size < kHeaderSize || size % 4 != 0 || size / 4 - 1 > 0xFFFF || count > 31) return false;
  return w.WriteU8(static_cast<uint8_t>(0x80 | count)) && w.WriteU8(type) &&
         w.WriteU16(static_cast<uint16_t>(size / 4 - 1));
}

std::optional<std::pair<Header, std::span<const uint8_t>>> CompoundIterator::Next() {
  if (rest_.empty() || error_) return std::nullopt;
  auto h = ParseHeader(rest_);
  if (!h) {
    error_ = true;
    return std::nullopt;
  }
  auto packet = rest_.first(h->size);
  rest_ = rest_.subspan(h->size);
  return std::make_pair(*h, packet);
}

}  // namespace sfu::rtcp
