// Fuzzes the RTP packet view, its header extension lookup, and the rewriting the router
// does to every forwarded packet (extension rebuild, RTX unwrap, in-place id mapping).

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "router/rtp/rtp_packet.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto p = sfu::rtp::RtpPacket::Parse({data, size});
  if (!p) return 0;
  (void)p->ssrc();
  (void)p->timestamp();
  (void)p->payload();
  for (int id = 0; id < 256; id += 5) (void)p->Extension(id);
  p->ForEachExtension([](int, std::span<const uint8_t>) {});

  sfu::rtp::ExtensionRewrite ext;
  for (size_t i = 0; i < ext.id_map.size(); ++i) ext.id_map[i] = static_cast<uint8_t>((i * 7 + size) % 20);
  ext.mid_id = 3;
  ext.mid = "m1";
  ext.abs_send_time_id = 15;
  uint8_t osn[2] = {1, 2};
  std::vector<uint8_t> out(1600);
  size_t n = sfu::rtp::WriteRewritten(out, *p, {96, 1, 2, 3}, ext, osn);
  if (n) {
    auto again = sfu::rtp::RtpPacket::Parse({out.data(), n});
    if (!again) __builtin_trap();  // What we write must parse.
    auto unwrapped = sfu::rtp::UnwrapRtx({out.data(), n}, 9, 100);
    if (!unwrapped || unwrapped->size() + 2 != n) __builtin_trap();
  }
  std::vector<uint8_t> copy(data, data + size);
  (void)sfu::rtp::RewriteExtensionIds(copy, ext.id_map);
  if (!sfu::rtp::RtpPacket::Parse(copy)) __builtin_trap();
  return 0;
}
