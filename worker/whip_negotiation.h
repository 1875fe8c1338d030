#pragma once
// WHIP (RFC 9725) offer/answer: reads a publisher's SDP offer into the transport's remote
// parameters and one producer per audio/video section, and writes the answer. Pure.
//
// Errors: malformed or incomplete offers are InvalidParams (HTTP 400); offers this
// server cannot take (no common codec, no BUNDLE, no rtcp-mux, not sending) are
// Unsupported (HTTP 422). Each carries a one-line reason.

#include <string>
#include <vector>

#include "base/status.h"
#include "router/producer_params.h"
#include "router/rtp_parameters.h"
#include "transport/dtls/dtls_session.h"
#include "transport/sdp/sdp.h"
#include "worker/rtc_worker.h"

namespace sfu {

struct WhipPublish {
  std::string remote_ice_ufrag;
  std::string remote_ice_pwd;
  std::string fingerprint_algorithm;
  std::string fingerprint;
  DtlsRole local_dtls_role = DtlsRole::kServer;
  // One per accepted section; `section` is its index in the offer.
  struct Track {
    size_t section = 0;
    ProducerParams params;
    std::vector<std::string> feedback;  // rtcp-fb the answer accepts for the codec.
  };
  std::vector<Track> tracks;
};

StatusOr<WhipPublish> ReadWhipOffer(const sdp::Session& offer);

// WHEP: a subscriber's recvonly offer. Each audio/video section states what the
// subscriber can receive there.
struct WhepSubscribe {
  std::string remote_ice_ufrag;
  std::string fingerprint_algorithm;
  std::string fingerprint;
  DtlsRole local_dtls_role = DtlsRole::kServer;
  struct Section {
    size_t section = 0;
    std::string kind;
    std::string mid;
    RtpCapabilities capabilities;
  };
  std::vector<Section> sections;
};

StatusOr<WhepSubscribe> ReadWhepOffer(const sdp::Session& offer);
// The answer: a sendonly section per consumer (consumers[i] for subscribe.sections[i],
// nullopt where nothing is sent: that section is rejected). `stream_id` is the msid
// stream of every track (the publisher's id), so audio and video play in sync.
std::string WriteWhepAnswer(const sdp::Session& offer, const WhepSubscribe& subscribe,
                            const std::vector<std::optional<ConsumerInfo>>& consumers,
                            const WebRtcTransportInfo& transport, std::string_view stream_id);
// ICE priority of our host candidates.
uint32_t CandidatePriority(std::string_view protocol);
std::string WriteWhipAnswer(const sdp::Session& offer, const WhipPublish& publish,
                            const WebRtcTransportInfo& transport);

}  // namespace sfu
