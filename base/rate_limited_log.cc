#include "base/rate_limited_log.h"

namespace sfu {

void RateLimitedLog::Hit(Timestamp now, std::string_view detail) {
  ++total_;
  if (!started_ || now - window_start_ >= interval_) {
    if (suppressed_ > 0 && Log::Enabled(level_, tag_)) {
      Log::Write(level_, tag_,
                 StrCat(what_, ": ", suppressed_, " more suppressed in the last ",
                              (now - window_start_).ms(), " ms (total ", total_ - 1, ")"));
    }
    started_ = true;
    window_start_ = now;
    logged_in_window_ = 0;
    suppressed_ = 0;
  }
  if (logged_in_window_ < burst_) {
    ++logged_in_window_;
    if (Log::Enabled(level_, tag_)) Log::Write(level_, tag_, StrCat(what_, ": ", detail));
    return;
  }
  ++suppressed_;
}

}  // namespace sfu
