#pragma once
// A bounds-checked view over an RTP packet (RFC 3550 section 5.1) with its header
// extensions (RFC 8285, one- and two-byte forms). The view does not own the bytes.

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string_view>

namespace sfu::rtp {

struct HeaderRewrite;
struct ExtensionRewrite;

class RtpPacket {
 public:
  // nullopt unless version 2 with CSRCs, extension and padding inside the packet.
  static std::optional<RtpPacket> Parse(std::span<const uint8_t> data);

  bool marker() const { return (data_[1] & 0x80) != 0; }
  uint8_t payload_type() const { return data_[1] & 0x7F; }
  uint16_t sequence() const { return static_cast<uint16_t>((data_[2] << 8) | data_[3]); }
  uint32_t timestamp() const;
  uint32_t ssrc() const;
  size_t header_size() const { return header_size_; }
  size_t padding_size() const { return padding_; }
  std::span<const uint8_t> payload() const {
    return data_.subspan(header_size_, data_.size() - header_size_ - padding_);
  }
  size_t size() const { return data_.size(); }

  std::span<const uint8_t> data() const { return data_; }
  std::span<const uint8_t> csrcs() const { return data_.subspan(12, 4 * size_t{data_[0] & 0x0Fu}); }

  // The value of extension `id` (1-14 one-byte, 1-255 two-byte), if present.
  std::optional<std::span<const uint8_t>> Extension(int id) const;
  // Calls fn(id, value) for each extension element, in order; false if the block is
  // malformed (elements before the fault were still visited).
  bool ForEachExtension(const std::function<void(int, std::span<const uint8_t>)>& fn) const;

 private:
  friend bool RewriteExtensionIds(std::span<uint8_t>, const std::array<uint8_t, 256>&);
  friend size_t WriteRewritten(std::span<uint8_t>, const RtpPacket&, const HeaderRewrite&,
                               const ExtensionRewrite&, std::span<const uint8_t>);
  std::span<const uint8_t> data_;
  size_t header_size_ = 0;
  size_t padding_ = 0;
  size_t ext_begin_ = 0;  // Offset of the extension elements.
  size_t ext_end_ = 0;
  uint16_t ext_profile_ = 0;
};

// In-place rewriting of the fixed header of a packet that RtpPacket::Parse accepted.
void SetMarker(std::span<uint8_t> packet, bool marker);
void SetPayloadType(std::span<uint8_t> packet, uint8_t payload_type);
void SetSequence(std::span<uint8_t> packet, uint16_t seq);
void SetTimestamp(std::span<uint8_t> packet, uint32_t timestamp);
void SetSsrc(std::span<uint8_t> packet, uint32_t ssrc);

// Rewrites the ids of the extension elements in place through `id_map` (old id -> new
// id); elements that map to 0 become padding. Ids above 14 are dropped in the one-byte
// form. Returns false (packet unchanged) if the block is malformed.
bool RewriteExtensionIds(std::span<uint8_t> packet, const std::array<uint8_t, 256>& id_map);

// Turns an RTX packet (RFC 4588 section 4: the original sequence number in the first two
// payload bytes) back into the original in place: the header moves two bytes up over
// the OSN. Returns the view of the unwrapped packet (a subspan of `packet`), or nullopt if
// the payload is shorter than the OSN (e.g. padding-only probes).
std::optional<std::span<uint8_t>> UnwrapRtx(std::span<uint8_t> packet, uint32_t ssrc, uint8_t payload_type);

// The header of a packet as the router forwards it: fields replaced, extensions rebuilt.
struct HeaderRewrite {
  uint8_t payload_type = 0;
  uint16_t sequence = 0;
  uint32_t timestamp = 0;
  uint32_t ssrc = 0;
};

struct ExtensionRewrite {
  std::array<uint8_t, 256> id_map{};  // Incoming id -> outgoing id; 0 drops the element.
  uint8_t mid_id = 0;                 // Writes this MID value (RFC 8843) when non-zero.
  std::string_view mid;
  uint8_t abs_send_time_id = 0;       // Writes abs-send-time (6.18 fixed point, 24 bits).
  uint32_t abs_send_time = 0;
};

// Writes `in` rewritten into `out`: the fixed header with `h`, the CSRCs, an extension
// block rebuilt through `ext` (one-byte form when every element fits it), then `prefix`
// (the OSN of an RTX packet) and the payload, without padding. Returns the size, or 0 if
// it does not fit.
size_t WriteRewritten(std::span<uint8_t> out, const RtpPacket& in, const HeaderRewrite& h,
                      const ExtensionRewrite& ext, std::span<const uint8_t> prefix = {});

// abs-send-time (http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time): seconds in
// 6.18 fixed point, wrapping every 64 s.
uint32_t AbsSendTime(int64_t micros);

}  // namespace sfu::rtp
