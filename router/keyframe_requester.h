#pragma once
// Throttles keyframe requests (PLI/FIR) towards one publisher's stream: the first goes out
// at once; later ones at most once per `delay` (a request inside the delay waits for its
// end), and a pending one is dropped when a keyframe arrives meanwhile.

#include <optional>

#include "base/units.h"

namespace sfu {

class KeyFrameRequester {
 public:
  explicit KeyFrameRequester(TimeDelta delay) : delay_(delay) {}

  // A consumer needs a keyframe. True if a request goes out now.
  bool Request(Timestamp now) {
    if (!last_sent_ || now - *last_sent_ >= delay_) {
      last_sent_ = now;
      pending_ = false;
      return true;
    }
    pending_ = true;
    return false;
  }
  // True if a pending request is due now (and counts it as sent).
  bool OnTimer(Timestamp now) {
    if (!pending_ || !last_sent_ || now - *last_sent_ < delay_) return false;
    pending_ = false;
    last_sent_ = now;
    return true;
  }
  void OnKeyFrame() { pending_ = false; }
  bool pending() const { return pending_; }

 private:
  TimeDelta delay_;
  std::optional<Timestamp> last_sent_;
  bool pending_ = false;
};

}  // namespace sfu
