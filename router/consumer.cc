#include "router/consumer.h"

#include <algorithm>

#include "router/media_time.h"
#include "router/router.h"

namespace sfu {

Consumer::Consumer(std::string id, Producer& producer, ConsumerParams params, PacketSink& out)
    : id_(std::move(id)), producer_(producer), params_(std::move(params)), video_(params_.kind == "video"), out_(out) {
  // Map the producer's extension ids to the subscriber's, by URI.
  for (const HeaderExtension& theirs : params_.header_extensions) {
    uint8_t to = static_cast<uint8_t>(theirs.id);
    if (theirs.uri == ext_uri::kMid) {
      ext_.mid_id = to;
      continue;
    }
    if (theirs.uri == ext_uri::kAbsSendTime) {
      ext_.abs_send_time_id = to;
      continue;
    }
    for (const HeaderExtension& ours : producer_.params().header_extensions) {
      if (ours.uri == theirs.uri && ours.id > 0 && ours.id < 256) ext_.id_map[static_cast<size_t>(ours.id)] = to;
    }
  }
  ext_.mid = params_.mid;
  rtx_seq_ = static_cast<uint16_t>(params_.ssrc * 2654435761u >> 16);
}

void Consumer::SetEncoding(size_t encoding) {
  if (encoding == encoding_) return;
  encoding_ = encoding;
  need_sync_ = true;
}

void Consumer::Pause() { paused_ = true; }

void Consumer::Resume() {
  if (!paused_) return;
  paused_ = false;
  need_sync_ = true;
}

void Consumer::SetProducerPaused(bool paused) {
  if (paused == producer_paused_) return;
  producer_paused_ = paused;
  if (!paused) need_sync_ = true;
}

void Consumer::SetTransportConnected(bool connected) {
  if (connected == transport_connected_) return;
  transport_connected_ = connected;
  need_sync_ = true;
}

void Consumer::Sync(const Producer::Received& in, Timestamp now) {
  Epoch e;
  e.encoding = in.encoding;
  if (!highest_out_) {
    e.out_start = in.ext_seq;
    e.seq_delta = 0;
    e.ts_delta = 0;
  } else {
    // Continue where the stream left off: the next sequence number, and a timestamp
    // advanced by the wall time that passed (at least one tick).
    e.out_start = *highest_out_ + 1;
    e.seq_delta = e.out_start - in.ext_seq;
    int64_t ticks = std::max<int64_t>(1, RtpTicks(now - last_out_time_, params_.clock_rate));
    uint32_t out_ts = last_out_ts_ + static_cast<uint32_t>(ticks);
    e.ts_delta = out_ts - in.packet.timestamp();
  }
  if (epochs_.size() == epochs_.capacity()) epochs_.erase(epochs_.begin());
  epochs_.push_back(e);
  need_sync_ = false;
}

void Consumer::Forward(const Producer::Received& in, Timestamp now, std::span<uint8_t> scratch) {
  if (paused_ || producer_paused_ || !transport_connected_ || in.encoding != encoding_) return;
  if (need_sync_) {
    if (video_ && !in.keyframe) {
      ++stats_.dropped_waiting_keyframe;
      return;
    }
    Sync(in, now);
  }
  const Epoch& e = epochs_.back();
  int64_t out = in.ext_seq + e.seq_delta;
  if (out < e.out_start) return;  // Older than the current mapping.
  rtp::HeaderRewrite h;
  h.payload_type = static_cast<uint8_t>(params_.payload_type);
  h.sequence = static_cast<uint16_t>(out);
  h.timestamp = in.packet.timestamp() + e.ts_delta;
  h.ssrc = params_.ssrc;
  if (ext_.abs_send_time_id != 0) ext_.abs_send_time = rtp::AbsSendTime(now.us());
  // Written straight into the socket's send queue when the transport offers it: the
  // one copy of this packet for this consumer.
  std::span<uint8_t> buffer = out_.SendBuffer();
  if (buffer.size() < kSendBufferSize) buffer = scratch;
  size_t len = rtp::WriteRewritten(buffer.first(kMaxRtpPacket), in.packet, h, ext_);
  if (len == 0) return;
  if (!highest_out_ || out > *highest_out_) {
    highest_out_ = out;
    last_out_ts_ = h.timestamp;
    last_out_time_ = now;
  }
  if (in.keyframe) ++stats_.keyframes_sent;
  stats_.packets_sent++;
  stats_.bytes_sent += len;
  payload_octets_ += in.packet.payload().size();
  out_.SendRtp(buffer, len);
  if (trace_types_ != 0) [[unlikely]] TraceSent(h, in.packet.marker(), len, in.encoding, in.keyframe, false, now);
}

void Consumer::TraceSent(const rtp::HeaderRewrite& h, bool marker, size_t len, size_t encoding, bool keyframe,
                         bool retransmission, Timestamp now) const {
  TraceEvent e;
  e.outgoing = true;
  e.at = now;
  e.ssrc = h.ssrc;
  e.seq = h.sequence;
  e.timestamp = h.timestamp;
  e.payload_type = h.payload_type;
  e.marker = marker;
  e.retransmission = retransmission;
  e.size = len;
  e.encoding = encoding;
  if (trace_types_ & TraceBit(TraceEvent::Type::kRtp)) {
    e.type = TraceEvent::Type::kRtp;
    Trace(e);
  }
  if (keyframe && (trace_types_ & TraceBit(TraceEvent::Type::kKeyFrame))) {
    e.type = TraceEvent::Type::kKeyFrame;
    Trace(e);
  }
}

void Consumer::Trace(const TraceEvent& event) const {
  if (router_ && router_->observer()) router_->observer()->OnConsumerTrace(*this, event);
}

void Consumer::SetPriority(uint8_t priority) {
  if (priority == 0) priority = 1;
  if (priority == priority_) return;
  priority_ = priority;
  if (router_) router_->SortFanout(producer_);
}

void Consumer::OnNack(const rtcp::Nack& nack, Timestamp now, std::span<uint8_t> scratch) {
  ++stats_.nack_count;
  if (trace_types_ & TraceBit(TraceEvent::Type::kNack)) [[unlikely]] {
    TraceEvent e;
    e.type = TraceEvent::Type::kNack;
    e.at = now;
    e.ssrc = nack.media_ssrc;
    e.encoding = encoding_;
    e.count = static_cast<uint32_t>(nack.sequence_numbers.size());
    Trace(e);
  }
  if (!highest_out_ || !params_.nack) return;
  for (uint16_t seq : nack.sequence_numbers) {
    // Extend the 16-bit number to the output sequence space around the newest sent.
    int64_t out = *highest_out_ + static_cast<int16_t>(static_cast<uint16_t>(seq - static_cast<uint16_t>(*highest_out_)));
    const Epoch* epoch = nullptr;
    for (auto it = epochs_.rbegin(); it != epochs_.rend(); ++it) {
      if (it->out_start <= out) {
        epoch = &*it;
        break;
      }
    }
    if (!epoch || out > *highest_out_) continue;
    auto stored = producer_.StoredPacket(epoch->encoding, out - epoch->seq_delta, now);
    auto packet = stored ? rtp::RtpPacket::Parse(*stored) : std::nullopt;
    if (!packet) {
      ++stats_.nack_missed;
      continue;
    }
    rtp::HeaderRewrite h;
    h.timestamp = packet->timestamp() + epoch->ts_delta;
    uint8_t osn[2] = {static_cast<uint8_t>(out >> 8), static_cast<uint8_t>(out)};
    std::span<const uint8_t> prefix;
    if (params_.rtx_payload_type && params_.rtx_ssrc) {
      h.payload_type = static_cast<uint8_t>(*params_.rtx_payload_type);
      h.ssrc = *params_.rtx_ssrc;
      h.sequence = rtx_seq_++;
      prefix = osn;
    } else {
      h.payload_type = static_cast<uint8_t>(params_.payload_type);
      h.ssrc = params_.ssrc;
      h.sequence = static_cast<uint16_t>(out);
    }
    if (ext_.abs_send_time_id != 0) ext_.abs_send_time = rtp::AbsSendTime(now.us());
    size_t len = rtp::WriteRewritten(scratch.first(kMaxRtpPacket), *packet, h, ext_, prefix);
    if (len == 0) continue;
    stats_.retransmitted_packets++;
    stats_.retransmitted_bytes += len;
    out_.SendRtp(scratch, len);
    if (trace_types_ & TraceBit(TraceEvent::Type::kRtp)) [[unlikely]] {
      TraceSent(h, packet->marker(), len, epoch->encoding, false, true, now);
    }
  }
}

void Consumer::OnReportBlock(const rtcp::ReportBlock& block, uint32_t compact_ntp_now) {
  stats_.fraction_lost = block.fraction_lost;
  stats_.packets_lost = block.cumulative_lost;
  stats_.jitter_seconds = params_.clock_rate > 0 ? static_cast<double>(block.jitter) / params_.clock_rate : 0;
  if (auto rtt = RttFromReport(compact_ntp_now, block.last_sr, block.delay_since_last_sr)) stats_.rtt = rtt;
  int score = std::clamp(10 - static_cast<int>(block.fraction_lost * 50 / 256), 0, 10);
  if (score != score_) score_changed_ = true;
  score_ = score;
}

void Consumer::OnKeyFrameRequest(bool fir, Timestamp now) {
  if (fir) {
    ++stats_.fir_count;
  } else {
    ++stats_.pli_count;
  }
  auto type = fir ? TraceEvent::Type::kFir : TraceEvent::Type::kPli;
  if (trace_types_ & TraceBit(type)) [[unlikely]] {
    TraceEvent e;
    e.type = type;
    e.at = now;
    e.ssrc = params_.ssrc;
    e.encoding = encoding_;
    Trace(e);
  }
}

std::optional<rtcp::SenderReport> Consumer::MakeSenderReport(Timestamp now, uint64_t ntp) {
  if (stats_.packets_sent == 0 || epochs_.empty()) return std::nullopt;
  rtcp::SenderReport sr;
  sr.ssrc = params_.ssrc;
  sr.ntp_time = ntp;
  if (auto publisher = producer_.RtpTimestampAt(epochs_.back().encoding, now)) {
    sr.rtp_timestamp = *publisher + epochs_.back().ts_delta;
  } else {
    sr.rtp_timestamp = last_out_ts_ + static_cast<uint32_t>(RtpTicks(now - last_out_time_, params_.clock_rate));
  }
  sr.packet_count = static_cast<uint32_t>(stats_.packets_sent);
  sr.octet_count = static_cast<uint32_t>(payload_octets_);  // Payload only, no headers.
  return sr;
}

bool Consumer::TakeScoreChanged() {
  bool changed = score_changed_;
  score_changed_ = false;
  return changed;
}

}  // namespace sfu
