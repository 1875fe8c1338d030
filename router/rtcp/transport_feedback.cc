#include "router/rtcp/transport_feedback.h"

#include <algorithm>
#include <limits>

namespace sfu::rtcp {
namespace {

// Packet status symbols (draft section 3.1.1).
constexpr uint8_t kNotReceived = 0;
constexpr uint8_t kSmallDelta = 1;
constexpr uint8_t kLargeDelta = 2;

constexpr size_t kMaxRunLength = 0x1FFF;
constexpr size_t kOneBitCapacity = 14;
constexpr size_t kTwoBitCapacity = 7;

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - (a % b < 0 ? 1 : 0); }

// The status symbol of each packet of `fb`, or false if it cannot be written.
bool Symbols(const TransportFeedback& fb, std::vector<uint8_t>& symbols) {
  if (fb.packets.empty() || fb.packets.size() > 0xFFFF) return false;
  if (fb.reference_time < -0x800000 || fb.reference_time > 0x7FFFFF) return false;
  symbols.reserve(fb.packets.size());
  for (size_t i = 0; i < fb.packets.size(); ++i) {
    const TransportFeedback::Packet& p = fb.packets[i];
    if (p.seq != static_cast<uint16_t>(fb.base_seq + i)) return false;
    if (!p.received) {
      if (p.delta_us != 0) return false;
      symbols.push_back(kNotReceived);
      continue;
    }
    if (p.delta_us % TransportFeedback::kDeltaUnitUs != 0) return false;
    int64_t ticks = p.delta_us / TransportFeedback::kDeltaUnitUs;
    if (ticks < std::numeric_limits<int16_t>::min() || ticks > std::numeric_limits<int16_t>::max())
      return false;
    symbols.push_back(ticks >= 0 && ticks <= 0xFF ? kSmallDelta : kLargeDelta);
  }
  return true;
}

// Packet chunks for `symbols` (draft sections 3.1.3 and 3.1.4). A run of at least 14
// symbols, or of 7 not beaten by a 1-bit vector, becomes a run-length chunk.
std::vector<uint16_t> Chunks(std::span<const uint8_t> symbols) {
  std::vector<uint16_t> chunks;
  size_t i = 0;
  while (i < symbols.size()) {
    size_t left = symbols.size() - i;
    size_t run = 1;
    while (run < left && run < kMaxRunLength && symbols[i + run] == symbols[i]) ++run;
    size_t one_bit = std::min(kOneBitCapacity, left);
    bool fits_one_bit = std::all_of(symbols.begin() + static_cast<ptrdiff_t>(i),
                                    symbols.begin() + static_cast<ptrdiff_t>(i + one_bit),
                                    [](uint8_t s) { return s <= kSmallDelta; });
    if (run >= kOneBitCapacity || (run >= kTwoBitCapacity && !(fits_one_bit && one_bit > run))) {
      chunks.push_back(static_cast<uint16_t>((size_t{symbols[i]} << 13) | run));
      i += run;
    } else if (fits_one_bit && one_bit > kTwoBitCapacity) {
      uint16_t chunk = 0x8000;
      for (size_t k = 0; k < one_bit; ++k) {
        chunk = static_cast<uint16_t>(chunk | (symbols[i + k] << (13 - k)));
      }
      chunks.push_back(chunk);
      i += one_bit;
    } else {
      size_t n = std::min(kTwoBitCapacity, left);
      uint16_t chunk = 0xC000;
      for (size_t k = 0; k < n; ++k) {
        chunk = static_cast<uint16_t>(chunk | (symbols[i + k] << (12 - 2 * k)));
      }
      chunks.push_back(chunk);
      i += n;
    }
  }
  return chunks;
}

size_t DeltaBytes(std::span<const uint8_t> symbols) {
  size_t n = 0;
  for (uint8_t s : symbols) n += s;  // 0, 1 or 2 bytes: the symbol's value.
  return n;
}

// Header, SSRCs, base sequence number, status count, reference time, feedback count.
constexpr size_t kFixedSize = kHeaderSize + 16;

size_t PaddedSize(size_t chunks, size_t delta_bytes) {
  return (kFixedSize + 2 * chunks + delta_bytes + 3) / 4 * 4;
}

}  // namespace

std::optional<TransportFeedback> TransportFeedback::Parse(std::span<const uint8_t> packet) {
  auto h = ParseHeader(packet);
  if (!h || h->type != kRtpFeedback || h->count != kTransportFeedbackFormat) return std::nullopt;
  ByteReader r(packet.first(h->size - (h->padding ? packet[h->size - 1] : 0)));
  r.Skip(kHeaderSize);
  auto sender = r.ReadU32();
  auto media = r.ReadU32();
  auto base = r.ReadU16();
  auto count = r.ReadU16();
  auto reference = r.ReadU24();
  auto fb_count = r.ReadU8();
  if (!sender || !media || !base || !count || !reference || !fb_count || *count == 0)
    return std::nullopt;
  TransportFeedback fb;
  fb.sender_ssrc = *sender;
  fb.media_ssrc = *media;
  fb.base_seq = *base;
  fb.reference_time = (*reference & 0x800000) ? static_cast<int32_t>(*reference | 0xFF000000u)
                                              : static_cast<int32_t>(*reference);
  fb.feedback_count = *fb_count;

  // Packet chunks until the status count is covered; symbols past it are ignored.
  std::vector<uint8_t> symbols;
  symbols.reserve(*count);
  while (symbols.size() < *count) {
    auto chunk = r.ReadU16();
    if (!chunk) return std::nullopt;
    size_t left = *count - symbols.size();
    if ((*chunk & 0x8000) == 0) {
      // Run length chunk (section 3.1.3).
      auto symbol = static_cast<uint8_t>((*chunk >> 13) & 0x3);
      if (symbol > kLargeDelta) return std::nullopt;
      symbols.insert(symbols.end(), std::min<size_t>(*chunk & kMaxRunLength, left), symbol);
    } else if ((*chunk & 0x4000) == 0) {
      // Status vector chunk of 1-bit symbols (section 3.1.4).
      for (size_t k = 0; k < std::min(kOneBitCapacity, left); ++k) {
        symbols.push_back(static_cast<uint8_t>((*chunk >> (13 - k)) & 0x1));
      }
    } else {
      // Status vector chunk of 2-bit symbols.
      for (size_t k = 0; k < std::min(kTwoBitCapacity, left); ++k) {
        auto symbol = static_cast<uint8_t>((*chunk >> (12 - 2 * k)) & 0x3);
        if (symbol > kLargeDelta) return std::nullopt;
        symbols.push_back(symbol);
      }
    }
  }

  // Receive deltas (section 3.1.5), one per received packet.
  fb.packets.reserve(symbols.size());
  for (size_t i = 0; i < symbols.size(); ++i) {
    Packet p;
    p.seq = static_cast<uint16_t>(fb.base_seq + i);
    if (symbols[i] == kSmallDelta) {
      auto delta = r.ReadU8();
      if (!delta) return std::nullopt;
      p.received = true;
      p.delta_us = int64_t{*delta} * kDeltaUnitUs;
    } else if (symbols[i] == kLargeDelta) {
      auto delta = r.ReadU16();
      if (!delta) return std::nullopt;
      p.received = true;
      p.delta_us = int64_t{static_cast<int16_t>(*delta)} * kDeltaUnitUs;
    }
    fb.packets.push_back(p);
  }
  // Then zero padding to the 32-bit boundary.
  if (r.remaining() >= 4) return std::nullopt;
  while (!r.empty()) {
    if (*r.ReadU8() != 0) return std::nullopt;
  }
  return fb;
}

size_t TransportFeedback::size() const {
  std::vector<uint8_t> symbols;
  if (!Symbols(*this, symbols)) return 0;
  return PaddedSize(Chunks(symbols).size(), DeltaBytes(symbols));
}

size_t TransportFeedback::Write(std::span<uint8_t> out) const {
  std::vector<uint8_t> symbols;
  if (!Symbols(*this, symbols)) return 0;
  std::vector<uint16_t> chunks = Chunks(symbols);
  size_t size = PaddedSize(chunks.size(), DeltaBytes(symbols));
  ByteWriter w(out);
  bool ok = WriteHeader(w, kTransportFeedbackFormat, kRtpFeedback, size) &&
            w.WriteU32(sender_ssrc) && w.WriteU32(media_ssrc) && w.WriteU16(base_seq) &&
            w.WriteU16(static_cast<uint16_t>(packets.size())) &&
            w.WriteU24(static_cast<uint32_t>(reference_time) & 0xFFFFFF) &&
            w.WriteU8(feedback_count);
  for (uint16_t c : chunks) ok = ok && w.WriteU16(c);
  for (size_t i = 0; i < packets.size(); ++i) {
    int64_t ticks = packets[i].delta_us / kDeltaUnitUs;
    if (symbols[i] == kSmallDelta) ok = ok && w.WriteU8(static_cast<uint8_t>(ticks));
    if (symbols[i] == kLargeDelta) ok = ok && w.WriteU16(static_cast<uint16_t>(ticks));
  }
  ok = ok && w.Fill(0, size - w.size());
  return ok ? w.size() : 0;
}

TransportFeedbackBuilder::TransportFeedbackBuilder(uint32_t sender_ssrc, uint32_t media_ssrc,
                                                   uint16_t base_seq, int64_t reference_time_us,
                                                   uint8_t feedback_count) {
  constexpr int64_t kLimit = int64_t{1} << 61;
  int64_t units = FloorDiv(std::clamp(reference_time_us, -kLimit, kLimit),
                           TransportFeedback::kReferenceTimeUnitUs);
  reference_us_ = units * TransportFeedback::kReferenceTimeUnitUs;
  // Wrap to 24 bits, then sign-extend.
  auto field = static_cast<uint32_t>(static_cast<uint64_t>(units) & 0xFFFFFF);
  feedback_.reference_time = (field & 0x800000) ? static_cast<int32_t>(field | 0xFF000000u)
                                                : static_cast<int32_t>(field);
  feedback_.sender_ssrc = sender_ssrc;
  feedback_.media_ssrc = media_ssrc;
  feedback_.base_seq = base_seq;
  feedback_.feedback_count = feedback_count;
}

bool TransportFeedbackBuilder::AddReceivedPacket(uint16_t seq, int64_t arrival_time_us) {
  constexpr int64_t kLimit = int64_t{1} << 61;
  auto offset = static_cast<uint16_t>(seq - feedback_.base_seq);
  int64_t ticks = FloorDiv(std::clamp(arrival_time_us, -kLimit, kLimit) - reference_us_,
                           TransportFeedback::kDeltaUnitUs);
  int64_t delta = ticks - last_ticks_;
  if (closed_ || offset < feedback_.packets.size() || offset >= 0x8000 ||
      delta < std::numeric_limits<int16_t>::min() || delta > std::numeric_limits<int16_t>::max()) {
    closed_ = true;
    return false;
  }
  while (feedback_.packets.size() < offset) {
    feedback_.packets.push_back(
        {static_cast<uint16_t>(feedback_.base_seq + feedback_.packets.size()), false, 0});
  }
  feedback_.packets.push_back({seq, true, delta * TransportFeedback::kDeltaUnitUs});
  last_ticks_ = ticks;
  ++received_count_;
  return true;
}

}  // namespace sfu::rtcp
