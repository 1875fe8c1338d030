#include "router/packet_store.h"

#include <algorithm>

namespace sfu {

PacketStore::PacketStore(size_t capacity, TimeDelta max_age)
    : capacity_(std::max<size_t>(capacity, 1)), max_age_(max_age), slots_(new Slot[capacity_]) {}

void PacketStore::Insert(int64_t ext_seq, std::span<const uint8_t> packet, Timestamp now) {
  if (packet.size() > kMaxPacket || ext_seq < 0) return;
  Slot& s = slots_[static_cast<size_t>(ext_seq) % capacity_];
  if (s.ext_seq > ext_seq) return;  // A late packet never evicts a newer one.
  s.ext_seq = ext_seq;
  s.stored = now;
  s.size = static_cast<uint16_t>(packet.size());
  std::copy(packet.begin(), packet.end(), s.data);
}

std::optional<std::span<const uint8_t>> PacketStore::Find(int64_t ext_seq, Timestamp now) const {
  if (ext_seq < 0) return std::nullopt;
  const Slot& s = slots_[static_cast<size_t>(ext_seq) % capacity_];
  if (s.ext_seq != ext_seq || now - s.stored > max_age_) return std::nullopt;
  return std::span<const uint8_t>(s.data, s.size);
}

}  // namespace sfu
