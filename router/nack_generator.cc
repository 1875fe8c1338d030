#include "router/nack_generator.h"

#include <algorithm>

namespace sfu {

bool NackGenerator::OnPacket(int64_t ext_seq, Timestamp now) {
  if (!started_) {
    started_ = true;
    highest_ = ext_seq;
    missing_.reserve(options_.max_list);
    return false;
  }
  if (ext_seq > highest_) {
    int64_t gap = ext_seq - highest_ - 1;
    if (gap > 0) {
      if (gap > static_cast<int64_t>(options_.max_list)) {
        // Too much lost to recover by retransmission.
        abandoned_ += missing_.size() + static_cast<uint64_t>(gap);
        missing_.clear();
        keyframe_needed_ = true;
      } else {
        for (int64_t s = highest_ + 1; s < ext_seq; ++s) {
          if (missing_.size() == options_.max_list) {
            missing_.erase(missing_.begin());  // The oldest gives way.
            ++abandoned_;
            keyframe_needed_ = true;
          }
          missing_.push_back({s, now, Timestamp::Micros(0), 0});
        }
      }
    }
    highest_ = ext_seq;
    return false;
  }
  auto it = std::lower_bound(missing_.begin(), missing_.end(), ext_seq,
                             [](const Missing& m, int64_t s) { return m.seq < s; });
  if (it == missing_.end() || it->seq != ext_seq) return false;
  if (it->retries == 1) {
    TimeDelta sample = now - it->last_sent;
    recovery_time_ = recovery_time_ ? TimeDelta::Micros((recovery_time_->us() * 7 + sample.us()) / 8) : sample;
  }
  missing_.erase(it);
  ++recovered_;
  return true;
}

void NackGenerator::Collect(Timestamp now, TimeDelta rtt, SeqList& out) {
  TimeDelta interval = std::max(rtt, options_.min_retry_interval);
  size_t keep = 0;
  for (size_t i = 0; i < missing_.size(); ++i) {
    Missing& m = missing_[i];
    bool expired = m.retries >= options_.max_retries || now - m.detected > options_.max_age;
    if (expired) {
      ++abandoned_;
      continue;
    }
    bool due = m.retries == 0 ? now - m.detected >= options_.reorder_delay : now - m.last_sent >= interval;
    if (due) {
      out.push_back(static_cast<uint16_t>(m.seq));
      m.last_sent = now;
      ++m.retries;
      ++requested_;
    }
    missing_[keep++] = m;
  }
  missing_.erase(missing_.begin() + static_cast<std::ptrdiff_t>(keep), missing_.end());
}

bool NackGenerator::TakeKeyFrameNeeded() {
  bool needed = keyframe_needed_;
  keyframe_needed_ = false;
  return needed;
}

}  // namespace sfu
