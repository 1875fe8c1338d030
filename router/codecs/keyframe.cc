#include "router/codecs/keyframe.h"

#include <cstdint>
#include <limits>

#include "base/byte_reader.h"

namespace sfu::codecs {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// VP8: descriptor with S=1 and PID=0, then the frame tag with P=0 (RFC 7741 section 4.3)
// and the key frame start code 9d 01 2a (RFC 6386 section 9.1).
bool IsVp8KeyFrameStart(std::span<const uint8_t> payload) {
  auto d = ParseVp8Descriptor(payload);
  if (!d || !d->start_of_partition || d->partition_id != 0) return false;
  ByteReader r(payload.subspan(d->size));
  auto tag = r.ReadU24();
  auto start_code = r.ReadU24();
  if (!tag || !start_code || !r.Skip(4)) return false;  // Tag, start code, width, height.
  return (*tag & 0x010000u) == 0 && *start_code == 0x9D012Au;
}

// VP9 scalability structure (RFC 9628 section 4.2.1).
bool SkipVp9ScalabilityStructure(ByteReader& r) {
  auto head = r.ReadU8();  // N_S(3) Y G -(3)
  if (!head) return false;
  size_t spatial_layers = static_cast<size_t>(*head >> 5u) + 1;
  if ((*head & 0x10) && !r.Skip(4 * spatial_layers)) return false;  // WIDTH, HEIGHT.
  if (*head & 0x08) {
    auto pictures = r.ReadU8();  // N_G
    if (!pictures) return false;
    for (size_t i = 0; i < *pictures; ++i) {
      auto picture = r.ReadU8();  // TID(3) U R(2) -(2)
      if (!picture || !r.Skip((*picture >> 2u) & 0x03u)) return false;  // P_DIFFs.
    }
  }
  return true;
}

// VP9 descriptor (RFC 9628 section 4.2): B=1 and P=0, spatial layer 0.
bool IsVp9KeyFrameStart(std::span<const uint8_t> payload) {
  ByteReader r(payload);
  auto flags = r.ReadU8();  // I P L F B E V Z
  if (!flags) return false;
  bool p = (*flags & 0x40) != 0;
  bool flexible = (*flags & 0x10) != 0;
  bool b = (*flags & 0x08) != 0;
  if (*flags & 0x80) {  // Picture ID, 7 or 15 bits (M).
    auto pid = r.ReadU8();
    if (!pid || ((*pid & 0x80) && !r.Skip(1))) return false;
  }
  unsigned spatial_id = 0;
  if (*flags & 0x20) {  // TID(3) U SID(3) D, plus TL0PICIDX in non-flexible mode.
    auto layer = r.ReadU8();
    if (!layer || (!flexible && !r.Skip(1))) return false;
    spatial_id = (*layer >> 1u) & 0x07u;
  }
  if (flexible && p) {  // P_DIFF(7) N, at most 3 references.
    for (int refs = 0;; ++refs) {
      auto ref = r.ReadU8();
      if (!ref || refs == 3) return false;
      if ((*ref & 0x01) == 0) break;
    }
  }
  if ((*flags & 0x02) && !SkipVp9ScalabilityStructure(r)) return false;
  if (r.empty()) return false;  // No VP9 frame data.
  return b && !p && spatial_id == 0;
}

// H264 (RFC 6184 section 5): IDR slice or SPS.
bool IsH264KeyNal(uint8_t nal_header) {
  uint8_t type = nal_header & 0x1F;
  return type == 5 || type == 7;
}

bool IsH264KeyFrameStart(std::span<const uint8_t> payload) {
  ByteReader r(payload);
  auto header = r.ReadU8();  // F NRI(2) Type(5)
  if (!header || (*header & 0x80)) return false;  // F must be 0 (section 5.3).
  uint8_t type = *header & 0x1F;
  if (type >= 1 && type <= 23) return !r.empty() && IsH264KeyNal(*header);  // Section 5.6.
  if (type == 24) {  // STAP-A (section 5.7.1): 16-bit size, NAL unit; repeated.
    bool key = false;
    bool any = false;
    while (!r.empty()) {
      auto size = r.ReadU16();
      if (!size || *size == 0) return false;
      auto nal = r.ReadBytes(*size);
      if (!nal) return false;
      key = key || IsH264KeyNal((*nal)[0]);
      any = true;
    }
    return any && key;
  }
  if (type == 28) {  // FU-A (section 5.8): FU header S E R Type(5), then a fragment.
    auto fu = r.ReadU8();
    if (!fu || r.empty()) return false;
    bool start = (*fu & 0x80) != 0;
    bool end = (*fu & 0x40) != 0;
    return start && !end && IsH264KeyNal(*fu);
  }
  return false;  // STAP-B, MTAPs, FU-B: not used with packetization-mode 0/1.
}

// leb128() (AV1 bitstream section 4.10.5): at most 8 bytes, value below 2^32.
std::optional<uint64_t> ReadLeb128(ByteReader& r) {
  uint64_t value = 0;
  for (unsigned i = 0; i < 8; ++i) {
    auto byte = r.ReadU8();
    if (!byte) return std::nullopt;
    value |= uint64_t{*byte & 0x7Fu} << (7 * i);
    if ((*byte & 0x80) == 0) {
      if (value > std::numeric_limits<uint32_t>::max()) return std::nullopt;
      return value;
    }
  }
  return std::nullopt;
}

// AV1 RTP aggregation header Z Y W(2) N -(3) and OBU elements (AV1 RTP spec section 4.4).
bool IsAv1KeyFrameStart(std::span<const uint8_t> payload) {
  ByteReader r(payload);
  auto agg = r.ReadU8();
  if (!agg) return false;
  bool z = (*agg & 0x80) != 0;
  size_t w = (*agg >> 4u) & 0x03u;
  bool n = (*agg & 0x08) != 0;
  if (z && n) return false;  // N=1 requires Z=0.
  std::span<const uint8_t> first;
  size_t count = 0;
  while (!r.empty()) {
    ++count;
    bool last = w != 0 && count == w;  // With W>0 the last element has no length.
    size_t size = r.remaining();
    if (!last) {
      auto length = ReadLeb128(r);
      if (!length) return false;
      size = static_cast<size_t>(*length);
    }
    auto element = r.ReadBytes(size);
    if (!element || element->empty()) return false;
    if (count == 1) first = *element;
    if (last) break;
  }
  if (count == 0 || (w != 0 && count != w)) return false;
  if (n) return true;
  if (z) return false;  // The first element continues an earlier OBU.
  // OBU header (AV1 bitstream section 5.3.2): forbidden bit, obu_type(4); 1 = sequence header.
  return (first[0] & 0x80) == 0 && ((first[0] >> 3u) & 0x0Fu) == 1;
}

}  // namespace

VideoCodec VideoCodecFromMime(std::string_view mime) {
  if (EqualsIgnoreCase(mime, "video/VP8")) return VideoCodec::kVp8;
  if (EqualsIgnoreCase(mime, "video/VP9")) return VideoCodec::kVp9;
  if (EqualsIgnoreCase(mime, "video/H264")) return VideoCodec::kH264;
  if (EqualsIgnoreCase(mime, "video/AV1")) return VideoCodec::kAv1;
  return VideoCodec::kUnknown;
}

bool IsKeyFrameStart(VideoCodec codec, std::span<const uint8_t> payload) {
  switch (codec) {
    case VideoCodec::kVp8:
      return IsVp8KeyFrameStart(payload);
    case VideoCodec::kVp9:
      return IsVp9KeyFrameStart(payload);
    case VideoCodec::kH264:
      return IsH264KeyFrameStart(payload);
    case VideoCodec::kAv1:
      return IsAv1KeyFrameStart(payload);
    case VideoCodec::kUnknown:
      break;
  }
  return false;
}

std::optional<Vp8Descriptor> ParseVp8Descriptor(std::span<const uint8_t> payload) {
  ByteReader r(payload);
  auto first = r.ReadU8();  // X R N S R PID(3)
  if (!first) return std::nullopt;
  Vp8Descriptor d;
  d.start_of_partition = (*first & 0x10) != 0;
  d.partition_id = static_cast<uint8_t>(*first & 0x07);
  if (*first & 0x80) {
    auto ext = r.ReadU8();  // I L T K RSV(4)
    if (!ext) return std::nullopt;
    if (*ext & 0x80) {  // M PictureID(7), and 8 more bits with M.
      auto high = r.ReadU8();
      if (!high) return std::nullopt;
      if (*high & 0x80) {
        auto low = r.ReadU8();
        if (!low) return std::nullopt;
        d.picture_id = static_cast<uint16_t>(((*high & 0x7Fu) << 8) | *low);
      } else {
        d.picture_id = *high;
      }
    }
    if (*ext & 0x40) {
      d.tl0_pic_idx = r.ReadU8();
      if (!d.tl0_pic_idx) return std::nullopt;
    }
    if (*ext & 0x30) {  // TID(2) Y KEYIDX(5); TID and Y only count with T=1.
      auto tk = r.ReadU8();
      if (!tk) return std::nullopt;
      if (*ext & 0x20) {
        d.temporal_id = static_cast<uint8_t>(*tk >> 6u);
        d.layer_sync = (*tk & 0x20) != 0;
      }
    }
  }
  d.size = r.position();
  if (r.empty()) return std::nullopt;  // The VP8 payload must follow (section 4.2).
  return d;
}

}  // namespace sfu::codecs
