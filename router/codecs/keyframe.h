#pragma once
// Codec payload inspection for the router: does an RTP payload start a keyframe, and the
// VP8 payload descriptor. Pure functions over untrusted bytes; a malformed payload is
// never a keyframe. Formats: VP8 RFC 7741, VP9 RFC 9628, H264 RFC 6184, AV1 "RTP Payload
// Format For AV1" (aomedia).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace sfu::codecs {

enum class VideoCodec { kUnknown, kVp8, kVp9, kH264, kAv1 };

// "video/VP8", "video/VP9", "video/H264", "video/AV1" (case-insensitive); else kUnknown.
VideoCodec VideoCodecFromMime(std::string_view mime);

// True when `payload` (the RTP payload, padding removed) carries the first packet of a
// keyframe, i.e. a decoder can start from this packet.
bool IsKeyFrameStart(VideoCodec codec, std::span<const uint8_t> payload);

// The VP8 payload descriptor (RFC 7741 section 4.2).
struct Vp8Descriptor {
  std::optional<uint16_t> picture_id;  // 7 or 15 bits (M bit).
  std::optional<uint8_t> tl0_pic_idx;
  std::optional<uint8_t> temporal_id;  // Only with T=1.
  bool layer_sync = false;             // Y bit, only meaningful with T=1.
  bool start_of_partition = false;     // S bit.
  uint8_t partition_id = 0;            // PID.
  size_t size = 0;                     // Descriptor bytes; the VP8 payload follows.
};

// nullopt when the descriptor is truncated or no payload byte follows it.
std::optional<Vp8Descriptor> ParseVp8Descriptor(std::span<const uint8_t> payload);

}  // namespace sfu::codecs
