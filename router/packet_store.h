#pragma once
// The retransmission buffer of one received stream: the last `capacity` packets (as the
// producer received them, after RTX unwrapping), each kept for at most `max_age`, so that
// consumers can answer their subscribers' NACKs. One store per producer stream is shared
// by all its consumers; a consumer maps its own sequence numbers back to the producer's.
// Slots are allocated once, up front; storing copies into a slot.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "base/units.h"

namespace sfu {

class PacketStore {
 public:
  static constexpr size_t kMaxPacket = 1500;

  PacketStore(size_t capacity, TimeDelta max_age);

  // Stores a copy of `packet` (dropped if over kMaxPacket) under its extended seq.
  void Insert(int64_t ext_seq, std::span<const uint8_t> packet, Timestamp now);
  // The stored packet, if it is still there and not older than max_age.
  std::optional<std::span<const uint8_t>> Find(int64_t ext_seq, Timestamp now) const;

  size_t capacity() const { return capacity_; }

 private:
  struct Slot {
    int64_t ext_seq = -1;
    Timestamp stored = Timestamp::Micros(0);
    uint16_t size = 0;
    uint8_t data[kMaxPacket];
  };
  size_t capacity_;
  TimeDelta max_age_;
  std::unique_ptr<Slot[]> slots_;
};

}  // namespace sfu
