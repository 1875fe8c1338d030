#pragma once
// Where the router's packets go: the transport that protects and sends them. Buffers
// passed in hold the packet in their first `len` bytes and have room for the SRTP trailer
// after it (kSendBufferSize in all); the transport may encrypt in place.

#include <cstddef>
#include <cstdint>
#include <span>

namespace sfu {

inline constexpr size_t kMaxRtpPacket = 1500;
inline constexpr size_t kSendBufferSize = kMaxRtpPacket + 64;

class PacketSink {
 public:
  virtual ~PacketSink() = default;
  // Where to write the next packet (at least kSendBufferSize bytes): the socket's send
  // queue, so the packet is copied once, there. Empty: the caller writes into its own.
  virtual std::span<uint8_t> SendBuffer() { return {}; }
  virtual void SendRtp(std::span<uint8_t> buffer, size_t len) = 0;
  virtual void SendRtcp(std::span<uint8_t> buffer, size_t len) = 0;
};

}  // namespace sfu
