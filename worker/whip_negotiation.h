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
// ICE priority of our host candidates.
uint32_t CandidatePriority(std::string_view protocol);
std::string WriteWhipAnswer(const sdp::Session& offer, const WhipPublish& publish,
                            const WebRtcTransportInfo& transport);

}  // namespace sfu
