#include "worker/worker_thread.h"

#include <pthread.h>
#include <sys/resource.h>

#include "base/str_cat.h"
#include "base/check.h"
#include "base/log.h"

namespace sfu {

WorkerThread::WorkerThread(int id) : id_(id) {
  SFU_CHECK(uv_loop_init(&loop_) == 0);
  mailbox_ = std::make_unique<Mailbox>(&loop_);
}

WorkerThread::~WorkerThread() {
  SFU_CHECK_MSG(!thread_.joinable(), "a worker thread must be stopped and joined");
  if (!ran_) {
    // Never started (start-up failed elsewhere): close the mailbox on this thread.
    mailbox_->Close();
    uv_run(&loop_, UV_RUN_DEFAULT);
  }
  mailbox_.reset();
  SFU_CHECK(uv_loop_close(&loop_) == 0);
}

void WorkerThread::Start(WorkerServiceFactory factory, std::function<void(Status)> on_ready) {
  ran_ = true;
  thread_ = std::thread([this, factory = std::move(factory), on_ready = std::move(on_ready)]() mutable {
    Run(std::move(factory), std::move(on_ready));
  });
}

void WorkerThread::Run(WorkerServiceFactory factory, std::function<void(Status)> on_ready) {
  std::string name = StrCat("worker-", id_);
  pthread_setname_np(pthread_self(), name.c_str());
  started_ = SystemClock::Instance().Now();
  Status status = absl::OkStatus();
  if (factory) {
    auto service = factory(&loop_, id_);
    if (service.ok()) {
      service_ = std::move(*service);
    } else {
      status = service.status();
    }
  }
  SFU_LOG(kDebug, kWorker, "worker ", id_, " running");
  if (on_ready) on_ready(status);
  uv_run(&loop_, UV_RUN_DEFAULT);
  // The loop ends once every handle is closed; run close callbacks left by the last pass.
  uv_run(&loop_, UV_RUN_NOWAIT);
  service_.reset();
  SFU_LOG(kDebug, kWorker, "worker ", id_, " stopped");
  if (on_stopped_) on_stopped_();
}

void WorkerThread::Stop(std::function<void()> on_stopped) {
  Post([this, on_stopped = std::move(on_stopped)]() mutable {
    // The service closes its transports and handles; the loop ends once they are closed.
    if (service_) service_->Close();
    on_stopped_ = std::move(on_stopped);
    mailbox_->Close();
  });
}

void WorkerThread::Join() {
  if (thread_.joinable()) thread_.join();
}

nlohmann::json WorkerThread::Dump() const {
  rusage usage{};
  getrusage(RUSAGE_THREAD, &usage);
  auto seconds = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  };
  int handles = 0;
  uv_walk(const_cast<uv_loop_t*>(&loop_), [](uv_handle_t*, void* arg) { ++*static_cast<int*>(arg); },
          &handles);
  nlohmann::json out = {
      {"id", id_},
      {"uptimeMs", (SystemClock::Instance().Now() - started_).ms()},
      {"cpu", {{"userSeconds", seconds(usage.ru_utime)}, {"systemSeconds", seconds(usage.ru_stime)}}},
      {"loop", {{"handles", handles}, {"tasksRun", mailbox_->tasks_run()}}},
  };
  if (service_) out.update(service_->Dump());
  return out;
}

}  // namespace sfu
