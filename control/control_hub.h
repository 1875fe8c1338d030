#pragma once
// The meeting point of control connections (stdio, WebSocket) and the dispatcher. Each
// connection registers as a session; messages from it are dispatched and the responses
// go back to it, if it is still there. Notifications go to every session. Runs on the
// control loop only.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "control/dispatcher.h"

namespace sfu::control {

class ControlSession {
 public:
  virtual ~ControlSession() = default;
  // Queues one serialized message. `droppable` marks notifications, which a session with
  // a full outgoing queue may drop (and count); responses are never dropped.
  virtual void Send(std::string message, bool droppable) = 0;
};

class ControlHub {
 public:
  ControlHub(Dispatcher& dispatcher, size_t max_message)
      : dispatcher_(dispatcher), max_message_(max_message) {}

  size_t max_message() const { return max_message_; }
  size_t session_count() const { return sessions_.size(); }

  uint64_t Attach(ControlSession* session);
  void Detach(uint64_t id);

  void OnMessage(uint64_t session, std::string_view text);
  void OnOversized(uint64_t session, size_t size);

  void Notify(std::string_view method, Json params);
  // Sends worker.running now and to every session that attaches later.
  void MarkRunning(Json params);

 private:
  void SendTo(uint64_t session, std::string message, bool droppable);

  Dispatcher& dispatcher_;
  size_t max_message_;
  uint64_t next_id_ = 1;
  std::map<uint64_t, ControlSession*> sessions_;
  std::optional<std::string> running_;
};

}  // namespace sfu::control
