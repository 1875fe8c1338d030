#pragma once
// A consumer: one producer's media as one subscriber receives it. It rewrites SSRC,
// payload type, sequence numbers, timestamps and header extensions so the subscriber sees
// one continuous stream across pause/resume (and changes of encoding); a new or resumed
// video consumer waits for a keyframe. It answers the subscriber's NACKs from the
// producer's packet store (with RTX when negotiated), sends sender reports whose NTP/RTP
// mapping follows the publisher's, and takes RTT and loss from the subscriber's reports.
// Pure: packets and time in, packets out through a PacketSink.

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "absl/container/inlined_vector.h"
#include "base/units.h"
#include "router/packet_sink.h"
#include "router/producer.h"
#include "router/rtcp/feedback.h"
#include "router/rtcp/report_block.h"
#include "router/rtcp/sender_report.h"
#include "router/rtp/rtp_packet.h"
#include "router/rtp_parameters.h"
#include "router/trace_event.h"

namespace sfu {

class Router;
class RtpEndpoint;

struct ConsumerStats {
  uint64_t packets_sent = 0;
  uint64_t bytes_sent = 0;
  uint64_t retransmitted_packets = 0;
  uint64_t retransmitted_bytes = 0;
  uint64_t nack_count = 0;      // NACK packets received from the subscriber.
  uint64_t nack_missed = 0;     // Requested packets no longer stored.
  uint64_t pli_count = 0;
  uint64_t fir_count = 0;
  uint64_t keyframes_sent = 0;
  uint64_t dropped_waiting_keyframe = 0;
  uint8_t fraction_lost = 0;    // From the subscriber's last report.
  int64_t packets_lost = 0;
  double jitter_seconds = 0;
  std::optional<TimeDelta> rtt;
};

class Consumer {
 public:
  Consumer(std::string id, Producer& producer, ConsumerParams params, PacketSink& out);

  const std::string& id() const { return id_; }
  Producer& producer() const { return producer_; }
  const ConsumerParams& params() const { return params_; }
  const std::string& kind() const { return params_.kind; }

  // The encoding of the producer this consumer forwards.
  size_t encoding() const { return encoding_; }
  void SetEncoding(size_t encoding);

  // Forwards one packet of the producer (rewritten into `scratch`, kSendBufferSize bytes).
  void Forward(const Producer::Received& in, Timestamp now, std::span<uint8_t> scratch);
  // The subscriber's feedback.
  void OnNack(const rtcp::Nack& nack, Timestamp now, std::span<uint8_t> scratch);
  void OnReportBlock(const rtcp::ReportBlock& block, uint32_t compact_ntp_now);
  // PLI or FIR from the subscriber: counted; the caller asks the producer for a keyframe.
  void OnKeyFrameRequest(bool fir, Timestamp now);
  // Our sender report, if anything was sent: NTP time `ntp`, RTP time from the
  // publisher's own mapping when it sent a sender report, else from our last packet.
  std::optional<rtcp::SenderReport> MakeSenderReport(Timestamp now, uint64_t ntp);

  // Paused by the application, or because its producer is paused.
  void Pause();
  void Resume();
  bool paused() const { return paused_; }
  void SetProducerPaused(bool paused);
  // Whether the subscriber's transport can carry media (DTLS connected). Until it can,
  // nothing is forwarded; once it can, the stream (re)starts on a keyframe.
  void SetTransportConnected(bool connected);
  bool transport_connected() const { return transport_connected_; }
  bool producer_paused() const { return producer_paused_; }
  // True while a video consumer waits for a keyframe to (re)start.
  bool waiting_keyframe() const { return need_sync_ && params_.kind == "video"; }
  // Whether an SSRC is this consumer's (media or RTX), for routing the subscriber's RTCP.
  bool HasSsrc(uint32_t ssrc) const { return ssrc == params_.ssrc || (params_.rtx_ssrc && ssrc == *params_.rtx_ssrc); }

  // Priority among the consumers of the same producer, 1 (default) to 255 (0 is taken
  // as 1): the router forwards each packet to higher-priority consumers first (equal
  // priorities keep their order). A change re-sorts the router's list at once.
  void SetPriority(uint8_t priority);
  uint8_t priority() const { return priority_; }

  // Trace events (OR of TraceBit): kRtp for each packet sent (outgoing; retransmissions
  // flagged), kKeyFrame for each keyframe start sent (outgoing; with its kRtp), kNack,
  // kPli, kFir for the subscriber's feedback (incoming). Reported through the router's
  // observer.
  void SetTraceTypes(uint8_t mask) { trace_types_ = mask; }
  uint8_t trace_types() const { return trace_types_; }

  const ConsumerStats& stats() const { return stats_; }
  int score() const { return score_; }
  bool TakeScoreChanged();

 private:
  // A stretch of output sequence numbers with one mapping from the producer's.
  struct Epoch {
    int64_t out_start = 0;  // First output extended seq of the epoch.
    int64_t seq_delta = 0;  // out = in + seq_delta
    uint32_t ts_delta = 0;  // out = in + ts_delta (mod 2^32)
    size_t encoding = 0;
  };
  friend class Router;
  void Sync(const Producer::Received& in, Timestamp now);
  void TraceSent(const rtp::HeaderRewrite& h, bool marker, size_t len, size_t encoding, bool keyframe,
                 bool retransmission, Timestamp now) const;
  void Trace(const TraceEvent& event) const;

  std::string id_;
  Producer& producer_;
  ConsumerParams params_;
  bool video_ = false;  // params_.kind, compared once.
  PacketSink& out_;
  rtp::ExtensionRewrite ext_;
  bool paused_ = false;
  bool producer_paused_ = false;
  bool transport_connected_ = true;
  bool need_sync_ = true;
  size_t encoding_ = 0;
  absl::InlinedVector<Epoch, 4> epochs_;
  std::optional<int64_t> highest_out_;  // Highest output extended seq sent.
  uint32_t last_out_ts_ = 0;
  uint64_t payload_octets_ = 0;  // For sender reports (RFC 3550 section 6.4.1).
  Timestamp last_out_time_;
  uint16_t rtx_seq_ = 0;
  int score_ = 10;
  bool score_changed_ = false;
  uint8_t priority_ = 1;
  uint8_t trace_types_ = 0;
  // Set by the router that owns it: its observer hears the trace events, it re-sorts on a
  // priority change; the endpoint it sends on (for the outgoing bitrate cap).
  Router* router_ = nullptr;
  const RtpEndpoint* endpoint_ = nullptr;
  ConsumerStats stats_;
};

}  // namespace sfu
