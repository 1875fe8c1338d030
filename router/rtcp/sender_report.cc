#include "router/rtcp/sender_report.h"

namespace sfu::rtcp {
namespace {

bool ReadBlocks(ByteReader& r, uint8_t count, ReportBlocks& out) {
  for (uint8_t i = 0; i < count; ++i) {
    auto b = ReportBlock::Read(r);
    if (!b) return false;
    out.push_back(*b);
  }
  return true;
}

bool WriteBlocks(ByteWriter& w, const ReportBlocks& blocks) {
  for (const ReportBlock& b : blocks) {
    if (!b.Write(w)) return false;
  }
  return true;
}

}  // namespace

std::optional<SenderReport> SenderReport::Parse(std::span<const uint8_t> packet) {
  auto h = ParseHeader(packet);
  if (!h || h->type != kSenderReport) return std::nullopt;
  ByteReader r(packet.first(h->size));
  r.Skip(kHeaderSize);
  SenderReport sr;
  auto ssrc = r.ReadU32();
  auto ntp = r.ReadU64();
  auto ts = r.ReadU32();
  auto packets = r.ReadU32();
  auto octets = r.ReadU32();
  if (!ssrc || !ntp || !ts || !packets || !octets) return std::nullopt;
  sr.ssrc = *ssrc;
  sr.ntp_time = *ntp;
  sr.rtp_timestamp = *ts;
  sr.packet_count = *packets;
  sr.octet_count = *octets;
  if (!ReadBlocks(r, h->count, sr.blocks)) return std::nullopt;
  return sr;
}

size_t SenderReport::Write(std::span<uint8_t> out) const {
  if (blocks.size() > 31) return 0;
  ByteWriter w(out);
  bool ok = WriteHeader(w, static_cast<uint8_t>(blocks.size()), kSenderReport, size()) &&
            w.WriteU32(ssrc) && w.WriteU64(ntp_time) && w.WriteU32(rtp_timestamp) &&
            w.WriteU32(packet_count) && w.WriteU32(octet_count) && WriteBlocks(w, blocks);
  return ok ? w.size() : 0;
}

std::optional<ReceiverReport> ReceiverReport::Parse(std::span<const uint8_t> packet) {
  auto h = ParseHeader(packet);
  if (!h || h->type != kReceiverReport) return std::nullopt;
  ByteReader r(packet.first(h->size));
  r.Skip(kHeaderSize);
  ReceiverReport rr;
  auto ssrc = r.ReadU32();
  if (!ssrc) return std::nullopt;
  rr.ssrc = *ssrc;
  if (!ReadBlocks(r, h->count, rr.blocks)) return std::nullopt;
  return rr;
}

size_t ReceiverReport::Write(std::span<uint8_t> out) const {
  if (blocks.size() > 31) return 0;
  ByteWriter w(out);
  bool ok = WriteHeader(w, static_cast<uint8_t>(blocks.size()), kReceiverReport, size()) &&
            w.WriteU32(ssrc) && WriteBlocks(w, blocks);
  return ok ? w.size() : 0;
}

}  // namespace sfu::rtcp
