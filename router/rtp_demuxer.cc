#include "router/rtp_demuxer.h"

#include <algorithm>
#include <string_view>

namespace sfu {

void RtpDemuxer::Add(Producer* producer) {
  producers_.push_back(producer);
  const auto& encodings = producer->params().encodings;
  for (size_t i = 0; i < encodings.size(); ++i) {
    if (encodings[i].ssrc) by_ssrc_[*encodings[i].ssrc] = {producer, i, false};
    if (encodings[i].rtx_ssrc) by_ssrc_[*encodings[i].rtx_ssrc] = {producer, i, true};
  }
}

void RtpDemuxer::Remove(const Producer* producer) {
  std::erase(producers_, producer);
  absl::erase_if(by_ssrc_, [producer](const auto& kv) { return kv.second.producer == producer; });
}

std::optional<RtpDemuxer::Match> RtpDemuxer::Find(const rtp::RtpPacket& packet) {
  if (auto it = by_ssrc_.find(packet.ssrc()); it != by_ssrc_.end()) return it->second;
  auto text = [](std::span<const uint8_t> v) {
    return std::string_view(reinterpret_cast<const char*>(v.data()), v.size());
  };
  for (Producer* p : producers_) {
    const ProducerParams& params = p->params();
    if (params.mid_extension_id == 0) continue;
    auto mid = packet.Extension(params.mid_extension_id);
    if (!mid || text(*mid) != params.mid) continue;
    // The MID matches; find the encoding by RID (or RRID for RTX).
    Match match{p, 0, false};
    std::optional<std::span<const uint8_t>> rid;
    if (params.rid_extension_id) rid = packet.Extension(params.rid_extension_id);
    if (!rid && params.repaired_rid_extension_id) {
      rid = packet.Extension(params.repaired_rid_extension_id);
      match.rtx = rid.has_value();
    }
    if (rid) {
      auto& enc = params.encodings;
      auto it = std::find_if(enc.begin(), enc.end(), [&](const ProducerEncoding& e) { return e.rid == text(*rid); });
      if (it == enc.end()) break;
      match.encoding = static_cast<size_t>(it - enc.begin());
    } else if (params.encodings.size() > 1) {
      break;  // Simulcast without a RID: cannot tell which layer.
    } else {
      // One encoding without signaled SSRCs: an RTX payload type marks retransmissions.
      for (const ProducerCodec& c : params.codecs) {
        if (c.rtx_payload_type == packet.payload_type()) match.rtx = true;
      }
    }
    by_ssrc_[packet.ssrc()] = match;
    return match;
  }
  ++unmatched_;
  return std::nullopt;
}

}  // namespace sfu
