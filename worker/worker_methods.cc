// worker.* methods: the process as a whole.

#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <functional>
#include <memory>

#include "base/log.h"
#include "base/str_cat.h"
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

// Runs `task` on every worker thread and answers with `result`, whose "workers" array
// gets each worker's answer through `place`, once all have replied.
void OnEveryWorker(SfuServer& server, Json result, Reply reply, std::function<Json(WorkerThread&)> task,
                   std::function<void(Json& slot, Json answer)> place) {
  struct Collect {
    Json result;
    int outstanding;
    std::optional<Reply> reply;
  };
  auto collect = std::make_shared<Collect>();
  collect->result = std::move(result);
  collect->outstanding = server.worker_count();
  collect->reply.emplace(std::move(reply));
  for (int i = 0; i < server.worker_count(); ++i) {
    Status st = server.RunOnWorker(i, task, [collect, i, place](Json answer) {
      place(collect->result["workers"][static_cast<size_t>(i)], std::move(answer));
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

// Asks every worker thread for its state and answers once all have replied.
void Dump(SfuServer& server, const Json& params, Reply reply) {
  if (Status st = Params(params).Only({}); !st.ok()) return std::move(reply)(st);
  Json settings = Json::object();
  for (const auto& [key, value] : DescribeSettings(server.settings())) settings[key] = value;
  Json result = {
      {"pid", getpid()},
      {"version", SFU_VERSION},
      {"settings", std::move(settings)},
      {"control", server.ControlStats()},
      {"workers", Json::array()},
  };
  result["control"]["methods"] = server.dispatcher().Methods();
  result.update(UsageJson());
  for (int i = 0; i < server.worker_count(); ++i) result["workers"].push_back(nullptr);
  OnEveryWorker(
      server, std::move(result), std::move(reply), [](WorkerThread& worker) { return worker.Dump(); },
      [](Json& slot, Json dump) { slot = std::move(dump); });
}

// getrusage(2) of the process, and the CPU time of each worker thread (read on the thread).
void GetResourceUsage(SfuServer& server, const Json& params, Reply reply) {
  if (Status st = Params(params).Only({}); !st.ok()) return std::move(reply)(st);
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  Json result = {
      {"userCpuSeconds", seconds(ru.ru_utime)},
      {"systemCpuSeconds", seconds(ru.ru_stime)},
      {"maxRssKb", ru.ru_maxrss},
      {"rssKb", ReadProcessUsage().rss_bytes / 1024},
      {"minorFaults", ru.ru_minflt},
      {"majorFaults", ru.ru_majflt},
      {"voluntaryContextSwitches", ru.ru_nvcsw},
      {"involuntaryContextSwitches", ru.ru_nivcsw},
      {"workers", Json::array()},
  };
  for (int i = 0; i < server.worker_count(); ++i) result["workers"].push_back({{"worker", i}, {"cpuSeconds", 0.0}});
  OnEveryWorker(
      server, std::move(result), std::move(reply),
      [](WorkerThread&) {
        timespec t{};
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
        return Json(static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9);
      },
      [](Json& slot, Json cpu) { slot["cpuSeconds"] = std::move(cpu); });
}

Json LogSettingsJson() {
  Json tags = Json::array();
  for (LogTag t : Log::tags()) tags.push_back(LogTagName(t));
  if (tags.empty()) tags = "all";  // The logger's "no filter".
  return {{"logLevel", LogLevelName(Log::level())}, {"logTags", std::move(tags)}};
}

// Log level and tags, changed at run time (the process-wide logger; workers see it at once).
StatusOr<Json> UpdateSettings(const Json& params) {
  Params p(params);
  if (Status st = p.Only({"logLevel", "logTags"}); !st.ok()) return st;
  if (!params.is_object() || params.empty()) {
    return InvalidParamsError("params", "give logLevel, logTags or both");
  }
  auto level_name = p.OptionalString("logLevel");
  if (!level_name.ok()) return level_name.status();
  std::optional<LogLevel> level;
  if (*level_name) {
    level = ParseLogLevel(**level_name);
    if (!level) return InvalidParamsError("params.logLevel", "must be one of trace, debug, info, warn, error, off");
  }
  std::optional<std::vector<LogTag>> tags;
  if (params.contains("logTags")) {
    const Json& t = params["logTags"];
    tags.emplace();
    if (t.is_string() && t == "all") {
      for (uint32_t i = 0; i < static_cast<uint32_t>(LogTag::kCount); ++i) tags->push_back(static_cast<LogTag>(i));
    } else if (t.is_array() && !t.empty()) {
      for (size_t i = 0; i < t.size(); ++i) {
        auto tag = t[i].is_string() ? ParseLogTag(t[i].get<std::string>()) : std::nullopt;
        if (!tag) {
          return InvalidParamsError(StrCat("params.logTags[", i, "]"), StrCat("must be one of ", AllLogTagNames()));
        }
        tags->push_back(*tag);
      }
    } else {
      return InvalidParamsError("params.logTags", "must be a non-empty array of tag names, or \"all\"");
    }
  }
  // Applied only once everything is valid.
  if (level) Log::SetLevel(*level);
  if (tags) Log::SetTags(*tags);
  SFU_LOG(kInfo, kControl, "log settings now ", LogSettingsJson().dump());
  return LogSettingsJson();
}

}  // namespace

void RegisterWorkerMethods(SfuServer& server) {
  control::Dispatcher& d = server.dispatcher();
  d.RegisterSync("worker.getInfo", [&server](const Json& params) { return GetInfo(server, params); });
  d.Register("worker.dump",
             [&server](const Json& params, Reply reply) { Dump(server, params, std::move(reply)); });
  d.Register("worker.getResourceUsage",
             [&server](const Json& params, Reply reply) { GetResourceUsage(server, params, std::move(reply)); });
  d.RegisterSync("worker.updateSettings", [](const Json& params) { return UpdateSettings(params); });
  d.RegisterSync("worker.close", [&server](const Json& params) -> StatusOr<Json> {
    if (Status st = Params(params).Only({}); !st.ok()) return st;
    if (server.shutting_down()) return InvalidStateError("the server is already shutting down");
    // After this reply is queued: the endpoints flush their queues before closing.
    server.PostToControl([&server] { server.Shutdown("worker.close"); });
    return Json::object();
  });
}

}  // namespace sfu
