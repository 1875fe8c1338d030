#include "worker/sfu_server.h"

#include <unistd.h>

#include "base/str_cat.h"
#include "base/check.h"
#include "base/log.h"

namespace sfu {

SfuServer::SfuServer(uv_loop_t* loop, Settings settings, int worker_count)
    : loop_(loop),
      settings_(std::move(settings)),
      started_(SystemClock::Instance().Now()),
      hub_(dispatcher_, settings_.control_max_message),
      control_mailbox_(std::make_unique<Mailbox>(loop)) {
  for (int i = 0; i < worker_count; ++i) workers_.push_back(std::make_unique<WorkerThread>(i));
}

SfuServer::~SfuServer() {
  for (auto& w : workers_) w->Join();
}

Status SfuServer::Start() {
  RegisterWorkerMethods(*this);
  if (settings_.control_listen) {
    control::WsControlOptions options;
    options.host = settings_.control_listen->host;
    options.port = settings_.control_listen->port;
    options.token = settings_.control_token;
    ws_ = std::make_unique<control::WsControlServer>(loop_, hub_, std::move(options));
    if (Status st = ws_->Start(); !st.ok()) {
      ws_.reset();
      return absl::UnavailableError(StrCat("--control-listen: ", st.message()));
    }
  }
  if (settings_.control_stdio) {
    stdio_ = std::make_unique<control::StdioChannel>(
        loop_, hub_, STDIN_FILENO, STDOUT_FILENO, [this] { Shutdown("stdio control closed"); });
    if (Status st = stdio_->Start(); !st.ok()) return st;
  }
  uv_signal_init(loop_, &sigint_);
  uv_signal_init(loop_, &sigterm_);
  sigint_.data = this;
  sigterm_.data = this;
  uv_signal_start(&sigint_, OnSignal, SIGINT);
  uv_signal_start(&sigterm_, OnSignal, SIGTERM);
  signals_open_ = true;
  uv_timer_init(loop_, &deadline_);
  deadline_.data = this;

  for (auto& w : workers_) {
    w->Start([this] { PostToControl([this] { OnWorkerReady(); }); });
  }
  return absl::OkStatus();
}

void SfuServer::OnWorkerReady() {
  if (++workers_ready_ != worker_count() || shutting_down_) return;
  nlohmann::json params = {{"pid", getpid()}, {"version", SFU_VERSION}, {"workers", worker_count()}};
  params["controlListen"] =
      ws_ ? nlohmann::json(HostPort{settings_.control_listen->host, ws_->port()}.ToString())
          : nlohmann::json(nullptr);
  SFU_LOG(kInfo, kWorker, "sfu ", SFU_VERSION, " running: pid ", getpid(), ", ", worker_count(),
          " workers", ws_ ? StrCat(", control ws://", params["controlListen"].get<std::string>())
                          : std::string(),
          stdio_ ? ", control on stdio" : "");
  hub_.MarkRunning(std::move(params));
}

Status SfuServer::RunOnWorker(int index, std::function<nlohmann::json(WorkerThread&)> task,
                              std::function<void(nlohmann::json)> done) {
  if (shutting_down_) return InvalidStateError("the server is shutting down");
  if (index < 0 || index >= worker_count()) return NotFoundError("no such worker");
  WorkerThread* worker = workers_[static_cast<size_t>(index)].get();
  bool posted = worker->Post([this, worker, task = std::move(task), done = std::move(done)]() mutable {
    nlohmann::json result = task(*worker);
    PostToControl([done = std::move(done), result = std::move(result)]() mutable {
      done(std::move(result));
    });
  });
  if (!posted) return InvalidStateError("the worker is stopping");
  return absl::OkStatus();
}

nlohmann::json SfuServer::ControlStats() const {
  nlohmann::json stats = {{"sessions", hub_.session_count()}};
  if (ws_) {
    stats["webSocket"] = {{"listen", HostPort{settings_.control_listen->host, ws_->port()}.ToString()},
                          {"connections", ws_->connection_count()},
                          {"refusedConnections", ws_->refused_connections()},
                          {"droppedNotifications", ws_->dropped_notifications()}};
  }
  if (stdio_) stats["stdio"] = {{"droppedNotifications", stdio_->dropped_notifications()}};
  return stats;
}

void SfuServer::OnSignal(uv_signal_t* handle, int signum) {
  auto* self = static_cast<SfuServer*>(handle->data);
  if (self->shutting_down_) {
    SFU_LOG(kWarn, kWorker, "second signal (", strsignal(signum), "): exiting at once");
    _exit(128 + signum);
  }
  self->Shutdown(strsignal(signum));
}

void SfuServer::Shutdown(std::string_view reason) {
  if (shutting_down_) return;
  shutting_down_ = true;
  SFU_LOG(kInfo, kWorker, "shutting down (", reason, ")");
  uv_timer_start(
      &deadline_,
      [](uv_timer_t*) {
        SFU_LOG(kError, kWorker, "graceful shutdown took over ", kShutdownDeadlineMs,
                " ms: exiting");
        _exit(1);
      },
      kShutdownDeadlineMs, 0);
  if (workers_.empty()) {
    CloseControl();
    return;
  }
  for (auto& w : workers_) {
    w->Stop([this] { PostToControl([this] { OnWorkerStopped(); }); });
  }
}

void SfuServer::OnWorkerStopped() {
  if (++workers_stopped_ < worker_count()) return;
  for (auto& w : workers_) w->Join();
  CloseControl();
}

void SfuServer::CloseControl() {
  control_open_ = 1;  // Held until both endpoints have been asked to close.
  if (ws_) {
    ++control_open_;
    ws_->Close([this] { OnControlClosed(); });
  }
  if (stdio_) {
    ++control_open_;
    stdio_->Close([this] { OnControlClosed(); });
  }
  OnControlClosed();
}

void SfuServer::OnControlClosed() {
  if (--control_open_ > 0) return;
  // Last: the handles that keep the loop alive. uv_run returns once they are closed.
  uv_close(reinterpret_cast<uv_handle_t*>(&sigint_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&sigterm_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&deadline_), nullptr);
  control_mailbox_->Close();
  SFU_LOG(kInfo, kWorker, "shutdown complete");
}

}  // namespace sfu
