#pragma once
// Feedback messages (RFC 4585 section 6): generic NACK (RTPFB 1), PLI (PSFB 1),
// FIR (PSFB 4, RFC 5104 section 4.3.1) and REMB (PSFB 15, draft-alvestrand-rmcat-remb).

#include <cstdint>
#include <optional>
#include <span>

#include "absl/container/inlined_vector.h"
#include "router/rtcp/rtcp_header.h"

namespace sfu::rtcp {

inline constexpr uint8_t kNackFormat = 1;
inline constexpr uint8_t kPliFormat = 1;
inline constexpr uint8_t kFirFormat = 4;
inline constexpr uint8_t kAfbFormat = 15;  // Application layer feedback: REMB.

struct Nack {
  uint32_t sender_ssrc = 0;
  uint32_t media_ssrc = 0;
  // Lost sequence numbers, in the order the packet lists them.
  absl::InlinedVector<uint16_t, 16> sequence_numbers;

  static std::optional<Nack> Parse(std::span<const uint8_t> packet);
  // Packs the sequence numbers into PID/BLP pairs; returns the size or 0.
  size_t Write(std::span<uint8_t> out) const;
};

struct Pli {
  uint32_t sender_ssrc = 0;
  uint32_t media_ssrc = 0;
  static std::optional<Pli> Parse(std::span<const uint8_t> packet);
  size_t Write(std::span<uint8_t> out) const;
};

struct Fir {
  struct Entry {
    uint32_t ssrc = 0;
    uint8_t sequence = 0;
  };
  uint32_t sender_ssrc = 0;
  absl::InlinedVector<Entry, 2> entries;
  static std::optional<Fir> Parse(std::span<const uint8_t> packet);
  size_t Write(std::span<uint8_t> out) const;
};

struct Remb {
  uint32_t sender_ssrc = 0;
  uint64_t bitrate_bps = 0;
  absl::InlinedVector<uint32_t, 4> ssrcs;  // At most 255.
  static std::optional<Remb> Parse(std::span<const uint8_t> packet);
  size_t size() const { return kHeaderSize + 16 + 4 * ssrcs.size(); }
  // The bitrate goes as an 18-bit mantissa and a 6-bit exponent, rounded down (a cap
  // written is never above the one given). Returns the size, or 0 if it does not fit or
  // lists over 255 SSRCs.
  size_t Write(std::span<uint8_t> out) const;
};

}  // namespace sfu::rtcp
