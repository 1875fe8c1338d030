#pragma once
// A bounds-checked view over an RTP packet (RFC 3550 section 5.1) with its header
// extensions (RFC 8285, one- and two-byte forms). The view does not own the bytes.

#include <cstdint>
#include <optional>
#include <span>

namespace sfu::rtp {

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

  // The value of extension `id` (1-14 one-byte, 1-255 two-byte), if present.
  std::optional<std::span<const uint8_t>> Extension(int id) const;

 private:
  std::span<const uint8_t> data_;
  size_t header_size_ = 0;
  size_t padding_ = 0;
  size_t ext_begin_ = 0;  // Offset of the extension elements.
  size_t ext_end_ = 0;
  uint16_t ext_profile_ = 0;
};

}  // namespace sfu::rtp
