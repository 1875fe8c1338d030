#include "router/rtp/rtp_packet.h"

#include <algorithm>
#include <cstring>

#include "base/byte_reader.h"
#include "base/byte_writer.h"

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

// Parse guarantees the 12-byte fixed header.
uint32_t RtpPacket::timestamp() const {
  return (uint32_t{data_[4]} << 24) | (uint32_t{data_[5]} << 16) | (uint32_t{data_[6]} << 8) | data_[7];
}
uint32_t RtpPacket::ssrc() const {
  return (uint32_t{data_[8]} << 24) | (uint32_t{data_[9]} << 16) | (uint32_t{data_[10]} << 8) | data_[11];
}

namespace {

// Visits the elements of an extension block; fn returns false to stop. Returns false if
// the block is malformed.
template <typename Fn>
bool Visit(std::span<const uint8_t> block, uint16_t profile, Fn&& fn) {
  bool one_byte = profile == 0xBEDE;
  bool two_byte = (profile & 0xFFF0) == 0x1000;
  if (!one_byte && !two_byte) return true;  // Unknown profile: no elements we can read.
  ByteReader r(block);
  while (!r.empty()) {
    size_t at = r.position();
    uint8_t b = *r.ReadU8();
    if (b == 0) continue;  // Padding.
    int ext_id;
    size_t len;
    if (one_byte) {
      ext_id = b >> 4;
      len = size_t{b & 0x0Fu} + 1;
      if (ext_id == 15) return true;  // Reserved: stop (RFC 8285 section 4.2).
    } else {
      auto l = r.ReadU8();
      if (!l) return false;
      ext_id = b;
      len = *l;
    }
    auto value = r.ReadBytes(len);
    if (!value) return false;
    if (!fn(ext_id, *value, at)) return true;
  }
  return true;
}

}  // namespace

std::optional<std::span<const uint8_t>> RtpPacket::Extension(int id) const {
  if (ext_end_ == 0) return std::nullopt;
  std::optional<std::span<const uint8_t>> found;
  Visit(data_.subspan(ext_begin_, ext_end_ - ext_begin_), ext_profile_,
        [&](int ext_id, std::span<const uint8_t> value, size_t) {
          if (ext_id != id) return true;
          found = value;
          return false;
        });
  return found;
}

bool RtpPacket::ForEachExtension(const std::function<void(int, std::span<const uint8_t>)>& fn) const {
  if (ext_end_ == 0) return true;
  return Visit(data_.subspan(ext_begin_, ext_end_ - ext_begin_), ext_profile_,
               [&](int id, std::span<const uint8_t> value, size_t) {
                 fn(id, value);
                 return true;
               });
}

void SetMarker(std::span<uint8_t> packet, bool marker) {
  packet[1] = static_cast<uint8_t>((packet[1] & 0x7F) | (marker ? 0x80 : 0));
}
void SetPayloadType(std::span<uint8_t> packet, uint8_t payload_type) {
  packet[1] = static_cast<uint8_t>((packet[1] & 0x80) | (payload_type & 0x7F));
}
void SetSequence(std::span<uint8_t> packet, uint16_t seq) {
  packet[2] = static_cast<uint8_t>(seq >> 8);
  packet[3] = static_cast<uint8_t>(seq);
}
void SetTimestamp(std::span<uint8_t> packet, uint32_t timestamp) { StoreU32BigEndian(timestamp, &packet[4]); }
void SetSsrc(std::span<uint8_t> packet, uint32_t ssrc) { StoreU32BigEndian(ssrc, &packet[8]); }

bool RewriteExtensionIds(std::span<uint8_t> packet, const std::array<uint8_t, 256>& id_map) {
  auto p = RtpPacket::Parse(packet);
  if (!p || p->ext_end_ == 0) return p.has_value();
  bool one_byte = p->ext_profile_ == 0xBEDE;
  std::span<uint8_t> block = packet.subspan(p->ext_begin_, p->ext_end_ - p->ext_begin_);
  // Validate first, so a malformed block is left as it was.
  if (!Visit(block, p->ext_profile_, [](int, std::span<const uint8_t>, size_t) { return true; })) return false;
  Visit(block, p->ext_profile_, [&](int id, std::span<const uint8_t> value, size_t at) {
    uint8_t to = id_map[static_cast<size_t>(id)];
    if (one_byte && to > 14) to = 0;
    size_t header = one_byte ? 1 : 2;
    if (to == 0) {
      std::fill_n(block.begin() + static_cast<std::ptrdiff_t>(at), header + value.size(), uint8_t{0});
    } else if (one_byte) {
      block[at] = static_cast<uint8_t>((to << 4) | (block[at] & 0x0F));
    } else {
      block[at] = to;
    }
    return true;
  });
  return true;
}

std::optional<std::span<uint8_t>> UnwrapRtx(std::span<uint8_t> packet, uint32_t ssrc, uint8_t payload_type) {
  auto p = RtpPacket::Parse(packet);
  if (!p || p->payload().size() < 2) return std::nullopt;
  size_t header = p->header_size();
  uint16_t osn = static_cast<uint16_t>((packet[header] << 8) | packet[header + 1]);
  std::copy_backward(packet.begin(), packet.begin() + static_cast<std::ptrdiff_t>(header),
                     packet.begin() + static_cast<std::ptrdiff_t>(header + 2));
  std::span<uint8_t> out = packet.subspan(2);
  SetSequence(out, osn);
  SetSsrc(out, ssrc);
  SetPayloadType(out, payload_type);
  return out;
}

size_t WriteRewritten(std::span<uint8_t> out, const RtpPacket& in, const HeaderRewrite& h,
                      const ExtensionRewrite& ext, std::span<const uint8_t> prefix) {
  // The hot path of forwarding (once per packet and consumer): collect the outgoing
  // extension elements, check the whole size against `out` once, then store directly.
  struct Element {
    uint8_t id;
    uint8_t size;
    const uint8_t* value;
  };
  Element elements[32];  // Only the first `count` are written and read.
  size_t count = 0;
  bool two_byte = false;
  auto add = [&](uint8_t id, std::span<const uint8_t> value) {
    if (id == 0 || count == std::size(elements) || value.size() > 255) return;
    if (id > 14 || value.empty() || value.size() > 16) two_byte = true;
    elements[count++] = {id, static_cast<uint8_t>(value.size()), value.data()};
  };
  uint8_t abs_send_time[3] = {static_cast<uint8_t>(ext.abs_send_time >> 16),
                              static_cast<uint8_t>(ext.abs_send_time >> 8),
                              static_cast<uint8_t>(ext.abs_send_time)};
  if (ext.mid_id != 0 && !ext.mid.empty()) {
    add(ext.mid_id, {reinterpret_cast<const uint8_t*>(ext.mid.data()), ext.mid.size()});
  }
  if (ext.abs_send_time_id != 0) add(ext.abs_send_time_id, abs_send_time);
  if (in.ext_end_ != 0) {
    Visit(in.data_.subspan(in.ext_begin_, in.ext_end_ - in.ext_begin_), in.ext_profile_,
          [&](int id, std::span<const uint8_t> value, size_t) {
            uint8_t to = ext.id_map[static_cast<size_t>(id)];
            if (to != ext.mid_id && to != ext.abs_send_time_id) add(to, value);
            return true;
          });
  }
  size_t body = 0;
  for (size_t i = 0; i < count; ++i) body += (two_byte ? 2u : 1u) + elements[i].size;
  size_t words = (body + 3) / 4;
  std::span<const uint8_t> csrcs = in.csrcs();
  std::span<const uint8_t> payload = in.payload();
  size_t total = 12 + csrcs.size() + (count ? 4 + 4 * words : 0) + prefix.size() + payload.size();
  if (total > out.size()) return 0;

  uint8_t* p = out.data();
  p[0] = static_cast<uint8_t>(0x80 | (count ? 0x10 : 0) | (csrcs.size() / 4));
  p[1] = static_cast<uint8_t>((in.data_[1] & 0x80) | (h.payload_type & 0x7F));
  p[2] = static_cast<uint8_t>(h.sequence >> 8);
  p[3] = static_cast<uint8_t>(h.sequence);
  StoreU32BigEndian(h.timestamp, p + 4);
  StoreU32BigEndian(h.ssrc, p + 8);
  p += 12;
  if (!csrcs.empty()) {
    std::memcpy(p, csrcs.data(), csrcs.size());
    p += csrcs.size();
  }
  if (count) {
    p[0] = two_byte ? 0x10 : 0xBE;
    p[1] = two_byte ? 0x00 : 0xDE;
    p[2] = static_cast<uint8_t>(words >> 8);
    p[3] = static_cast<uint8_t>(words);
    p += 4;
    uint8_t* block = p;
    for (size_t i = 0; i < count; ++i) {
      const Element& e = elements[i];
      if (two_byte) {
        *p++ = e.id;
        *p++ = e.size;
      } else {
        *p++ = static_cast<uint8_t>((e.id << 4) | (e.size - 1));
      }
      std::memcpy(p, e.value, e.size);
      p += e.size;
    }
    std::memset(p, 0, words * 4 - body);
    p = block + words * 4;
  }
  if (!prefix.empty()) {
    std::memcpy(p, prefix.data(), prefix.size());
    p += prefix.size();
  }
  std::memcpy(p, payload.data(), payload.size());
  return total;
}

uint32_t AbsSendTime(int64_t micros) {
  // Seconds << 18, over 24 bits. Only the time modulo 64 s counts: reduce first, since
  // shifting the full value overflows beyond 2^45 us (about 400 days of clock).
  constexpr int64_t kWrap = 64'000'000;
  int64_t us = (micros % kWrap + kWrap) % kWrap;
  return static_cast<uint32_t>(((us << 18) / 1'000'000) & 0x00FFFFFF);
}

}  // namespace sfu::rtp
