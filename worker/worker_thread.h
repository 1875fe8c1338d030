#pragma once
// One worker thread: its own libuv loop, and every object created on it. Other threads
// reach it only by posting tasks to its mailbox; nothing on its media path is shared.

#include <uv.h>

#include <functional>
#include <memory>
#include <thread>

#include "base/clock.h"
#include "base/status.h"
#include "nlohmann/json.hpp"
#include "worker/mailbox.h"

namespace sfu {

// What a worker thread runs: created on the thread, closed there before its loop ends.
class WorkerService {
 public:
  virtual ~WorkerService() = default;
  virtual void Close() = 0;
  virtual nlohmann::json Dump() const = 0;
};
using WorkerServiceFactory =
    std::function<StatusOr<std::unique_ptr<WorkerService>>(uv_loop_t* loop, int worker_id)>;

class WorkerThread {
 public:
  explicit WorkerThread(int id);
  ~WorkerThread();
  WorkerThread(const WorkerThread&) = delete;
  WorkerThread& operator=(const WorkerThread&) = delete;

  int id() const { return id_; }

  // Starts the thread; the service is created on it, then `on_ready` runs there with the
  // outcome. A null factory runs no service.
  void Start(WorkerServiceFactory factory, std::function<void(Status)> on_ready);
  // Any thread: runs `task` on the worker's loop.
  bool Post(Mailbox::Task task) { return mailbox_->Post(std::move(task)); }
  // Any thread: closes everything the worker owns, then its loop ends; `on_stopped` runs
  // on the worker thread just before the thread exits.
  void Stop(std::function<void()> on_stopped);
  // Waits for the thread to exit.
  void Join();

  // Worker thread only: a description of the worker's state.
  nlohmann::json Dump() const;
  // Worker thread only.
  WorkerService* service() { return service_.get(); }

 private:
  void Run(WorkerServiceFactory factory, std::function<void(Status)> on_ready);

  int id_;
  uv_loop_t loop_{};
  std::unique_ptr<Mailbox> mailbox_;
  std::thread thread_;
  std::function<void()> on_stopped_;  // Worker thread only.
  std::unique_ptr<WorkerService> service_;  // Worker thread only.
  Timestamp started_;
  bool ran_ = false;
};

}  // namespace sfu
