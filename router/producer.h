#pragma once
// A producer: the media one publisher sends on one track, as one or more encodings
// (simulcast), each an RTP stream with optional RTX (RFC 4588). Per stream it keeps
// receive statistics, detects loss and asks for retransmissions (NACK), keeps the
// packets its consumers may need to retransmit, tracks sender reports for the NTP/RTP
// mapping, throttles keyframe requests, and fills the report blocks of our receiver
// reports. Pure: packets and time in, RTCP out through a PacketSink.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/seq_num.h"
#include "base/units.h"
#include "router/codecs/keyframe.h"
#include "router/keyframe_requester.h"
#include "router/media_time.h"
#include "router/nack_generator.h"
#include "router/packet_sink.h"
#include "router/packet_store.h"
#include "router/producer_params.h"
#include "router/rate_meter.h"
#include "router/rtcp/sender_report.h"
#include "router/rtp/rtp_packet.h"
#include "router/trace_event.h"

namespace sfu {

class Router;

// Receive statistics of one RTP stream (RFC 3550 section 6.4.1 and appendix A.3, A.8).
class RtpReceiveStats {
 public:
  // `ext_seq`: the extended sequence number; retransmissions do not update the jitter.
  void Receive(int64_t ext_seq, uint32_t rtp_timestamp, size_t bytes, Timestamp now, int clock_rate,
               bool retransmission = false);

  uint64_t packets() const { return packets_; }
  uint64_t bytes() const { return bytes_; }
  // Expected minus received, never negative (duplicates do not count as gain).
  int64_t packets_lost() const;
  int64_t expected() const { return base_seq_ ? max_seq_ - *base_seq_ + 1 : 0; }
  int64_t max_seq() const { return max_seq_; }
  // Interarrival jitter in seconds, and in RTP units for report blocks.
  double jitter_seconds(int clock_rate) const;
  uint32_t jitter_rtp() const { return static_cast<uint32_t>(jitter_); }

 private:
  std::optional<int64_t> base_seq_;
  int64_t max_seq_ = 0;
  uint64_t packets_ = 0;
  uint64_t bytes_ = 0;
  std::optional<int64_t> last_transit_;
  double jitter_ = 0;  // In RTP timestamp units.
};

struct ProducerOptions {
  TimeDelta keyframe_request_delay = TimeDelta::Seconds(1);
  size_t video_store_packets = 600;
  TimeDelta store_max_age = TimeDelta::Seconds(2);
  // Round-trip time assumed until the publisher answers our RRTR with a DLRR.
  TimeDelta default_rtt = TimeDelta::Millis(100);
};

struct ProducerStreamStats {
  uint32_t ssrc = 0;
  std::optional<uint32_t> rtx_ssrc;
  std::string rid;
  size_t encoding = 0;
  uint64_t packets = 0;
  uint64_t bytes = 0;
  int64_t packets_lost = 0;
  double jitter_seconds = 0;
  uint64_t rtx_packets = 0;
  uint64_t packets_recovered = 0;  // Missing packets that arrived later (mostly via RTX).
  uint64_t packets_discarded = 0;  // Duplicates and unusable retransmissions.
  uint64_t nack_count = 0;         // NACK packets we sent.
  uint64_t nack_packets = 0;       // Sequence numbers they asked for.
  uint64_t pli_count = 0;
  uint64_t fir_count = 0;
  uint64_t keyframes = 0;
  double bitrate_bps = 0;
  int score = 0;
};

class Producer {
 public:
  // A packet accepted for forwarding: the media packet (RTX already unwrapped). The
  // view points into the bytes given to Receive.
  struct Received {
    rtp::RtpPacket packet;
    size_t encoding;
    int64_t ext_seq;
    bool keyframe;
  };

  Producer(std::string id, ProducerParams params, ProducerOptions options, PacketSink& rtcp_out,
           uint32_t rtcp_ssrc);

  const std::string& id() const { return id_; }
  const ProducerParams& params() const { return params_; }
  const std::string& kind() const { return params_.kind; }
  bool video() const { return params_.kind == "video"; }
  int clock_rate() const { return clock_rate_; }

  // A packet the demuxer matched to `encoding` (`rtx`: from the retransmission stream).
  // `bytes` may be rewritten in place (RTX unwrapping). Returns the packet to forward,
  // or nullopt (paused, a duplicate, an RTX packet without payload).
  std::optional<Received> Receive(std::span<uint8_t> bytes, const rtp::RtpPacket& packet, size_t encoding,
                                  bool rtx, Timestamp now);
  void OnSenderReport(const rtcp::SenderReport& sr, Timestamp now);
  // A DLRR sub-block for our RRTR (RFC 3611 section 4.5): the publisher-side RTT.
  void OnDlrr(uint32_t last_rr, uint32_t delay, uint32_t compact_now);
  // Sends NACK retries and due keyframe requests.
  void OnTimer(Timestamp now);
  // A consumer wants a keyframe of `encoding` (throttled per keyFrameRequestDelay).
  void RequestKeyFrame(size_t encoding, Timestamp now);
  // Appends a report block per received stream (for our receiver report).
  void FillReportBlocks(rtcp::ReportBlocks& blocks, Timestamp now);
  // The highest encoding that received media in the last `window` (simulcast: what a
  // consumer forwards until layer selection takes over); 0 if none did.
  size_t BestEncoding(Timestamp now, TimeDelta window = TimeDelta::Millis(1500)) const;
  // Simulcast under a bitrate cap: the highest encoding active in the last `window` whose
  // receive bitrate (ReceiveBitrate) is <= `max_bps`, else the lowest active one; 0 if
  // none is active. `max_bps` 0 means no cap (BestEncoding).
  size_t EncodingForBitrate(uint32_t max_bps, Timestamp now, TimeDelta window = TimeDelta::Millis(1500)) const;
  // The bitrate of the media accepted on an encoding (what consumers forward: whole
  // packets, recovered retransmissions included, duplicates not) over the last second;
  // 0 for an unknown encoding or one without packets.
  uint64_t ReceiveBitrate(size_t encoding, Timestamp now) const;
  // The media SSRC of an encoding; 0 when not signaled and no packet came yet.
  uint32_t StreamSsrc(size_t encoding) const { return encoding < streams_.size() ? streams_[encoding]->ssrc : 0; }
  size_t encoding_count() const { return streams_.size(); }
  // True if any stream's SSRC is `ssrc` (for routing RTCP from the publisher).
  bool HasSsrc(uint32_t ssrc) const;

  // The sender-report mapping of a stream: the RTP timestamp that corresponds to `now`
  // on the publisher's clock, if a sender report arrived.
  std::optional<uint32_t> RtpTimestampAt(size_t encoding, Timestamp now) const;
  // A stored packet for retransmission.
  std::optional<std::span<const uint8_t>> StoredPacket(size_t encoding, int64_t ext_seq, Timestamp now) const;

  void Pause() { paused_ = true; }
  void Resume() { paused_ = false; }
  bool paused() const { return paused_; }

  // Trace events (OR of TraceBit): kRtp and kKeyFrame for each media packet accepted
  // (incoming; a keyframe start gives both), kNack, kPli, kFir for the feedback this
  // producer sends to the publisher (outgoing). Reported through the router's observer.
  void SetTraceTypes(uint8_t mask) { trace_types_ = mask; }
  uint8_t trace_types() const { return trace_types_; }

  uint64_t packets() const { return packets_; }
  std::vector<ProducerStreamStats> Stats(Timestamp now) const;
  // The score (0-10) of the best stream; recomputed at each report.
  int score() const;
  // Set when a score changed since the last call (for producer.score notifications).
  bool TakeScoreChanged();
  TimeDelta rtt() const { return rtt_; }

 private:
  struct Stream {
    size_t encoding = 0;
    uint32_t ssrc = 0;  // 0 until the first packet when not signaled.
    std::optional<uint32_t> rtx_ssrc;
    bool active = false;
    Timestamp last_packet;
    RtpReceiveStats stats;
    SeqNumUnwrapper<uint16_t> unwrapper;
    NackGenerator nack;
    std::unique_ptr<PacketStore> store;
    KeyFrameRequester keyframes;
    uint8_t fir_seq = 0;
    // Last sender report: its NTP and RTP times and when it arrived.
    uint64_t sr_ntp = 0;
    uint32_t sr_rtp = 0;
    std::optional<Timestamp> sr_arrival;
    // Receiver report interval state (RFC 3550 appendix A.3).
    int64_t expected_prior = 0;
    uint64_t received_prior = 0;
    int score = 10;
    uint64_t rtx_packets = 0;
    uint64_t recovered = 0;
    uint64_t discarded = 0;
    uint64_t nack_count = 0;
    uint64_t nack_packets = 0;
    uint64_t pli_count = 0;
    uint64_t fir_count = 0;
    uint64_t keyframe_count = 0;
    // Bitrate over the last report interval.
    uint64_t bytes_at_report = 0;
    std::optional<Timestamp> report_time;
    double bitrate_bps = 0;
    RateMeter rate;  // Receive rate over the last second (layer selection under a cap).

    explicit Stream(TimeDelta keyframe_delay) : keyframes(keyframe_delay) {}
  };
  friend class Router;
  void SendNacks(Stream& s, Timestamp now);
  void SendKeyFrameRequest(Stream& s, Timestamp now);
  void TraceReceived(const Stream& s, const rtp::RtpPacket& media, bool rtx, bool keyframe, Timestamp now) const;
  void Trace(const TraceEvent& event) const;
  uint8_t MediaPayloadType(uint8_t rtx_payload_type) const;

  std::string id_;
  ProducerParams params_;
  ProducerOptions options_;
  PacketSink& rtcp_out_;
  uint32_t rtcp_ssrc_;
  int clock_rate_ = 90000;
  codecs::VideoCodec video_codec_ = codecs::VideoCodec::kUnknown;
  bool send_nack_ = false;
  bool use_fir_ = false;
  std::vector<std::unique_ptr<Stream>> streams_;  // One per encoding.
  bool paused_ = false;
  uint64_t packets_ = 0;
  TimeDelta rtt_;
  bool rtt_measured_ = false;
  bool score_changed_ = false;
  uint8_t trace_types_ = 0;
  Router* router_ = nullptr;  // Set by the router that owns it (trace events go to its observer).
  uint8_t rtcp_buffer_[kSendBufferSize];
};

}  // namespace sfu
