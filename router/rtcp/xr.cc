#include "router/rtcp/xr.h"

namespace sfu::rtcp {

std::optional<ExtendedReports> ExtendedReports::Parse(std::span<const uint8_t> packet) {
  // The 5 bits after P are reserved and ignored (RFC 3611 section 2).
  auto h = ParseHeader(packet);
  if (!h || h->type != kExtendedReport) return std::nullopt;
  ByteReader r(packet.first(h->size - (h->padding ? packet[h->size - 1] : 0)));
  r.Skip(kHeaderSize);
  auto ssrc = r.ReadU32();
  if (!ssrc) return std::nullopt;
  ExtendedReports xr;
  xr.sender_ssrc = *ssrc;
  while (!r.empty()) {
    // Block header: BT, type-specific, length in 32-bit words minus one (section 3).
    auto type = r.ReadU8();
    auto specific = r.ReadU8();
    auto words = r.ReadU16();
    if (!type || !specific || !words) return std::nullopt;
    auto body = r.ReadBytes(size_t{*words} * 4);
    if (!body) return std::nullopt;
    ByteReader b(*body);
    if (*type == kXrReceiverReferenceTime) {
      if (*words != 2) return std::nullopt;
      xr.rrtr_ntp_time = *b.ReadU64();
    } else if (*type == kXrDlrr) {
      if (*words % 3 != 0) return std::nullopt;
      while (!b.empty()) {
        DlrrItem item;
        item.ssrc = *b.ReadU32();
        item.last_rr = *b.ReadU32();
        item.delay_since_last_rr = *b.ReadU32();
        xr.dlrr.push_back(item);
      }
    }
  }
  return xr;
}

size_t ExtendedReports::size() const {
  size_t size = kHeaderSize + 4;
  if (rrtr_ntp_time) size += 12;
  if (!dlrr.empty()) size += 4 + 12 * dlrr.size();
  return size;
}

size_t ExtendedReports::Write(std::span<uint8_t> out) const {
  if (dlrr.size() > 0xFFFF / 3) return 0;
  ByteWriter w(out);
  bool ok = WriteHeader(w, 0, kExtendedReport, size()) && w.WriteU32(sender_ssrc);
  if (rrtr_ntp_time) {
    ok = ok && w.WriteU8(kXrReceiverReferenceTime) && w.WriteU8(0) && w.WriteU16(2) &&
         w.WriteU64(*rrtr_ntp_time);
  }
  if (!dlrr.empty()) {
    ok = ok && w.WriteU8(kXrDlrr) && w.WriteU8(0) &&
         w.WriteU16(static_cast<uint16_t>(3 * dlrr.size()));
    for (const DlrrItem& d : dlrr) {
      ok = ok && w.WriteU32(d.ssrc) && w.WriteU32(d.last_rr) && w.WriteU32(d.delay_since_last_rr);
    }
  }
  return ok ? w.size() : 0;
}

}  // namespace sfu::rtcp
