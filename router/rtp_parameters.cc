#include "router/rtp_parameters.h"

#include <algorithm>
#include <cctype>

#include "base/str_cat.h"
#include "router/codecs/h264_profile.h"

namespace sfu {
namespace {

RtpCodecCapability Video(std::string name, int pt, std::string fmtp) {
  return {"video", StrCat("video/", name), pt, 90000, 0, std::move(fmtp),
          {"nack", "nack pli", "ccm fir", "goog-remb", "transport-cc"}};
}

RtpCodecCapability Rtx(int pt, int apt) { return {"video", "video/rtx", pt, 90000, 0, StrCat("apt=", apt), {}}; }

RtpCapabilities MakeRouterCapabilities() {
  RtpCapabilities caps;
  caps.codecs.push_back({"audio", "audio/opus", 111, 48000, 2, "minptime=10;useinbandfec=1", {"transport-cc"}});
  struct V {
    const char* name;
    const char* fmtp;
  };
  const V video[] = {
      {"VP8", ""},
      {"VP9", "profile-id=0"},
      {"VP9", "profile-id=2"},
      {"H264", "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"},
      {"H264", "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f"},
      {"H264", "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f"},
      {"H264", "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=640032"},
  };
  int pt = 96;  // 96-109; AV1 takes 45/46 as browsers do, opus keeps 111.
  for (const V& v : video) {
    caps.codecs.push_back(Video(v.name, pt, v.fmtp));
    caps.codecs.push_back(Rtx(pt + 1, pt));
    pt += 2;
  }
  caps.codecs.push_back(Video("AV1", 45, ""));
  caps.codecs.push_back(Rtx(46, 45));
  for (std::string_view kind : {"audio", "video"}) {
    int id = 1;
    for (std::string_view uri : {ext_uri::kMid, ext_uri::kRid, ext_uri::kRepairedRid, ext_uri::kAbsSendTime,
                                 ext_uri::kTransportCc, ext_uri::kAudioLevel, ext_uri::kVideoOrientation,
                                 ext_uri::kPlayoutDelay, ext_uri::kAbsCaptureTime, ext_uri::kDependencyDescriptor}) {
      int this_id = id++;
      bool audio_only = uri == ext_uri::kAudioLevel;
      bool video_only = uri == ext_uri::kVideoOrientation || uri == ext_uri::kPlayoutDelay ||
                        uri == ext_uri::kDependencyDescriptor || uri == ext_uri::kRid ||
                        uri == ext_uri::kRepairedRid;
      if ((kind == "audio" && video_only) || (kind == "video" && audio_only)) continue;
      caps.header_extensions.push_back({std::string(kind), std::string(uri), this_id});
    }
  }
  return caps;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string Param(std::string_view fmtp, std::string_view key, std::string_view fallback) {
  return codecs::FmtpParameter(fmtp, key).value_or(std::string(fallback));
}

}  // namespace

bool ForwardableExtension(std::string_view uri) {
  return uri == ext_uri::kMid || uri == ext_uri::kAbsSendTime || uri == ext_uri::kAudioLevel ||
         uri == ext_uri::kVideoOrientation || uri == ext_uri::kPlayoutDelay ||
         uri == ext_uri::kAbsCaptureTime || uri == ext_uri::kDependencyDescriptor;
}

const RtpCapabilities& RouterCapabilities() {
  static const RtpCapabilities caps = MakeRouterCapabilities();
  return caps;
}

bool SameMime(std::string_view a, std::string_view b) { return Lower(a) == Lower(b); }

bool SameCodec(std::string_view mime_a, int clock_a, int channels_a, std::string_view fmtp_a,
               std::string_view mime_b, int clock_b, int channels_b, std::string_view fmtp_b) {
  if (!SameMime(mime_a, mime_b) || clock_a != clock_b) return false;
  std::string mime = Lower(mime_a);
  if (mime.starts_with("audio/") && std::max(channels_a, 1) != std::max(channels_b, 1)) return false;
  if (mime == "video/h264") {
    return codecs::H264SamePacketizationMode(fmtp_a, fmtp_b) && codecs::H264SameProfile(fmtp_a, fmtp_b);
  }
  if (mime == "video/vp9") return Param(fmtp_a, "profile-id", "0") == Param(fmtp_b, "profile-id", "0");
  if (mime == "video/av1") return Param(fmtp_a, "profile", "0") == Param(fmtp_b, "profile", "0");
  if (mime == "video/rtx") return Param(fmtp_a, "apt", "") == Param(fmtp_b, "apt", "");
  return true;
}

const RtpCodecCapability* FindRouterCodec(const RtpCapabilities& router, std::string_view mime_type,
                                          int clock_rate, int channels, std::string_view fmtp) {
  for (const RtpCodecCapability& c : router.codecs) {
    if (SameCodec(c.mime_type, c.clock_rate, c.channels, c.fmtp, mime_type, clock_rate, channels, fmtp)) return &c;
  }
  return nullptr;
}

StatusOr<ConsumerParams> DeriveConsumerParams(const ProducerParams& producer,
                                              const RtpCapabilities& subscriber, std::string mid,
                                              uint32_t ssrc, uint32_t rtx_ssrc) {
  if (producer.codecs.empty()) return InvalidStateError("the producer has no codec");
  const ProducerCodec& pc = producer.codecs.front();
  const RtpCodecCapability* match = nullptr;
  for (const RtpCodecCapability& c : subscriber.codecs) {
    if (SameCodec(pc.mime_type, pc.clock_rate, pc.channels, pc.fmtp, c.mime_type, c.clock_rate, c.channels, c.fmtp)) {
      match = &c;
      break;
    }
  }
  if (!match) {
    std::string offered;
    for (const RtpCodecCapability& c : subscriber.codecs) {
      if (!SameMime(c.mime_type, "video/rtx")) StrAppend(&offered, offered.empty() ? "" : ", ", c.mime_type);
    }
    std::string produced = pc.mime_type;
    if (!pc.fmtp.empty()) StrAppend(&produced, " (", pc.fmtp, ")");
    return UnsupportedError(StrCat("the subscriber cannot receive ", produced, "; it supports: ",
                                   offered.empty() ? "nothing" : offered));
  }
  ConsumerParams out;
  out.kind = producer.kind;
  out.mid = std::move(mid);
  out.mime_type = pc.mime_type;
  out.payload_type = match->payload_type;
  out.clock_rate = pc.clock_rate;
  out.channels = pc.channels;
  out.fmtp = pc.fmtp;
  out.ssrc = ssrc;
  for (const std::string& fb : match->rtcp_feedback) {
    if (fb == "nack") out.nack = true;
    if (fb == "nack pli") out.pli = true;
    if (fb == "ccm fir") out.fir = true;
    if (fb == "nack" || fb == "nack pli" || fb == "ccm fir") out.rtcp_feedback.push_back(fb);
  }
  if (out.kind == "video" && out.nack) {
    std::string apt = std::to_string(match->payload_type);
    for (const RtpCodecCapability& c : subscriber.codecs) {
      if (SameMime(c.mime_type, "video/rtx") && Param(c.fmtp, "apt", "") == apt) {
        out.rtx_payload_type = c.payload_type;
        out.rtx_ssrc = rtx_ssrc;
        break;
      }
    }
  }
  for (const RtpHeaderExtensionCapability& e : subscriber.header_extensions) {
    if ((e.kind.empty() || e.kind == out.kind) && ForwardableExtension(e.uri) && e.id > 0 && e.id < 256) {
      out.header_extensions.push_back({e.uri, e.id});
    }
  }
  return out;
}

}  // namespace sfu
