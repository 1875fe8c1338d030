#pragma once
// Trace events (mediasoup's enableTraceEvent): per-packet and per-feedback events a
// producer, consumer or endpoint reports through Router::Observer when its trace mask
// asks for them. A mask of 0 costs one branch per packet and nothing else; events are
// plain values built on the stack (no allocation).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "base/units.h"

namespace sfu {

struct TraceEvent {
  enum class Type : uint8_t { kRtp, kKeyFrame, kNack, kPli, kFir, kBwe };

  Type type = Type::kRtp;
  // Sent by us (to the publisher or the subscriber) rather than received from it.
  bool outgoing = false;
  Timestamp at;
  // rtp/keyframe: the packet's SSRC as it travels (a consumer's RTX SSRC for an RTX
  // retransmission; a producer's media SSRC, RTX already unwrapped). nack/pli/fir: the
  // media SSRC the feedback is about. bwe: the SSRC of the REMB's sender.
  uint32_t ssrc = 0;
  // rtp/keyframe: the packet's header as it travels.
  uint16_t seq = 0;
  uint32_t timestamp = 0;
  uint8_t payload_type = 0;
  bool marker = false;
  // rtp/keyframe: producer: arrived over RTX; consumer: sent as a retransmission (RTX or
  // plain) in answer to a NACK.
  bool retransmission = false;
  size_t size = 0;      // rtp/keyframe: the packet's size in bytes.
  size_t encoding = 0;  // rtp/keyframe/nack/pli/fir: the producer's encoding (stream).
  uint32_t count = 0;   // nack: how many sequence numbers; bwe: how many SSRCs the REMB lists.
  uint32_t bitrate = 0; // bwe: bits per second (saturated at 2^32-1).
};

// The mask bit of a type (SetTraceTypes takes an OR of these).
constexpr uint8_t TraceBit(TraceEvent::Type type) {
  return static_cast<uint8_t>(1u << static_cast<unsigned>(type));
}
inline constexpr uint8_t kAllTraceTypes = 0x3F;

// "rtp", "keyframe", "nack", "pli", "fir", "bwe" (mediasoup's names).
std::string_view TraceTypeName(TraceEvent::Type type);
// The inverse of TraceTypeName; nullopt for an unknown name.
std::optional<TraceEvent::Type> TraceTypeFromName(std::string_view name);

}  // namespace sfu
