#include "router/rtcp/report_block.h"

namespace sfu::rtcp {

std::optional<ReportBlock> ReportBlock::Read(ByteReader& r) {
  auto ssrc = r.ReadU32();
  auto lost = r.ReadU32();
  auto seq = r.ReadU32();
  auto jitter = r.ReadU32();
  auto lsr = r.ReadU32();
  auto dlsr = r.ReadU32();
  if (!ssrc || !lost || !seq || !jitter || !lsr || !dlsr) return std::nullopt;
  ReportBlock b;
  b.ssrc = *ssrc;
  b.fraction_lost = static_cast<uint8_t>(*lost >> 24);
  // Sign-extend the 24-bit cumulative loss.
  uint32_t cum = *lost & 0xFFFFFF;
  b.cumulative_lost = (cum & 0x800000) ? static_cast<int32_t>(cum | 0xFF000000u) : static_cast<int32_t>(cum);
  b.extended_highest_seq = *seq;
  b.jitter = *jitter;
  b.last_sr = *lsr;
  b.delay_since_last_sr = *dlsr;
  return b;
}

bool ReportBlock::Write(ByteWriter& w) const {
  // Clamp the cumulative loss to what 24 bits hold (RFC 3550 appendix A.3).
  int32_t cum = cumulative_lost;
  if (cum > 0x7FFFFF) cum = 0x7FFFFF;
  if (cum < -0x800000) cum = -0x800000;
  uint32_t lost = (uint32_t{fraction_lost} << 24) | (static_cast<uint32_t>(cum) & 0xFFFFFF);
  return w.WriteU32(ssrc) && w.WriteU32(lost) && w.WriteU32(extended_highest_seq) &&
         w.WriteU32(jitter) && w.WriteU32(last_sr) && w.WriteU32(delay_since_last_sr);
}

}  // namespace sfu::rtcp
