#include "worker/whip_negotiation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace sfu {
namespace {

using ::testing::HasSubstr;

sdp::Session Load(const std::string& name) {
  std::ifstream in(std::filesystem::path(SFU_SOURCE_DIR) / "tests/data/sdp" / name, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  auto s = sdp::Parse(text.str());
  EXPECT_TRUE(s.ok()) << s.status();
  return *s;
}

WebRtcTransportInfo Transport() {
  return {"transport0123456789abcdef", {"ufragABCDEFGHIJK", "passwordABCDEFGHIJKLMNOPQRSTUVWX"},
          "AA:BB:CC", {{"127.0.0.1", 40000, "udp"}}};
}

TEST(WhipNegotiationTest, ChromiumOfferBecomesTwoProducersAndAnIceLiteAnswer) {
  sdp::Session offer = Load("chromium_sendonly_av.sdp");
  auto publish = ReadWhipOffer(offer);
  ASSERT_TRUE(publish.ok()) << publish.status();
  ASSERT_EQ(publish->tracks.size(), 2u);
  EXPECT_EQ(publish->local_dtls_role, DtlsRole::kServer);  // Offer actpass: we are passive.
  EXPECT_EQ(publish->fingerprint_algorithm, "sha-256");
  const ProducerParams& audio = publish->tracks[0].params;
  EXPECT_EQ(audio.kind, "audio");
  EXPECT_EQ(audio.codecs[0].mime_type, "audio/opus");
  ASSERT_EQ(audio.encodings.size(), 1u);
  EXPECT_TRUE(audio.encodings[0].ssrc.has_value());
  const ProducerParams& video = publish->tracks[1].params;
  EXPECT_EQ(video.codecs[0].mime_type, "video/VP8");
  EXPECT_TRUE(video.codecs[0].rtx_payload_type.has_value());
  ASSERT_EQ(video.encodings.size(), 1u);
  EXPECT_TRUE(video.encodings[0].rtx_ssrc.has_value());  // From ssrc-group FID.
  EXPECT_GT(video.mid_extension_id, 0);

  std::string answer_text = WriteWhipAnswer(offer, *publish, Transport());
  auto answer = sdp::Parse(answer_text);
  ASSERT_TRUE(answer.ok()) << answer.status() << answer_text;
  EXPECT_TRUE(answer->ice_lite);
  EXPECT_EQ(answer->bundle, offer.bundle);
  for (const sdp::MediaSection& m : answer->media) {
    EXPECT_EQ(m.direction, sdp::Direction::kRecvOnly);
    EXPECT_EQ(m.setup, "passive");
    EXPECT_EQ(m.ice_ufrag, "ufragABCDEFGHIJK");
    EXPECT_EQ(m.fingerprint->value, "AA:BB:CC");
    EXPECT_TRUE(m.rtcp_mux);
    ASSERT_EQ(m.candidates.size(), 1u);
    EXPECT_EQ(m.candidates[0].port, 40000);
    EXPECT_TRUE(m.end_of_candidates);
    for (const sdp::Codec& c : m.codecs) {
      for (const std::string& fb : c.feedback) EXPECT_NE(fb, "transport-cc");  // Not yet.
    }
  }
  EXPECT_EQ(answer->media[1].codecs.size(), 2u);  // VP8 and its RTX.
}

TEST(WhipNegotiationTest, SimulcastOfferIsAnsweredWithRecvRids) {
  sdp::Session offer = Load("chromium_simulcast.sdp");
  auto publish = ReadWhipOffer(offer);
  ASSERT_TRUE(publish.ok()) << publish.status();
  const ProducerParams& video = publish->tracks[1].params;
  ASSERT_EQ(video.encodings.size(), 3u);
  EXPECT_EQ(video.encodings[0].rid, "q");
  EXPECT_GT(video.rid_extension_id, 0);
  auto answer = sdp::Parse(WriteWhipAnswer(offer, *publish, Transport()));
  ASSERT_TRUE(answer.ok());
  const sdp::MediaSection& m = answer->media[1];
  ASSERT_EQ(m.rids.size(), 3u);
  EXPECT_EQ(m.rids[0].direction, "recv");
  ASSERT_TRUE(m.simulcast.has_value());
  EXPECT_EQ(m.simulcast->recv.size(), 3u);
}

TEST(WhipNegotiationTest, AiortcAndFirefoxOffersAreAccepted) {
  for (std::string name : {"aiortc_sendonly.sdp", "firefox_sendonly_av.sdp"}) {
    sdp::Session offer = Load(name);
    auto publish = ReadWhipOffer(offer);
    ASSERT_TRUE(publish.ok()) << name << ": " << publish.status();
    EXPECT_EQ(publish->tracks.size(), 2u) << name;
    EXPECT_TRUE(sdp::Parse(WriteWhipAnswer(offer, *publish, Transport())).ok()) << name;
  }
}

TEST(WhipNegotiationTest, UnsupportedOffersSayWhy) {
  auto reason = [](const std::string& file, auto edit) {
    sdp::Session offer = Load(file);
    edit(offer);
    auto p = ReadWhipOffer(offer);
    EXPECT_FALSE(p.ok());
    return std::string(p.status().message());
  };
  EXPECT_THAT(reason("chromium_recvonly.sdp", [](sdp::Session&) {}), HasSubstr("recvonly"));
  EXPECT_THAT(reason("chromium_datachannel.sdp", [](sdp::Session&) {}), HasSubstr("no audio or video"));
  EXPECT_THAT(reason("chromium_sendonly_av.sdp", [](sdp::Session& s) { s.bundle.clear(); }),
              HasSubstr("BUNDLE"));
  EXPECT_THAT(reason("chromium_sendonly_av.sdp", [](sdp::Session& s) { s.media[0].rtcp_mux = false; }),
              HasSubstr("rtcp-mux"));
  EXPECT_THAT(reason("chromium_sendonly_av.sdp",
                     [](sdp::Session& s) {
                       for (auto& c : s.media[1].codecs) c.name = "X-" + c.name;
                     }),
              HasSubstr("no supported codec"));
  EXPECT_THAT(reason("chromium_sendonly_av.sdp", [](sdp::Session& s) { s.media[0].fingerprint.reset(); }),
              HasSubstr("a=fingerprint"));
  sdp::Session offer = Load("chromium_sendonly_av.sdp");
  offer.media[0].direction = sdp::Direction::kInactive;
  EXPECT_EQ(ReadWhipOffer(offer).status().code(), absl::StatusCode::kUnimplemented);
  offer = Load("chromium_sendonly_av.sdp");
  offer.media[0].ice_pwd.clear();
  EXPECT_EQ(ReadWhipOffer(offer).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(WhipNegotiationTest, PassiveOffererMakesUsTheDtlsClient) {
  sdp::Session offer = Load("chromium_sendonly_av.sdp");
  for (auto& m : offer.media) m.setup = "passive";
  auto publish = ReadWhipOffer(offer);
  ASSERT_TRUE(publish.ok());
  EXPECT_EQ(publish->local_dtls_role, DtlsRole::kClient);
  auto answer = sdp::Parse(WriteWhipAnswer(offer, *publish, Transport()));
  EXPECT_EQ(answer->media[0].setup, "active");
}

}  // namespace
}  // namespace sfu
