#pragma once
// sfu-load's WebRTC mode: joins thousands of WebRTC transports as browsers would, through
// the project's own stack on the client side (a STUN check with USE-CANDIDATE, a DTLS 1.2
// client handshake, SRTP keys from the exporter), and measures the join rate, the time
// each step takes, and the server's memory and CPU per transport.

#include <string>

#include "bench/load/sfu_child.h"
#include "nlohmann/json.hpp"

namespace sfu::load {

struct JoinOptions {
  int transports = 1000;
  int batch = 100;         // Created over JSON-RPC, then joined concurrently.
  std::string router_id;   // Where the transports are made.
  double timeout_s = 15;   // Per batch; a transport not connected by then counts as failed.
  bool close = true;       // Close them all at the end and report the memory left.
};

// Runs the joins against `sfu` (already running) and returns the report; prints a table.
nlohmann::json RunWebRtcJoin(SfuChild& sfu, const JoinOptions& options);

}  // namespace sfu::load
