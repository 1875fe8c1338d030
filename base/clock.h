#pragma once
// Time is injected: code takes a Clock (or a Timestamp argument), never reads a global
// clock, so tests drive it with a fake one.

#include <cstdint>

#include "base/units.h"

namespace sfu {

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic time.
  virtual Timestamp Now() const = 0;
  // Wall-clock time in microseconds since the Unix epoch (for NTP timestamps and logs).
  virtual int64_t WallMicros() const = 0;
};

// The process's real clocks (steady_clock and system_clock).
class SystemClock final : public Clock {
 public:
  Timestamp Now() const override;
  int64_t WallMicros() const override;
  static const SystemClock& Instance();
};

}  // namespace sfu
