#include "router/producer.h"

#include <algorithm>
#include <cmath>

#include "router/router.h"
#include "router/rtcp/feedback.h"

namespace sfu {

void RtpReceiveStats::Receive(int64_t ext_seq, uint32_t rtp_timestamp, size_t bytes, Timestamp now,
                              int clock_rate, bool retransmission) {
  if (!base_seq_) {
    base_seq_ = ext_seq;
    max_seq_ = ext_seq;
  } else if (ext_seq > max_seq_) {
    max_seq_ = ext_seq;
  } else if (ext_seq < *base_seq_) {
    base_seq_ = ext_seq;  // Reordered before the first packet.
  }
  ++packets_;
  bytes_ += bytes;
  if (retransmission) return;
  // Transit time in RTP units; the jitter estimate follows RFC 3550 appendix A.8.
  int64_t arrival = now.us() * clock_rate / 1'000'000;
  int64_t transit = arrival - static_cast<int64_t>(rtp_timestamp);
  if (last_transit_) {
    double d = std::abs(static_cast<double>(transit - *last_transit_));
    jitter_ += (d - jitter_) / 16.0;
  }
  last_transit_ = transit;
}

int64_t RtpReceiveStats::packets_lost() const {
  int64_t lost = expected() - static_cast<int64_t>(packets_);
  return lost > 0 ? lost : 0;
}

double RtpReceiveStats::jitter_seconds(int clock_rate) const {
  return clock_rate > 0 ? jitter_ / clock_rate : 0;
}

namespace {

bool Has(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

}  // namespace

Producer::Producer(std::string id, ProducerParams params, ProducerOptions options, PacketSink& rtcp_out,
                   uint32_t rtcp_ssrc)
    : id_(std::move(id)),
      params_(std::move(params)),
      options_(options),
      rtcp_out_(rtcp_out),
      rtcp_ssrc_(rtcp_ssrc),
      rtt_(options.default_rtt) {
  if (!params_.codecs.empty()) {
    const ProducerCodec& c = params_.codecs.front();
    clock_rate_ = c.clock_rate > 0 ? c.clock_rate : 90000;
    video_codec_ = codecs::VideoCodecFromMime(c.mime_type);
    send_nack_ = Has(c.rtcp_feedback, "nack");
    use_fir_ = !Has(c.rtcp_feedback, "nack pli") && Has(c.rtcp_feedback, "ccm fir");
  }
  if (params_.encodings.empty()) params_.encodings.push_back({});
  for (size_t i = 0; i < params_.encodings.size(); ++i) {
    auto s = std::make_unique<Stream>(options_.keyframe_request_delay);
    s->encoding = i;
    s->ssrc = params_.encodings[i].ssrc.value_or(0);
    s->rtx_ssrc = params_.encodings[i].rtx_ssrc;
    if (video()) s->store = std::make_unique<PacketStore>(options_.video_store_packets, options_.store_max_age);
    streams_.push_back(std::move(s));
  }
}

uint8_t Producer::MediaPayloadType(uint8_t rtx_payload_type) const {
  for (const ProducerCodec& c : params_.codecs) {
    if (c.rtx_payload_type == rtx_payload_type) return static_cast<uint8_t>(c.payload_type);
  }
  return params_.codecs.empty() ? 0 : static_cast<uint8_t>(params_.codecs.front().payload_type);
}

std::optional<Producer::Received> Producer::Receive(std::span<uint8_t> bytes, const rtp::RtpPacket& packet,
                                                    size_t encoding, bool rtx, Timestamp now) {
  if (encoding >= streams_.size()) return std::nullopt;
  Stream& s = *streams_[encoding];
  ++packets_;
  rtp::RtpPacket media = packet;
  if (rtx) {
    s.rtx_ssrc = packet.ssrc();
    ++s.rtx_packets;
    if (s.ssrc == 0) {
      ++s.discarded;  // The media SSRC is not known yet: nothing to restore.
      return std::nullopt;
    }
    auto original = rtp::UnwrapRtx(bytes, s.ssrc, MediaPayloadType(packet.payload_type()));
    if (!original) {
      ++s.discarded;  // Padding-only probe.
      return std::nullopt;
    }
    auto unwrapped = rtp::RtpPacket::Parse(*original);
    if (!unwrapped) return std::nullopt;
    bytes = *original;
    media = *unwrapped;
  } else {
    s.ssrc = packet.ssrc();
  }
  s.active = true;
  s.last_packet = now;
  int64_t ext_seq = s.unwrapper.Unwrap(media.sequence());
  bool recovered = s.nack.OnPacket(ext_seq, now);
  if (recovered) ++s.recovered;
  if (s.store && !recovered && s.store->Find(ext_seq, now)) {
    ++s.discarded;  // A duplicate.
    return std::nullopt;
  }
  if (rtx && !recovered) {
    ++s.discarded;  // A retransmission of a packet we did not miss.
    return std::nullopt;
  }
  s.stats.Receive(ext_seq, media.timestamp(), media.size(), now, clock_rate_, rtx);
  s.rate.Add(media.size(), now);
  bool keyframe = video() && codecs::IsKeyFrameStart(video_codec_, media.payload());
  if (keyframe) {
    ++s.keyframe_count;
    s.keyframes.OnKeyFrame();
  }
  if (trace_types_ != 0) [[unlikely]] TraceReceived(s, media, rtx, keyframe, now);
  if (s.store) s.store->Insert(ext_seq, bytes, now);
  if (send_nack_ && video()) {
    SendNacks(s, now);
    if (s.nack.TakeKeyFrameNeeded()) RequestKeyFrame(encoding, now);
  }
  if (paused_) return std::nullopt;
  return Received{media, encoding, ext_seq, keyframe};
}

void Producer::SendNacks(Stream& s, Timestamp now) {
  NackGenerator::SeqList seqs;
  // The measured RTT (DLRR) if the publisher answers our RRTR, else how long
  // retransmissions have been taking, else the default.
  TimeDelta rtt = rtt_measured_ ? rtt_ : s.nack.recovery_time().value_or(rtt_);
  s.nack.Collect(now, rtt, seqs);
  if (seqs.empty()) return;
  rtcp::Nack nack;
  nack.sender_ssrc = rtcp_ssrc_;
  nack.media_ssrc = s.ssrc;
  nack.sequence_numbers.assign(seqs.begin(), seqs.end());
  size_t n = nack.Write(std::span<uint8_t>(rtcp_buffer_, kMaxRtpPacket));
  if (n == 0) return;
  ++s.nack_count;
  s.nack_packets += seqs.size();
  rtcp_out_.SendRtcp(rtcp_buffer_, n);
  if (trace_types_ & TraceBit(TraceEvent::Type::kNack)) [[unlikely]] {
    TraceEvent e;
    e.type = TraceEvent::Type::kNack;
    e.outgoing = true;
    e.at = now;
    e.ssrc = s.ssrc;
    e.encoding = s.encoding;
    e.count = static_cast<uint32_t>(seqs.size());
    Trace(e);
  }
}

void Producer::SendKeyFrameRequest(Stream& s, Timestamp now) {
  if (s.ssrc == 0) return;
  size_t n;
  if (use_fir_) {
    rtcp::Fir fir;
    fir.sender_ssrc = rtcp_ssrc_;
    fir.entries.push_back({s.ssrc, ++s.fir_seq});
    n = fir.Write(std::span<uint8_t>(rtcp_buffer_, kMaxRtpPacket));
    ++s.fir_count;
  } else {
    rtcp::Pli pli{rtcp_ssrc_, s.ssrc};
    n = pli.Write(std::span<uint8_t>(rtcp_buffer_, kMaxRtpPacket));
    ++s.pli_count;
  }
  if (n == 0) return;
  rtcp_out_.SendRtcp(rtcp_buffer_, n);
  auto type = use_fir_ ? TraceEvent::Type::kFir : TraceEvent::Type::kPli;
  if (trace_types_ & TraceBit(type)) [[unlikely]] {
    TraceEvent e;
    e.type = type;
    e.outgoing = true;
    e.at = now;
    e.ssrc = s.ssrc;
    e.encoding = s.encoding;
    Trace(e);
  }
}

void Producer::TraceReceived(const Stream& s, const rtp::RtpPacket& media, bool rtx, bool keyframe,
                             Timestamp now) const {
  TraceEvent e;
  e.at = now;
  e.ssrc = media.ssrc();
  e.seq = media.sequence();
  e.timestamp = media.timestamp();
  e.payload_type = media.payload_type();
  e.marker = media.marker();
  e.retransmission = rtx;
  e.size = media.size();
  e.encoding = s.encoding;
  if (trace_types_ & TraceBit(TraceEvent::Type::kRtp)) {
    e.type = TraceEvent::Type::kRtp;
    Trace(e);
  }
  if (keyframe && (trace_types_ & TraceBit(TraceEvent::Type::kKeyFrame))) {
    e.type = TraceEvent::Type::kKeyFrame;
    Trace(e);
  }
}

void Producer::Trace(const TraceEvent& event) const {
  if (router_ && router_->observer()) router_->observer()->OnProducerTrace(*this, event);
}

void Producer::RequestKeyFrame(size_t encoding, Timestamp now) {
  if (!video() || encoding >= streams_.size()) return;
  Stream& s = *streams_[encoding];
  if (s.keyframes.Request(now)) SendKeyFrameRequest(s, now);
}

void Producer::OnTimer(Timestamp now) {
  for (auto& sp : streams_) {
    Stream& s = *sp;
    if (send_nack_ && video()) SendNacks(s, now);
    if (s.keyframes.OnTimer(now)) SendKeyFrameRequest(s, now);
  }
}

void Producer::OnSenderReport(const rtcp::SenderReport& sr, Timestamp now) {
  for (auto& s : streams_) {
    if (s->ssrc == sr.ssrc) {
      s->sr_ntp = sr.ntp_time;
      s->sr_rtp = sr.rtp_timestamp;
      s->sr_arrival = now;
    }
  }
}

void Producer::OnDlrr(uint32_t last_rr, uint32_t delay, uint32_t compact_now) {
  if (auto rtt = RttFromReport(compact_now, last_rr, delay)) {
    rtt_ = std::max(*rtt, TimeDelta::Millis(1));
    rtt_measured_ = true;
  }
}

bool Producer::HasSsrc(uint32_t ssrc) const {
  for (const auto& s : streams_) {
    if (s->ssrc == ssrc || s->rtx_ssrc == ssrc) return ssrc != 0;
  }
  return false;
}

void Producer::FillReportBlocks(rtcp::ReportBlocks& blocks, Timestamp now) {
  for (auto& sp : streams_) {
    Stream& s = *sp;
    if (!s.active || blocks.size() >= 31) continue;
    int64_t expected = s.stats.expected();
    int64_t expected_interval = expected - s.expected_prior;
    int64_t received_interval = static_cast<int64_t>(s.stats.packets() - s.received_prior);
    s.expected_prior = expected;
    s.received_prior = s.stats.packets();
    int64_t lost_interval = expected_interval - received_interval;
    uint8_t fraction = 0;
    if (expected_interval > 0 && lost_interval > 0) {
      fraction = static_cast<uint8_t>(std::min<int64_t>(255, (lost_interval << 8) / expected_interval));
    }
    // Score: 10 without loss, down 1 per 2% lost in the interval.
    int score = expected_interval > 0 ? std::clamp(10 - static_cast<int>(fraction * 50 / 256), 0, 10) : s.score;
    if (score != s.score) score_changed_ = true;
    s.score = score;
    if (s.report_time && now > *s.report_time) {
      s.bitrate_bps = static_cast<double>(s.stats.bytes() - s.bytes_at_report) * 8 /
                      (now - *s.report_time).seconds();
    }
    s.report_time = now;
    s.bytes_at_report = s.stats.bytes();

    rtcp::ReportBlock b;
    b.ssrc = s.ssrc;
    b.fraction_lost = fraction;
    b.cumulative_lost = static_cast<int32_t>(std::min<int64_t>(s.stats.packets_lost(), 0x7FFFFF));
    b.extended_highest_seq = static_cast<uint32_t>(s.stats.max_seq());
    b.jitter = s.stats.jitter_rtp();
    if (s.sr_arrival) {
      b.last_sr = CompactNtp(s.sr_ntp);
      b.delay_since_last_sr = static_cast<uint32_t>(((now - *s.sr_arrival).us() << 16) / 1'000'000);
    }
    blocks.push_back(b);
  }
}

std::optional<uint32_t> Producer::RtpTimestampAt(size_t encoding, Timestamp now) const {
  if (encoding >= streams_.size() || !streams_[encoding]->sr_arrival) return std::nullopt;
  const Stream& s = *streams_[encoding];
  return static_cast<uint32_t>(s.sr_rtp + static_cast<uint32_t>(RtpTicks(now - *s.sr_arrival, clock_rate_)));
}

std::optional<std::span<const uint8_t>> Producer::StoredPacket(size_t encoding, int64_t ext_seq,
                                                               Timestamp now) const {
  if (encoding >= streams_.size() || !streams_[encoding]->store) return std::nullopt;
  return streams_[encoding]->store->Find(ext_seq, now);
}

size_t Producer::BestEncoding(Timestamp now, TimeDelta window) const {
  for (size_t i = streams_.size(); i-- > 0;) {
    if (streams_[i]->active && now - streams_[i]->last_packet <= window) return i;
  }
  return 0;
}

size_t Producer::EncodingForBitrate(uint32_t max_bps, Timestamp now, TimeDelta window) const {
  if (max_bps == 0) return BestEncoding(now, window);
  std::optional<size_t> lowest;
  for (size_t i = streams_.size(); i-- > 0;) {
    const Stream& s = *streams_[i];
    if (!s.active || now - s.last_packet > window) continue;
    if (s.rate.BitsPerSecond(now) <= max_bps) return i;
    lowest = i;
  }
  return lowest.value_or(0);
}

uint64_t Producer::ReceiveBitrate(size_t encoding, Timestamp now) const {
  return encoding < streams_.size() ? streams_[encoding]->rate.BitsPerSecond(now) : 0;
}

int Producer::score() const {
  int best = 0;
  for (const auto& s : streams_) {
    if (s->active) best = std::max(best, s->score);
  }
  return best;
}

bool Producer::TakeScoreChanged() {
  bool changed = score_changed_;
  score_changed_ = false;
  return changed;
}

std::vector<ProducerStreamStats> Producer::Stats(Timestamp) const {
  std::vector<ProducerStreamStats> out;
  for (const auto& sp : streams_) {
    const Stream& s = *sp;
    if (!s.active && s.ssrc == 0) continue;
    ProducerStreamStats st;
    st.ssrc = s.ssrc;
    st.rtx_ssrc = s.rtx_ssrc;
    st.encoding = s.encoding;
    st.rid = params_.encodings[s.encoding].rid;
    st.packets = s.stats.packets();
    st.bytes = s.stats.bytes();
    st.packets_lost = s.stats.packets_lost();
    st.jitter_seconds = s.stats.jitter_seconds(clock_rate_);
    st.rtx_packets = s.rtx_packets;
    st.packets_recovered = s.recovered;
    st.packets_discarded = s.discarded;
    st.nack_count = s.nack_count;
    st.nack_packets = s.nack_packets;
    st.pli_count = s.pli_count;
    st.fir_count = s.fir_count;
    st.keyframes = s.keyframe_count;
    st.bitrate_bps = s.bitrate_bps;
    st.score = s.score;
    out.push_back(std::move(st));
  }
  return out;
}

}  // namespace sfu
