#pragma once
// A producer: the media one publisher sends on one m-line (one track), as one or more
// encodings (simulcast), each an RTP stream with optional RTX. This producer
// counts what it receives per stream (packets, bytes, loss, jitter); forwarding to
// consumers comes with the router issue.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/seq_num.h"
#include "base/units.h"
#include "router/producer_params.h"
#include "router/rtp/rtp_packet.h"

namespace sfu {

// Receive statistics of one RTP stream (RFC 3550 section 6.4.1 and appendix A.3, A.8).
class RtpReceiveStats {
 public:
  void Receive(uint16_t seq, uint32_t rtp_timestamp, size_t bytes, Timestamp now, int clock_rate);

  uint64_t packets() const { return packets_; }
  uint64_t bytes() const { return bytes_; }
  // Expected minus received, never negative (duplicates do not count as gain).
  int64_t packets_lost() const;
  // Interarrival jitter in seconds.
  double jitter_seconds(int clock_rate) const;

 private:
  SeqNumUnwrapper<uint16_t> unwrapper_;
  std::optional<int64_t> base_seq_;
  int64_t max_seq_ = 0;
  uint64_t packets_ = 0;
  uint64_t bytes_ = 0;
  std::optional<int64_t> last_transit_;
  double jitter_ = 0;  // In RTP timestamp units.
};

struct ProducerStreamStats {
  uint32_t ssrc = 0;
  std::string rid;
  bool rtx = false;
  uint64_t packets = 0;
  uint64_t bytes = 0;
  int64_t packets_lost = 0;
  double jitter_seconds = 0;
};

class Producer {
 public:
  Producer(std::string id, ProducerParams params);

  const std::string& id() const { return id_; }
  const ProducerParams& params() const { return params_; }

  // Counts a packet of encoding `encoding` (rtx: a retransmission stream).
  void Receive(const rtp::RtpPacket& packet, size_t encoding, bool rtx, Timestamp now);
  uint64_t packets() const { return packets_; }
  std::vector<ProducerStreamStats> Stats() const;

 private:
  struct Stream {
    uint32_t ssrc = 0;
    size_t encoding = 0;
    bool rtx = false;
    int clock_rate = 90000;
    RtpReceiveStats stats;
  };
  int ClockRate(uint8_t payload_type) const;

  std::string id_;
  ProducerParams params_;
  std::vector<Stream> streams_;
  uint64_t packets_ = 0;
};

}  // namespace sfu
