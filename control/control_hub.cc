#include "control/control_hub.h"

namespace sfu::control {

uint64_t ControlHub::Attach(ControlSession* session) {
  uint64_t id = next_id_++;
  sessions_[id] = session;
  if (running_) session->Send(*running_, true);
  return id;
}

void ControlHub::Detach(uint64_t id) { sessions_.erase(id); }

void ControlHub::SendTo(uint64_t session, std::string message, bool droppable) {
  auto it = sessions_.find(session);
  if (it != sessions_.end()) it->second->Send(std::move(message), droppable);
}

void ControlHub::OnMessage(uint64_t session, std::string_view text) {
  // A response may come after the session closed; it is then dropped.
  dispatcher_.HandleMessage(text, [this, session](std::string response) {
    SendTo(session, std::move(response), false);
  });
}

void ControlHub::OnOversized(uint64_t session, size_t size) {
  SendTo(session, Dispatcher::OversizedResponse(size, max_message_), false);
}

void ControlHub::Notify(std::string_view method, Json params) {
  std::string text = Serialize(MakeNotification(method, std::move(params)));
  for (auto& [id, session] : sessions_) session->Send(text, true);
}

void ControlHub::MarkRunning(Json params) {
  running_ = Serialize(MakeNotification("worker.running", std::move(params)));
  for (auto& [id, session] : sessions_) session->Send(*running_, true);
}

}  // namespace sfu::control
