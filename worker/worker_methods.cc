// worker.* methods: the process as a whole.

#include <unistd.h>

#include <memory>

#include "control/params.h"
#include "worker/process_info.h"
#include "worker/sfu_server.h"

namespace sfu {
namespace {

using control::Json;
using control::Params;
using control::Reply;

Json UsageJson() {
  ProcessUsage usage = ReadProcessUsage();
  return {
      {"cpu", {{"userSeconds", usage.user_seconds}, {"systemSeconds", usage.system_seconds}}},
      {"memory", {{"rssBytes", usage.rss_bytes}, {"maxRssBytes", usage.max_rss_bytes}}},
  };
}

StatusOr<Json> GetInfo(SfuServer& server, const Json& params) {
  if (Status st = Params(params).Only({}); !st.ok()) return st;
  Json info = {
      {"version", SFU_VERSION},
      {"pid", getpid()},
      {"workers", server.worker_count()},
      {"uptimeMs", (SystemClock::Instance().Now() - server.started()).ms()},
  };
  info.update(UsageJson());
  return info;
}

// Asks every worker thread for its state and answers once all have replied.
void Dump(SfuServer& server, const Json& params, Reply reply) {
  if (Status st = Params(params).Only({}); !st.ok()) return std::move(reply)(st);
  struct Collect {
    Json result;
    int outstanding;
    std::optional<Reply> reply;
  };
  Json settings = Json::object();
  for (const auto& [key, value] : DescribeSettings(server.settings())) settings[key] = value;
  auto collect = std::make_shared<Collect>();
  collect->result = {
      {"pid", getpid()},
      {"version", SFU_VERSION},
      {"settings", std::move(settings)},
      {"control", server.ControlStats()},
      {"workers", Json::array()},
  };
  collect->result["control"]["methods"] = server.dispatcher().Methods();
  collect->result.update(UsageJson());
  collect->outstanding = server.worker_count();
  collect->reply.emplace(std::move(reply));
  for (int i = 0; i < server.worker_count(); ++i) {
    collect->result["workers"].push_back(nullptr);
    Status st = server.RunOnWorker(
        i, [](WorkerThread& worker) { return worker.Dump(); },
        [collect, i](Json dump) {
          collect->result["workers"][static_cast<size_t>(i)] = std::move(dump);
          if (--collect->outstanding == 0) std::move(*collect->reply)(std::move(collect->result));
        });
    if (!st.ok()) {
      // Nothing was posted for the remaining workers either; answer now.
      std::move(*collect->reply)(st);
      collect->outstanding = -1;
      return;
    }
  }
  if (server.worker_count() == 0) std::move(*collect->reply)(std::move(collect->result));
}

}  // namespace

void RegisterWorkerMethods(SfuServer& server) {
  control::Dispatcher& d = server.dispatcher();
  d.RegisterSync("worker.getInfo", [&server](const Json& params) { return GetInfo(server, params); });
  d.Register("worker.dump",
             [&server](const Json& params, Reply reply) { Dump(server, params, std::move(reply)); });
  d.RegisterSync("worker.close", [&server](const Json& params) -> StatusOr<Json> {
    if (Status st = Params(params).Only({}); !st.ok()) return st;
    if (server.shutting_down()) return InvalidStateError("the server is already shutting down");
    // After this reply is queued: the endpoints flush their queues before closing.
    server.PostToControl([&server] { server.Shutdown("worker.close"); });
    return Json::object();
  });
}

}  // namespace sfu
