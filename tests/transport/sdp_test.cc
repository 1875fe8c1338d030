#include "transport/sdp/sdp.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace sfu::sdp {
namespace {

using ::testing::HasSubstr;

// A WHIP-style offer in the shape browsers produce (BUNDLE, rtcp-mux, simulcast).
constexpr std::string_view kOffer =
    "v=0\r\n"
    "o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE 0 1\r\n"
    "a=extmap-allow-mixed\r\n"
    "a=msid-semantic: WMS stream\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111 0\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=rtcp:9 IN IP4 0.0.0.0\r\n"
    "a=candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host generation 0\r\n"
    "a=candidate:2 1 TCP 1518280447 127.0.0.1 9 typ host tcptype active\r\n"
    "a=ice-ufrag:abcd\r\n"
    "a=ice-pwd:0123456789abcdefghijklmn\r\n"
    "a=ice-options:trickle\r\n"
    "a=fingerprint:SHA-256 AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99\r\n"
    "a=setup:actpass\r\n"
    "a=mid:0\r\n"
    "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
    "a=sendonly\r\n"
    "a=msid:stream audio0\r\n"
    "a=rtcp-mux\r\n"
    "a=rtpmap:111 opus/48000/2\r\n"
    "a=rtcp-fb:111 transport-cc\r\n"
    "a=fmtp:111 minptime=10;useinbandfec=1\r\n"
    "a=ssrc:1111 cname:abc\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:abcd\r\n"
    "a=ice-pwd:0123456789abcdefghijklmn\r\n"
    "a=fingerprint:sha-256 AA:BB\r\n"
    "a=setup:actpass\r\n"
    "a=mid:1\r\n"
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
    "a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id\r\n"
    "a=extmap:11/sendonly urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id\r\n"
    "a=sendonly\r\n"
    "a=rtcp-mux\r\n"
    "a=rtcp-rsize\r\n"
    "a=rtpmap:96 VP8/90000\r\n"
    "a=rtcp-fb:96 goog-remb\r\n"
    "a=rtcp-fb:96 nack\r\n"
    "a=rtcp-fb:96 nack pli\r\n"
    "a=rtcp-fb:* ccm fir\r\n"
    "a=rtpmap:97 rtx/90000\r\n"
    "a=fmtp:97 apt=96\r\n"
    "a=rid:q send\r\n"
    "a=rid:h send max-width=640\r\n"
    "a=rid:f send\r\n"
    "a=simulcast:send q;h;~f\r\n"
    "a=ssrc-group:FID 2222 3333\r\n"
    "a=ssrc:2222 cname:abc\r\n"
    "a=ssrc:3333 cname:abc\r\n";

TEST(SdpTest, ParsesABrowserStyleOffer) {
  auto parsed = Parse(kOffer);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const Session& s = *parsed;
  EXPECT_EQ(s.session_id, "4611731400430051336");
  EXPECT_EQ(s.bundle, (std::vector<std::string>{"0", "1"}));
  EXPECT_FALSE(s.ice_lite);
  ASSERT_EQ(s.media.size(), 2u);

  const MediaSection& audio = s.media[0];
  EXPECT_EQ(audio.kind, "audio");
  EXPECT_EQ(audio.protocol, "UDP/TLS/RTP/SAVPF");
  EXPECT_EQ(audio.mid, "0");
  EXPECT_EQ(audio.direction, Direction::kSendOnly);
  EXPECT_EQ(audio.ice_ufrag, "abcd");
  EXPECT_EQ(audio.ice_options, std::vector<std::string>{"trickle"});
  ASSERT_TRUE(audio.fingerprint.has_value());
  EXPECT_EQ(audio.fingerprint->algorithm, "sha-256");  // Lower-cased.
  EXPECT_EQ(audio.setup, "actpass");
  EXPECT_TRUE(audio.rtcp_mux);
  EXPECT_FALSE(audio.rtcp_rsize);
  ASSERT_EQ(audio.codecs.size(), 2u);
  EXPECT_EQ(audio.codecs[0].name, "opus");
  EXPECT_EQ(audio.codecs[0].clock_rate, 48000);
  EXPECT_EQ(audio.codecs[0].channels, 2);
  EXPECT_EQ(audio.codecs[0].FmtpParam("useinbandfec"), "1");
  EXPECT_EQ(audio.codecs[0].feedback, std::vector<std::string>{"transport-cc"});
  EXPECT_EQ(audio.codecs[1].name, "PCMU");  // Static payload type without a=rtpmap.
  ASSERT_EQ(audio.candidates.size(), 2u);
  EXPECT_EQ(audio.candidates[0].transport, "udp");
  EXPECT_EQ(audio.candidates[0].port, 50000);
  EXPECT_EQ(audio.candidates[1].transport, "tcp");
  EXPECT_EQ(audio.candidates[1].tcp_type, "active");
  EXPECT_EQ(audio.ssrcs.size(), 1u);

  const MediaSection& video = s.media[1];
  EXPECT_TRUE(video.rtcp_rsize);
  ASSERT_EQ(video.codecs.size(), 2u);
  EXPECT_EQ(video.codecs[0].feedback,
            (std::vector<std::string>{"goog-remb", "nack", "nack pli", "ccm fir"}));
  EXPECT_EQ(video.codecs[1].name, "rtx");
  EXPECT_EQ(video.codecs[1].FmtpParam("apt"), "96");
  EXPECT_EQ(video.codecs[1].feedback, std::vector<std::string>{"ccm fir"});  // From "*".
  ASSERT_EQ(video.extmaps.size(), 3u);
  EXPECT_EQ(video.extmaps[2].id, 11);
  EXPECT_EQ(video.extmaps[2].direction, "sendonly");
  ASSERT_EQ(video.rids.size(), 3u);
  EXPECT_EQ(video.rids[1].restrictions, "max-width=640");
  ASSERT_TRUE(video.simulcast.has_value());
  EXPECT_EQ(video.simulcast->send.size(), 3u);
  EXPECT_EQ(video.simulcast->send[2], std::vector<std::string>{"~f"});
  ASSERT_EQ(video.ssrc_groups.size(), 1u);
  EXPECT_EQ(video.ssrc_groups[0].semantics, "FID");
  EXPECT_EQ(video.ssrc_groups[0].ssrcs, (std::vector<uint32_t>{2222, 3333}));
}

TEST(SdpTest, WriteThenParseRoundTrips) {
  auto parsed = Parse(kOffer);
  ASSERT_TRUE(parsed.ok());
  std::string text = Write(*parsed);
  EXPECT_THAT(text, HasSubstr("a=group:BUNDLE 0 1\r\n"));
  EXPECT_THAT(text, HasSubstr("a=rtpmap:111 opus/48000/2\r\n"));
  EXPECT_THAT(text, HasSubstr("a=simulcast:send q;h;~f\r\n"));
  EXPECT_THAT(text, HasSubstr("a=extmap:11/sendonly urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id\r\n"));
  EXPECT_THAT(text, HasSubstr("a=candidate:2 1 tcp 1518280447 127.0.0.1 9 typ host tcptype active\r\n"));
  EXPECT_THAT(text, HasSubstr("a=extmap-allow-mixed\r\n"));  // Kept though unmodelled.
  auto again = Parse(text);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(Write(*again), text);
}

TEST(SdpTest, SessionLevelValuesAreInherited) {
  auto s = Parse(
      "v=0\no=- 1 1 IN IP4 0.0.0.0\ns=-\nt=0 0\na=ice-lite\na=ice-ufrag:sess\na=ice-pwd:pw\n"
      "a=fingerprint:sha-256 01:02\na=setup:passive\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\n"
      "a=mid:d\na=sctp-port:5000\na=max-message-size:262144\n");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE(s->ice_lite);
  const MediaSection& m = s->media[0];
  EXPECT_EQ(m.ice_ufrag, "sess");
  EXPECT_EQ(m.ice_pwd, "pw");
  EXPECT_EQ(m.fingerprint->value, "01:02");
  EXPECT_EQ(m.setup, "passive");
  EXPECT_EQ(m.sctp_port, 5000);
  EXPECT_EQ(m.max_message_size, 262144u);
  EXPECT_EQ(m.formats, std::vector<std::string>{"webrtc-datachannel"});
}

TEST(SdpTest, MalformedInputGetsALineNumberedReason) {
  struct Case {
    std::string text;
    std::string reason;
  };
  const std::string head = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n";
  const Case cases[] = {
      {"", "empty SDP"},
      {"x=0\r\n", "line 1: an SDP must start with v=0"},
      {"v=1\r\n", "line 1: an SDP must start with v=0"},
      {"v=0\r\nno equals\r\n", "line 2: expected \"<letter>=<value>\""},
      {"v=0\r\no=- 1\r\n", "line 2: o= needs 6 fields"},
      {head + "m=audio\r\n", "line 5: m= needs"},
      {head + "m=audio 70000 RTP/AVP 0\r\n", "line 5: bad port in m="},
      {head + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111\r\n", "line 6: a=rtpmap"},
      {head + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:300 opus/48000\r\n", "line 6: a=rtpmap"},
      {head + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/zero\r\n", "line 6: a=rtpmap"},
      {head + "m=audio 9 X 111\r\na=rtpmap:111 opus/48000\r\na=rtpmap:111 opus/48000\r\n",
       "line 7: payload type 111 mapped twice"},
      {head + "m=audio 9 X 1\r\na=extmap:15 urn:x\r\n", "line 6: a=extmap id"},
      {head + "m=audio 9 X 1\r\na=extmap:abc\r\n", "line 6: a=extmap needs"},
      {head + "m=video 9 X 1\r\na=rid:q sideways\r\n", "line 6: a=rid"},
      {head + "m=video 9 X 1\r\na=simulcast:up q\r\n", "line 6: a=simulcast directions"},
      {head + "m=video 9 X 1\r\na=ssrc:notanumber cname:x\r\n", "line 6: a=ssrc"},
      {head + "m=video 9 X 1\r\na=ssrc-group:FID 1 x\r\n", "line 6: a=ssrc-group"},
      {head + "m=video 9 X 1\r\na=candidate:1 1 udp\r\n", "line 6: a=candidate"},
      {head + "m=video 9 X 1\r\na=fingerprint:sha-256\r\n", "line 6: a=fingerprint"},
      {head + "m=application 9 X 1\r\na=sctp-port:0\r\n", "line 6: bad a=sctp-port"},
  };
  for (const Case& c : cases) {
    auto s = Parse(c.text);
    ASSERT_FALSE(s.ok()) << c.text;
    EXPECT_THAT(std::string(s.status().message()), HasSubstr(c.reason)) << c.text;
    EXPECT_EQ(ErrorField(s.status()), "sdp");
  }
}

TEST(SdpTest, SizeAndSectionLimits) {
  std::string big = "v=0\r\n" + std::string(kMaxSdpBytes, 'a');
  EXPECT_FALSE(Parse(big).ok());
  std::string many = "v=0\r\n";
  for (size_t i = 0; i <= kMaxMediaSections; ++i) many += "m=audio 9 X 0\r\n";
  auto s = Parse(many);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("more than 64 media sections"));
}

TEST(SdpTest, LfOnlyAndBlankLinesAreAccepted) {
  auto s = Parse("v=0\n\no=- 1 1 IN IP4 0.0.0.0\ns=-\nt=0 0\nm=audio 0 UDP/TLS/RTP/SAVPF 0\n");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE(s->media[0].rejected());
}

TEST(SdpTest, DirectionHelpers) {
  EXPECT_EQ(Reverse(Direction::kSendOnly), Direction::kRecvOnly);
  EXPECT_EQ(Reverse(Direction::kRecvOnly), Direction::kSendOnly);
  EXPECT_EQ(Reverse(Direction::kSendRecv), Direction::kSendRecv);
  EXPECT_EQ(DirectionName(Direction::kInactive), "inactive");
}

// Every offer captured from a real client (tests/data/sdp/) parses, and survives a
// write/parse round trip with the same media sections.
TEST(SdpTest, CapturedOffersParse) {
  std::filesystem::path dir = std::filesystem::path(SFU_SOURCE_DIR) / "tests/data/sdp";
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".sdp") continue;
    ++files;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    auto s = Parse(text.str());
    ASSERT_TRUE(s.ok()) << entry.path() << ": " << s.status();
    EXPECT_FALSE(s->media.empty()) << entry.path();
    for (const MediaSection& m : s->media) {
      EXPECT_FALSE(m.ice_ufrag.empty()) << entry.path();
      EXPECT_TRUE(m.fingerprint.has_value()) << entry.path();
    }
    auto again = Parse(Write(*s));
    ASSERT_TRUE(again.ok()) << entry.path();
    EXPECT_EQ(again->media.size(), s->media.size());
  }
  EXPECT_GT(files, 0);
}

}  // namespace
}  // namespace sfu::sdp

namespace sfu::sdp {
namespace {

Session ParseFile(const std::string& name) {
  std::ifstream in(std::filesystem::path(SFU_SOURCE_DIR) / "tests/data/sdp" / name, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  auto s = Parse(text.str());
  EXPECT_TRUE(s.ok()) << name << ": " << s.status();
  return s.ok() ? *s : Session{};
}

TEST(SdpCapturedTest, ChromiumSimulcastOfferHasRidsAndNoSsrcs) {
  Session s = ParseFile("chromium_simulcast.sdp");
  ASSERT_EQ(s.media.size(), 2u);
  const MediaSection& video = s.media[1];
  EXPECT_EQ(video.kind, "video");
  ASSERT_EQ(video.rids.size(), 3u);
  EXPECT_EQ(video.rids[0].id, "q");
  ASSERT_TRUE(video.simulcast.has_value());
  EXPECT_EQ(video.simulcast->send.size(), 3u);
  EXPECT_TRUE(video.ssrcs.empty());
  EXPECT_TRUE(video.rtcp_mux);
  EXPECT_EQ(video.setup, "actpass");
  EXPECT_EQ(s.bundle.size(), 2u);
}

TEST(SdpCapturedTest, FirefoxSessionLevelFingerprintIsInherited) {
  Session s = ParseFile("firefox_sendonly_av.sdp");
  ASSERT_FALSE(s.media.empty());
  EXPECT_TRUE(s.fingerprint.has_value());
  for (const MediaSection& m : s.media) EXPECT_EQ(m.fingerprint->value, s.fingerprint->value);
}

TEST(SdpCapturedTest, AiortcOfferEndsItsCandidates) {
  Session s = ParseFile("aiortc_sendonly.sdp");
  ASSERT_EQ(s.media.size(), 2u);
  EXPECT_TRUE(s.media[0].end_of_candidates);
  EXPECT_EQ(s.media[0].candidates[0].address, "127.0.0.1");
  const Codec* vp8 = nullptr;
  for (const Codec& c : s.media[1].codecs) {
    if (c.name == "VP8") vp8 = &c;
  }
  ASSERT_NE(vp8, nullptr);
  EXPECT_EQ(vp8->clock_rate, 90000);
}

}  // namespace
}  // namespace sfu::sdp
