#include "base/clock.h"

#include <chrono>

namespace sfu {

Timestamp SystemClock::Now() const {
  auto d = std::chrono::steady_clock::now().time_since_epoch();
  return Timestamp::Micros(std::chrono::duration_cast<std::chrono::microseconds>(d).count());
}

int64_t SystemClock::WallMicros() const {
  auto d = std::chrono::system_clock::now().time_since_epoch();
  return std::chrono::duration_cast<std::chrono::microseconds>(d).count();
}

const SystemClock& SystemClock::Instance() {
  static const SystemClock clock;
  return clock;
}

}  // namespace sfu
