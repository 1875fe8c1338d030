#pragma once
// The WebSocket control endpoint (libwebsockets on the control loop's libuv loop). Each
// connection is a ControlSession carrying one JSON-RPC message per WebSocket message.
// With a token set, the upgrade request must carry "Authorization: Bearer <token>".

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>

#include "base/status.h"
#include "control/control_hub.h"

struct lws;
struct lws_context;

namespace sfu::control {

struct WsControlOptions {
  std::string host;       // An IPv4 or IPv6 literal.
  int port = 0;           // 0: the kernel picks one (see port()).
  std::string token;      // Empty: no authentication (loopback only; checked by settings).
  size_t max_queued_bytes = 16 << 20;  // Per connection, before it is dropped as too slow.
};

class WsControlServer {
 public:
  WsControlServer(uv_loop_t* loop, ControlHub& hub, WsControlOptions options);
  ~WsControlServer();
  WsControlServer(const WsControlServer&) = delete;
  WsControlServer& operator=(const WsControlServer&) = delete;

  Status Start();
  int port() const { return port_; }
  size_t connection_count() const { return connections_.size(); }
  // Lets queued responses go out (for at most kFlushTimeoutMs), then closes every
  // connection and the listener, and calls `done`.
  void Close(std::function<void()> done);

  static constexpr uint64_t kFlushTimeoutMs = 500;
  uint64_t refused_connections() const { return refused_; }
  uint64_t dropped_notifications() const;

  class Connection;
  // libwebsockets' protocol callback, routed to the server that owns the context.
  static int Callback(lws* wsi, int reason, void* user, void* in, size_t len);

 private:
  int OnEvent(lws* wsi, int reason, Connection** slot, void* in, size_t len);
  int CheckUpgrade(lws* wsi);
  // Polled by close_timer_: the context is never destroyed from inside its own callbacks.
  static void OnCloseTimer(uv_timer_t* timer);

  uv_loop_t* loop_;
  ControlHub& hub_;
  WsControlOptions options_;
  lws_context* context_ = nullptr;
  int port_ = 0;
  bool closing_ = false;
  std::function<void()> closed_;
  uv_timer_t close_timer_{};
  uint64_t close_started_ms_ = 0;
  std::set<Connection*> connections_;
  uint64_t refused_ = 0;
  uint64_t dropped_by_closed_ = 0;  // Notifications dropped by connections since closed.
};

}  // namespace sfu::control
