#include "router/producer.h"

#include <cmath>

namespace sfu {

void RtpReceiveStats::Receive(uint16_t seq, uint32_t rtp_timestamp, size_t bytes, Timestamp now,
                              int clock_rate) {
  int64_t ext = unwrapper_.Unwrap(seq);
  if (!base_seq_) {
    base_seq_ = ext;
    max_seq_ = ext;
  } else if (ext > max_seq_) {
    max_seq_ = ext;
  }
  ++packets_;
  bytes_ += bytes;
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
  if (!base_seq_) return 0;
  int64_t expected = max_seq_ - *base_seq_ + 1;
  int64_t lost = expected - static_cast<int64_t>(packets_);
  return lost > 0 ? lost : 0;
}

double RtpReceiveStats::jitter_seconds(int clock_rate) const {
  return clock_rate > 0 ? jitter_ / clock_rate : 0;
}

Producer::Producer(std::string id, ProducerParams params)
    : id_(std::move(id)), params_(std::move(params)) {}

int Producer::ClockRate(uint8_t payload_type) const {
  for (const ProducerCodec& c : params_.codecs) {
    if (c.payload_type == payload_type || c.rtx_payload_type == payload_type) return c.clock_rate;
  }
  return params_.codecs.empty() ? 90000 : params_.codecs.front().clock_rate;
}

void Producer::Receive(const rtp::RtpPacket& packet, size_t encoding, bool rtx, Timestamp now) {
  ++packets_;
  Stream* stream = nullptr;
  for (Stream& s : streams_) {
    if (s.ssrc == packet.ssrc()) stream = &s;
  }
  if (!stream) {
    // A new SSRC: at most one per encoding and kind, so this happens a handful of times.
    streams_.push_back({packet.ssrc(), encoding, rtx, ClockRate(packet.payload_type()), {}});
    stream = &streams_.back();
  }
  stream->stats.Receive(packet.sequence(), packet.timestamp(), packet.size(), now,
                        stream->clock_rate);
}

std::vector<ProducerStreamStats> Producer::Stats() const {
  std::vector<ProducerStreamStats> out;
  for (const Stream& s : streams_) {
    ProducerStreamStats st;
    st.ssrc = s.ssrc;
    st.rid = s.encoding < params_.encodings.size() ? params_.encodings[s.encoding].rid : "";
    st.rtx = s.rtx;
    st.packets = s.stats.packets();
    st.bytes = s.stats.bytes();
    st.packets_lost = s.stats.packets_lost();
    st.jitter_seconds = s.stats.jitter_seconds(s.clock_rate);
    out.push_back(std::move(st));
  }
  return out;
}

}  // namespace sfu
