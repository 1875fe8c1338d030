#pragma once
// Finds which producer (and which of its encodings) an incoming RTP packet belongs to:
// by SSRC when signaled or already learned, otherwise by the MID and RID header
// extensions (RFC 8843 section 9.2, RFC 8852), learning the SSRC for the next packets.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "router/producer.h"
#include "router/rtp/rtp_packet.h"

namespace sfu {

class RtpDemuxer {
 public:
  struct Match {
    Producer* producer = nullptr;
    size_t encoding = 0;
    bool rtx = false;
  };

  void Add(Producer* producer);
  void Remove(const Producer* producer);
  std::optional<Match> Find(const rtp::RtpPacket& packet);
  uint64_t unmatched() const { return unmatched_; }

 private:
  std::vector<Producer*> producers_;
  absl::flat_hash_map<uint32_t, Match> by_ssrc_;
  uint64_t unmatched_ = 0;
};

}  // namespace sfu
