#pragma once
// SDP (RFC 8866) as WebRTC uses it (JSEP, RFC 8829): a parser into a plain data model
// and a writer back to text. Attributes the model names are parsed into fields; the rest
// are kept in order as name/value pairs. Pure: text in, values out.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace sfu::sdp {

// Limits on untrusted input.
inline constexpr size_t kMaxSdpBytes = 64 * 1024;
inline constexpr size_t kMaxMediaSections = 64;

enum class Direction : uint8_t { kSendRecv, kSendOnly, kRecvOnly, kInactive };
std::string_view DirectionName(Direction d);
// The direction as seen from the other side (sendonly <-> recvonly).
Direction Reverse(Direction d);

struct Fingerprint {
  std::string algorithm;  // "sha-256"
  std::string value;      // "AB:CD:..."
};

struct Codec {
  int payload_type = 0;
  std::string name;  // "opus", "VP8", "rtx" (as written; compare case-insensitively)
  int clock_rate = 0;
  int channels = 0;  // 0 when absent.
  std::string fmtp;  // The a=fmtp parameters, verbatim ("minptime=10;useinbandfec=1").
  std::vector<std::string> feedback;  // a=rtcp-fb values: "nack", "nack pli", "transport-cc"
  // A parameter of fmtp ("apt" -> "96"), if present.
  std::optional<std::string> FmtpParam(std::string_view key) const;
};

struct Extmap {
  int id = 0;
  std::string uri;
  std::string direction;  // Usually empty.
};

struct Rid {
  std::string id;
  std::string direction;     // "send" or "recv"
  std::string restrictions;  // "pt=96;max-width=1280", verbatim; may be empty.
};

// a=simulcast (RFC 8853): each list holds alternatives per stream; "~" marks paused.
struct Simulcast {
  std::vector<std::vector<std::string>> send;
  std::vector<std::vector<std::string>> recv;
};

struct SsrcAttribute {
  uint32_t ssrc = 0;
  std::string name;   // "cname", "msid"
  std::string value;
};

struct SsrcGroup {
  std::string semantics;  // "FID", "SIM"
  std::vector<uint32_t> ssrcs;
};

struct Candidate {
  std::string foundation;
  int component = 1;
  std::string transport;  // "udp", "tcp" (lower-case)
  uint32_t priority = 0;
  std::string address;
  int port = 0;
  std::string type;       // "host", "srflx", "prflx", "relay"
  std::string tcp_type;   // "passive", "active", "so" for TCP
  std::string ToAttributeValue() const;  // Without "candidate:".
};

struct MediaSection {
  std::string kind;   // "audio", "video", "application"
  int port = 9;
  std::string protocol;  // "UDP/TLS/RTP/SAVPF", "UDP/DTLS/SCTP"
  std::vector<std::string> formats;
  std::string connection = "IN IP4 0.0.0.0";  // c= line value

  std::string mid;
  Direction direction = Direction::kSendRecv;
  std::string ice_ufrag;
  std::string ice_pwd;
  std::vector<std::string> ice_options;
  std::optional<Fingerprint> fingerprint;
  std::string setup;  // "actpass", "active", "passive"
  bool rtcp_mux = false;
  bool rtcp_rsize = false;
  std::vector<Codec> codecs;
  std::vector<Extmap> extmaps;
  std::vector<Rid> rids;
  std::optional<Simulcast> simulcast;
  std::vector<SsrcAttribute> ssrcs;
  std::vector<SsrcGroup> ssrc_groups;
  std::string msid;
  std::vector<Candidate> candidates;
  bool end_of_candidates = false;
  std::optional<int> sctp_port;
  std::optional<uint64_t> max_message_size;
  std::vector<std::pair<std::string, std::string>> other;  // Unmodelled a= lines.

  const Codec* FindCodec(int payload_type) const;
  bool rejected() const { return port == 0; }
};

struct Session {
  std::string origin_username = "-";
  std::string session_id = "0";
  std::string session_version = "0";
  std::string origin_address = "127.0.0.1";
  std::string name = "-";
  std::vector<std::string> bundle;  // a=group:BUNDLE mids
  bool ice_lite = false;
  std::vector<std::string> ice_options;
  // Session-level values, inherited by media sections that lack their own.
  std::string ice_ufrag;
  std::string ice_pwd;
  std::optional<Fingerprint> fingerprint;
  std::string setup;
  std::string msid_semantic;
  std::vector<std::pair<std::string, std::string>> other;
  std::vector<MediaSection> media;
};

// Parses an SDP; an error's message names the line ("line 7: ...") and why.
StatusOr<Session> Parse(std::string_view text);
std::string Write(const Session& session);

}  // namespace sfu::sdp
