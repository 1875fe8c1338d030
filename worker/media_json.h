#pragma once
// JSON shapes of the router's objects for the control API: RTP parameters and
// capabilities (read from requests, with the failing field named), and stats (W3C
// webrtc-stats names where one exists).

#include "base/status.h"
#include "nlohmann/json.hpp"
#include "router/consumer.h"
#include "router/producer.h"
#include "router/rtp_parameters.h"

namespace sfu {

nlohmann::json ProducerStatsJson(const Producer& producer, Timestamp now);
nlohmann::json ConsumerStatsJson(const Consumer& consumer);
nlohmann::json ProducerParamsJson(const Producer& producer);
nlohmann::json ConsumerParamsJson(const Consumer& consumer);
// The consumer's rtpParameters as a mediasoup-style client wants them.
nlohmann::json ConsumerRtpParametersJson(const ConsumerParams& params);
nlohmann::json RtpCapabilitiesJson(const RtpCapabilities& caps);

// {codecs: [{mimeType, preferredPayloadType|payloadType, clockRate, channels?,
// parameters?, rtcpFeedback?}], headerExtensions: [{kind?, uri, preferredId|id}]}
// `field` is the path used in errors ("params.rtpCapabilities").
StatusOr<RtpCapabilities> ReadRtpCapabilities(const nlohmann::json& j, const std::string& field);
// {kind, rtpParameters: {mid?, codecs: [{mimeType, payloadType, clockRate, channels?,
// parameters?, rtcpFeedback?}], encodings: [{ssrc?, rid?, rtx: {ssrc}?}],
// headerExtensions: [{uri, id}]}}; RTX codecs ("video/rtx", parameters.apt) attach to
// their codec.
StatusOr<ProducerParams> ReadProducerParams(const std::string& kind, const nlohmann::json& rtp_parameters,
                                            const std::string& field);

}  // namespace sfu
