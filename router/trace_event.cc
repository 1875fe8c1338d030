#include "router/trace_event.h"

namespace sfu {

std::string_view TraceTypeName(TraceEvent::Type type) {
  switch (type) {
    case TraceEvent::Type::kRtp: return "rtp";
    case TraceEvent::Type::kKeyFrame: return "keyframe";
    case TraceEvent::Type::kNack: return "nack";
    case TraceEvent::Type::kPli: return "pli";
    case TraceEvent::Type::kFir: return "fir";
    case TraceEvent::Type::kBwe: return "bwe";
  }
  return "unknown";
}

std::optional<TraceEvent::Type> TraceTypeFromName(std::string_view name) {
  for (uint8_t i = 0; i <= static_cast<uint8_t>(TraceEvent::Type::kBwe); ++i) {
    auto type = static_cast<TraceEvent::Type>(i);
    if (TraceTypeName(type) == name) return type;
  }
  return std::nullopt;
}

}  // namespace sfu
