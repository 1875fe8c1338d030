#pragma once
// NTP timestamps (RFC 3550 section 4) from the router's clock, and the small helpers of
// RTCP timing: compact NTP (the middle 32 bits, in 1/65536 s) and RTT from a report
// block's LSR/DLSR (RFC 3550 section 6.4.1).

#include <cstdint>
#include <optional>

#include "base/units.h"

namespace sfu {

// Seconds between the NTP epoch (1900) and the Unix epoch (1970).
inline constexpr uint64_t kNtpUnixOffsetSeconds = 2'208'988'800ull;

// The NTP time (32.32 fixed point) of a wall-clock time in microseconds since 1970.
inline uint64_t NtpFromUnixMicros(int64_t unix_us) {
  uint64_t us = static_cast<uint64_t>(unix_us < 0 ? 0 : unix_us);
  uint64_t seconds = us / 1'000'000 + kNtpUnixOffsetSeconds;
  uint64_t fraction = ((us % 1'000'000) << 32) / 1'000'000;
  return (seconds << 32) | fraction;
}

inline uint32_t CompactNtp(uint64_t ntp) { return static_cast<uint32_t>(ntp >> 16); }

// Round-trip time from a report block: arrival (compact NTP) - LSR - DLSR. Nullopt when
// the peer has not seen a sender report yet (LSR 0) or the result is not plausible.
inline std::optional<TimeDelta> RttFromReport(uint32_t compact_now, uint32_t last_sr,
                                              uint32_t delay_since_last_sr) {
  if (last_sr == 0) return std::nullopt;
  uint32_t rtt = compact_now - last_sr - delay_since_last_sr;
  if (rtt > (60u << 16)) return std::nullopt;  // Negative (wrapped) or over a minute.
  return TimeDelta::Micros(static_cast<int64_t>((uint64_t{rtt} * 1'000'000) >> 16));
}

// The time base a router works in: monotonic microseconds, plus the offset that turns
// them into wall-clock time for NTP timestamps.
struct MediaClock {
  int64_t unix_minus_monotonic_us = 0;
  uint64_t Ntp(Timestamp now) const { return NtpFromUnixMicros(now.us() + unix_minus_monotonic_us); }
};

// RTP timestamp ticks in `d` at `clock_rate`.
inline int64_t RtpTicks(TimeDelta d, int clock_rate) { return d.us() * clock_rate / 1'000'000; }

}  // namespace sfu
