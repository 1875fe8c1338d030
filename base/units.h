#pragma once
// Strong unit types after libwebrtc's (Timestamp, TimeDelta, DataRate): time and rate are
// passed as values, never as bare integers whose unit a reader has to guess.

#include <compare>
#include <cstdint>
#include <limits>

namespace sfu {

class TimeDelta {
 public:
  constexpr TimeDelta() = default;
  static constexpr TimeDelta Micros(int64_t us) { return TimeDelta(us); }
  static constexpr TimeDelta Millis(int64_t ms) { return TimeDelta(ms * 1000); }
  static constexpr TimeDelta Seconds(int64_t s) { return TimeDelta(s * 1000000); }
  static constexpr TimeDelta Zero() { return TimeDelta(0); }
  static constexpr TimeDelta PlusInfinity() {
    return TimeDelta(std::numeric_limits<int64_t>::max());
  }

  constexpr int64_t us() const { return us_; }
  constexpr int64_t ms() const { return us_ / 1000; }
  constexpr double seconds() const { return static_cast<double>(us_) / 1e6; }
  constexpr bool IsZero() const { return us_ == 0; }
  constexpr bool IsInfinite() const { return us_ == std::numeric_limits<int64_t>::max(); }

  constexpr TimeDelta operator+(TimeDelta o) const { return TimeDelta(us_ + o.us_); }
  constexpr TimeDelta operator-(TimeDelta o) const { return TimeDelta(us_ - o.us_); }
  constexpr TimeDelta operator*(int64_t k) const { return TimeDelta(us_ * k); }
  constexpr TimeDelta operator/(int64_t k) const { return TimeDelta(us_ / k); }
  constexpr TimeDelta& operator+=(TimeDelta o) { us_ += o.us_; return *this; }
  constexpr TimeDelta& operator-=(TimeDelta o) { us_ -= o.us_; return *this; }
  constexpr auto operator<=>(const TimeDelta&) const = default;

 private:
  constexpr explicit TimeDelta(int64_t us) : us_(us) {}
  int64_t us_ = 0;
};

// A point on a monotonic clock, in microseconds since an arbitrary origin.
class Timestamp {
 public:
  constexpr Timestamp() = default;
  static constexpr Timestamp Micros(int64_t us) { return Timestamp(us); }
  static constexpr Timestamp Millis(int64_t ms) { return Timestamp(ms * 1000); }

  constexpr int64_t us() const { return us_; }
  constexpr int64_t ms() const { return us_ / 1000; }

  constexpr Timestamp operator+(TimeDelta d) const { return Timestamp(us_ + d.us()); }
  constexpr Timestamp operator-(TimeDelta d) const { return Timestamp(us_ - d.us()); }
  constexpr TimeDelta operator-(Timestamp o) const { return TimeDelta::Micros(us_ - o.us_); }
  constexpr Timestamp& operator+=(TimeDelta d) { us_ += d.us(); return *this; }
  constexpr auto operator<=>(const Timestamp&) const = default;

 private:
  constexpr explicit Timestamp(int64_t us) : us_(us) {}
  int64_t us_ = 0;
};

class DataRate {
 public:
  constexpr DataRate() = default;
  static constexpr DataRate BitsPerSec(int64_t bps) { return DataRate(bps); }
  static constexpr DataRate KilobitsPerSec(int64_t kbps) { return DataRate(kbps * 1000); }
  static constexpr DataRate Zero() { return DataRate(0); }
  // Rate of `bytes` sent over `interval` (zero interval gives zero).
  static constexpr DataRate FromBytes(int64_t bytes, TimeDelta interval) {
    return interval.us() <= 0 ? DataRate(0) : DataRate(bytes * 8 * 1000000 / interval.us());
  }

  constexpr int64_t bps() const { return bps_; }
  constexpr int64_t kbps() const { return bps_ / 1000; }
  // Bytes this rate carries over `interval`.
  constexpr int64_t BytesOver(TimeDelta interval) const {
    return bps_ * interval.us() / 8 / 1000000;
  }

  constexpr DataRate operator+(DataRate o) const { return DataRate(bps_ + o.bps_); }
  constexpr DataRate operator-(DataRate o) const { return DataRate(bps_ - o.bps_); }
  constexpr auto operator<=>(const DataRate&) const = default;

 private:
  constexpr explicit DataRate(int64_t bps) : bps_(bps) {}
  int64_t bps_ = 0;
};

}  // namespace sfu
