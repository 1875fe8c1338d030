#pragma once
// The rate of a packet stream over the last second, in 100 ms buckets (a fixed ring: no
// allocation). Time only moves forward; samples older than the window are ignored.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "base/units.h"

namespace sfu {

class RateMeter {
 public:
  static constexpr TimeDelta kBucket = TimeDelta::Millis(100);
  static constexpr int64_t kBuckets = 10;  // A window of one second.

  void Add(size_t bytes, Timestamp now) {
    int64_t idx = Index(now);
    if (!head_) {
      head_ = idx;
      first_ = now;
    } else if (idx > *head_) {
      for (int64_t i = *head_ + 1; i <= idx && i <= *head_ + kBuckets; ++i) bytes_[Slot(i)] = 0;
      head_ = idx;
    } else if (idx <= *head_ - kBuckets) {
      return;  // Older than the window.
    }
    bytes_[Slot(idx)] += bytes;
  }

  // Bits per second over the window ending at `now`: the bytes of the last kBuckets
  // buckets over the time from the oldest one's start (or the first sample, if later) to
  // `now`, at least one bucket; 0 without data.
  uint64_t BitsPerSecond(Timestamp now) const {
    if (!head_) return 0;
    int64_t idx = Index(now);
    uint64_t sum = 0;
    for (int64_t i = idx - kBuckets + 1; i <= idx && i <= *head_; ++i) {
      if (i > *head_ - kBuckets) sum += bytes_[Slot(i)];
    }
    // From the start of the oldest bucket counted (or the first sample) to now.
    int64_t start_us = (idx - kBuckets + 1) * kBucket.us();
    if (first_->us() > start_us) start_us = first_->us();
    int64_t window_us = now.us() - start_us;
    if (window_us < kBucket.us()) window_us = kBucket.us();
    return sum * 8 * 1'000'000 / static_cast<uint64_t>(window_us);
  }

 private:
  static int64_t Index(Timestamp t) { return t.us() / kBucket.us(); }
  static size_t Slot(int64_t i) { return static_cast<size_t>(((i % kBuckets) + kBuckets) % kBuckets); }

  std::array<uint64_t, kBuckets> bytes_{};
  std::optional<int64_t> head_;  // Index of the newest bucket.
  std::optional<Timestamp> first_;
};

}  // namespace sfu
