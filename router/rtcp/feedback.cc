#include "router/rtcp/feedback.h"

namespace sfu::rtcp {
namespace {

// The header and the two SSRCs every feedback message starts with.
struct Common {
  Header header;
  uint32_t sender_ssrc;
  uint32_t media_ssrc;
};

std::optional<Common> ReadCommon(ByteReader& r, std::span<const uint8_t> packet, uint8_t type,
                                 uint8_t format) {
  auto h = ParseHeader(packet);
  if (!h || h->type != type || h->count != format) return std::nullopt;
  r = ByteReader(packet.first(h->size - (h->padding ? packet[h->size - 1] : 0)));
  r.Skip(kHeaderSize);
  auto sender = r.ReadU32();
  auto media = r.ReadU32();
  if (!sender || !media) return std::nullopt;
  return Common{*h, *sender, *media};
}

}  // namespace

std::optional<Nack> Nack::Parse(std::span<const uint8_t> packet) {
  ByteReader r(packet);
  auto c = ReadCommon(r, packet, kRtpFeedback, kNackFormat);
  if (!c) return std::nullopt;
  Nack n;
  n.sender_ssrc = c->sender_ssrc;
  n.media_ssrc = c->media_ssrc;
  if (r.remaining() == 0 || r.remaining() % 4 != 0) return std::nullopt;
  while (!r.empty()) {
    uint16_t pid = *r.ReadU16();
    uint16_t blp = *r.ReadU16();
    n.sequence_numbers.push_back(pid);
    for (int i = 0; i < 16; ++i) {
      if (blp & (1u << i)) n.sequence_numbers.push_back(static_cast<uint16_t>(pid + i + 1));
    }
  }
  return n;
}

size_t Nack::Write(std::span<uint8_t> out) const {
  // Group the sequence numbers: each PID covers itself and the 16 after it.
  absl::InlinedVector<std::pair<uint16_t, uint16_t>, 8> items;
  for (uint16_t seq : sequence_numbers) {
    if (!items.empty()) {
      uint16_t diff = static_cast<uint16_t>(seq - items.back().first);
      if (diff >= 1 && diff <= 16) {
        items.back().second = static_cast<uint16_t>(items.back().second | (1u << (diff - 1)));
        continue;
      }
    }
    items.push_back({seq, 0});
  }
  if (items.empty()) return 0;
  size_t size = kHeaderSize + 8 + 4 * items.size();
  ByteWriter w(out);
  bool ok = WriteHeader(w, kNackFormat, kRtpFeedback, size) && w.WriteU32(sender_ssrc) &&
            w.WriteU32(media_ssrc);
  for (auto [pid, blp] : items) ok = ok && w.WriteU16(pid) && w.WriteU16(blp);
  return ok ? w.size() : 0;
}

std::optional<Pli> Pli::Parse(std::span<const uint8_t> packet) {
  ByteReader r(packet);
  auto c = ReadCommon(r, packet, kPayloadFeedback, kPliFormat);
  if (!c) return std::nullopt;
  return Pli{c->sender_ssrc, c->media_ssrc};
}

size_t Pli::Write(std::span<uint8_t> out) const {
  ByteWriter w(out);
  bool ok = WriteHeader(w, kPliFormat, kPayloadFeedback, 12) && w.WriteU32(sender_ssrc) &&
            w.WriteU32(media_ssrc);
  return ok ? w.size() : 0;
}

std::optional<Fir> Fir::Parse(std::span<const uint8_t> packet) {
  ByteReader r(packet);
  auto c = ReadCommon(r, packet, kPayloadFeedback, kFirFormat);
  if (!c) return std::nullopt;
  Fir f;
  f.sender_ssrc = c->sender_ssrc;
  if (r.remaining() == 0 || r.remaining() % 8 != 0) return std::nullopt;
  while (!r.empty()) {
    uint32_t ssrc = *r.ReadU32();
    uint8_t seq = *r.ReadU8();
    r.Skip(3);
    f.entries.push_back({ssrc, seq});
  }
  return f;
}

size_t Fir::Write(std::span<uint8_t> out) const {
  if (entries.empty()) return 0;
  ByteWriter w(out);
  // The media source SSRC of a FIR is unused and zero (RFC 5104 section 4.3.1.2).
  bool ok = WriteHeader(w, kFirFormat, kPayloadFeedback, kHeaderSize + 8 + 8 * entries.size()) &&
            w.WriteU32(sender_ssrc) && w.WriteU32(0);
  for (const Entry& e : entries) ok = ok && w.WriteU32(e.ssrc) && w.WriteU8(e.sequence) && w.Fill(0, 3);
  return ok ? w.size() : 0;
}

std::optional<Remb> Remb::Parse(std::span<const uint8_t> packet) {
  ByteReader r(packet);
  auto c = ReadCommon(r, packet, kPayloadFeedback, kAfbFormat);
  if (!c) return std::nullopt;
  auto id = r.ReadU32();
  auto num = r.ReadU8();
  auto br = r.ReadU24();
  if (!id || *id != 0x52454D42 /* "REMB" */ || !num || !br) return std::nullopt;
  Remb m;
  m.sender_ssrc = c->sender_ssrc;
  uint32_t exponent = *br >> 18;
  uint64_t mantissa = *br & 0x3FFFF;
  if (exponent > 46) return std::nullopt;  // Would overflow 64 bits.
  m.bitrate_bps = mantissa << exponent;
  for (uint8_t i = 0; i < *num; ++i) {
    auto ssrc = r.ReadU32();
    if (!ssrc) return std::nullopt;
    m.ssrcs.push_back(*ssrc);
  }
  return m;
}

size_t Remb::Write(std::span<uint8_t> out) const {
  if (ssrcs.size() > 255) return 0;
  uint64_t mantissa = bitrate_bps;
  uint32_t exponent = 0;
  while (mantissa > 0x3FFFF) {
    mantissa >>= 1;
    ++exponent;
  }
  ByteWriter w(out);
  bool ok = WriteHeader(w, kAfbFormat, kPayloadFeedback, size()) &&
            w.WriteU32(sender_ssrc) && w.WriteU32(0) && w.WriteU32(0x52454D42) &&
            w.WriteU8(static_cast<uint8_t>(ssrcs.size())) &&
            w.WriteU24(static_cast<uint32_t>((exponent << 18) | mantissa));
  for (uint32_t s : ssrcs) ok = ok && w.WriteU32(s);
  return ok ? w.size() : 0;
}

}  // namespace sfu::rtcp
