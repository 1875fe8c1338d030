#include "worker/mailbox.h"

#include "base/check.h"

namespace sfu {

Mailbox::Mailbox(uv_loop_t* loop) {
  SFU_CHECK(uv_async_init(loop, &async_, OnAsync) == 0);
  async_.data = this;
}

bool Mailbox::Post(Task task) {
  {
    std::lock_guard lock(mu_);
    if (closed_) return false;
    queue_.push_back(std::move(task));
  }
  uv_async_send(&async_);
  return true;
}

void Mailbox::OnAsync(uv_async_t* handle) { static_cast<Mailbox*>(handle->data)->Drain(); }

void Mailbox::Drain() {
  std::vector<Task> batch;
  {
    std::lock_guard lock(mu_);
    batch.swap(queue_);
  }
  for (Task& task : batch) {
    std::move(task)();
    ++tasks_run_;
  }
}

void Mailbox::Close() {
  {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  Drain();
  uv_close(reinterpret_cast<uv_handle_t*>(&async_), nullptr);
}

}  // namespace sfu
