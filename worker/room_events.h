#pragma once
// Room events for pages: GET /rooms/{room}/events is a Server-Sent Events stream
// (https://html.spec.whatwg.org/multipage/server-sent-events.html) of the joins, leaves
// and mutes of the room's WHIP publishers, so a page needs no polling. Each stream starts
// with a snapshot of the room; a comment line every kKeepAlive keeps idle proxies from
// closing it and finds the streams whose readers have gone. Control loop only.

#include <uv.h>

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "control/http_server.h"
#include "control/jsonrpc.h"

namespace sfu {

class RoomEvents {
 public:
  static constexpr uint64_t kKeepAliveMs = 15000;

  explicit RoomEvents(uv_loop_t* loop);
  ~RoomEvents();
  RoomEvents(const RoomEvents&) = delete;
  RoomEvents& operator=(const RoomEvents&) = delete;

  // One SSE message: "event: NAME\ndata: JSON\n\n".
  static std::string Format(std::string_view event, const control::Json& data);

  // Adds a reader of `room`'s events.
  void Add(const std::string& room, std::shared_ptr<control::HttpStream> stream);
  // Sends an event to every reader of `room`.
  void Publish(const std::string& room, std::string_view event, const control::Json& data);
  size_t readers(const std::string& room) const;
  // Stops the keep-alive timer (shutdown).
  void Close();

 private:
  static void OnTimer(uv_timer_t* timer);
  void Prune();

  std::map<std::string, std::vector<std::shared_ptr<control::HttpStream>>> rooms_;
  uv_timer_t* timer_;
};

}  // namespace sfu
