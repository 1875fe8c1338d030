// Codec matching (SameCodec, FindRouterCodec) and consumer parameter derivation.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "router/codecs/h264_profile.h"
#include "router/rtp_parameters.h"

namespace sfu {
namespace {

bool SameVideo(std::string_view mime, std::string_view fmtp_a, std::string_view fmtp_b) {
  return SameCodec(mime, 90000, 0, fmtp_a, mime, 90000, 0, fmtp_b);
}

TEST(SameCodecTest, MimeClockRateAndChannels) {
  EXPECT_TRUE(SameCodec("video/VP8", 90000, 0, "", "VIDEO/vp8", 90000, 0, ""));
  EXPECT_FALSE(SameCodec("video/VP8", 90000, 0, "", "video/VP9", 90000, 0, ""));
  EXPECT_FALSE(SameCodec("video/VP8", 90000, 0, "", "video/VP8", 48000, 0, ""));
  EXPECT_TRUE(SameCodec("audio/opus", 48000, 2, "minptime=10", "audio/OPUS", 48000, 2, "useinbandfec=1"));
  EXPECT_FALSE(SameCodec("audio/opus", 48000, 2, "", "audio/opus", 48000, 1, ""));
  // No channel count means one.
  EXPECT_TRUE(SameCodec("audio/PCMU", 8000, 0, "", "audio/PCMU", 8000, 1, ""));
  EXPECT_FALSE(SameCodec("audio/PCMU", 8000, 0, "", "audio/PCMA", 8000, 0, ""));
}

TEST(SameCodecTest, Vp9ProfileId) {
  EXPECT_TRUE(SameVideo("video/VP9", "profile-id=0", "profile-id=0"));
  EXPECT_TRUE(SameVideo("video/VP9", "", "profile-id=0"));  // Missing means 0.
  EXPECT_TRUE(SameVideo("video/VP9", "profile-id=2", "x=1; profile-id=2"));
  EXPECT_FALSE(SameVideo("video/VP9", "profile-id=2", "profile-id=0"));
  EXPECT_FALSE(SameVideo("video/VP9", "profile-id=2", ""));
}

TEST(SameCodecTest, Av1Profile) {
  EXPECT_TRUE(SameVideo("video/AV1", "", "profile=0"));
  EXPECT_FALSE(SameVideo("video/AV1", "profile=1", "profile=0"));
}

TEST(SameCodecTest, H264Profiles) {
  // 42e01f is Constrained Baseline, 42001f Baseline (profile-iop 0x00).
  auto cb = codecs::ParseH264ProfileLevelId("42e01f");
  auto b = codecs::ParseH264ProfileLevelId("42001f");
  ASSERT_TRUE(cb && b);
  EXPECT_EQ(cb->profile, codecs::H264Profile::kConstrainedBaseline);
  EXPECT_EQ(b->profile, codecs::H264Profile::kBaseline);
  EXPECT_FALSE(SameVideo("video/H264", "packetization-mode=1;profile-level-id=42e01f",
                         "packetization-mode=1;profile-level-id=42001f"));
  // Same profile, different level: same codec.
  EXPECT_TRUE(SameVideo("video/H264", "packetization-mode=1;profile-level-id=42e01f",
                        "profile-level-id=42e034;packetization-mode=1"));
  // 4d401f (Main with constraint_set1) is Constrained Baseline too (iop 1xxx0000 for 0x4D).
  EXPECT_TRUE(SameVideo("video/H264", "packetization-mode=1;profile-level-id=42e01f",
                        "packetization-mode=1;profile-level-id=4de01f"));
  EXPECT_FALSE(SameVideo("video/H264", "packetization-mode=1;profile-level-id=4d001f",
                         "packetization-mode=1;profile-level-id=640032"));
  // Missing profile-level-id means 42000a (Baseline 1.0).
  EXPECT_TRUE(SameVideo("video/H264", "packetization-mode=1", "packetization-mode=1;profile-level-id=42001f"));
  EXPECT_FALSE(SameVideo("video/H264", "packetization-mode=1", "packetization-mode=1;profile-level-id=42e01f"));
  // Unparseable profiles never match.
  EXPECT_FALSE(SameVideo("video/H264", "packetization-mode=1;profile-level-id=zzzzzz",
                         "packetization-mode=1;profile-level-id=zzzzzz"));
}

TEST(SameCodecTest, H264PacketizationMode) {
  EXPECT_FALSE(SameVideo("video/H264", "packetization-mode=1;profile-level-id=42e01f",
                         "packetization-mode=0;profile-level-id=42e01f"));
  // Missing means 0.
  EXPECT_FALSE(SameVideo("video/H264", "packetization-mode=1;profile-level-id=42e01f", "profile-level-id=42e01f"));
  EXPECT_TRUE(SameVideo("video/H264", "packetization-mode=0;profile-level-id=42e01f", "profile-level-id=42e01f"));
}

TEST(SameCodecTest, RtxApt) {
  EXPECT_TRUE(SameVideo("video/rtx", "apt=96", "apt=96"));
  EXPECT_FALSE(SameVideo("video/rtx", "apt=96", "apt=98"));
}

TEST(RouterCapabilitiesTest, FindRouterCodec) {
  const RtpCapabilities& caps = RouterCapabilities();
  auto* vp8 = FindRouterCodec(caps, "video/vp8", 90000, 0, "");
  ASSERT_NE(vp8, nullptr);
  EXPECT_EQ(vp8->mime_type, "video/VP8");
  auto* h264 = FindRouterCodec(caps, "video/H264", 90000, 0, "profile-level-id=42e034;packetization-mode=1");
  ASSERT_NE(h264, nullptr);
  EXPECT_NE(h264->fmtp.find("42e01f"), std::string::npos);
  auto* vp9 = FindRouterCodec(caps, "video/VP9", 90000, 0, "profile-id=2");
  ASSERT_NE(vp9, nullptr);
  EXPECT_EQ(vp9->fmtp, "profile-id=2");
  EXPECT_EQ(FindRouterCodec(caps, "video/H264", 90000, 0, "packetization-mode=0;profile-level-id=42e01f"), nullptr);
  EXPECT_EQ(FindRouterCodec(caps, "video/VP9", 90000, 0, "profile-id=1"), nullptr);
  EXPECT_EQ(FindRouterCodec(caps, "audio/opus", 48000, 1, ""), nullptr);
  EXPECT_NE(FindRouterCodec(caps, "audio/opus", 48000, 2, ""), nullptr);
  // Every video codec has an RTX codec pointing at it.
  for (const auto& c : caps.codecs) {
    if (c.kind != "video" || SameMime(c.mime_type, "video/rtx")) continue;
    std::string apt = "apt=" + std::to_string(c.payload_type);
    bool found = false;
    for (const auto& r : caps.codecs) found = found || (SameMime(r.mime_type, "video/rtx") && r.fmtp == apt);
    EXPECT_TRUE(found) << c.mime_type << " " << c.fmtp;
  }
}

TEST(ForwardableExtensionTest, OnlyEndToEndExtensions) {
  EXPECT_TRUE(ForwardableExtension(ext_uri::kMid));
  EXPECT_TRUE(ForwardableExtension(ext_uri::kAbsSendTime));
  EXPECT_TRUE(ForwardableExtension(ext_uri::kAudioLevel));
  EXPECT_TRUE(ForwardableExtension(ext_uri::kVideoOrientation));
  EXPECT_TRUE(ForwardableExtension(ext_uri::kDependencyDescriptor));
  EXPECT_FALSE(ForwardableExtension(ext_uri::kTransportCc));
  EXPECT_FALSE(ForwardableExtension(ext_uri::kRid));
  EXPECT_FALSE(ForwardableExtension(ext_uri::kRepairedRid));
  EXPECT_FALSE(ForwardableExtension("urn:example:unknown"));
}

// ---------------------------------------------------------------------------------------
// DeriveConsumerParams

ProducerParams H264Producer() {
  ProducerParams p;
  p.kind = "video";
  p.mid = "1";
  p.codecs = {{102, "video/H264", 90000, 0, "packetization-mode=1;profile-level-id=42e01f", 103,
               {"nack", "nack pli", "goog-remb"}}};
  p.encodings = {{1000, 1001, ""}};
  p.mid_extension_id = 1;
  p.header_extensions = {{std::string(ext_uri::kMid), 1}, {std::string(ext_uri::kTransportCc), 3}};
  return p;
}

RtpCodecCapability Codec(std::string mime, int pt, std::string fmtp, std::vector<std::string> fb) {
  return {"video", std::move(mime), pt, 90000, 0, std::move(fmtp), std::move(fb)};
}

TEST(DeriveConsumerParamsTest, PicksTheSubscribersMatchingCodecAndRtx) {
  RtpCapabilities sub;
  sub.codecs = {
      Codec("video/VP8", 120, "", {"nack", "nack pli"}),
      Codec("video/rtx", 121, "apt=120", {}),
      Codec("video/H264", 122, "packetization-mode=1;profile-level-id=42001f", {"nack", "nack pli"}),
      Codec("video/rtx", 123, "apt=122", {}),
      Codec("video/H264", 124, "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e034",
            {"nack", "nack pli", "ccm fir", "goog-remb", "transport-cc"}),
      Codec("video/rtx", 125, "apt=124", {}),
  };
  auto params = DeriveConsumerParams(H264Producer(), sub, "7", 5000, 5001);
  ASSERT_TRUE(params.ok()) << params.status();
  EXPECT_EQ(params->kind, "video");
  EXPECT_EQ(params->mid, "7");
  EXPECT_EQ(params->mime_type, "video/H264");
  EXPECT_EQ(params->payload_type, 124);
  EXPECT_EQ(params->clock_rate, 90000);
  EXPECT_EQ(params->fmtp, "packetization-mode=1;profile-level-id=42e01f");  // The producer's.
  EXPECT_EQ(params->ssrc, 5000u);
  EXPECT_EQ(params->rtx_payload_type, 125);
  EXPECT_EQ(params->rtx_ssrc, 5001u);
  EXPECT_TRUE(params->nack);
  EXPECT_TRUE(params->pli);
  EXPECT_TRUE(params->fir);
  // Only the feedback the router acts on.
  EXPECT_EQ(params->rtcp_feedback, (std::vector<std::string>{"nack", "nack pli", "ccm fir"}));
}

TEST(DeriveConsumerParamsTest, FeedbackIsWhatBothSupport) {
  RtpCapabilities sub;
  sub.codecs = {
      Codec("video/H264", 100, "packetization-mode=1;profile-level-id=42e01f", {"goog-remb", "ccm fir", "transport-cc"}),
      Codec("video/rtx", 101, "apt=100", {}),
  };
  auto params = DeriveConsumerParams(H264Producer(), sub, "0", 1, 2);
  ASSERT_TRUE(params.ok()) << params.status();
  EXPECT_FALSE(params->nack);
  EXPECT_FALSE(params->pli);
  EXPECT_TRUE(params->fir);
  EXPECT_EQ(params->rtcp_feedback, (std::vector<std::string>{"ccm fir"}));
  // RTX only with NACK: without NACK, the subscriber never asks for retransmissions.
  EXPECT_FALSE(params->rtx_payload_type.has_value());
  EXPECT_FALSE(params->rtx_ssrc.has_value());
}

TEST(DeriveConsumerParamsTest, NackWithoutRtxCodecRetransmitsPlain) {
  RtpCapabilities sub;
  sub.codecs = {
      Codec("video/H264", 100, "packetization-mode=1;profile-level-id=42e01f", {"nack"}),
      Codec("video/rtx", 101, "apt=99", {}),  // RTX for another payload type.
  };
  auto params = DeriveConsumerParams(H264Producer(), sub, "0", 1, 2);
  ASSERT_TRUE(params.ok()) << params.status();
  EXPECT_TRUE(params->nack);
  EXPECT_FALSE(params->rtx_payload_type.has_value());
  EXPECT_FALSE(params->rtx_ssrc.has_value());
}

TEST(DeriveConsumerParamsTest, AudioNeverGetsRtx) {
  ProducerParams p;
  p.kind = "audio";
  p.codecs = {{111, "audio/opus", 48000, 2, "minptime=10;useinbandfec=1", std::nullopt, {}}};
  RtpCapabilities sub;
  sub.codecs = {{"audio", "audio/opus", 109, 48000, 2, "", {"nack", "transport-cc"}},
                {"audio", "audio/rtx", 110, 48000, 0, "apt=109", {}}};
  sub.header_extensions = {{"audio", std::string(ext_uri::kAudioLevel), 4},
                           {"video", std::string(ext_uri::kVideoOrientation), 5},
                           {"audio", std::string(ext_uri::kMid), 9}};
  auto params = DeriveConsumerParams(p, sub, "a", 1, 2);
  ASSERT_TRUE(params.ok()) << params.status();
  EXPECT_EQ(params->payload_type, 109);
  EXPECT_EQ(params->channels, 2);
  EXPECT_EQ(params->clock_rate, 48000);
  EXPECT_TRUE(params->nack);
  EXPECT_FALSE(params->rtx_payload_type.has_value());
  ASSERT_EQ(params->header_extensions.size(), 2u);
  EXPECT_EQ(params->header_extensions[0].uri, ext_uri::kAudioLevel);
  EXPECT_EQ(params->header_extensions[0].id, 4);
  EXPECT_EQ(params->header_extensions[1].uri, ext_uri::kMid);
  EXPECT_EQ(params->header_extensions[1].id, 9);
}

TEST(DeriveConsumerParamsTest, ExtensionsFilteredToForwardableOfTheKind) {
  RtpCapabilities sub;
  sub.codecs = {Codec("video/H264", 100, "packetization-mode=1;profile-level-id=42e01f", {"nack"})};
  sub.header_extensions = {
      {"video", std::string(ext_uri::kMid), 4},
      {"video", std::string(ext_uri::kRid), 5},            // Not forwardable.
      {"video", std::string(ext_uri::kRepairedRid), 6},    // Not forwardable.
      {"video", std::string(ext_uri::kTransportCc), 7},    // Hop by hop.
      {"video", std::string(ext_uri::kAbsSendTime), 8},
      {"audio", std::string(ext_uri::kAudioLevel), 9},     // Other kind.
      {"", std::string(ext_uri::kVideoOrientation), 10},   // No kind: any.
      {"video", std::string(ext_uri::kPlayoutDelay), 0},   // No id.
      {"video", std::string(ext_uri::kAbsCaptureTime), 256},  // Out of range.
      {"video", "urn:example:unknown", 11},
      {"video", std::string(ext_uri::kDependencyDescriptor), 200},
  };
  auto params = DeriveConsumerParams(H264Producer(), sub, "0", 1, 2);
  ASSERT_TRUE(params.ok()) << params.status();
  std::vector<std::pair<std::string, int>> got;
  for (const auto& e : params->header_extensions) got.emplace_back(e.uri, e.id);
  std::vector<std::pair<std::string, int>> want = {
      {std::string(ext_uri::kMid), 4},
      {std::string(ext_uri::kAbsSendTime), 8},
      {std::string(ext_uri::kVideoOrientation), 10},
      {std::string(ext_uri::kDependencyDescriptor), 200},
  };
  EXPECT_EQ(got, want);
}

TEST(DeriveConsumerParamsTest, NoCommonCodecIsUnsupportedNamingBothSides) {
  RtpCapabilities sub;
  sub.codecs = {
      Codec("video/VP8", 96, "", {"nack"}),
      Codec("video/rtx", 97, "apt=96", {}),
      Codec("video/H264", 98, "packetization-mode=1;profile-level-id=42001f", {"nack"}),
  };
  auto params = DeriveConsumerParams(H264Producer(), sub, "0", 1, 2);
  ASSERT_FALSE(params.ok());
  EXPECT_EQ(params.status().code(), absl::StatusCode::kUnimplemented);
  std::string msg(params.status().message());
  EXPECT_NE(msg.find("video/H264"), std::string::npos) << msg;
  EXPECT_NE(msg.find("42e01f"), std::string::npos) << msg;
  EXPECT_NE(msg.find("video/VP8"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("video/rtx"), std::string::npos) << msg;  // RTX is not a codec offered.

  RtpCapabilities none;
  params = DeriveConsumerParams(H264Producer(), none, "0", 1, 2);
  ASSERT_FALSE(params.ok());
  EXPECT_EQ(params.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_NE(std::string(params.status().message()).find("nothing"), std::string::npos);
}

TEST(DeriveConsumerParamsTest, ProducerWithoutCodecIsInvalidState) {
  ProducerParams p;
  p.kind = "video";
  auto params = DeriveConsumerParams(p, RouterCapabilities(), "0", 1, 2);
  ASSERT_FALSE(params.ok());
  EXPECT_EQ(params.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(DeriveConsumerParamsTest, RouterCapabilitiesAsSubscriber) {
  auto params = DeriveConsumerParams(H264Producer(), RouterCapabilities(), "0", 1, 2);
  ASSERT_TRUE(params.ok()) << params.status();
  const RtpCodecCapability* router = FindRouterCodec(RouterCapabilities(), "video/H264", 90000, 0,
                                                     "packetization-mode=1;profile-level-id=42e01f");
  ASSERT_NE(router, nullptr);
  EXPECT_EQ(params->payload_type, router->payload_type);
  EXPECT_EQ(params->rtx_payload_type, router->payload_type + 1);
  EXPECT_TRUE(params->nack && params->pli && params->fir);
  for (const auto& e : params->header_extensions) EXPECT_TRUE(ForwardableExtension(e.uri)) << e.uri;
}

}  // namespace
}  // namespace sfu
