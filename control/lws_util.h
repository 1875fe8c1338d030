#pragma once
// Shared libwebsockets plumbing for the control loop's servers (WebSocket control, HTTP).

#include <uv.h>

#include <string>

#include "base/status.h"

struct lws;
struct lws_context;
struct lws_protocols;

namespace sfu::control {

// Routes libwebsockets' own log lines (errors and warnings only) into ours.
void RouteLwsLogs();

struct LwsListener {
  lws_context* context = nullptr;
  int port = 0;  // The port actually bound (the kernel's choice for port 0).
};

// Creates a libwebsockets context on `loop` (its libuv foreign-loop support) listening on
// host:port with `protocols`; `user` is what lws_context_user() returns.
StatusOr<LwsListener> CreateLwsListener(uv_loop_t* loop, const std::string& host, int port,
                                        const lws_protocols* protocols, void* user);

// The value of one request header (empty when absent). `token` is an lws_token_indexes.
std::string LwsHeader(lws* wsi, int token);

}  // namespace sfu::control
