// router.* and transport.* methods: each finds the worker that owns its object and runs
// there; the control loop keeps the directory of which worker owns what.

#include "absl/strings/escaping.h"
#include "base/str_cat.h"
#include "control/params.h"
#include "worker/sfu_server.h"
#include "worker/whip_negotiation.h"

namespace sfu {
namespace {

using control::Json;
using control::Params;
using control::Reply;

// Replies with `outcome` (the usual tail of a method that ran on a worker).
std::function<void(StatusOr<Json>)> Answer(std::shared_ptr<Reply> reply) {
  return [reply](StatusOr<Json> outcome) { std::move(*reply)(std::move(outcome)); };
}

std::shared_ptr<Reply> Share(Reply reply) { return std::make_shared<Reply>(std::move(reply)); }

Json TransportInfoJson(const WebRtcTransportInfo& info) {
  Json candidates = Json::array();
  for (const IceCandidateInfo& c : info.candidates) {
    candidates.push_back({{"foundation", "1"}, {"priority", CandidatePriority(c.protocol)},
                          {"ip", c.ip}, {"address", c.ip}, {"port", c.port}, {"type", "host"},
                          {"protocol", c.protocol}, {"tcpType", c.protocol == "tcp" ? "passive" : ""}});
  }
  return {
      {"transportId", info.id},
      {"iceParameters", {{"usernameFragment", info.ice.ufrag}, {"password", info.ice.pwd}, {"iceLite", true}}},
      {"iceCandidates", std::move(candidates)},
      {"dtlsParameters", {{"role", "auto"}, {"fingerprints", {{{"algorithm", "sha-256"}, {"value", info.fingerprint}}}}}},
  };
}

void RouterCreate(SfuServer& server, const Json& params, Reply reply) {
  Params p(params);
  if (Status st = p.Only({"routerId", "keyFrameRequestDelay"}); !st.ok()) return std::move(reply)(st);
  auto given = p.OptionalString("routerId");
  if (!given.ok()) return std::move(reply)(given.status());
  // Milliseconds between keyframe requests to one publisher stream (default 1000).
  auto delay_ms = p.OptionalInt("keyFrameRequestDelay", 0, 60'000);
  if (!delay_ms.ok()) return std::move(reply)(delay_ms.status());
  std::optional<TimeDelta> delay;
  if (*delay_ms) delay = TimeDelta::Millis(**delay_ms);
  std::string id = given->value_or(RandomId());
  if (id.empty() || id.size() > 128) return std::move(reply)(InvalidParamsError("params.routerId", "must be 1-128 characters"));
  if (server.directory().router_worker.contains(id)) {
    return std::move(reply)(InvalidStateError(StrCat("router ", id, " already exists")));
  }
  int worker = server.directory().LeastLoadedWorker(server.worker_count());
  server.directory().router_worker[id] = worker;  // Reserved now, so ids stay unique.
  auto shared = Share(std::move(reply));
  server.RunOnRtc(
      worker, [id, delay](RtcWorker& rtc) -> StatusOr<Json> {
        if (Status st = rtc.CreateRouter(id, delay); !st.ok()) return st;
        return Json::object();
      },
      [&server, shared, id, worker](StatusOr<Json> outcome) {
        if (!outcome.ok()) {
          server.directory().router_worker.erase(id);
          return std::move(*shared)(outcome.status());
        }
        std::move(*shared)(Json{{"routerId", id}, {"workerId", worker}});
      });
}

StatusOr<int> RouterWorker(SfuServer& server, const std::string& router_id) {
  auto it = server.directory().router_worker.find(router_id);
  if (it == server.directory().router_worker.end()) return NotFoundError(StrCat("no router ", router_id));
  return it->second;
}

StatusOr<int> TransportWorker(SfuServer& server, const std::string& transport_id) {
  auto w = server.directory().WorkerOfTransport(transport_id);
  if (!w) return NotFoundError(StrCat("no transport ", transport_id));
  return *w;
}

void RouterClose(SfuServer& server, const Json& params, Reply reply) {
  Params p(params);
  if (Status st = p.Only({"routerId"}); !st.ok()) return std::move(reply)(st);
  auto id = p.String("routerId");
  if (!id.ok()) return std::move(reply)(id.status());
  auto worker = RouterWorker(server, *id);
  if (!worker.ok()) return std::move(reply)(worker.status());
  auto shared = Share(std::move(reply));
  server.RunOnRtc(
      *worker, [id = *id](RtcWorker& rtc) -> StatusOr<Json> {
        if (Status st = rtc.CloseRouter(id); !st.ok()) return st;
        return Json::object();
      },
      [&server, shared, id = *id](StatusOr<Json> outcome) {
        if (outcome.ok()) server.directory().ForgetRouter(id);
        std::move(*shared)(std::move(outcome));
      });
}

void CreateWebRtcTransport(SfuServer& server, const Json& params, Reply reply) {
  Params p(params);
  if (Status st = p.Only({"routerId"}); !st.ok()) return std::move(reply)(st);
  auto router_id = p.String("routerId");
  if (!router_id.ok()) return std::move(reply)(router_id.status());
  auto worker = RouterWorker(server, *router_id);
  if (!worker.ok()) return std::move(reply)(worker.status());
  std::string transport_id = RandomId();
  auto shared = Share(std::move(reply));
  server.RunOnRtc(
      *worker, [router_id = *router_id, transport_id](RtcWorker& rtc) -> StatusOr<Json> {
        auto info = rtc.CreateWebRtcTransport(router_id, transport_id);
        if (!info.ok()) return info.status();
        return TransportInfoJson(*info);
      },
      [&server, shared, router_id = *router_id, transport_id](StatusOr<Json> outcome) {
        if (outcome.ok()) server.directory().transport_router[transport_id] = router_id;
        std::move(*shared)(std::move(outcome));
      });
}

// An SDES crypto-suite name given as `field`.
StatusOr<SrtpProfile> SuiteParam(std::string_view field, std::string_view name) {
  if (auto profile = SrtpProfileFromSdesName(name)) return *profile;
  return InvalidParamsError(
      field, "must be AEAD_AES_256_GCM, AEAD_AES_128_GCM, AES_CM_128_HMAC_SHA1_80 or AES_CM_128_HMAC_SHA1_32");
}

// router.createPlainTransport: RTP/RTCP over UDP on the worker's port, optional SRTP
// with keys exchanged over JSON-RPC (SDES-style).
void CreatePlainTransport(SfuServer& server, const Json& params, Reply reply) {
  Params p(params);
  if (Status st = p.Only({"routerId", "rtcpMux", "comedia", "enableSrtp", "srtpCryptoSuite"}); !st.ok()) {
    return std::move(reply)(st);
  }
  auto router_id = p.String("routerId");
  if (!router_id.ok()) return std::move(reply)(router_id.status());
  auto rtcp_mux = p.OptionalBool("rtcpMux");
  if (!rtcp_mux.ok()) return std::move(reply)(rtcp_mux.status());
  auto comedia = p.OptionalBool("comedia");
  if (!comedia.ok()) return std::move(reply)(comedia.status());
  auto enable_srtp = p.OptionalBool("enableSrtp");
  if (!enable_srtp.ok()) return std::move(reply)(enable_srtp.status());
  auto suite = p.OptionalString("srtpCryptoSuite");
  if (!suite.ok()) return std::move(reply)(suite.status());
  PlainTransportOptions options;
  options.rtcp_mux = rtcp_mux->value_or(true);
  options.comedia = comedia->value_or(false);
  if (enable_srtp->value_or(false)) {
    // The default is the suite every SDES peer has (ffmpeg has no GCM).
    auto profile = SuiteParam("params.srtpCryptoSuite", suite->value_or("AES_CM_128_HMAC_SHA1_80"));
    if (!profile.ok()) return std::move(reply)(profile.status());
    options.srtp = *profile;
  } else if (suite->has_value()) {
    return std::move(reply)(InvalidParamsError("params.srtpCryptoSuite", "needs enableSrtp"));
  }
  auto worker = RouterWorker(server, *router_id);
  if (!worker.ok()) return std::move(reply)(worker.status());
  std::string transport_id = RandomId();
  auto shared = Share(std::move(reply));
  server.RunOnRtc(
      *worker, [router_id = *router_id, transport_id, options](RtcWorker& rtc) -> StatusOr<Json> {
        auto info = rtc.CreatePlainTransport(router_id, transport_id, options);
        if (!info.ok()) return info.status();
        Json tuple = {{"localAddress", info->ip}, {"localPort", info->port}, {"protocol", "udp"}};
        Json j = {{"transportId", info->id}, {"tuple", tuple}, {"rtcpMux", options.rtcp_mux}, {"comedia", options.comedia}};
        if (!options.rtcp_mux) j["rtcpTuple"] = tuple;
        if (options.srtp) {
          std::string key(info->srtp_key.begin(), info->srtp_key.end());
          j["srtpParameters"] = {{"cryptoSuite", SdesSuiteName(*options.srtp)}, {"keyBase64", absl::Base64Escape(key)}};
        }
        return j;
      },
      [&server, shared, router_id = *router_id, transport_id](StatusOr<Json> outcome) {
        if (outcome.ok()) server.directory().transport_router[transport_id] = router_id;
        std::move(*shared)(std::move(outcome));
      });
}

// Runs `task` on the worker owning params.transportId.
void OnTransport(SfuServer& server, const std::string& transport_id, Reply reply,
                 std::function<StatusOr<Json>(RtcWorker&)> task) {
  auto worker = TransportWorker(server, transport_id);
  if (!worker.ok()) return std::move(reply)(worker.status());
  server.RunOnRtc(*worker, std::move(task), Answer(Share(std::move(reply))));
}

// transport.connect on a plain transport: the remote address and SRTP key.
void PlainTransportConnect(SfuServer& server, const std::string& id, const Json& params, Reply reply) {
  Params p(params);
  auto ip = p.OptionalString("ip");
  if (!ip.ok()) return std::move(reply)(ip.status());
  auto port = p.OptionalInt("port", 1, 65535);
  if (!port.ok()) return std::move(reply)(port.status());
  auto rtcp_port = p.OptionalInt("rtcpPort", 1, 65535);
  if (!rtcp_port.ok()) return std::move(reply)(rtcp_port.status());
  if (ip->has_value() != port->has_value()) {
    return std::move(reply)(InvalidParamsError(ip->has_value() ? "params.port" : "params.ip", "ip and port go together"));
  }
  if (rtcp_port->has_value() && !ip->has_value()) {
    return std::move(reply)(InvalidParamsError("params.rtcpPort", "needs ip and port"));
  }
  std::optional<SocketAddress> rtp, rtcp;
  if (ip->has_value()) {
    rtp = SocketAddress::FromIp(**ip, static_cast<uint16_t>(**port));
    if (!rtp) return std::move(reply)(InvalidParamsError("params.ip", "must be an IPv4 or IPv6 address"));
    if (rtcp_port->has_value()) rtcp = SocketAddress::FromIp(**ip, static_cast<uint16_t>(**rtcp_port));
  }
  std::optional<SrtpProfile> profile;
  std::string key;
  if (params.contains("srtpParameters")) {
    const Json& srtp = params["srtpParameters"];
    if (!srtp.is_object() || !srtp.contains("cryptoSuite") || !srtp["cryptoSuite"].is_string() ||
        !srtp.contains("keyBase64") || !srtp["keyBase64"].is_string()) {
      return std::move(reply)(InvalidParamsError("params.srtpParameters", "must be {cryptoSuite, keyBase64}"));
    }
    auto suite = SuiteParam("params.srtpParameters.cryptoSuite", srtp["cryptoSuite"].get<std::string>());
    if (!suite.ok()) return std::move(reply)(suite.status());
    profile = *suite;
    if (!absl::Base64Unescape(srtp["keyBase64"].get<std::string>(), &key)) {
      return std::move(reply)(InvalidParamsError("params.srtpParameters.keyBase64", "is not base64"));
    }
  }
  OnTransport(server, id, std::move(reply), [id, rtp, rtcp, profile, key](RtcWorker& rtc) -> StatusOr<Json> {
    auto bytes = std::span(reinterpret_cast<const uint8_t*>(key.data()), key.size());
    return rtc.ConnectPlainTransport(id, rtp, rtcp, profile, bytes);
  });
}

void TransportConnect(SfuServer& server, const Json& params, Reply reply) {
  Params p(params);
  if (Status st = p.Only({"transportId", "dtlsParameters", "iceParameters", "ip", "port", "rtcpPort", "srtpParameters"});
      !st.ok()) {
    return std::move(reply)(st);
  }
  auto id = p.String("transportId");
  if (!id.ok()) return std::move(reply)(id.status());
  if (!params.contains("dtlsParameters")) {
    if (params.contains("iceParameters")) {
      return std::move(reply)(InvalidParamsError("params.dtlsParameters", "is required with iceParameters"));
    }
    return PlainTransportConnect(server, *id, params, std::move(reply));
  }
  for (const char* plain_only : {"ip", "port", "rtcpPort", "srtpParameters"}) {
    if (params.contains(plain_only)) {
      return std::move(reply)(InvalidParamsError(StrCat("params.", plain_only), "is for plain transports (no dtlsParameters)"));
    }
  }
  const Json* dtls = params.contains("dtlsParameters") ? &params["dtlsParameters"] : nullptr;
  if (!dtls || !dtls->is_object()) {
    return std::move(reply)(InvalidParamsError("params.dtlsParameters", "is required (an object)"));
  }
  if (dtls->contains("role") && !(*dtls)["role"].is_string()) {
    return std::move(reply)(InvalidParamsError("params.dtlsParameters.role", "must be a string"));
  }
  std::string role = dtls->value("role", "auto");
  DtlsRole local;
  if (role == "client") {
    local = DtlsRole::kServer;
  } else if (role == "server") {
    local = DtlsRole::kClient;
  } else if (role == "auto") {
    local = DtlsRole::kServer;
  } else {
    return std::move(reply)(InvalidParamsError("params.dtlsParameters.role", "must be client, server or auto"));
  }
  auto fps = dtls->find("fingerprints");
  if (fps == dtls->end() || !fps->is_array() || fps->empty() || !(*fps)[0].is_object() ||
      !(*fps)[0].contains("algorithm") || !(*fps)[0]["algorithm"].is_string() ||
      !(*fps)[0].contains("value") || !(*fps)[0]["value"].is_string()) {
    return std::move(reply)(InvalidParamsError("params.dtlsParameters.fingerprints",
                                               "must be a non-empty array of {algorithm, value}"));
  }
  std::string algorithm = (*fps)[0]["algorithm"];
  std::string value = (*fps)[0]["value"];
  std::string remote_ufrag;
  if (params.contains("iceParameters")) {
    const Json& ice = params["iceParameters"];
    if (!ice.is_object()) return std::move(reply)(InvalidParamsError("params.iceParameters", "must be an object"));
    if (ice.contains("usernameFragment") && !ice["usernameFragment"].is_string()) {
      return std::move(reply)(InvalidParamsError("params.iceParameters.usernameFragment", "must be a string"));
    }
    remote_ufrag = ice.value("usernameFragment", "");
  }
  OnTransport(server, *id, std::move(reply), [id = *id, remote_ufrag, local, algorithm, value](RtcWorker& rtc) -> StatusOr<Json> {
    if (Status st = rtc.ConnectTransport(id, remote_ufrag, local, algorithm, value); !st.ok()) return st;
    return Json{{"dtlsLocalRole", local == DtlsRole::kServer ? "server" : "client"}};
  });
}

void TransportRestartIce(SfuServer& server, const Json& params, Reply reply) {
  Params p(params);
  if (Status st = p.Only({"transportId"}); !st.ok()) return std::move(reply)(st);
  auto id = p.String("transportId");
  if (!id.ok()) return std::move(reply)(id.status());
  OnTransport(server, *id, std::move(reply), [id = *id](RtcWorker& rtc) -> StatusOr<Json> {
    auto ice = rtc.RestartIce(id);
    if (!ice.ok()) return ice.status();
    return Json{{"iceParameters", {{"usernameFragment", ice->ufrag}, {"password", ice->pwd}, {"iceLite", true}}}};
  });
}

void TransportGetStats(SfuServer& server, const Json& params, Reply reply) {
  Params p(params);
  if (Status st = p.Only({"transportId"}); !st.ok()) return std::move(reply)(st);
  auto id = p.String("transportId");
  if (!id.ok()) return std::move(reply)(id.status());
  OnTransport(server, *id, std::move(reply), [id = *id](RtcWorker& rtc) { return rtc.TransportStats(id); });
}

void TransportDump(SfuServer& server, const Json& params, Reply reply) {
  Params p(params);
  if (Status st = p.Only({"transportId"}); !st.ok()) return std::move(reply)(st);
  auto id = p.String("transportId");
  if (!id.ok()) return std::move(reply)(id.status());
  OnTransport(server, *id, std::move(reply), [id = *id](RtcWorker& rtc) { return rtc.TransportDump(id); });
}

void RouterDump(SfuServer& server, const Json& params, Reply reply) {
  Params p(params);
  if (Status st = p.Only({"routerId"}); !st.ok()) return std::move(reply)(st);
  auto id = p.String("routerId");
  if (!id.ok()) return std::move(reply)(id.status());
  auto worker = server.directory().router_worker.find(*id);
  if (worker == server.directory().router_worker.end()) return std::move(reply)(NotFoundError(StrCat("no router ", *id)));
  auto shared = Share(std::move(reply));
  server.RunOnRtc(
      worker->second, [id = *id](RtcWorker& rtc) { return rtc.RouterDump(id); },
      [shared](StatusOr<Json> outcome) { std::move(*shared)(std::move(outcome)); });
}

void CloseTransport(SfuServer& server, const Json& params, Reply reply) {
  Params p(params);
  if (Status st = p.Only({"routerId", "transportId"}); !st.ok()) return std::move(reply)(st);
  auto router_id = p.String("routerId");
  auto id = p.String("transportId");
  if (!router_id.ok()) return std::move(reply)(router_id.status());
  if (!id.ok()) return std::move(reply)(id.status());
  auto owner = server.directory().transport_router.find(*id);
  if (owner == server.directory().transport_router.end() || owner->second != *router_id) {
    return std::move(reply)(NotFoundError(StrCat("no transport ", *id, " in router ", *router_id)));
  }
  auto worker = TransportWorker(server, *id);
  auto shared = Share(std::move(reply));
  server.RunOnRtc(
      *worker, [id = *id](RtcWorker& rtc) -> StatusOr<Json> {
        if (Status st = rtc.CloseTransport(id); !st.ok()) return st;
        return Json::object();
      },
      [&server, shared, id = *id](StatusOr<Json> outcome) {
        if (outcome.ok() || outcome.status().code() == absl::StatusCode::kNotFound) {
          server.directory().ForgetTransport(id);
        }
        std::move(*shared)(std::move(outcome));
      });
}

}  // namespace

void RegisterRtcMethods(SfuServer& server) {
  control::Dispatcher& d = server.dispatcher();
  auto bind = [&server](void (*fn)(SfuServer&, const Json&, Reply)) {
    return [&server, fn](const Json& params, Reply reply) { fn(server, params, std::move(reply)); };
  };
  d.Register("router.create", bind(RouterCreate));
  d.Register("router.close", bind(RouterClose));
  d.Register("router.createWebRtcTransport", bind(CreateWebRtcTransport));
  d.Register("router.createPlainTransport", bind(CreatePlainTransport));
  d.Register("router.closeTransport", bind(CloseTransport));
  d.Register("transport.connect", bind(TransportConnect));
  d.Register("transport.restartIce", bind(TransportRestartIce));
  d.Register("transport.getStats", bind(TransportGetStats));
  d.Register("transport.dump", bind(TransportDump));
  d.Register("router.dump", bind(RouterDump));
}

}  // namespace sfu
