// Fuzzes the SDP parser; whatever parses must write out and parse again to the same
// number of media sections.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/check.h"
#include "transport/sdp/sdp.h"
#include "worker/whip_negotiation.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto s = sfu::sdp::Parse(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!s.ok()) return 0;
  for (const auto& m : s->media) {
    for (const auto& c : m.codecs) (void)c.FmtpParam("apt");
  }
  // WHIP offer/answer over whatever parsed: accepted offers must yield a parsable answer.
  if (auto publish = sfu::ReadWhipOffer(*s); publish.ok()) {
    sfu::WebRtcTransportInfo info{"t", {"ufrag", "pwd"}, "AA", {{"127.0.0.1", 1, "udp"}}};
    SFU_CHECK(sfu::sdp::Parse(sfu::WriteWhipAnswer(*s, *publish, info)).ok());
  }
  auto again = sfu::sdp::Parse(sfu::sdp::Write(*s));
  SFU_CHECK(again.ok());
  SFU_CHECK(again->media.size() == s->media.size());
  return 0;
}
