#include "router/rtp_endpoint.h"

#include <algorithm>
#include <limits>

#include "router/rtcp/feedback.h"
#include "router/rtcp/rtcp_header.h"
#include "router/rtcp/sdes.h"
#include "router/rtcp/sender_report.h"
#include "router/rtcp/xr.h"

namespace sfu {

RtpEndpoint::RtpEndpoint(Router& router, PacketSink& sink, uint32_t rtcp_ssrc, std::string cname)
    : router_(router),
      sink_(sink),
      rtcp_ssrc_(rtcp_ssrc),
      cname_(std::move(cname)),
      report_random_((rtcp_ssrc * 2654435761u) | 1) {}

RtpEndpoint::~RtpEndpoint() = default;

void RtpEndpoint::AddProducer(Producer* p) {
  producers_.push_back(p);
  demuxer_.Add(p);
}

void RtpEndpoint::RemoveProducer(Producer* p) {
  std::erase(producers_, p);
  demuxer_.Remove(p);
}

void RtpEndpoint::AddConsumer(Consumer* c) {
  c->SetTransportConnected(connected_);
  consumers_.push_back(c);
  consumer_by_ssrc_[c->params().ssrc] = c;
  if (c->params().rtx_ssrc) consumer_by_ssrc_[*c->params().rtx_ssrc] = c;
}

void RtpEndpoint::RemoveConsumer(Consumer* c) {
  std::erase(consumers_, c);
  absl::erase_if(consumer_by_ssrc_, [c](const auto& kv) { return kv.second == c; });
}

Consumer* RtpEndpoint::ConsumerBySsrc(uint32_t ssrc) const {
  auto it = consumer_by_ssrc_.find(ssrc);
  return it == consumer_by_ssrc_.end() ? nullptr : it->second;
}

bool RtpEndpoint::HasSsrc(uint32_t ssrc) const {
  for (const Producer* p : producers_) {
    if (p->HasSsrc(ssrc)) return true;
  }
  return consumer_by_ssrc_.contains(ssrc);
}

RtpEndpointCounters RtpEndpoint::counters() const {
  RtpEndpointCounters c = counters_;
  c.rtp_unmatched = demuxer_.unmatched();
  return c;
}

void RtpEndpoint::OnRtp(std::span<uint8_t> packet, Timestamp now) {
  auto rtp = rtp::RtpPacket::Parse(packet);
  if (!rtp) return;
  auto match = demuxer_.Find(*rtp);
  if (!match) return;
  auto received = match->producer->Receive(packet, *rtp, match->encoding, match->rtx, now);
  if (received) router_.Forward(*match->producer, *received, now);
}

void RtpEndpoint::HandleReportBlocks(const rtcp::ReportBlocks& blocks, uint32_t compact_now) {
  for (const rtcp::ReportBlock& b : blocks) {
    Consumer* c = ConsumerBySsrc(b.ssrc);
    // A block about the consumer's RTX stream says nothing of the media's loss or jitter.
    if (!c || b.ssrc != c->params().ssrc) continue;
    c->OnReportBlock(b, compact_now);
    if (c->TakeScoreChanged() && router_.observer()) router_.observer()->OnConsumerScore(*c);
  }
}

void RtpEndpoint::OnRtcp(std::span<const uint8_t> packet, Timestamp now) {
  uint32_t compact_now = CompactNtp(router_.clock().Ntp(now));
  rtcp::CompoundIterator it(packet);
  while (auto next = it.Next()) {
    const auto& [header, bytes] = *next;
    ++counters_.rtcp_packets;
    switch (header.type) {
      case rtcp::kSenderReport:
        if (auto sr = rtcp::SenderReport::Parse(bytes)) {
          for (Producer* p : producers_) {
            if (p->HasSsrc(sr->ssrc)) p->OnSenderReport(*sr, now);
          }
          HandleReportBlocks(sr->blocks, compact_now);
        } else {
          ++counters_.rtcp_malformed;
        }
        break;
      case rtcp::kReceiverReport:
        if (auto rr = rtcp::ReceiverReport::Parse(bytes)) {
          HandleReportBlocks(rr->blocks, compact_now);
        } else {
          ++counters_.rtcp_malformed;
        }
        break;
      case rtcp::kRtpFeedback:
        if (header.count == rtcp::kNackFormat) {
          auto nack = rtcp::Nack::Parse(bytes);
          Consumer* c = nack ? ConsumerBySsrc(nack->media_ssrc) : nullptr;
          if (c) {
            c->OnNack(*nack, now, router_.scratch());
          } else {
            ++(nack ? counters_.rtcp_unknown_ssrc : counters_.rtcp_malformed);
          }
        }
        break;
      case rtcp::kPayloadFeedback:
        if (header.count == rtcp::kPliFormat) {
          auto pli = rtcp::Pli::Parse(bytes);
          Consumer* c = pli ? ConsumerBySsrc(pli->media_ssrc) : nullptr;
          if (c) {
            c->OnKeyFrameRequest(false, now);
            router_.RequestKeyFrame(*c, now);
          } else {
            ++(pli ? counters_.rtcp_unknown_ssrc : counters_.rtcp_malformed);
          }
        } else if (header.count == rtcp::kFirFormat) {
          auto fir = rtcp::Fir::Parse(bytes);
          if (!fir) {
            ++counters_.rtcp_malformed;
            break;
          }
          for (const auto& e : fir->entries) {
            if (Consumer* c = ConsumerBySsrc(e.ssrc)) {
              c->OnKeyFrameRequest(true, now);
              router_.RequestKeyFrame(*c, now);
            }
          }
        } else if (header.count == rtcp::kAfbFormat) {
          // REMB: the remote's estimate of what it can receive. Only traced for now.
          if (trace_types_ & TraceBit(TraceEvent::Type::kBwe)) [[unlikely]] TraceRemb(bytes, now);
        }
        break;
      case rtcp::kExtendedReport:
        // DLRR answering our RRTR (RFC 3611 section 4.5): the publisher-side RTT.
        if (auto xr = rtcp::ExtendedReports::Parse(bytes)) {
          for (const auto& item : xr->dlrr) {
            if (item.ssrc != rtcp_ssrc_) continue;
            for (Producer* p : producers_) p->OnDlrr(item.last_rr, item.delay_since_last_rr, compact_now);
          }
        } else {
          ++counters_.rtcp_malformed;
        }
        break;
      default:
        break;  // SDES, BYE, APP, transport-cc: nothing to act on yet.
    }
  }
  if (it.error()) ++counters_.rtcp_malformed;
}

void RtpEndpoint::TraceRemb(std::span<const uint8_t> bytes, Timestamp now) {
  auto remb = rtcp::Remb::Parse(bytes);
  if (!remb) return;  // Another application-layer message, or malformed.
  TraceEvent e;
  e.type = TraceEvent::Type::kBwe;
  e.at = now;
  e.ssrc = remb->sender_ssrc;
  e.count = static_cast<uint32_t>(remb->ssrcs.size());
  e.bitrate = static_cast<uint32_t>(std::min<uint64_t>(remb->bitrate_bps, std::numeric_limits<uint32_t>::max()));
  if (router_.observer()) router_.observer()->OnEndpointTrace(*this, e);
}

void RtpEndpoint::SetConnected(bool connected, Timestamp now) {
  if (connected == connected_) return;
  connected_ = connected;
  for (Consumer* c : consumers_) {
    c->SetTransportConnected(connected);
    if (connected && !c->paused() && !c->producer_paused()) router_.RequestKeyFrame(*c, now);  // Resume asks later.
  }
}

void RtpEndpoint::OnTimer(Timestamp now) {
  for (Producer* p : producers_) p->OnTimer(now);
  if (next_report_ && now < *next_report_) return;
  bool report = next_report_.has_value();  // The first call only arms the timer.
  TimeDelta interval = kReportInterval;
  if (router_.options().randomize_report_interval) {
    report_random_ ^= report_random_ << 13;
    report_random_ ^= report_random_ >> 17;
    report_random_ ^= report_random_ << 5;
    // 0.5 to 1.5 times the interval, in 1/1024 steps.
    interval = TimeDelta::Micros(kReportInterval.us() / 2 + kReportInterval.us() * (report_random_ & 1023) / 1024);
  }
  next_report_ = now + interval;
  if (report) SendReports(now);
}

void RtpEndpoint::Flush(size_t& len) {
  if (len == 0) return;
  // Every compound packet ends with our CNAME (RFC 3550 section 6.1).
  rtcp::Sdes sdes;
  sdes.chunks.push_back({rtcp_ssrc_, cname_});
  len += sdes.Write(std::span<uint8_t>(rtcp_buffer_ + len, kMaxRtpPacket - len));
  sink_.SendRtcp(rtcp_buffer_, len);
  len = 0;
}

void RtpEndpoint::AppendRemb(size_t& len) {
  rtcp::Remb remb;
  remb.sender_ssrc = rtcp_ssrc_;
  remb.bitrate_bps = max_incoming_bitrate_;
  for (Producer* p : producers_) {
    for (size_t i = 0; i < p->encoding_count() && remb.ssrcs.size() < 255; ++i) {
      if (uint32_t ssrc = p->StreamSsrc(i)) remb.ssrcs.push_back(ssrc);
    }
  }
  if (len + remb.size() > 1100) {
    // No room left beside the report and the SDES: a compound packet of its own, which
    // starts with an (empty) receiver report (RFC 3550 section 6.1).
    Flush(len);
    rtcp::ReceiverReport rr;
    rr.ssrc = rtcp_ssrc_;
    len = rr.Write(std::span<uint8_t>(rtcp_buffer_, kMaxRtpPacket));
  }
  size_t n = remb.Write(std::span<uint8_t>(rtcp_buffer_ + len, kMaxRtpPacket - len));
  if (n) ++counters_.remb_sent;
  len += n;
}

void RtpEndpoint::SendReports(Timestamp now) {
  uint64_t ntp = router_.clock().Ntp(now);
  // Receiver report for what the publisher sends us; with the incoming bitrate cap as a
  // REMB when there is one (then even before anything arrived).
  if (!producers_.empty()) {
    rtcp::ReceiverReport rr;
    rr.ssrc = rtcp_ssrc_;
    for (Producer* p : producers_) {
      p->FillReportBlocks(rr.blocks, now);
      if (p->TakeScoreChanged() && router_.observer()) router_.observer()->OnProducerScore(*p);
    }
    if (!rr.blocks.empty() || max_incoming_bitrate_ != 0) {
      size_t len = rr.Write(std::span<uint8_t>(rtcp_buffer_, kMaxRtpPacket));
      if (len) {
        ++counters_.receiver_reports_sent;
        if (!rr.blocks.empty()) {
          // With a receiver reference time, so the publisher can answer with a DLRR.
          rtcp::ExtendedReports xr;
          xr.sender_ssrc = rtcp_ssrc_;
          xr.rrtr_ntp_time = ntp;
          len += xr.Write(std::span<uint8_t>(rtcp_buffer_ + len, kMaxRtpPacket - len));
        }
        if (max_incoming_bitrate_ != 0) AppendRemb(len);
        Flush(len);
      }
    }
  }
  // Sender reports for what we send to the subscriber, several to a compound packet.
  size_t len = 0;
  for (Consumer* c : consumers_) {
    auto sr = c->MakeSenderReport(now, ntp);
    if (!sr) continue;
    if (len + sr->size() > 1100) Flush(len);  // Room left for the SDES.
    size_t n = sr->Write(std::span<uint8_t>(rtcp_buffer_ + len, kMaxRtpPacket - len));
    if (n == 0) continue;
    len += n;
    ++counters_.sender_reports_sent;
  }
  Flush(len);
}

}  // namespace sfu
