// Fuzzes codec payload inspection: the first byte picks the codec for IsKeyFrameStart,
// the rest is also read as a VP8 descriptor, a MIME type, a profile-level-id and fmtp.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "base/check.h"
#include "router/codecs/h264_profile.h"
#include "router/codecs/keyframe.h"

using namespace sfu::codecs;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::span<const uint8_t> rest(data + 1, size - 1);
  std::string_view text(reinterpret_cast<const char*>(rest.data()), rest.size());

  auto codec = static_cast<VideoCodec>(data[0] % 5);
  (void)IsKeyFrameStart(codec, rest);

  if (auto d = ParseVp8Descriptor(rest)) SFU_CHECK(d->size < rest.size());

  (void)VideoCodecFromMime(text);
  (void)ParseH264ProfileLevelId(text);
  if (auto v = FmtpParameter(text, "profile-level-id")) {
    SFU_CHECK(v->find(';') == std::string::npos);
  }
  // Split the text in two fmtp lines at the first newline.
  size_t nl = text.find('\n');
  std::string_view a = text.substr(0, nl);
  std::string_view b = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
  bool same = H264SameProfile(a, b);
  SFU_CHECK(same == H264SameProfile(b, a));
  SFU_CHECK(H264SamePacketizationMode(a, b) == H264SamePacketizationMode(b, a));
  if (same) SFU_CHECK(H264SameProfile(a, a));
  return 0;
}
