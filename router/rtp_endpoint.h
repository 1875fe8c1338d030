#pragma once
// The RTP side of one transport: it matches incoming RTP to the transport's producers,
// routes incoming RTCP (reports and feedback) to its producers and consumers, and sends
// the periodic RTCP (receiver reports towards publishers, sender reports towards
// subscribers, NACK retries and pending keyframe requests). Pure: the transport hands it
// decrypted packets and timer ticks; packets leave through a PacketSink.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "base/units.h"
#include "router/packet_sink.h"
#include "router/router.h"
#include "router/rtp_demuxer.h"

namespace sfu {

struct RtpEndpointCounters {
  uint64_t rtp_unmatched = 0;
  uint64_t rtcp_packets = 0;
  uint64_t rtcp_malformed = 0;
  uint64_t rtcp_unknown_ssrc = 0;
  uint64_t receiver_reports_sent = 0;
  uint64_t sender_reports_sent = 0;
  uint64_t remb_sent = 0;  // REMBs carrying the incoming bitrate cap.
};

class RtpEndpoint {
 public:
  static constexpr TimeDelta kReportInterval = TimeDelta::Seconds(1);

  RtpEndpoint(Router& router, PacketSink& sink, uint32_t rtcp_ssrc, std::string cname);
  // The router must have closed this endpoint's producers and consumers (CloseEndpoint).
  ~RtpEndpoint();

  Router& router() const { return router_; }
  PacketSink& sink() const { return sink_; }
  uint32_t rtcp_ssrc() const { return rtcp_ssrc_; }
  const std::string& cname() const { return cname_; }

  // A decrypted RTP packet (may be rewritten in place) and a decrypted RTCP packet.
  void OnRtp(std::span<uint8_t> packet, Timestamp now);
  void OnRtcp(std::span<const uint8_t> packet, Timestamp now);
  void OnTimer(Timestamp now);
  // The transport can (or can no longer) carry media. Consumers start sending once it
  // can, each from a fresh keyframe. Endpoints start connected (a transport that needs a
  // handshake first says so).
  void SetConnected(bool connected, Timestamp now);
  bool connected() const { return connected_; }

  // Outgoing bitrate cap, bits per second (0: none). Simulcast video consumers on this
  // endpoint forward the highest active encoding whose own receive bitrate is <= the cap,
  // else the lowest active one (see Router::Forward); audio is not affected. Takes effect
  // with the next packet of each producer.
  void SetMaxOutgoingBitrate(uint32_t bps) { max_outgoing_bitrate_ = bps; }
  uint32_t max_outgoing_bitrate() const { return max_outgoing_bitrate_; }
  // Incoming bitrate cap, bits per second (0: none). When set, each periodic RTCP report
  // to the publisher (every kReportInterval) carries a REMB (draft-alvestrand-rmcat-remb)
  // with this bitrate (rounded down to what the format holds) and the known media SSRCs of
  // this endpoint's producers (at most 255), which browsers take as a limit on their send
  // rate. It goes out from the first report on, before any media (after an empty receiver
  // report then), and in a compound packet of its own when the report leaves no room.
  // Nothing is sent while the endpoint has no producers.
  void SetMaxIncomingBitrate(uint32_t bps) { max_incoming_bitrate_ = bps; }
  uint32_t max_incoming_bitrate() const { return max_incoming_bitrate_; }
  // Trace events (OR of TraceBit): kBwe for each REMB the remote sends (incoming, with
  // its bitrate). Transport-cc feedback is not traced: it carries no bitrate, and the
  // router has no send-side estimator yet. Reported through the router's observer.
  void SetTraceTypes(uint8_t mask) { trace_types_ = mask; }
  uint8_t trace_types() const { return trace_types_; }

  // Whether `ssrc` is one this endpoint receives (a producer's media or RTX SSRC as
  // signaled or learned) or sends (a consumer's).
  bool HasSsrc(uint32_t ssrc) const;

  const std::vector<Producer*>& producers() const { return producers_; }
  const std::vector<Consumer*>& consumers() const { return consumers_; }
  RtpEndpointCounters counters() const;

 private:
  friend class Router;
  void AddProducer(Producer* p);
  void RemoveProducer(Producer* p);
  void AddConsumer(Consumer* c);
  void RemoveConsumer(Consumer* c);
  Consumer* ConsumerBySsrc(uint32_t ssrc) const;
  void HandleReportBlocks(const rtcp::ReportBlocks& blocks, uint32_t compact_now);
  void SendReports(Timestamp now);
  // Appends our REMB (the incoming cap) to the compound packet being built.
  void AppendRemb(size_t& len);
  void TraceRemb(std::span<const uint8_t> bytes, Timestamp now);
  void Flush(size_t& len);

  Router& router_;
  PacketSink& sink_;
  uint32_t rtcp_ssrc_;
  std::string cname_;
  RtpDemuxer demuxer_;
  std::vector<Producer*> producers_;
  std::vector<Consumer*> consumers_;
  absl::flat_hash_map<uint32_t, Consumer*> consumer_by_ssrc_;
  std::optional<Timestamp> next_report_;
  uint32_t report_random_;  // xorshift32 state for the report interval, seeded by the SSRC.
  bool connected_ = true;
  uint32_t max_outgoing_bitrate_ = 0;
  uint32_t max_incoming_bitrate_ = 0;
  uint8_t trace_types_ = 0;
  RtpEndpointCounters counters_;
  uint8_t rtcp_buffer_[kSendBufferSize];
};

}  // namespace sfu
