// Methods that tune live objects: transport.setMaxIncomingBitrate and
// setMaxOutgoingBitrate, transport/producer/consumer.enableTraceEvent, and
// consumer.setPriority. Each runs on the worker that owns the object.

#include <memory>

#include "base/str_cat.h"
#include "control/params.h"
#include "router/trace_event.h"
#include "worker/sfu_server.h"

namespace sfu {
namespace {

using control::Json;
using control::Params;
using control::Reply;

void Run(SfuServer& server, std::optional<int> worker, std::string_view what, const std::string& id, Reply reply,
         std::function<StatusOr<Json>(RtcWorker&)> task) {
  if (!worker) return std::move(reply)(NotFoundError(StrCat("no ", what, " ", id)));
  auto shared = std::make_shared<Reply>(std::move(reply));
  server.RunOnRtc(*worker, std::move(task), [shared](StatusOr<Json> outcome) { std::move(*shared)(std::move(outcome)); });
}

void SetMaxBitrate(SfuServer& server, bool incoming, const Json& params, Reply reply) {
  Params p(params);
  if (Status st = p.Only({"transportId", "bitrate"}); !st.ok()) return std::move(reply)(st);
  auto id = p.String("transportId");
  if (!id.ok()) return std::move(reply)(id.status());
  auto bitrate = p.Int("bitrate", 0, 0xFFFFFFFFll);
  if (!bitrate.ok()) return std::move(reply)(bitrate.status());
  Run(server, server.directory().WorkerOfTransport(*id), "transport", *id, std::move(reply),
      [id = *id, incoming, bps = static_cast<uint32_t>(*bitrate)](RtcWorker& rtc) -> StatusOr<Json> {
        if (Status st = rtc.SetMaxBitrate(id, incoming, bps); !st.ok()) return st;
        return Json::object();
      });
}

// params.types: the trace event types to enable (the others are disabled; [] disables all).
StatusOr<uint8_t> TraceMask(const Json& params, bool transport) {
  if (!params.contains("types") || !params["types"].is_array()) {
    return InvalidParamsError("params.types", "is required (an array of event types)");
  }
  uint8_t mask = 0;
  const Json& types = params["types"];
  for (size_t i = 0; i < types.size(); ++i) {
    std::optional<TraceEvent::Type> type;
    if (types[i].is_string()) type = TraceTypeFromName(types[i].get<std::string>());
    bool fits = type && ((*type == TraceEvent::Type::kBwe) == transport);
    if (!fits) {
      return InvalidParamsError(StrCat("params.types[", i, "]"),
                                transport ? "must be bwe" : "must be rtp, keyframe, nack, pli or fir");
    }
    mask = static_cast<uint8_t>(mask | TraceBit(*type));
  }
  return mask;
}

void EnableTraceEvent(SfuServer& server, std::string_view kind, const Json& params, Reply reply) {
  std::string key = StrCat(kind, "Id");
  Params p(params);
  if (Status st = p.Only({key, "types"}); !st.ok()) return std::move(reply)(st);
  auto id = p.String(key);
  if (!id.ok()) return std::move(reply)(id.status());
  auto mask = TraceMask(params, kind == "transport");
  if (!mask.ok()) return std::move(reply)(mask.status());
  auto& dir = server.directory();
  std::optional<int> worker = kind == "transport" ? dir.WorkerOfTransport(*id)
                              : kind == "producer" ? dir.WorkerOfProducer(*id)
                                                   : dir.WorkerOfConsumer(*id);
  Run(server, worker, kind, *id, std::move(reply),
      [kind = std::string(kind), id = *id, mask = *mask](RtcWorker& rtc) -> StatusOr<Json> {
        if (Status st = rtc.SetTraceTypes(kind, id, mask); !st.ok()) return st;
        return Json::object();
      });
}

void SetPriority(SfuServer& server, const Json& params, Reply reply) {
  Params p(params);
  if (Status st = p.Only({"consumerId", "priority"}); !st.ok()) return std::move(reply)(st);
  auto id = p.String("consumerId");
  if (!id.ok()) return std::move(reply)(id.status());
  auto priority = p.Int("priority", 1, 255);
  if (!priority.ok()) return std::move(reply)(priority.status());
  Run(server, server.directory().WorkerOfConsumer(*id), "consumer", *id, std::move(reply),
      [id = *id, priority = static_cast<uint8_t>(*priority)](RtcWorker& rtc) -> StatusOr<Json> {
        if (Status st = rtc.SetConsumerPriority(id, priority); !st.ok()) return st;
        return Json{{"priority", priority}};
      });
}

}  // namespace

void RegisterTuningMethods(SfuServer& server) {
  control::Dispatcher& d = server.dispatcher();
  d.Register("transport.setMaxIncomingBitrate",
             [&server](const Json& params, Reply reply) { SetMaxBitrate(server, true, params, std::move(reply)); });
  d.Register("transport.setMaxOutgoingBitrate",
             [&server](const Json& params, Reply reply) { SetMaxBitrate(server, false, params, std::move(reply)); });
  for (std::string_view kind : {"transport", "producer", "consumer"}) {
    d.Register(StrCat(kind, ".enableTraceEvent"), [&server, kind](const Json& params, Reply reply) {
      EnableTraceEvent(server, kind, params, std::move(reply));
    });
  }
  d.Register("consumer.setPriority",
             [&server](const Json& params, Reply reply) { SetPriority(server, params, std::move(reply)); });
}

}  // namespace sfu
