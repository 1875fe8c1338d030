#include "worker/room_events.h"

#include "base/str_cat.h"

namespace sfu {

RoomEvents::RoomEvents(uv_loop_t* loop) : timer_(new uv_timer_t) {
  uv_timer_init(loop, timer_);
  timer_->data = this;
  uv_timer_start(timer_, OnTimer, kKeepAliveMs, kKeepAliveMs);
  uv_unref(reinterpret_cast<uv_handle_t*>(timer_));  // Never what keeps the loop alive.
}

RoomEvents::~RoomEvents() { Close(); }

void RoomEvents::Close() {
  if (!timer_) return;
  timer_->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(timer_),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
  timer_ = nullptr;
}

std::string RoomEvents::Format(std::string_view event, const control::Json& data) {
  // dump() escapes control characters, so the data is one line.
  return StrCat("event: ", event, "\ndata: ", data.dump(), "\n\n");
}

void RoomEvents::Add(const std::string& room, std::shared_ptr<control::HttpStream> stream) {
  rooms_[room].push_back(std::move(stream));
}

void RoomEvents::Publish(const std::string& room, std::string_view event, const control::Json& data) {
  auto it = rooms_.find(room);
  if (it == rooms_.end()) return;
  std::string message = Format(event, data);
  std::erase_if(it->second, [&](const auto& s) { return !s->Write(message); });
  if (it->second.empty()) rooms_.erase(it);
}

size_t RoomEvents::readers(const std::string& room) const {
  auto it = rooms_.find(room);
  return it == rooms_.end() ? 0 : it->second.size();
}

void RoomEvents::OnTimer(uv_timer_t* timer) {
  if (auto* self = static_cast<RoomEvents*>(timer->data)) self->Prune();
}

void RoomEvents::Prune() {
  for (auto it = rooms_.begin(); it != rooms_.end();) {
    std::erase_if(it->second, [](const auto& s) { return !s->Write(": keep-alive\n\n"); });
    it = it->second.empty() ? rooms_.erase(it) : std::next(it);
  }
}

}  // namespace sfu
