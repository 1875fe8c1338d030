// Media methods: transport.produce/consume/closeProducer/closeConsumer, producer.* and
// consumer.*, router.canConsume and router.getRtpCapabilities. Each runs on the worker
// that owns the object; the control loop's directory says which one.

#include "base/str_cat.h"
#include "control/params.h"
#include "worker/media_json.h"
#include "worker/sfu_server.h"

namespace sfu {
namespace {

using control::Json;
using control::Params;
using control::Reply;

std::shared_ptr<Reply> Share(Reply reply) { return std::make_shared<Reply>(std::move(reply)); }

// Reads params.NAME as an id the caller may choose (1-128 characters), or a fresh one.
StatusOr<std::string> ChosenId(const Params& p, std::string_view name) {
  auto given = p.OptionalString(name);
  if (!given.ok()) return given.status();
  if (!*given) return RandomId();
  if ((*given)->empty() || (*given)->size() > 128) {
    return InvalidParamsError(StrCat("params.", name), "must be 1-128 characters");
  }
  return **given;
}

void TransportProduce(SfuServer& server, const Json& params, Reply reply) {
  Params p(params);
  if (Status st = p.Only({"transportId", "producerId", "kind", "rtpParameters", "paused"}); !st.ok()) {
    return std::move(reply)(st);
  }
  auto transport_id = p.String("transportId");
  if (!transport_id.ok()) return std::move(reply)(transport_id.status());
  auto kind = p.String("kind");
  if (!kind.ok()) return std::move(reply)(kind.status());
  if (*kind != "audio" && *kind != "video") return std::move(reply)(InvalidParamsError("params.kind", "must be audio or video"));
  auto paused = p.OptionalBool("paused");
  if (!paused.ok()) return std::move(reply)(paused.status());
  auto id = ChosenId(p, "producerId");
  if (!id.ok()) return std::move(reply)(id.status());
  if (!params.contains("rtpParameters")) return std::move(reply)(InvalidParamsError("params.rtpParameters", "is required"));
  auto producer_params = ReadProducerParams(*kind, params["rtpParameters"], "params.rtpParameters");
  if (!producer_params.ok()) return std::move(reply)(producer_params.status());
  auto& dir = server.directory();
  auto worker = dir.WorkerOfTransport(*transport_id);
  if (!worker) return std::move(reply)(NotFoundError(StrCat("no transport ", *transport_id)));
  if (dir.producer_transport.contains(*id)) return std::move(reply)(InvalidStateError(StrCat("producer ", *id, " already exists")));
  dir.producer_transport[*id] = *transport_id;  // Reserved now, so ids stay unique.
  auto shared = Share(std::move(reply));
  server.RunOnRtc(
      *worker,
      [tid = *transport_id, id = *id, pp = *producer_params, paused = paused->value_or(false)](RtcWorker& rtc) mutable
      -> StatusOr<Json> {
        if (Status st = rtc.Produce(tid, id, std::move(pp)); !st.ok()) return st;
        if (paused) rtc.PauseProducer(id, true).IgnoreError();
        return Json{{"producerId", id}};
      },
      [&server, shared, id = *id](StatusOr<Json> outcome) {
        if (!outcome.ok()) server.directory().producer_transport.erase(id);
        std::move(*shared)(std::move(outcome));
      });
}

void TransportConsume(SfuServer& server, const Json& params, Reply reply) {
  Params p(params);
  if (Status st = p.Only({"transportId", "producerId", "consumerId", "rtpCapabilities", "mid", "paused"}); !st.ok()) {
    return std::move(reply)(st);
  }
  auto transport_id = p.String("transportId");
  if (!transport_id.ok()) return std::move(reply)(transport_id.status());
  auto producer_id = p.String("producerId");
  if (!producer_id.ok()) return std::move(reply)(producer_id.status());
  auto mid = p.OptionalString("mid");
  if (!mid.ok()) return std::move(reply)(mid.status());
  auto paused = p.OptionalBool("paused");
  if (!paused.ok()) return std::move(reply)(paused.status());
  auto id = ChosenId(p, "consumerId");
  if (!id.ok()) return std::move(reply)(id.status());
  if (!params.contains("rtpCapabilities")) return std::move(reply)(InvalidParamsError("params.rtpCapabilities", "is required"));
  auto caps = ReadRtpCapabilities(params["rtpCapabilities"], "params.rtpCapabilities");
  if (!caps.ok()) return std::move(reply)(caps.status());
  auto& dir = server.directory();
  auto worker = dir.WorkerOfTransport(*transport_id);
  if (!worker) return std::move(reply)(NotFoundError(StrCat("no transport ", *transport_id)));
  if (!dir.producer_transport.contains(*producer_id)) return std::move(reply)(NotFoundError(StrCat("no producer ", *producer_id)));
  if (dir.consumer_transport.contains(*id)) return std::move(reply)(InvalidStateError(StrCat("consumer ", *id, " already exists")));
  dir.consumer_transport[*id] = *transport_id;
  auto shared = Share(std::move(reply));
  server.RunOnRtc(
      *worker,
      [tid = *transport_id, id = *id, pid = *producer_id, caps = *caps, mid = mid->value_or(""),
       paused = paused->value_or(false)](RtcWorker& rtc) -> StatusOr<Json> {
        auto c = rtc.Consume(tid, id, pid, caps, mid, paused);
        if (!c.ok()) return c.status();
        auto dump = rtc.ConsumerDump(id);
        if (!dump.ok()) return dump.status();
        return *dump;
      },
      [&server, shared, id = *id](StatusOr<Json> outcome) {
        if (!outcome.ok()) server.directory().consumer_transport.erase(id);
        std::move(*shared)(std::move(outcome));
      });
}

// The common shape of methods on one producer or consumer: {<idName>} plus `extra`
// allowed keys; `task` runs on the owning worker.
void OnObject(SfuServer& server, const Json& params, Reply reply, bool producer,
              std::initializer_list<std::string_view> allowed,
              std::function<StatusOr<Json>(RtcWorker&, const std::string&)> task,
              std::function<void(SfuServer&, const std::string&)> after_ok = nullptr) {
  Params p(params);
  if (Status st = p.Only(allowed); !st.ok()) return std::move(reply)(st);
  std::string key = producer ? "producerId" : "consumerId";
  auto id = p.String(key);
  if (!id.ok()) return std::move(reply)(id.status());
  auto& dir = server.directory();
  auto worker = producer ? dir.WorkerOfProducer(*id) : dir.WorkerOfConsumer(*id);
  if (!worker) return std::move(reply)(NotFoundError(StrCat("no ", producer ? "producer " : "consumer ", *id)));
  auto shared = Share(std::move(reply));
  server.RunOnRtc(
      *worker, [task, id = *id](RtcWorker& rtc) { return task(rtc, id); },
      [&server, shared, id = *id, producer, after_ok](StatusOr<Json> outcome) {
        auto& d = server.directory();
        if (outcome.ok() && after_ok) after_ok(server, id);
        if (!outcome.ok() && outcome.status().code() == absl::StatusCode::kNotFound) {
          // Closed on the worker meanwhile (its producer or transport closed).
          (producer ? d.producer_transport : d.consumer_transport).erase(id);
        }
        std::move(*shared)(std::move(outcome));
      });
}

StatusOr<Json> Empty(const Status& st) {
  if (!st.ok()) return st;
  return Json::object();
}

// transport.closeProducer / closeConsumer: {transportId, producerId|consumerId}.
void CloseObject(SfuServer& server, const Json& params, Reply reply, bool producer) {
  Params p(params);
  std::string key = producer ? "producerId" : "consumerId";
  auto transport_id = p.String("transportId");
  if (!transport_id.ok()) return std::move(reply)(transport_id.status());
  auto id = p.String(key);
  if (!id.ok()) return std::move(reply)(id.status());
  auto& map = producer ? server.directory().producer_transport : server.directory().consumer_transport;
  auto it = map.find(*id);
  if (it == map.end() || it->second != *transport_id) {
    return std::move(reply)(NotFoundError(StrCat("no ", producer ? "producer " : "consumer ", *id, " on transport ", *transport_id)));
  }
  OnObject(
      server, params, std::move(reply), producer, {"transportId", key},
      [producer](RtcWorker& rtc, const std::string& oid) {
        return Empty(producer ? rtc.CloseProducer(oid) : rtc.CloseConsumer(oid));
      },
      [producer](SfuServer& s, const std::string& oid) {
        (producer ? s.directory().producer_transport : s.directory().consumer_transport).erase(oid);
      });
}

void RouterCanConsume(SfuServer& server, const Json& params, Reply reply) {
  Params p(params);
  if (Status st = p.Only({"routerId", "producerId", "rtpCapabilities"}); !st.ok()) return std::move(reply)(st);
  auto router_id = p.String("routerId");
  if (!router_id.ok()) return std::move(reply)(router_id.status());
  auto producer_id = p.String("producerId");
  if (!producer_id.ok()) return std::move(reply)(producer_id.status());
  if (!params.contains("rtpCapabilities")) return std::move(reply)(InvalidParamsError("params.rtpCapabilities", "is required"));
  auto caps = ReadRtpCapabilities(params["rtpCapabilities"], "params.rtpCapabilities");
  if (!caps.ok()) return std::move(reply)(caps.status());
  auto it = server.directory().router_worker.find(*router_id);
  if (it == server.directory().router_worker.end()) return std::move(reply)(NotFoundError(StrCat("no router ", *router_id)));
  auto shared = Share(std::move(reply));
  server.RunOnRtc(
      it->second,
      [rid = *router_id, pid = *producer_id, caps = *caps](RtcWorker& rtc) -> StatusOr<Json> {
        auto can = rtc.CanConsume(rid, pid, caps);
        if (!can.ok()) return can.status();
        return Json{{"canConsume", *can}};
      },
      [shared](StatusOr<Json> outcome) { std::move(*shared)(std::move(outcome)); });
}

}  // namespace

void RegisterMediaMethods(SfuServer& server) {
  control::Dispatcher& d = server.dispatcher();
  auto bind = [&server](std::function<void(SfuServer&, const Json&, Reply)> fn) {
    return [&server, fn](const Json& params, Reply reply) { fn(server, params, std::move(reply)); };
  };
  d.Register("transport.produce", bind(TransportProduce));
  d.Register("transport.consume", bind(TransportConsume));
  d.Register("transport.closeProducer", bind([](SfuServer& s, const Json& p, Reply r) { CloseObject(s, p, std::move(r), true); }));
  d.Register("transport.closeConsumer", bind([](SfuServer& s, const Json& p, Reply r) { CloseObject(s, p, std::move(r), false); }));
  d.Register("router.canConsume", bind(RouterCanConsume));
  d.RegisterSync("router.getRtpCapabilities", [](const Json& params) -> StatusOr<Json> {
    Params p(params);
    if (Status st = p.Only({"routerId"}); !st.ok()) return st;
    return RtpCapabilitiesJson(RouterCapabilities());
  });

  struct Simple {
    const char* method;
    bool producer;
    std::function<StatusOr<Json>(RtcWorker&, const std::string&)> task;
  };
  const Simple simple[] = {
      {"producer.pause", true, [](RtcWorker& r, const std::string& id) { return Empty(r.PauseProducer(id, true)); }},
      {"producer.resume", true, [](RtcWorker& r, const std::string& id) { return Empty(r.PauseProducer(id, false)); }},
      {"producer.getStats", true, [](RtcWorker& r, const std::string& id) { return r.ProducerStats(id); }},
      {"producer.dump", true, [](RtcWorker& r, const std::string& id) { return r.ProducerDump(id); }},
      {"consumer.pause", false, [](RtcWorker& r, const std::string& id) { return Empty(r.PauseConsumer(id, true)); }},
      {"consumer.resume", false, [](RtcWorker& r, const std::string& id) { return Empty(r.PauseConsumer(id, false)); }},
      {"consumer.requestKeyFrame", false, [](RtcWorker& r, const std::string& id) { return Empty(r.RequestKeyFrame(id)); }},
      {"consumer.getStats", false, [](RtcWorker& r, const std::string& id) { return r.ConsumerStats(id); }},
      {"consumer.dump", false, [](RtcWorker& r, const std::string& id) { return r.ConsumerDump(id); }},
  };
  for (const Simple& m : simple) {
    d.Register(m.method, [&server, m](const Json& params, Reply reply) {
      OnObject(server, params, std::move(reply), m.producer, {m.producer ? "producerId" : "consumerId"}, m.task);
    });
  }
}

}  // namespace sfu
