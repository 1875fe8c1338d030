#pragma once
// Per-packet anomalies (a bad checksum, an unknown SSRC) must not flood the log: the first
// `burst` events of each interval are logged in full, the rest are counted and reported in
// one summary line per interval. The total count is kept for stats.

#include <cstdint>
#include <string>
#include <string_view>

#include "base/log.h"
#include "base/units.h"

namespace sfu {

class RateLimitedLog {
 public:
  RateLimitedLog(LogLevel level, LogTag tag, std::string what, int burst = 5,
                 TimeDelta interval = TimeDelta::Seconds(1))
      : level_(level), tag_(tag), what_(std::move(what)), burst_(burst), interval_(interval) {}

  // Records one event at `now`; logs it, or counts it when over the burst.
  void Hit(Timestamp now, std::string_view detail);

  uint64_t total() const { return total_; }

 private:
  LogLevel level_;
  LogTag tag_;
  std::string what_;
  int burst_;
  TimeDelta interval_;
  uint64_t total_ = 0;
  bool started_ = false;
  Timestamp window_start_;
  int logged_in_window_ = 0;
  uint64_t suppressed_ = 0;
};

}  // namespace sfu
