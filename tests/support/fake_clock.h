#pragma once
// A Clock that moves only when a test says so.

#include "base/clock.h"

namespace sfu::testing {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(Timestamp start = Timestamp::Millis(1000)) : now_(start) {}
  Timestamp Now() const override { return now_; }
  int64_t WallMicros() const override { return wall_offset_us_ + now_.us(); }
  void Advance(TimeDelta d) { now_ += d; }

 private:
  Timestamp now_;
  int64_t wall_offset_us_ = 1'700'000'000'000'000;
};

}  // namespace sfu::testing
