#include "worker/sfu_server.h"

#include <unistd.h>

#include <algorithm>

#include "base/str_cat.h"
#include "base/check.h"
#include "base/log.h"
#include "control/control_api_schema.h"

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
  RegisterRtcMethods(*this);
  RegisterMediaMethods(*this);
  RegisterTuningMethods(*this);
  // Every request is validated against control/schema/control-api.json before its
  // handler runs; a registered method without an entry there is a bug, refused here.
  auto schema = control::CompileControlApiSchema();
  if (schema.ok()) {
    if (Status st = schema->CheckCovers(dispatcher_.Methods()); !st.ok()) schema = st;
  }
  if (!schema.ok()) {
    SFU_LOG(kError, kControl, schema.status().message());
    return schema.status();
  }
  dispatcher_.SetSchema(std::move(*schema));
  auto certificate = settings_.dtls_cert.empty()
                         ? DtlsCertificate::Generate()
                         : DtlsCertificate::FromPemFiles(settings_.dtls_cert, settings_.dtls_key);
  if (!certificate.ok()) return certificate.status();
  certificate_.emplace(std::move(*certificate));
  room_events_ = std::make_unique<RoomEvents>(loop_);
  if (settings_.http_listen) {
    http_ = std::make_unique<control::HttpServer>(
        loop_, control::HttpServerOptions{settings_.http_listen->host, settings_.http_listen->port});
    RegisterWhipRoutes(*this, *http_);
    if (Status st = http_->Start(); !st.ok()) {
      http_.reset();
      return absl::UnavailableError(StrCat("--http-listen: ", st.message()));
    }
  }
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
    int index = w->id();
    RtcConfig config;
    config.listen_ip = settings_.rtc_listen;
    config.port = settings_.rtc_port == 0 ? 0 : settings_.rtc_port + index;
    config.announced_address = settings_.announced_address;
    config.consent_timeout = TimeDelta::Seconds(settings_.consent_timeout_s);
    config.udp_gso = settings_.udp_gso;
    const DtlsCertificate* cert = &*certificate_;
    auto factory = [this, config, cert](uv_loop_t* loop, int id) -> StatusOr<std::unique_ptr<WorkerService>> {
      auto notify = [this](std::string method, nlohmann::json params) {
        PostToControl([this, method = std::move(method), params = std::move(params)]() mutable {
          if (notification_observer_) notification_observer_(method, params);
          hub_.Notify(method, std::move(params));
        });
      };
      auto rtc = std::make_unique<RtcWorker>(loop, id, config, *cert, std::move(notify));
      if (Status st = rtc->Start(); !st.ok()) {
        // Close what did open and let the loop finish closing it before the service goes.
        rtc->Close();
        uv_run(loop, UV_RUN_NOWAIT);
        return absl::UnavailableError(StrCat("worker ", id, ": ", st.message()));
      }
      return std::unique_ptr<WorkerService>(std::move(rtc));
    };
    w->Start(factory, [this, index](Status st) {
      PostToControl([this, index, st = std::move(st)]() mutable { OnWorkerReady(index, std::move(st)); });
    });
  }
  return absl::OkStatus();
}

void SfuServer::Fail(std::string_view reason) {
  SFU_LOG(kError, kWorker, reason);
  exit_code_ = 1;
  Shutdown(reason);
}

std::optional<int> SfuServer::Directory::WorkerOfTransport(const std::string& transport_id) const {
  auto t = transport_router.find(transport_id);
  if (t == transport_router.end()) return std::nullopt;
  auto r = router_worker.find(t->second);
  if (r == router_worker.end()) return std::nullopt;
  return r->second;
}

std::optional<int> SfuServer::Directory::WorkerOfProducer(const std::string& producer_id) const {
  auto it = producer_transport.find(producer_id);
  return it == producer_transport.end() ? std::nullopt : WorkerOfTransport(it->second);
}

std::optional<int> SfuServer::Directory::WorkerOfConsumer(const std::string& consumer_id) const {
  auto it = consumer_transport.find(consumer_id);
  return it == consumer_transport.end() ? std::nullopt : WorkerOfTransport(it->second);
}

void SfuServer::Directory::ForgetTransport(const std::string& transport_id) {
  transport_router.erase(transport_id);
  std::erase_if(producer_transport, [&](const auto& kv) { return kv.second == transport_id; });
  std::erase_if(consumer_transport, [&](const auto& kv) { return kv.second == transport_id; });
  http_sessions.erase(transport_id);
}

void SfuServer::Directory::ForgetRouter(const std::string& router_id) {
  router_worker.erase(router_id);
  std::vector<std::string> transports;
  for (const auto& [t, r] : transport_router) {
    if (r == router_id) transports.push_back(t);
  }
  for (const std::string& t : transports) ForgetTransport(t);
  std::erase_if(room_router, [&](const auto& kv) { return kv.second == router_id; });
}

int SfuServer::Directory::LeastLoadedWorker(int worker_count) const {
  std::vector<int> load(static_cast<size_t>(std::max(worker_count, 1)), 0);
  for (const auto& [id, w] : router_worker) ++load[static_cast<size_t>(w)];
  return static_cast<int>(std::min_element(load.begin(), load.end()) - load.begin());
}

void SfuServer::RunOnRtc(int index, std::function<StatusOr<nlohmann::json>(RtcWorker&)> task,
                         std::function<void(StatusOr<nlohmann::json>)> done) {
  if (shutting_down_) return done(InvalidStateError("the server is shutting down"));
  if (index < 0 || index >= worker_count()) return done(NotFoundError("no such worker"));
  WorkerThread* worker = workers_[static_cast<size_t>(index)].get();
  auto shared_done = std::make_shared<std::function<void(StatusOr<nlohmann::json>)>>(std::move(done));
  bool posted = worker->Post([this, worker, task = std::move(task), shared_done]() mutable {
    auto* rtc = static_cast<RtcWorker*>(worker->service());
    StatusOr<nlohmann::json> result =
        rtc ? task(*rtc) : StatusOr<nlohmann::json>(InvalidStateError("the worker has no media service"));
    PostToControl([shared_done, result = std::move(result)]() mutable { (*shared_done)(std::move(result)); });
  });
  if (!posted) (*shared_done)(InvalidStateError("the worker is stopping"));
}

void SfuServer::OnWorkerReady(int index, Status status) {
  if (!status.ok()) {
    Fail(StrCat("cannot start worker ", index, ": ", status.message()));
    return;
  }
  if (++workers_ready_ != worker_count() || shutting_down_) return;
  nlohmann::json params = {{"pid", getpid()}, {"version", SFU_VERSION}, {"workers", worker_count()}};
  params["httpListen"] =
      http_ ? nlohmann::json(HostPort{settings_.http_listen->host, http_->port()}.ToString())
            : nlohmann::json(nullptr);
  params["controlListen"] =
      ws_ ? nlohmann::json(HostPort{settings_.control_listen->host, ws_->port()}.ToString())
          : nlohmann::json(nullptr);
  SFU_LOG(kInfo, kWorker, "sfu ", SFU_VERSION, " running: pid ", getpid(), ", ", worker_count(),
          " workers", ws_ ? StrCat(", control ws://", params["controlListen"].get<std::string>())
                          : std::string(),
          stdio_ ? ", control on stdio" : "",
          http_ ? StrCat(", WHIP on http://", HostPort{settings_.http_listen->host, http_->port()}.ToString(), "/whip/")
                : std::string());
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
  if (room_events_) room_events_->Close();
  if (ws_) {
    ++control_open_;
    ws_->Close([this] { OnControlClosed(); });
  }
  if (stdio_) {
    ++control_open_;
    stdio_->Close([this] { OnControlClosed(); });
  }
  if (http_) {
    ++control_open_;
    http_->Close([this] { OnControlClosed(); });
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
