#pragma once
// A loop's inbox: other threads post tasks, the owning loop runs them (uv_async). This is
// the only cross-thread structure; it carries control messages, never media.

#include <uv.h>

#include <mutex>
#include <vector>

#include "absl/functional/any_invocable.h"

namespace sfu {

class Mailbox {
 public:
  using Task = absl::AnyInvocable<void() &&>;

  // Call on the owning loop's thread (or before it runs).
  explicit Mailbox(uv_loop_t* loop);
  Mailbox(const Mailbox&) = delete;
  Mailbox& operator=(const Mailbox&) = delete;

  // Any thread. Tasks run in posting order. Returns false once the mailbox is closed;
  // the task is then destroyed on the posting thread, so its owner must not post to a
  // mailbox that may be closed with a task whose destruction belongs to another thread.
  bool Post(Task task);

  // Owning thread. Runs what is still queued, then closes the async handle; the loop
  // ends when nothing else holds it.
  void Close();

  uint64_t tasks_run() const { return tasks_run_; }

 private:
  static void OnAsync(uv_async_t* handle);
  void Drain();

  uv_async_t async_{};
  std::mutex mu_;
  std::vector<Task> queue_;  // Guarded by mu_.
  bool closed_ = false;      // Guarded by mu_.
  uint64_t tasks_run_ = 0;   // Owning thread only.
};

}  // namespace sfu
