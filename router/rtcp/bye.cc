#include "router/rtcp/bye.h"

namespace sfu::rtcp {

std::optional<Bye> Bye::Parse(std::span<const uint8_t> packet) {
  auto h = ParseHeader(packet);
  if (!h || h->type != kBye) return std::nullopt;
  ByteReader r(packet.first(h->size - (h->padding ? packet[h->size - 1] : 0)));
  r.Skip(kHeaderSize);
  Bye b;
  for (uint8_t i = 0; i < h->count; ++i) {
    auto ssrc = r.ReadU32();
    if (!ssrc) return std::nullopt;
    b.ssrcs.push_back(*ssrc);
  }
  if (r.empty()) return b;
  auto length = r.ReadU8();
  if (!length) return std::nullopt;
  auto text = r.ReadBytes(*length);
  if (!text) return std::nullopt;
  b.reason.assign(text->begin(), text->end());
  // Null octets pad the reason to the next 32-bit boundary.
  if (r.remaining() >= 4) return std::nullopt;
  while (!r.empty()) {
    if (*r.ReadU8() != 0) return std::nullopt;
  }
  return b;
}

size_t Bye::size() const {
  size_t size = kHeaderSize + 4 * ssrcs.size();
  if (!reason.empty()) size += (1 + reason.size() + 3) / 4 * 4;
  return size;
}

size_t Bye::Write(std::span<uint8_t> out) const {
  if (ssrcs.size() > 31 || reason.size() > 255) return 0;
  ByteWriter w(out);
  bool ok = WriteHeader(w, static_cast<uint8_t>(ssrcs.size()), kBye, size());
  for (uint32_t s : ssrcs) ok = ok && w.WriteU32(s);
  if (!reason.empty()) {
    ok = ok && w.WriteU8(static_cast<uint8_t>(reason.size())) && w.WriteString(reason) &&
         w.Fill(0, (4 - (1 + reason.size()) % 4) % 4);
  }
  return ok ? w.size() : 0;
}

}  // namespace sfu::rtcp
