#pragma once
// The RTCP common header (RFC 3550 section 6.4.1) and iteration over a compound packet
// (section 6.1). Every packet type has its own file; each parses from the packet's bytes
// (header included) and writes into a caller's buffer.

#include <cstdint>
#include <optional>
#include <span>

#include "base/byte_reader.h"
#include "base/byte_writer.h"

namespace sfu::rtcp {

// Packet types (RFC 3550, RFC 4585, RFC 3611).
inline constexpr uint8_t kSenderReport = 200;
inline constexpr uint8_t kReceiverReport = 201;
inline constexpr uint8_t kSdes = 202;
inline constexpr uint8_t kBye = 203;
inline constexpr uint8_t kApp = 204;
inline constexpr uint8_t kRtpFeedback = 205;  // RTPFB: generic NACK (1), transport-cc (15)
inline constexpr uint8_t kPayloadFeedback = 206;  // PSFB: PLI (1), FIR (4), REMB (15)
inline constexpr uint8_t kExtendedReport = 207;

inline constexpr size_t kHeaderSize = 4;

struct Header {
  uint8_t count = 0;  // RC, SC or FMT (5 bits).
  uint8_t type = 0;
  bool padding = false;
  size_t size = 0;  // Of the whole packet in bytes, header included: (length + 1) * 4.
};

// Reads the header at the start of `data`; nullopt if it is not version 2 or its length
// runs past `data`.
std::optional<Header> ParseHeader(std::span<const uint8_t> data);

// Writes a header for a packet of `size` bytes (a multiple of 4).
bool WriteHeader(ByteWriter& w, uint8_t count, uint8_t type, size_t size);

// Walks the packets of a compound RTCP packet. A malformed packet ends the walk and sets
// error(): what came before it is still usable.
class CompoundIterator {
 public:
  explicit CompoundIterator(std::span<const uint8_t> data) : rest_(data) {}
  // The next packet (its header and its bytes, header included), or nullopt at the end.
  std::optional<std::pair<Header, std::span<const uint8_t>>> Next();
  bool error() const { return error_; }

 private:
  std::span<const uint8_t> rest_;
  bool error_ = false;
};

}  // namespace sfu::rtcp
