#pragma once
// One worker thread: its own libuv loop, and every object created on it. Other threads
// reach it only by posting tasks to its mailbox; nothing on its media path is shared.

#include <uv.h>

#include <functional>
#include <memory>
#include <thread>

#include "base/clock.h"
#include "nlohmann/json.hpp"
#include "worker/mailbox.h"

namespace sfu {

class WorkerThread {
 public:
  explicit WorkerThread(int id);
  ~WorkerThread();
  WorkerThread(const WorkerThread&) = delete;
  WorkerThread& operator=(const WorkerThread&) = delete;

  int id() const { return id_; }

  // Starts the thread; `on_ready` runs on the worker thread once its loop runs.
  void Start(std::function<void()> on_ready);
  // Any thread: runs `task` on the worker's loop.
  bool Post(Mailbox::Task task) { return mailbox_->Post(std::move(task)); }
  // Any thread: closes everything the worker owns, then its loop ends; `on_stopped` runs
  // on the worker thread just before the thread exits.
  void Stop(std::function<void()> on_stopped);
  // Waits for the thread to exit.
  void Join();

  // Worker thread only: a description of the worker's state.
  nlohmann::json Dump() const;

 private:
  void Run(std::function<void()> on_ready);

  int id_;
  uv_loop_t loop_{};
  std::unique_ptr<Mailbox> mailbox_;
  std::thread thread_;
  std::function<void()> on_stopped_;  // Worker thread only.
  Timestamp started_;
  bool ran_ = false;
};

}  // namespace sfu
