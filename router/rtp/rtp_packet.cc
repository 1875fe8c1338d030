#include "router/rtp/rtp_packet.h"

#include "base/byte_reader.h"

namespace sfu::rtp {

std::optional<RtpPacket> RtpPacket::Parse(std::span<const uint8_t> data) {
  if (data.size() < 12 || (data[0] >> 6) != 2) return std::nullopt;
  RtpPacket p;
  p.data_ = data;
  ByteReader r(data);
  r.Skip(12);
  if (!r.Skip(4 * size_t{data[0] & 0x0Fu})) return std::nullopt;
  if (data[0] & 0x10) {
    auto profile = r.ReadU16();
    auto words = r.ReadU16();
    if (!profile || !words) return std::nullopt;
    p.ext_profile_ = *profile;
    p.ext_begin_ = r.position();
    if (!r.Skip(4 * size_t{*words})) return std::nullopt;
    p.ext_end_ = r.position();
  }
  p.header_size_ = r.position();
  if (data[0] & 0x20) {
    size_t pad = data.back();
    if (pad == 0 || pad > r.remaining()) return std::nullopt;
    p.padding_ = pad;
  }
  return p;
}

uint32_t RtpPacket::timestamp() const { return *ByteReader(data_.subspan(4, 4)).ReadU32(); }
uint32_t RtpPacket::ssrc() const { return *ByteReader(data_.subspan(8, 4)).ReadU32(); }

std::optional<std::span<const uint8_t>> RtpPacket::Extension(int id) const {
  if (ext_end_ == 0) return std::nullopt;
  bool one_byte = ext_profile_ == 0xBEDE;
  bool two_byte = (ext_profile_ & 0xFFF0) == 0x1000;
  if (!one_byte && !two_byte) return std::nullopt;
  ByteReader r(data_.subspan(ext_begin_, ext_end_ - ext_begin_));
  while (!r.empty()) {
    uint8_t b = *r.ReadU8();
    if (b == 0) continue;  // Padding.
    int ext_id;
    size_t len;
    if (one_byte) {
      ext_id = b >> 4;
      len = size_t{b & 0x0Fu} + 1;
      if (ext_id == 15) return std::nullopt;  // Reserved: stop (RFC 8285 section 4.2).
    } else {
      auto l = r.ReadU8();
      if (!l) return std::nullopt;
      ext_id = b;
      len = *l;
    }
    auto value = r.ReadBytes(len);
    if (!value) return std::nullopt;
    if (ext_id == id) return *value;
  }
  return std::nullopt;
}

}  // namespace sfu::rtp
