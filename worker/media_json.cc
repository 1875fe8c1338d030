#include "worker/media_json.h"

#include <cctype>

#include "base/str_cat.h"

namespace sfu {
namespace {

using Json = nlohmann::json;

// "a=1;b=x" -> {"a": 1, "b": "x"}
Json FmtpToJson(std::string_view fmtp) {
  Json out = Json::object();
  while (!fmtp.empty()) {
    size_t semi = fmtp.find(';');
    std::string_view item = fmtp.substr(0, semi);
    fmtp = semi == std::string_view::npos ? std::string_view() : fmtp.substr(semi + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    size_t eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    std::string key(item.substr(0, eq));
    std::string value(item.substr(eq + 1));
    // Numbers stay numbers ("packetization-mode": 1); ids like "42e01f" or "640032" stay text.
    bool numeric = !value.empty() && value.size() < 10 && key != "profile-level-id" &&
                   (value == "0" || value[0] != '0') &&
                   std::all_of(value.begin(), value.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
    if (numeric) {
      out[key] = std::stoll(value);
    } else {
      out[key] = value;
    }
  }
  return out;
}

StatusOr<std::string> JsonToFmtp(const Json& params, const std::string& field) {
  if (!params.is_object()) return InvalidParamsError(field, "must be an object");
  std::string out;
  for (const auto& [key, value] : params.items()) {
    std::string v;
    if (value.is_string()) {
      v = value.get<std::string>();
    } else if (value.is_number_integer()) {
      v = std::to_string(value.get<int64_t>());
    } else {
      return InvalidParamsError(StrCat(field, ".", key), "must be a string or an integer");
    }
    StrAppend(&out, out.empty() ? "" : ";", key, "=", v);
  }
  return out;
}

Json FeedbackJson(const std::vector<std::string>& feedback) {
  Json out = Json::array();
  for (const std::string& fb : feedback) {
    size_t space = fb.find(' ');
    if (space == std::string::npos) {
      out.push_back({{"type", fb}, {"parameter", ""}});
    } else {
      out.push_back({{"type", fb.substr(0, space)}, {"parameter", fb.substr(space + 1)}});
    }
  }
  return out;
}

StatusOr<std::vector<std::string>> ReadFeedback(const Json& j, const std::string& field) {
  std::vector<std::string> out;
  if (!j.is_array()) return InvalidParamsError(field, "must be an array");
  for (size_t i = 0; i < j.size(); ++i) {
    const Json& fb = j[i];
    std::string f = StrCat(field, "[", i, "]");
    if (!fb.is_object() || !fb.contains("type") || !fb["type"].is_string()) {
      return InvalidParamsError(f, "must be {type, parameter?}");
    }
    std::string s = fb["type"];
    if (fb.contains("parameter")) {
      if (!fb["parameter"].is_string()) return InvalidParamsError(StrCat(f, ".parameter"), "must be a string");
      std::string param = fb["parameter"];
      if (!param.empty()) StrAppend(&s, " ", param);
    }
    out.push_back(std::move(s));
  }
  return out;
}

StatusOr<int> ReadInt(const Json& obj, std::initializer_list<const char*> names, const std::string& field,
                      int min, int max, std::optional<int> fallback = std::nullopt) {
  for (const char* name : names) {
    if (!obj.contains(name)) continue;
    const Json& v = obj[name];
    if (!v.is_number_integer() || v.get<int64_t>() < min || v.get<int64_t>() > max) {
      return InvalidParamsError(StrCat(field, ".", name), StrCat("must be an integer in [", min, ", ", max, "]"));
    }
    return static_cast<int>(v.get<int64_t>());
  }
  if (fallback) return *fallback;
  return InvalidParamsError(StrCat(field, ".", *names.begin()), "is required");
}

StatusOr<std::string> ReadString(const Json& obj, const char* name, const std::string& field, bool required) {
  if (!obj.contains(name)) {
    if (required) return InvalidParamsError(StrCat(field, ".", name), "is required");
    return std::string();
  }
  if (!obj[name].is_string()) return InvalidParamsError(StrCat(field, ".", name), "must be a string");
  return obj[name].get<std::string>();
}

}  // namespace

Json ProducerStatsJson(const Producer& producer, Timestamp now) {
  Json streams = Json::array();
  const ProducerCodec* codec = producer.params().codecs.empty() ? nullptr : &producer.params().codecs.front();
  for (const ProducerStreamStats& s : producer.Stats(now)) {
    Json j = {{"type", "inbound-rtp"},
              {"kind", producer.kind()},
              {"mimeType", codec ? codec->mime_type : ""},
              {"ssrc", s.ssrc},
              {"rid", s.rid},
              {"encodingIdx", s.encoding},
              {"packetsReceived", s.packets},
              {"bytesReceived", s.bytes},
              {"packetsLost", s.packets_lost},
              {"jitter", s.jitter_seconds},
              {"retransmittedPacketsReceived", s.rtx_packets},
              {"packetsRecovered", s.packets_recovered},
              {"packetsDiscarded", s.packets_discarded},
              {"nackCount", s.nack_count},
              {"nackPacketCount", s.nack_packets},
              {"pliCount", s.pli_count},
              {"firCount", s.fir_count},
              {"keyFramesReceived", s.keyframes},
              {"bitrate", s.bitrate_bps},
              {"score", s.score}};
    if (s.rtx_ssrc) j["rtxSsrc"] = *s.rtx_ssrc;
    streams.push_back(std::move(j));
  }
  return {{"producerId", producer.id()},
          {"kind", producer.kind()},
          {"mid", producer.params().mid},
          {"packetsReceived", producer.packets()},
          {"paused", producer.paused()},
          {"score", producer.score()},
          {"roundTripTime", producer.rtt().seconds()},
          {"streams", std::move(streams)}};
}

Json ConsumerStatsJson(const Consumer& consumer) {
  const ConsumerStats& s = consumer.stats();
  Json outbound = {{"type", "outbound-rtp"},
                   {"kind", consumer.kind()},
                   {"mimeType", consumer.params().mime_type},
                   {"ssrc", consumer.params().ssrc},
                   {"packetsSent", s.packets_sent},
                   {"bytesSent", s.bytes_sent},
                   {"retransmittedPacketsSent", s.retransmitted_packets},
                   {"retransmittedBytesSent", s.retransmitted_bytes},
                   {"nackCount", s.nack_count},
                   {"nackMissed", s.nack_missed},
                   {"pliCount", s.pli_count},
                   {"firCount", s.fir_count},
                   {"keyFramesSent", s.keyframes_sent},
                   {"droppedWaitingKeyFrame", s.dropped_waiting_keyframe}};
  Json remote = {{"type", "remote-inbound-rtp"},
                 {"ssrc", consumer.params().ssrc},
                 {"fractionLost", s.fraction_lost / 256.0},
                 {"packetsLost", s.packets_lost},
                 {"jitter", s.jitter_seconds}};
  if (s.rtt) remote["roundTripTime"] = s.rtt->seconds();
  return {{"consumerId", consumer.id()},
          {"producerId", consumer.producer().id()},
          {"kind", consumer.kind()},
          {"paused", consumer.paused()},
          {"producerPaused", consumer.producer_paused()},
          {"encodingIdx", consumer.encoding()},
          {"score", {{"score", consumer.score()}, {"producerScore", consumer.producer().score()}}},
          {"stats", Json::array({std::move(outbound), std::move(remote)})}};
}

Json ProducerParamsJson(const Producer& producer) {
  const ProducerParams& p = producer.params();
  Json codecs = Json::array();
  for (const ProducerCodec& c : p.codecs) {
    Json j = {{"mimeType", c.mime_type}, {"payloadType", c.payload_type}, {"clockRate", c.clock_rate},
              {"parameters", FmtpToJson(c.fmtp)}, {"rtcpFeedback", FeedbackJson(c.rtcp_feedback)}};
    if (c.channels) j["channels"] = c.channels;
    codecs.push_back(std::move(j));
    if (c.rtx_payload_type) {
      codecs.push_back({{"mimeType", StrCat(p.kind, "/rtx")}, {"payloadType", *c.rtx_payload_type},
                        {"clockRate", c.clock_rate}, {"parameters", {{"apt", c.payload_type}}}});
    }
  }
  Json encodings = Json::array();
  for (const ProducerEncoding& e : p.encodings) {
    Json j = Json::object();
    if (e.ssrc) j["ssrc"] = *e.ssrc;
    if (e.rtx_ssrc) j["rtx"] = {{"ssrc", *e.rtx_ssrc}};
    if (!e.rid.empty()) j["rid"] = e.rid;
    encodings.push_back(std::move(j));
  }
  Json exts = Json::array();
  for (const HeaderExtension& e : p.header_extensions) exts.push_back({{"uri", e.uri}, {"id", e.id}});
  return {{"producerId", producer.id()},
          {"kind", p.kind},
          {"paused", producer.paused()},
          {"rtpParameters", {{"mid", p.mid}, {"codecs", std::move(codecs)}, {"encodings", std::move(encodings)},
                             {"headerExtensions", std::move(exts)}}}};
}

Json ConsumerRtpParametersJson(const ConsumerParams& c) {
  Json codec = {{"mimeType", c.mime_type}, {"payloadType", c.payload_type}, {"clockRate", c.clock_rate},
                {"parameters", FmtpToJson(c.fmtp)}, {"rtcpFeedback", FeedbackJson(c.rtcp_feedback)}};
  if (c.channels) codec["channels"] = c.channels;
  Json codecs = Json::array({codec});
  Json encoding = {{"ssrc", c.ssrc}};
  if (c.rtx_payload_type) {
    codecs.push_back({{"mimeType", StrCat(c.kind, "/rtx")}, {"payloadType", *c.rtx_payload_type},
                      {"clockRate", c.clock_rate}, {"parameters", {{"apt", c.payload_type}}}, {"rtcpFeedback", Json::array()}});
    encoding["rtx"] = {{"ssrc", *c.rtx_ssrc}};
  }
  Json exts = Json::array();
  for (const HeaderExtension& e : c.header_extensions) exts.push_back({{"uri", e.uri}, {"id", e.id}});
  return {{"mid", c.mid}, {"codecs", std::move(codecs)}, {"encodings", Json::array({encoding})},
          {"headerExtensions", std::move(exts)}, {"rtcp", {{"cname", c.cname}, {"reducedSize", true}}}};
}

Json ConsumerParamsJson(const Consumer& consumer) {
  return {{"consumerId", consumer.id()},
          {"producerId", consumer.producer().id()},
          {"kind", consumer.kind()},
          {"paused", consumer.paused()},
          {"producerPaused", consumer.producer_paused()},
          {"rtpParameters", ConsumerRtpParametersJson(consumer.params())}};
}

Json RtpCapabilitiesJson(const RtpCapabilities& caps) {
  Json codecs = Json::array();
  for (const RtpCodecCapability& c : caps.codecs) {
    Json j = {{"kind", c.kind}, {"mimeType", c.mime_type}, {"preferredPayloadType", c.payload_type},
              {"clockRate", c.clock_rate}, {"parameters", FmtpToJson(c.fmtp)},
              {"rtcpFeedback", FeedbackJson(c.rtcp_feedback)}};
    if (c.channels) j["channels"] = c.channels;
    codecs.push_back(std::move(j));
  }
  Json exts = Json::array();
  for (const RtpHeaderExtensionCapability& e : caps.header_extensions) {
    exts.push_back({{"kind", e.kind}, {"uri", e.uri}, {"preferredId", e.id}});
  }
  return {{"codecs", std::move(codecs)}, {"headerExtensions", std::move(exts)}};
}

StatusOr<RtpCapabilities> ReadRtpCapabilities(const Json& j, const std::string& field) {
  if (!j.is_object()) return InvalidParamsError(field, "must be an object");
  RtpCapabilities caps;
  if (!j.contains("codecs") || !j["codecs"].is_array()) return InvalidParamsError(StrCat(field, ".codecs"), "must be an array");
  const Json& codecs = j["codecs"];
  for (size_t i = 0; i < codecs.size(); ++i) {
    std::string f = StrCat(field, ".codecs[", i, "]");
    const Json& c = codecs[i];
    if (!c.is_object()) return InvalidParamsError(f, "must be an object");
    RtpCodecCapability cap;
    auto mime = ReadString(c, "mimeType", f, true);
    if (!mime.ok()) return mime.status();
    size_t slash = mime->find('/');
    if (slash == std::string::npos) return InvalidParamsError(StrCat(f, ".mimeType"), "must be kind/name");
    cap.mime_type = *mime;
    cap.kind = c.value("kind", mime->substr(0, slash));
    auto pt = ReadInt(c, {"preferredPayloadType", "payloadType"}, f, 0, 127);
    if (!pt.ok()) return pt.status();
    cap.payload_type = *pt;
    auto clock = ReadInt(c, {"clockRate"}, f, 1, 1'000'000);
    if (!clock.ok()) return clock.status();
    cap.clock_rate = *clock;
    auto channels = ReadInt(c, {"channels"}, f, 0, 8, 0);
    if (!channels.ok()) return channels.status();
    cap.channels = *channels;
    if (c.contains("parameters")) {
      auto fmtp = JsonToFmtp(c["parameters"], StrCat(f, ".parameters"));
      if (!fmtp.ok()) return fmtp.status();
      cap.fmtp = *fmtp;
    }
    if (c.contains("rtcpFeedback")) {
      auto fb = ReadFeedback(c["rtcpFeedback"], StrCat(f, ".rtcpFeedback"));
      if (!fb.ok()) return fb.status();
      cap.rtcp_feedback = *fb;
    }
    caps.codecs.push_back(std::move(cap));
  }
  if (j.contains("headerExtensions")) {
    const Json& exts = j["headerExtensions"];
    if (!exts.is_array()) return InvalidParamsError(StrCat(field, ".headerExtensions"), "must be an array");
    for (size_t i = 0; i < exts.size(); ++i) {
      std::string f = StrCat(field, ".headerExtensions[", i, "]");
      if (!exts[i].is_object()) return InvalidParamsError(f, "must be an object");
      auto uri = ReadString(exts[i], "uri", f, true);
      if (!uri.ok()) return uri.status();
      auto id = ReadInt(exts[i], {"preferredId", "id"}, f, 1, 255);
      if (!id.ok()) return id.status();
      auto kind = ReadString(exts[i], "kind", f, false);
      if (!kind.ok()) return kind.status();
      caps.header_extensions.push_back({*kind, *uri, *id});
    }
  }
  return caps;
}

StatusOr<ProducerParams> ReadProducerParams(const std::string& kind, const Json& j, const std::string& field) {
  if (!j.is_object()) return InvalidParamsError(field, "must be an object");
  ProducerParams p;
  p.kind = kind;
  auto mid = ReadString(j, "mid", field, false);
  if (!mid.ok()) return mid.status();
  p.mid = *mid;
  auto caps = ReadRtpCapabilities(Json{{"codecs", j.value("codecs", Json())},
                                       {"headerExtensions", j.value("headerExtensions", Json::array())}},
                                  field);
  if (!caps.ok()) return caps.status();
  for (const RtpCodecCapability& c : caps->codecs) {
    if (SameMime(c.mime_type, StrCat(kind, "/rtx"))) continue;
    if (!SameMime(c.mime_type.substr(0, kind.size()), kind)) {
      return InvalidParamsError(StrCat(field, ".codecs"), StrCat(c.mime_type, " is not a ", kind, " codec"));
    }
    if (!FindRouterCodec(RouterCapabilities(), c.mime_type, c.clock_rate, c.channels, c.fmtp)) {
      return UnsupportedError(StrCat("the router does not support ", c.mime_type,
                                     c.fmtp.empty() ? "" : StrCat(" (", c.fmtp, ")")));
    }
    ProducerCodec pc{c.payload_type, c.mime_type, c.clock_rate, c.channels, c.fmtp, std::nullopt, c.rtcp_feedback};
    for (const RtpCodecCapability& r : caps->codecs) {
      if (SameMime(r.mime_type, StrCat(kind, "/rtx")) && r.fmtp == StrCat("apt=", c.payload_type)) {
        pc.rtx_payload_type = r.payload_type;
      }
    }
    p.codecs.push_back(std::move(pc));
  }
  if (p.codecs.empty()) return InvalidParamsError(StrCat(field, ".codecs"), "needs a media codec");
  for (const RtpHeaderExtensionCapability& e : caps->header_extensions) {
    p.header_extensions.push_back({e.uri, e.id});
    if (e.uri == ext_uri::kMid) p.mid_extension_id = e.id;
    if (e.uri == ext_uri::kRid) p.rid_extension_id = e.id;
    if (e.uri == ext_uri::kRepairedRid) p.repaired_rid_extension_id = e.id;
  }
  if (!j.contains("encodings") || !j["encodings"].is_array() || j["encodings"].empty()) {
    return InvalidParamsError(StrCat(field, ".encodings"), "must be a non-empty array");
  }
  const Json& encs = j["encodings"];
  for (size_t i = 0; i < encs.size(); ++i) {
    std::string f = StrCat(field, ".encodings[", i, "]");
    const Json& e = encs[i];
    if (!e.is_object()) return InvalidParamsError(f, "must be an object");
    ProducerEncoding enc;
    if (e.contains("ssrc")) {
      if (!e["ssrc"].is_number_unsigned() || e["ssrc"].get<uint64_t>() == 0 || e["ssrc"].get<uint64_t>() > 0xFFFFFFFFu) {
        return InvalidParamsError(StrCat(f, ".ssrc"), "must be an integer in [1, 4294967295]");
      }
      enc.ssrc = static_cast<uint32_t>(e["ssrc"].get<uint64_t>());
    }
    if (e.contains("rtx")) {
      const Json& rtx = e["rtx"];
      if (!rtx.is_object() || !rtx.contains("ssrc") || !rtx["ssrc"].is_number_unsigned() ||
          rtx["ssrc"].get<uint64_t>() == 0 || rtx["ssrc"].get<uint64_t>() > 0xFFFFFFFFu) {
        return InvalidParamsError(StrCat(f, ".rtx.ssrc"), "must be an integer in [1, 4294967295]");
      }
      enc.rtx_ssrc = static_cast<uint32_t>(rtx["ssrc"].get<uint64_t>());
    }
    auto rid = ReadString(e, "rid", f, false);
    if (!rid.ok()) return rid.status();
    enc.rid = *rid;
    if (!enc.ssrc && (enc.rid.empty() || p.rid_extension_id == 0) && (p.mid.empty() || p.mid_extension_id == 0)) {
      return InvalidParamsError(f, "needs an ssrc, or a rid with the rtp-stream-id extension, or a mid with the MID extension");
    }
    p.encodings.push_back(std::move(enc));
  }
  return p;
}

}  // namespace sfu
