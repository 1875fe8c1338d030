// Fuzzes the RTP packet view and its header extension lookup.

#include <cstddef>
#include <cstdint>

#include "router/rtp/rtp_packet.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto p = sfu::rtp::RtpPacket::Parse({data, size});
  if (!p) return 0;
  (void)p->ssrc();
  (void)p->timestamp();
  (void)p->payload();
  for (int id = 0; id < 256; id += 5) (void)p->Extension(id);
  return 0;
}
