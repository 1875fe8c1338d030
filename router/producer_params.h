#pragma once
// Plain data describing what a producer receives: codecs, encodings and the header
// extension ids that identify its streams. Built from SDP (WHIP) or JSON-RPC; read by
// control/ and router/.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sfu {

struct ProducerCodec {
  int payload_type = 0;
  std::string mime_type;  // "audio/opus", "video/VP8"
  int clock_rate = 0;
  int channels = 0;
  std::string fmtp;
  std::optional<int> rtx_payload_type;
  // RTCP feedback the sender accepts for this codec (RFC 4585): "nack", "nack pli",
  // "ccm fir", "goog-remb", "transport-cc".
  std::vector<std::string> rtcp_feedback;
};

// A negotiated RTP header extension (RFC 8285).
struct HeaderExtension {
  std::string uri;
  int id = 0;
};

struct ProducerEncoding {
  std::optional<uint32_t> ssrc;
  std::optional<uint32_t> rtx_ssrc;
  std::string rid;
};

struct ProducerParams {
  std::string kind;  // "audio" or "video"
  std::string mid;
  std::vector<ProducerCodec> codecs;
  std::vector<ProducerEncoding> encodings;
  // Header extension ids (0 when not negotiated).
  int mid_extension_id = 0;
  int rid_extension_id = 0;
  int repaired_rid_extension_id = 0;
  // Every extension the sender uses, by URI (what the router may forward).
  std::vector<HeaderExtension> header_extensions;
};

}  // namespace sfu
