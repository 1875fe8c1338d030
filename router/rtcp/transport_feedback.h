#pragma once
// Transport-wide congestion control feedback (RTPFB FMT 15,
// draft-holmer-rmcat-transport-wide-cc-extensions-01 section 3.1).

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "router/rtcp/rtcp_header.h"

namespace sfu::rtcp {

inline constexpr uint8_t kTransportFeedbackFormat = 15;

struct TransportFeedback {
  static constexpr int64_t kDeltaUnitUs = 250;             // Receive delta unit.
  static constexpr int64_t kReferenceTimeUnitUs = 64'000;  // Reference time unit.

  struct Packet {
    uint16_t seq = 0;
    bool received = false;
    // Arrival time minus that of the previous received packet (of the reference time for
    // the first), a multiple of 250 us. 0 if not received.
    int64_t delta_us = 0;
    bool operator==(const Packet&) const = default;
  };

  uint32_t sender_ssrc = 0;
  uint32_t media_ssrc = 0;
  uint16_t base_seq = 0;
  int32_t reference_time = 0;  // 24-bit signed, in units of 64 ms.
  uint8_t feedback_count = 0;
  // One per sequence number from base_seq on (the packet status count), 1 to 0xFFFF.
  std::vector<Packet> packets;

  static std::optional<TransportFeedback> Parse(std::span<const uint8_t> packet);
  // The size Write produces, or 0 if the feedback cannot be written: no packets or over
  // 0xFFFF, sequence numbers not consecutive from base_seq, a delta not a multiple of
  // 250 us or outside the 16-bit signed range, a lost packet with a delta, or a reference
  // time outside 24 bits.
  size_t size() const;
  // Status chunks are run-length where a run is long, otherwise status vectors; deltas
  // take 1 byte when in [0, 63.75] ms. Returns the size, or 0 (see size()).
  size_t Write(std::span<uint8_t> out) const;
  bool operator==(const TransportFeedback&) const = default;
};

// Builds the feedback from arrival times. Times are in microseconds on the receiver's
// clock; they are clamped to +-2^61.
class TransportFeedbackBuilder {
 public:
  // The packet carries `reference_time_us` rounded down to 64 ms, wrapped to 24 bits.
  TransportFeedbackBuilder(uint32_t sender_ssrc, uint32_t media_ssrc, uint16_t base_seq,
                           int64_t reference_time_us, uint8_t feedback_count);

  // Adds a packet received at `arrival_time_us` (rounded down to 250 us); the sequence
  // numbers skipped since the previous one are reported lost. Returns false and adds
  // nothing if `seq` is not after the previous packet and less than 0x8000 past base_seq,
  // or its delta does not fit 16 bits. After a false return the feedback is closed: it
  // ends before that packet, and every later call returns false.
  bool AddReceivedPacket(uint16_t seq, int64_t arrival_time_us);

  size_t received_count() const { return received_count_; }
  const TransportFeedback& feedback() const { return feedback_; }

 private:
  TransportFeedback feedback_;
  int64_t reference_us_ = 0;  // The reference time as carried, unwrapped.
  int64_t last_ticks_ = 0;    // Last arrival in 250 us units since reference_us_.
  size_t received_count_ = 0;
  bool closed_ = false;
};

}  // namespace sfu::rtcp
