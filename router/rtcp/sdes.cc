#include "router/rtcp/sdes.h"

namespace sfu::rtcp {
namespace {

// Bytes a chunk takes: the SSRC, its items, then 1 to 4 null octets to the next 32-bit
// boundary (RFC 3550 section 6.5).
size_t ChunkSize(const Sdes::Chunk& c) {
  size_t items = c.cname.empty() ? 0 : 2 + c.cname.size();
  return 4 + (items / 4 + 1) * 4;
}

// Reads one chunk; `r` counts positions from the start of the packet, so the 32-bit
// boundaries are multiples of 4.
std::optional<Sdes::Chunk> ReadChunk(ByteReader& r) {
  auto ssrc = r.ReadU32();
  if (!ssrc) return std::nullopt;
  Sdes::Chunk c;
  c.ssrc = *ssrc;
  bool have_cname = false;
  while (true) {
    auto type = r.ReadU8();
    if (!type) return std::nullopt;
    if (*type == kSdesEnd) break;
    auto length = r.ReadU8();
    if (!length) return std::nullopt;
    auto text = r.ReadBytes(*length);
    if (!text) return std::nullopt;
    if (*type == kSdesCname && !have_cname) {
      c.cname.assign(text->begin(), text->end());
      have_cname = true;
    }
  }
  // The null item is followed by null octets up to the boundary.
  while (r.position() % 4 != 0) {
    auto pad = r.ReadU8();
    if (!pad || *pad != 0) return std::nullopt;
  }
  return c;
}

}  // namespace

std::optional<Sdes> Sdes::Parse(std::span<const uint8_t> packet) {
  auto h = ParseHeader(packet);
  if (!h || h->type != kSdes) return std::nullopt;
  ByteReader r(packet.first(h->size - (h->padding ? packet[h->size - 1] : 0)));
  r.Skip(kHeaderSize);
  Sdes s;
  for (uint8_t i = 0; i < h->count; ++i) {
    auto c = ReadChunk(r);
    if (!c) return std::nullopt;
    s.chunks.push_back(std::move(*c));
  }
  if (!r.empty()) return std::nullopt;  // Bytes past the SC chunks.
  return s;
}

size_t Sdes::size() const {
  size_t size = kHeaderSize;
  for (const Chunk& c : chunks) size += ChunkSize(c);
  return size;
}

size_t Sdes::Write(std::span<uint8_t> out) const {
  if (chunks.size() > 31) return 0;
  for (const Chunk& c : chunks) {
    if (c.cname.size() > 255) return 0;
  }
  ByteWriter w(out);
  bool ok = WriteHeader(w, static_cast<uint8_t>(chunks.size()), kSdes, size());
  for (const Chunk& c : chunks) {
    size_t start = w.size();
    ok = ok && w.WriteU32(c.ssrc);
    if (!c.cname.empty()) {
      ok = ok && w.WriteU8(kSdesCname) && w.WriteU8(static_cast<uint8_t>(c.cname.size())) &&
           w.WriteString(c.cname);
    }
    ok = ok && w.Fill(kSdesEnd, start + ChunkSize(c) - w.size());
  }
  return ok ? w.size() : 0;
}

}  // namespace sfu::rtcp
