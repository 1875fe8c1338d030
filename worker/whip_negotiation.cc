#include "worker/whip_negotiation.h"

#include <algorithm>

#include "base/str_cat.h"
#include "router/rtp_parameters.h"

namespace sfu {
namespace {

constexpr std::string_view kMidUri = "urn:ietf:params:rtp-hdrext:sdes:mid";
constexpr std::string_view kRidUri = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id";
constexpr std::string_view kRridUri = "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id";
// Extensions the answer accepts: stream identification, and those a consumer forwards.
constexpr std::string_view kAcceptedExtensions[] = {
    kMidUri, kRidUri, kRridUri, ext_uri::kAbsSendTime, ext_uri::kAudioLevel, ext_uri::kVideoOrientation,
    ext_uri::kPlayoutDelay, ext_uri::kAbsCaptureTime, ext_uri::kDependencyDescriptor};
constexpr std::string_view kAcceptedFeedback[] = {"nack", "nack pli", "ccm fir"};

bool Iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// The codec the server takes from a section, in order of preference.
const sdp::Codec* ChooseCodec(const sdp::MediaSection& m) {
  auto find = [&m](std::string_view name, auto&& extra) -> const sdp::Codec* {
    for (const sdp::Codec& codec : m.codecs) {
      if (Iequals(codec.name, name) && extra(codec)) return &codec;
    }
    return nullptr;
  };
  auto any = [](const sdp::Codec&) { return true; };
  if (m.kind == "audio") {
    return find("opus", [](const sdp::Codec& c) { return c.clock_rate == 48000 && c.channels == 2; });
  }
  if (const sdp::Codec* vp8 = find("VP8", any)) return vp8;
  if (const sdp::Codec* h264 = find("H264", [](const sdp::Codec& codec) {
        return codec.FmtpParam("packetization-mode").value_or("0") == "1";
      })) {
    return h264;
  }
  if (const sdp::Codec* vp9 = find("VP9", any)) return vp9;
  return find("AV1", any);
}

const sdp::Codec* RtxFor(const sdp::MediaSection& m, int payload_type) {
  for (const sdp::Codec& c : m.codecs) {
    if (Iequals(c.name, "rtx") && c.FmtpParam("apt") == std::to_string(payload_type)) return &c;
  }
  return nullptr;
}

int ExtensionId(const sdp::MediaSection& m, std::string_view uri) {
  for (const sdp::Extmap& e : m.extmaps) {
    if (e.uri == uri) return e.id;
  }
  return 0;
}

Status Unsupported(std::string_view why) { return UnsupportedError(why); }

// Checks what every bundled audio/video section of a WHIP or WHEP offer needs.
Status CheckSection(const sdp::MediaSection& m, const std::vector<std::string>& bundled, const std::string& where) {
  if (m.ice_ufrag.empty() || m.ice_pwd.empty()) {
    return InvalidParamsError("sdp", StrCat(where, " has no a=ice-ufrag/a=ice-pwd"));
  }
  if (!m.fingerprint) return InvalidParamsError("sdp", StrCat(where, " has no a=fingerprint"));
  if (m.mid.empty()) return InvalidParamsError("sdp", StrCat(where, " has no a=mid"));
  if (m.protocol.find("SAVP") == std::string::npos) {
    return Unsupported(StrCat(where, ": protocol ", m.protocol, " is not DTLS-SRTP"));
  }
  if (!m.rtcp_mux) return Unsupported(StrCat(where, " lacks a=rtcp-mux"));
  if (std::find(bundled.begin(), bundled.end(), m.mid) == bundled.end()) {
    return Unsupported(StrCat(where, " is not in the BUNDLE group; all media must be bundled"));
  }
  return absl::OkStatus();
}

// The transport part of an accepted answer section: ICE, DTLS, candidates.
sdp::MediaSection AnswerSection(const sdp::MediaSection& o, const WebRtcTransportInfo& transport,
                                DtlsRole local_role) {
  sdp::MediaSection a;
  a.kind = o.kind;
  a.protocol = o.protocol;
  a.mid = o.mid;
  const IceCandidateInfo* first = transport.candidates.empty() ? nullptr : &transport.candidates[0];
  a.port = first ? first->port : 9;
  if (first) a.connection = StrCat("IN ", first->ip.find(':') == std::string::npos ? "IP4 " : "IP6 ", first->ip);
  a.ice_ufrag = transport.ice.ufrag;
  a.ice_pwd = transport.ice.pwd;
  a.fingerprint = sdp::Fingerprint{"sha-256", transport.fingerprint};
  a.setup = local_role == DtlsRole::kServer ? "passive" : "active";
  a.rtcp_mux = true;
  a.rtcp_rsize = o.rtcp_rsize;
  for (const IceCandidateInfo& cand : transport.candidates) {
    sdp::Candidate sc;
    sc.foundation = "1";
    sc.component = 1;
    sc.transport = cand.protocol;
    sc.priority = CandidatePriority(cand.protocol);
    sc.address = cand.ip;
    sc.port = cand.port;
    sc.type = "host";
    if (cand.protocol == "tcp") sc.tcp_type = "passive";
    a.candidates.push_back(sc);
  }
  a.end_of_candidates = true;
  return a;
}

// A section the answer does not take: rejected with port 0 (RFC 8829 section 5.3.1).
sdp::MediaSection RejectedSection(const sdp::MediaSection& o) {
  sdp::MediaSection a;
  a.kind = o.kind;
  a.protocol = o.protocol;
  a.mid = o.mid;
  a.port = 0;
  a.formats = o.formats;
  a.direction = sdp::Direction::kInactive;
  return a;
}

sdp::Session AnswerSession(const WebRtcTransportInfo& transport) {
  sdp::Session answer;
  answer.session_id = transport.id.substr(0, 12);
  answer.session_version = "1";
  answer.origin_address = "0.0.0.0";
  answer.ice_lite = true;
  return answer;
}

}  // namespace

uint32_t CandidatePriority(std::string_view protocol) {
  // RFC 8445 section 5.1.2.1 with host type preference 126; TCP gets a lower local
  // preference than UDP (RFC 6544 section 4.2), so clients prefer UDP when both work.
  uint32_t local = protocol == "tcp" ? 32767u : 65535u;
  return (126u << 24) | (local << 8) | 255u;
}

StatusOr<WhipPublish> ReadWhipOffer(const sdp::Session& offer) {
  WhipPublish out;
  const std::vector<std::string>& bundled = offer.bundle;
  for (size_t i = 0; i < offer.media.size(); ++i) {
    const sdp::MediaSection& m = offer.media[i];
    if (m.rejected() || (m.kind != "audio" && m.kind != "video")) continue;
    std::string where = StrCat("m-line ", i + 1, " (", m.kind, ")");
    if (Status st = CheckSection(m, bundled, where); !st.ok()) return st;
    for (const WhipPublish::Track& t : out.tracks) {
      if (t.params.mid == m.mid) return InvalidParamsError("sdp", StrCat(where, " repeats mid ", m.mid));
    }
    if (m.direction != sdp::Direction::kSendOnly && m.direction != sdp::Direction::kSendRecv) {
      return Unsupported(StrCat(where, " is ", sdp::DirectionName(m.direction),
                                "; a WHIP offer sends media"));
    }
    const sdp::Codec* codec = ChooseCodec(m);
    if (!codec) {
      std::string offered;
      for (const sdp::Codec& c : m.codecs) StrAppend(&offered, offered.empty() ? "" : ", ", c.name);
      return Unsupported(StrCat(where, ": no supported codec (offered: ", offered,
                                "; supported: opus, VP8, H264 packetization-mode=1, VP9, AV1)"));
    }
    if (out.tracks.empty()) {
      out.remote_ice_ufrag = m.ice_ufrag;
      out.remote_ice_pwd = m.ice_pwd;
      out.fingerprint_algorithm = m.fingerprint->algorithm;
      out.fingerprint = m.fingerprint->value;
      // We answer passive (DTLS server) unless the offerer insists on being it.
      out.local_dtls_role = m.setup == "passive" ? DtlsRole::kClient : DtlsRole::kServer;
    }
    WhipPublish::Track track;
    track.section = i;
    ProducerParams& p = track.params;
    p.kind = m.kind;
    p.mid = m.mid;
    ProducerCodec pc;
    pc.payload_type = codec->payload_type;
    pc.mime_type = StrCat(m.kind, "/", codec->name);
    pc.clock_rate = codec->clock_rate;
    pc.channels = codec->channels;
    pc.fmtp = codec->fmtp;
    if (const sdp::Codec* rtx = RtxFor(m, codec->payload_type)) pc.rtx_payload_type = rtx->payload_type;
    p.codecs.push_back(pc);
    for (const std::string& fb : codec->feedback) {
      for (std::string_view ok : kAcceptedFeedback) {
        if (fb == ok) track.feedback.push_back(fb);
      }
    }
    p.codecs.front().rtcp_feedback = track.feedback;
    for (const sdp::Extmap& e : m.extmaps) {
      for (std::string_view uri : kAcceptedExtensions) {
        if (e.uri == uri) p.header_extensions.push_back({e.uri, e.id});
      }
    }
    p.mid_extension_id = ExtensionId(m, kMidUri);
    p.rid_extension_id = ExtensionId(m, kRidUri);
    p.repaired_rid_extension_id = ExtensionId(m, kRridUri);
    if (m.simulcast && !m.simulcast->send.empty()) {
      for (const auto& alternatives : m.simulcast->send) {
        std::string rid = alternatives.front();
        if (!rid.empty() && rid[0] == '~') rid = rid.substr(1);  // Paused at first: still a layer.
        p.encodings.push_back({std::nullopt, std::nullopt, rid});
      }
      if (p.rid_extension_id == 0) return Unsupported(StrCat(where, ": simulcast without the rtp-stream-id extension"));
    } else {
      ProducerEncoding e;
      for (const sdp::SsrcGroup& g : m.ssrc_groups) {
        if (g.semantics == "FID" && g.ssrcs.size() == 2) {
          e.ssrc = g.ssrcs[0];
          e.rtx_ssrc = g.ssrcs[1];
        }
      }
      if (!e.ssrc && !m.ssrcs.empty()) e.ssrc = m.ssrcs.front().ssrc;
      if (!e.ssrc && p.mid_extension_id == 0) {
        return Unsupported(StrCat(where, ": neither a=ssrc nor the MID extension identifies its packets"));
      }
      p.encodings.push_back(e);
    }
    out.tracks.push_back(std::move(track));
  }
  if (out.tracks.empty()) return Unsupported("the offer has no audio or video to publish");
  return out;
}

std::string WriteWhipAnswer(const sdp::Session& offer, const WhipPublish& publish,
                            const WebRtcTransportInfo& transport) {
  sdp::Session answer = AnswerSession(transport);
  for (size_t i = 0; i < offer.media.size(); ++i) {
    const sdp::MediaSection& o = offer.media[i];
    auto track = std::find_if(publish.tracks.begin(), publish.tracks.end(),
                              [i](const WhipPublish::Track& t) { return t.section == i; });
    if (track == publish.tracks.end()) {
      answer.media.push_back(RejectedSection(o));
      continue;
    }
    answer.bundle.push_back(o.mid);
    const ProducerCodec& codec = track->params.codecs.front();
    sdp::MediaSection a = AnswerSection(o, transport, publish.local_dtls_role);
    a.direction = sdp::Direction::kRecvOnly;
    for (const sdp::Extmap& e : o.extmaps) {
      for (std::string_view uri : kAcceptedExtensions) {
        if (e.uri == uri) a.extmaps.push_back({e.id, e.uri, ""});
      }
    }
    const sdp::Codec* offered = o.FindCodec(codec.payload_type);
    sdp::Codec c = *offered;
    c.feedback = track->feedback;
    a.codecs.push_back(c);
    a.formats.push_back(std::to_string(c.payload_type));
    if (codec.rtx_payload_type) {
      sdp::Codec rtx = *o.FindCodec(*codec.rtx_payload_type);
      rtx.feedback.clear();
      a.codecs.push_back(rtx);
      a.formats.push_back(std::to_string(rtx.payload_type));
    }
    if (o.simulcast && !o.simulcast->send.empty()) {
      sdp::Simulcast sc;
      for (const ProducerEncoding& e : track->params.encodings) {
        a.rids.push_back({e.rid, "recv", ""});
        sc.recv.push_back({e.rid});
      }
      a.simulcast = std::move(sc);
    }
    answer.media.push_back(std::move(a));
  }
  return sdp::Write(answer);
}

StatusOr<WhepSubscribe> ReadWhepOffer(const sdp::Session& offer) {
  WhepSubscribe out;
  for (size_t i = 0; i < offer.media.size(); ++i) {
    const sdp::MediaSection& m = offer.media[i];
    if (m.rejected() || (m.kind != "audio" && m.kind != "video")) continue;
    std::string where = StrCat("m-line ", i + 1, " (", m.kind, ")");
    if (Status st = CheckSection(m, offer.bundle, where); !st.ok()) return st;
    if (m.direction != sdp::Direction::kRecvOnly && m.direction != sdp::Direction::kSendRecv) {
      return Unsupported(StrCat(where, " is ", sdp::DirectionName(m.direction), "; a WHEP offer receives media"));
    }
    if (out.sections.empty()) {
      out.remote_ice_ufrag = m.ice_ufrag;
      out.fingerprint_algorithm = m.fingerprint->algorithm;
      out.fingerprint = m.fingerprint->value;
      out.local_dtls_role = m.setup == "passive" ? DtlsRole::kClient : DtlsRole::kServer;
    }
    WhepSubscribe::Section section;
    section.section = i;
    section.kind = m.kind;
    section.mid = m.mid;
    for (const sdp::Codec& c : m.codecs) {
      section.capabilities.codecs.push_back(
          {m.kind, StrCat(m.kind, "/", c.name), c.payload_type, c.clock_rate, c.channels, c.fmtp, c.feedback});
    }
    for (const sdp::Extmap& e : m.extmaps) section.capabilities.header_extensions.push_back({m.kind, e.uri, e.id});
    out.sections.push_back(std::move(section));
  }
  if (out.sections.empty()) return Unsupported("the offer has no audio or video to receive");
  return out;
}

std::string WriteWhepAnswer(const sdp::Session& offer, const WhepSubscribe& subscribe,
                            const std::vector<std::optional<ConsumerInfo>>& consumers,
                            const WebRtcTransportInfo& transport, std::string_view stream_id) {
  sdp::Session answer = AnswerSession(transport);
  answer.msid_semantic = "WMS *";
  for (size_t i = 0; i < offer.media.size(); ++i) {
    const sdp::MediaSection& o = offer.media[i];
    const ConsumerInfo* consumer = nullptr;
    for (size_t k = 0; k < subscribe.sections.size(); ++k) {
      if (subscribe.sections[k].section == i && k < consumers.size() && consumers[k]) consumer = &*consumers[k];
    }
    if (!consumer) {
      answer.media.push_back(RejectedSection(o));
      continue;
    }
    answer.bundle.push_back(o.mid);
    const ConsumerParams& p = consumer->params;
    sdp::MediaSection a = AnswerSection(o, transport, subscribe.local_dtls_role);
    a.direction = sdp::Direction::kSendOnly;
    for (const HeaderExtension& e : p.header_extensions) a.extmaps.push_back({e.id, e.uri, ""});
    sdp::Codec c = *o.FindCodec(p.payload_type);
    c.feedback = p.rtcp_feedback;
    a.codecs.push_back(c);
    a.formats.push_back(std::to_string(c.payload_type));
    if (p.rtx_payload_type) {
      sdp::Codec rtx = *o.FindCodec(*p.rtx_payload_type);
      rtx.feedback.clear();
      a.codecs.push_back(rtx);
      a.formats.push_back(std::to_string(rtx.payload_type));
      a.ssrc_groups.push_back({"FID", {p.ssrc, *p.rtx_ssrc}});
    }
    const std::string& cname = p.cname;
    std::string msid = StrCat(stream_id, " ", consumer->producer_id);
    a.msid = msid;
    a.ssrcs.push_back({p.ssrc, "cname", cname});
    a.ssrcs.push_back({p.ssrc, "msid", msid});
    if (p.rtx_ssrc) {
      a.ssrcs.push_back({*p.rtx_ssrc, "cname", cname});
      a.ssrcs.push_back({*p.rtx_ssrc, "msid", msid});
    }
    answer.media.push_back(std::move(a));
  }
  return sdp::Write(answer);
}

}  // namespace sfu
