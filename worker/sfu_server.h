#pragma once
// The sfu process: the control loop (main thread) with the control endpoints and the
// dispatch table, and the worker threads. Requests for an object go to the worker that
// owns it as a message; the reply comes back the same way.

#include <uv.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "control/control_hub.h"
#include "control/dispatcher.h"
#include "control/http_server.h"
#include "control/stdio_channel.h"
#include "control/ws_control_server.h"
#include "transport/dtls/dtls_certificate.h"
#include "worker/mailbox.h"
#include "worker/room_events.h"
#include "worker/rtc_worker.h"
#include "worker/settings.h"
#include "worker/worker_thread.h"

namespace sfu {

class SfuServer {
 public:
  // How long a graceful shutdown may take before the process exits anyway.
  static constexpr uint64_t kShutdownDeadlineMs = 1800;

  SfuServer(uv_loop_t* loop, Settings settings, int worker_count);
  ~SfuServer();
  SfuServer(const SfuServer&) = delete;
  SfuServer& operator=(const SfuServer&) = delete;

  // Opens the control endpoints, installs signal handlers and starts the workers.
  Status Start();
  // Begins a graceful shutdown; the loop ends when it is complete. Idempotent.
  void Shutdown(std::string_view reason);

  // For method handlers (control loop only).
  const Settings& settings() const { return settings_; }
  int worker_count() const { return static_cast<int>(workers_.size()); }
  Timestamp started() const { return started_; }
  bool shutting_down() const { return shutting_down_; }
  control::Dispatcher& dispatcher() { return dispatcher_; }
  const control::ControlHub& hub() const { return hub_; }
  int control_port() const { return ws_ ? ws_->port() : 0; }
  // Counters of the control endpoints, for worker.dump.
  nlohmann::json ControlStats() const;
  // Runs `task` on worker `index`, then `done` with its result back on the control loop.
  // Fails (without running either) once shutdown has begun.
  Status RunOnWorker(int index, std::function<nlohmann::json(WorkerThread&)> task,
                     std::function<void(nlohmann::json)> done);
  // The same for a worker's media objects; the outcome (a result or an error) comes back.
  void RunOnRtc(int index, std::function<StatusOr<nlohmann::json>(RtcWorker&)> task,
                std::function<void(StatusOr<nlohmann::json>)> done);
  // Process exit code once the loop has ended.
  int exit_code() const { return exit_code_; }
  // Starts a shutdown that ends with exit code 1.
  void Fail(std::string_view reason);

  // Where objects live (control loop only).
  struct Directory {
    std::map<std::string, int> router_worker;
    std::map<std::string, std::string> transport_router;
    std::map<std::string, std::string> room_router;  // WHIP rooms.
    std::map<std::string, std::string> producer_transport;
    std::map<std::string, std::string> consumer_transport;
    // Transports the HTTP endpoint created for WHIP publishers and WHEP players; their
    // lifetime is the server's business (DELETE, consent freshness, DTLS close).
    struct HttpSession {
      std::string room;
      std::string publisher;  // WHEP: the WHIP session played; WHIP: empty.
    };
    std::map<std::string, HttpSession> http_sessions;
    // WHIP/WHEP requests of a room still waiting for a worker: its router stays.
    std::map<std::string, int> room_pending;
    std::optional<int> WorkerOfTransport(const std::string& transport_id) const;
    std::optional<int> WorkerOfProducer(const std::string& producer_id) const;
    std::optional<int> WorkerOfConsumer(const std::string& consumer_id) const;
    // Drops a closed transport and the producers and consumers it had.
    void ForgetTransport(const std::string& transport_id);
    // Drops a closed router with its transports and rooms.
    void ForgetRouter(const std::string& router_id);
    int LeastLoadedWorker(int worker_count) const;
  };
  Directory& directory() { return directory_; }
  // Runs on the control loop (any thread may call it).
  void PostToControl(Mailbox::Task task) { control_mailbox_->Post(std::move(task)); }
  RoomEvents& room_events() { return *room_events_; }
  // Sees every worker notification before the control clients do (control loop).
  void SetNotificationObserver(std::function<void(const std::string&, const nlohmann::json&)> observer) {
    notification_observer_ = std::move(observer);
  }

 private:
  static void OnSignal(uv_signal_t* handle, int signum);
  void OnWorkerReady(int index, Status status);
  void OnWorkerStopped();
  void CloseControl();
  void OnControlClosed();

  uv_loop_t* loop_;
  Settings settings_;
  Timestamp started_;
  control::Dispatcher dispatcher_;
  control::ControlHub hub_;
  std::unique_ptr<Mailbox> control_mailbox_;
  std::unique_ptr<control::StdioChannel> stdio_;
  std::unique_ptr<control::WsControlServer> ws_;
  std::unique_ptr<control::HttpServer> http_;
  std::optional<DtlsCertificate> certificate_;
  Directory directory_;
  std::unique_ptr<RoomEvents> room_events_;
  std::function<void(const std::string&, const nlohmann::json&)> notification_observer_;
  int exit_code_ = 0;
  std::vector<std::unique_ptr<WorkerThread>> workers_;
  uv_signal_t sigint_{};
  uv_signal_t sigterm_{};
  uv_timer_t deadline_{};
  bool signals_open_ = false;
  int workers_ready_ = 0;
  int workers_stopped_ = 0;
  int control_open_ = 0;
  bool shutting_down_ = false;
};

// Registers worker.getInfo, worker.dump and worker.close.
void RegisterWorkerMethods(SfuServer& server);
// Registers router.* and transport.* methods.
void RegisterRtcMethods(SfuServer& server);
// Registers transport.produce/consume/close*, producer.*, consumer.*, router.canConsume.
void RegisterMediaMethods(SfuServer& server);
// Registers transport.setMax*Bitrate, *.enableTraceEvent and consumer.setPriority.
void RegisterTuningMethods(SfuServer& server);
// Adds the WHIP, WHEP, room and demo page routes to `http`.
void RegisterWhipRoutes(SfuServer& server, control::HttpServer& http);
// Ends a WHIP or WHEP session (a WHIP one with its players), tells the room, and closes
// the room's router when it was the last. `done` (optional) gets NotFound for no session.
void EndHttpSession(SfuServer& server, const std::string& transport_id, std::string_view why,
                    std::function<void(Status)> done);

}  // namespace sfu
