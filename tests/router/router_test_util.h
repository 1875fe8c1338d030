#pragma once
// Helpers for router tests: an RTP packet builder and a sink that records what is sent.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "router/packet_sink.h"

namespace sfu {

struct Ext {
  int id;
  std::string value;
};

// Builds an RTP packet with one-byte header extensions (RFC 8285).
inline std::vector<uint8_t> Rtp(uint32_t ssrc, uint16_t seq, uint32_t ts, uint8_t pt,
                         std::vector<Ext> exts = {}, size_t payload = 20) {
  std::vector<uint8_t> p = {static_cast<uint8_t>(exts.empty() ? 0x80 : 0x90), pt,
                            static_cast<uint8_t>(seq >> 8), static_cast<uint8_t>(seq),
                            static_cast<uint8_t>(ts >> 24), static_cast<uint8_t>(ts >> 16),
                            static_cast<uint8_t>(ts >> 8), static_cast<uint8_t>(ts),
                            static_cast<uint8_t>(ssrc >> 24), static_cast<uint8_t>(ssrc >> 16),
                            static_cast<uint8_t>(ssrc >> 8), static_cast<uint8_t>(ssrc)};
  if (!exts.empty()) {
    std::vector<uint8_t> body;
    for (const Ext& e : exts) {
      body.push_back(static_cast<uint8_t>((static_cast<size_t>(e.id) << 4) | (e.value.size() - 1)));
      body.insert(body.end(), e.value.begin(), e.value.end());
    }
    while (body.size() % 4) body.push_back(0);
    p.insert(p.end(), {0xBE, 0xDE, 0, static_cast<uint8_t>(body.size() / 4)});
    p.insert(p.end(), body.begin(), body.end());
  }
  p.resize(p.size() + payload, 0x11);
  return p;
}

// Records every packet the router sends.
class FakeSink : public PacketSink {
 public:
  void SendRtp(std::span<uint8_t> buffer, size_t len) override {
    rtp.emplace_back(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(len));
  }
  void SendRtcp(std::span<uint8_t> buffer, size_t len) override {
    rtcp.emplace_back(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(len));
  }
  std::vector<std::vector<uint8_t>> rtp;
  std::vector<std::vector<uint8_t>> rtcp;
};

}  // namespace sfu
