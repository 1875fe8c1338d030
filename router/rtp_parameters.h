#pragma once
// RTP capabilities and consumer parameters. A router supports a set of codecs; a
// subscriber states what it can receive (its RTP capabilities, from JSON-RPC or from the
// m-lines of an SDP offer); a consumer's parameters are derived from both and from the
// producer's parameters, and every packet the consumer sends is mapped through them.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "router/producer_params.h"

namespace sfu {

// Header extension URIs the router understands.
namespace ext_uri {
inline constexpr std::string_view kMid = "urn:ietf:params:rtp-hdrext:sdes:mid";
inline constexpr std::string_view kRid = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id";
inline constexpr std::string_view kRepairedRid = "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id";
inline constexpr std::string_view kAbsSendTime = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time";
inline constexpr std::string_view kTransportCc =
    "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";
inline constexpr std::string_view kAudioLevel = "urn:ietf:params:rtp-hdrext:ssrc-audio-level";
inline constexpr std::string_view kVideoOrientation = "urn:3gpp:video-orientation";
inline constexpr std::string_view kPlayoutDelay = "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay";
inline constexpr std::string_view kAbsCaptureTime = "http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time";
inline constexpr std::string_view kDependencyDescriptor =
    "https://aomediacodec.github.io/av1-rtp-spec/#dependency-descriptor-rtp-header-extension";
}  // namespace ext_uri

// Whether a consumer forwards (or, for mid and abs-send-time, writes) this extension.
bool ForwardableExtension(std::string_view uri);

struct RtpCodecCapability {
  std::string kind;       // "audio" or "video"
  std::string mime_type;  // "video/VP8", "video/rtx"
  int payload_type = 0;   // The preferred (router) or the subscriber's payload type.
  int clock_rate = 0;
  int channels = 0;       // Audio only.
  std::string fmtp;       // "packetization-mode=1;profile-level-id=42e01f", "apt=96"
  std::vector<std::string> rtcp_feedback;
};

struct RtpHeaderExtensionCapability {
  std::string kind;
  std::string uri;
  int id = 0;
};

struct RtpCapabilities {
  std::vector<RtpCodecCapability> codecs;
  std::vector<RtpHeaderExtensionCapability> header_extensions;
};

// What every router supports: opus; VP8; VP9 profiles 0 and 2; H264 packetization-mode 1
// in constrained baseline, baseline, main and high; AV1; RTX for each video codec.
const RtpCapabilities& RouterCapabilities();

// The router codec that `codec` (a producer's or a subscriber's) matches, if any.
const RtpCodecCapability* FindRouterCodec(const RtpCapabilities& router, std::string_view mime_type,
                                          int clock_rate, int channels, std::string_view fmtp);

// Case-insensitive MIME type comparison.
bool SameMime(std::string_view a, std::string_view b);
// Same codec: MIME type, clock rate, channels (audio) and the codec's own parameters
// (H264 packetization-mode and profile, VP9 profile-id, AV1 profile).
bool SameCodec(std::string_view mime_a, int clock_a, int channels_a, std::string_view fmtp_a,
               std::string_view mime_b, int clock_b, int channels_b, std::string_view fmtp_b);

struct ConsumerParams {
  std::string kind;
  std::string mid;  // The subscriber's MID for this stream (written in the MID extension).
  // The codec as the subscriber receives it: its payload type; the producer's fmtp.
  std::string mime_type;
  int payload_type = 0;
  int clock_rate = 0;
  int channels = 0;
  std::string fmtp;
  std::optional<int> rtx_payload_type;
  uint32_t ssrc = 0;
  std::optional<uint32_t> rtx_ssrc;  // Set when rtx_payload_type is.
  bool nack = false;  // The subscriber sends NACKs (we keep packets to answer them).
  bool pli = false;
  bool fir = false;
  std::vector<std::string> rtcp_feedback;
  std::vector<HeaderExtension> header_extensions;  // The subscriber's ids.
  std::string cname;  // The RTCP CNAME of the sending transport (SDES and a=ssrc).
};

// Derives a consumer's parameters. `ssrc` and `rtx_ssrc` are the caller's fresh SSRCs.
// NotFound-free: a subscriber without a matching codec is Unsupported, with the codecs
// on both sides named.
StatusOr<ConsumerParams> DeriveConsumerParams(const ProducerParams& producer,
                                              const RtpCapabilities& subscriber, std::string mid,
                                              uint32_t ssrc, uint32_t rtx_ssrc);

}  // namespace sfu
