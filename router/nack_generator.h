#pragma once
// Loss detection on a received RTP stream and the NACKs (RFC 4585 section 6.2.1) that ask
// the sender to retransmit. A gap in sequence numbers puts the missing ones on a list; a
// missing packet is requested once it has been missing for the reorder delay (so packets
// that are merely late are not requested), then again every round-trip time, at most
// `max_retries` times and while younger than `max_age`. A gap too large for the list
// clears it and asks for a keyframe instead.

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "base/units.h"

namespace sfu {

class NackGenerator {
 public:
  struct Options {
    size_t max_list = 500;
    int max_retries = 10;
    TimeDelta reorder_delay = TimeDelta::Millis(5);
    TimeDelta min_retry_interval = TimeDelta::Millis(20);
    TimeDelta max_age = TimeDelta::Millis(1500);
  };
  using SeqList = absl::InlinedVector<uint16_t, 32>;

  NackGenerator() : NackGenerator(Options{}) {}
  explicit NackGenerator(Options options) : options_(options) {}

  // A packet with extended sequence number `ext_seq` arrived. Returns true if it was on
  // the missing list (a retransmission or a late packet).
  bool OnPacket(int64_t ext_seq, Timestamp now);
  // Appends the sequence numbers to request now, and marks them requested.
  void Collect(Timestamp now, TimeDelta rtt, SeqList& out);
  // True once after a gap overflowed the list: the caller asks for a keyframe.
  bool TakeKeyFrameNeeded();

  // Time from a first request to the packet's arrival, smoothed (RFC 6298 style, Karn's
  // rule: only packets requested once count). Receivers without XR DLRR have no other
  // round-trip measure towards the sender.
  std::optional<TimeDelta> recovery_time() const { return recovery_time_; }

  size_t missing() const { return missing_.size(); }
  uint64_t requested() const { return requested_; }
  uint64_t recovered() const { return recovered_; }
  uint64_t abandoned() const { return abandoned_; }

 private:
  struct Missing {
    int64_t seq;
    Timestamp detected;
    Timestamp last_sent;
    int retries;
  };
  Options options_;
  std::vector<Missing> missing_;  // Ascending by seq.
  int64_t highest_ = -1;
  bool started_ = false;
  bool keyframe_needed_ = false;
  std::optional<TimeDelta> recovery_time_;
  uint64_t requested_ = 0;
  uint64_t recovered_ = 0;
  uint64_t abandoned_ = 0;
};

}  // namespace sfu
