// WHIP (RFC 9725): POST /whip/{room} publishes, PATCH /whip/{room}/{id} restarts ICE or
// takes trickled candidates, DELETE /whip/{room}/{id} ends the session. Each room is a
// router on one worker; each publisher is a WebRTC transport with one producer per track,
// and its id (the last segment of the resource URL) is the transport id.
//
// WHEP: POST /whep/{room}/{publisherId} subscribes to one publisher's tracks (a new
// transport with a consumer per offered section), PATCH and DELETE on the resource
// /whep/{room}/{publisherId}/{id} work as for WHIP. GET /rooms/{room} lists publishers.

#include <algorithm>
#include <memory>

#include "base/log.h"
#include "base/str_cat.h"
#include "control/auth.h"
#include "transport/sdp/sdp.h"
#include "worker/sfu_server.h"
#include "worker/whip_negotiation.h"

namespace sfu {
namespace {

using control::HttpRequest;
using control::HttpRespond;
using control::HttpResponse;

HttpResponse Text(int status, std::string_view message) {
  return {status, "text/plain", {}, StrCat(message, "\n")};
}

// An error status as an HTTP answer: bad input 400, unsupported 422, unknown 404.
HttpResponse FromStatus(const Status& st) {
  switch (st.code()) {
    case absl::StatusCode::kInvalidArgument: return Text(400, FromAbsl(st.message()));
    case absl::StatusCode::kUnimplemented: return Text(422, FromAbsl(st.message()));
    case absl::StatusCode::kNotFound: return Text(404, FromAbsl(st.message()));
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kUnavailable: return Text(503, FromAbsl(st.message()));
    default: return Text(500, FromAbsl(st.message()));
  }
}

bool ValidRoom(std::string_view room) {
  if (room.empty() || room.size() > 64) return false;
  for (char c : room) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) return false;
  }
  return true;
}

// The media type of a Content-Type value, lower-cased (RFC 9110 section 8.3.1).
std::string MediaType(std::string_view content_type) {
  size_t semi = content_type.find(';');
  std::string_view t = content_type.substr(0, semi);
  while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
  std::string out(t);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

nlohmann::json TransportInfoToJson(const WebRtcTransportInfo& info);
WebRtcTransportInfo TransportInfoFromJson(const std::string& id, const nlohmann::json& j);

// A display name from the query (?name=...): printable, at most 64 bytes.
std::string DisplayName(const HttpRequest& req) {
  std::string name = control::QueryParam(req.query, "name");
  if (name.size() > 64) name.resize(64);
  std::erase_if(name, [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7F; });
  return name;
}

void Publish(SfuServer& server, const std::string& room, const HttpRequest& req, HttpRespond respond) {
  if (MediaType(req.content_type) != "application/sdp") {
    return respond(Text(415, "a WHIP offer is Content-Type: application/sdp"));
  }
  auto offer = sdp::Parse(req.body);
  if (!offer.ok()) return respond(Text(400, StrCat("malformed SDP: ", offer.status().message())));
  auto publish = ReadWhipOffer(*offer);
  if (!publish.ok()) return respond(FromStatus(publish.status()));

  auto& dir = server.directory();
  std::string router_id;
  bool new_router = false;
  if (auto it = dir.room_router.find(room); it != dir.room_router.end()) {
    router_id = it->second;
  } else {
    router_id = RandomId();
    new_router = true;
    dir.room_router[room] = router_id;
    dir.router_worker[router_id] = dir.LeastLoadedWorker(server.worker_count());
  }
  int worker = dir.router_worker[router_id];
  std::string transport_id = RandomId();
  auto shared_publish = std::make_shared<WhipPublish>(std::move(*publish));
  auto shared_offer = std::make_shared<sdp::Session>(std::move(*offer));
  std::string name = DisplayName(req);
  server.RunOnRtc(
      worker,
      [router_id, transport_id, new_router, name, p = shared_publish](RtcWorker& rtc) -> StatusOr<nlohmann::json> {
        if (new_router) {
          if (Status st = rtc.CreateRouter(router_id); !st.ok()) return st;
        }
        auto info = rtc.CreateWebRtcTransport(router_id, transport_id);
        if (!info.ok()) return info.status();
        Status st = rtc.ConnectTransport(transport_id, p->remote_ice_ufrag, p->local_dtls_role,
                                         p->fingerprint_algorithm, p->fingerprint);
        for (size_t i = 0; st.ok() && i < p->tracks.size(); ++i) {
          st = rtc.Produce(transport_id, StrCat(transport_id, "-", p->tracks[i].params.mid), p->tracks[i].params);
        }
        if (!st.ok()) {
          rtc.CloseTransport(transport_id).IgnoreError();
          return st;
        }
        rtc.SetTransportName(transport_id, name);
        return TransportInfoToJson(*info);
      },
      [&server, room, router_id, transport_id, respond, p = shared_publish,
       o = shared_offer](StatusOr<nlohmann::json> outcome) {
        if (!outcome.ok()) return respond(FromStatus(outcome.status()));
        server.directory().transport_router[transport_id] = router_id;
        for (const WhipPublish::Track& t : p->tracks) {
          server.directory().producer_transport[StrCat(transport_id, "-", t.params.mid)] = transport_id;
        }
        WebRtcTransportInfo info = TransportInfoFromJson(transport_id, *outcome);
        std::string location = StrCat("/whip/", room, "/", transport_id);
        SFU_LOG(kInfo, kHttp, "WHIP publish ", location, ": ", p->tracks.size(), " track(s)");
        respond({201, "application/sdp", {{"Location", location}, {"ETag", StrCat("\"", info.ice.ufrag, "\"")}},
                 WriteWhipAnswer(*o, *p, info)});
      });
}

// A transport's ICE/DTLS parameters travel from the worker to the control loop as JSON.
nlohmann::json TransportInfoToJson(const WebRtcTransportInfo& info) {
  nlohmann::json candidates = nlohmann::json::array();
  for (const auto& c : info.candidates) candidates.push_back({c.ip, c.port, c.protocol});
  return nlohmann::json{{"ufrag", info.ice.ufrag}, {"pwd", info.ice.pwd},
                        {"fingerprint", info.fingerprint}, {"candidates", candidates}};
}

WebRtcTransportInfo TransportInfoFromJson(const std::string& id, const nlohmann::json& j) {
  WebRtcTransportInfo info;
  info.id = id;
  info.ice = {j["ufrag"], j["pwd"]};
  info.fingerprint = j["fingerprint"];
  for (const auto& c : j["candidates"]) info.candidates.push_back({c[0], c[1], c[2]});
  return info;
}

void EndSession(SfuServer& server, const std::string& transport_id, HttpRespond respond) {
  auto worker = server.directory().WorkerOfTransport(transport_id);
  if (!worker) return respond(Text(404, "no such WHIP session"));
  server.RunOnRtc(
      *worker,
      [transport_id](RtcWorker& rtc) -> StatusOr<nlohmann::json> {
        if (Status st = rtc.CloseTransport(transport_id); !st.ok()) return st;
        return nlohmann::json::object();
      },
      [&server, transport_id, respond](StatusOr<nlohmann::json> outcome) {
        server.directory().ForgetTransport(transport_id);
        respond(outcome.ok() ? HttpResponse{200, "", {}, ""} : FromStatus(outcome.status()));
      });
}

// The value of the first "a=NAME:" line of an SDP fragment, if any.
std::string FragmentAttribute(std::string_view body, std::string_view name) {
  std::string key = StrCat("a=", name, ":");
  size_t at = body.find(key);
  if (at == std::string_view::npos) return {};
  std::string_view rest = body.substr(at + key.size());
  return std::string(rest.substr(0, rest.find_first_of("\r\n")));
}

// PATCH with an SDP fragment (RFC 8840, RFC 9725 section 4.3): a fragment whose ICE ufrag
// differs from the current one is an ICE restart, answered with our new credentials;
// trickled candidates (with the current ufrag) need nothing from an ICE-lite server.
void Patch(SfuServer& server, const std::string& transport_id, const HttpRequest& req, HttpRespond respond) {
  if (MediaType(req.content_type) != "application/trickle-ice-sdpfrag") {
    return respond(Text(415, "PATCH takes Content-Type: application/trickle-ice-sdpfrag"));
  }
  auto worker = server.directory().WorkerOfTransport(transport_id);
  if (!worker) return respond(Text(404, "no such WHIP session"));
  std::string ufrag = FragmentAttribute(req.body, "ice-ufrag");
  if (ufrag.empty()) return respond({204, "", {}, ""});
  server.RunOnRtc(
      *worker,
      [transport_id, ufrag](RtcWorker& rtc) -> StatusOr<nlohmann::json> {
        auto current = rtc.RemoteUfrag(transport_id);
        if (!current.ok()) return current.status();
        if (*current == ufrag) return nlohmann::json(nullptr);  // Trickle: nothing to do.
        auto ice = rtc.RestartIce(transport_id, ufrag);
        if (!ice.ok()) return ice.status();
        return nlohmann::json{{"ufrag", ice->ufrag}, {"pwd", ice->pwd}};
      },
      [respond](StatusOr<nlohmann::json> outcome) {
        if (!outcome.ok()) return respond(FromStatus(outcome.status()));
        if (outcome->is_null()) return respond({204, "", {}, ""});
        std::string local_ufrag = (*outcome)["ufrag"];
        std::string local_pwd = (*outcome)["pwd"];
        respond({200, "application/trickle-ice-sdpfrag", {{"ETag", StrCat("\"", local_ufrag, "\"")}},
                 StrCat("a=ice-lite\r\na=ice-ufrag:", local_ufrag, "\r\na=ice-pwd:", local_pwd, "\r\n")});
      });
}

void Subscribe(SfuServer& server, const std::string& room, const std::string& publisher,
               const HttpRequest& req, HttpRespond respond) {
  if (MediaType(req.content_type) != "application/sdp") {
    return respond(Text(415, "a WHEP offer is Content-Type: application/sdp"));
  }
  auto& dir = server.directory();
  auto room_router = dir.room_router.find(room);
  auto owner = dir.transport_router.find(publisher);
  if (room_router == dir.room_router.end() || owner == dir.transport_router.end() ||
      owner->second != room_router->second) {
    return respond(Text(404, StrCat("no publisher ", publisher, " in room ", room)));
  }
  auto offer = sdp::Parse(req.body);
  if (!offer.ok()) return respond(Text(400, StrCat("malformed SDP: ", offer.status().message())));
  auto subscribe = ReadWhepOffer(*offer);
  if (!subscribe.ok()) return respond(FromStatus(subscribe.status()));
  std::string router_id = room_router->second;
  int worker = dir.router_worker[router_id];
  std::string transport_id = RandomId();
  auto sub = std::make_shared<WhepSubscribe>(std::move(*subscribe));
  auto shared_offer = std::make_shared<sdp::Session>(std::move(*offer));
  auto consumers = std::make_shared<std::vector<std::optional<ConsumerInfo>>>();
  server.RunOnRtc(
      worker,
      [router_id, transport_id, publisher, sub, consumers](RtcWorker& rtc) -> StatusOr<nlohmann::json> {
        auto producers = rtc.TransportProducers(publisher);
        if (!producers.ok()) return producers.status();
        auto info = rtc.CreateWebRtcTransport(router_id, transport_id);
        if (!info.ok()) return info.status();
        Status st = rtc.ConnectTransport(transport_id, sub->remote_ice_ufrag, sub->local_dtls_role,
                                         sub->fingerprint_algorithm, sub->fingerprint);
        // Each offered section takes the publisher's next unused track of its kind.
        std::vector<bool> used(producers->size(), false);
        std::string why;
        for (const WhepSubscribe::Section& section : sub->sections) {
          std::optional<ConsumerInfo> consumer;
          for (size_t i = 0; st.ok() && i < producers->size(); ++i) {
            const Producer* p = (*producers)[i];
            if (used[i] || p->kind() != section.kind) continue;
            auto c = rtc.Consume(transport_id, RandomId(), p->id(), section.capabilities, section.mid, false);
            if (!c.ok()) {
              if (why.empty()) why = StrCat("m-line ", section.section + 1, ": ", c.status().message());
              continue;
            }
            used[i] = true;
            consumer = std::move(*c);
            break;
          }
          consumers->push_back(std::move(consumer));
        }
        bool any = std::any_of(consumers->begin(), consumers->end(), [](const auto& c) { return c.has_value(); });
        if (st.ok() && !any) {
          st = UnsupportedError(why.empty() ? "the publisher has no track of the kinds offered" : why);
        }
        if (!st.ok()) {
          rtc.CloseTransport(transport_id).IgnoreError();
          return st;
        }
        return TransportInfoToJson(*info);
      },
      [&server, room, router_id, publisher, transport_id, respond, sub, consumers,
       o = shared_offer](StatusOr<nlohmann::json> outcome) {
        if (!outcome.ok()) return respond(FromStatus(outcome.status()));
        server.directory().transport_router[transport_id] = router_id;
        for (const auto& c : *consumers) {
          if (c) server.directory().consumer_transport[c->id] = transport_id;
        }
        WebRtcTransportInfo info = TransportInfoFromJson(transport_id, *outcome);
        std::string location = StrCat("/whep/", room, "/", publisher, "/", transport_id);
        SFU_LOG(kInfo, kHttp, "WHEP subscribe ", location);
        respond({201, "application/sdp", {{"Location", location}, {"ETag", StrCat("\"", info.ice.ufrag, "\"")}},
                 WriteWhepAnswer(*o, *sub, *consumers, info, publisher)});
      });
}

void ListRoom(SfuServer& server, const std::string& room, HttpRespond respond) {
  auto& dir = server.directory();
  auto it = dir.room_router.find(room);
  if (it == dir.room_router.end()) {
    return respond({200, "application/json", {}, nlohmann::json{{"room", room}, {"publishers", nlohmann::json::array()}}.dump()});
  }
  server.RunOnRtc(
      dir.router_worker[it->second],
      [router_id = it->second](RtcWorker& rtc) -> StatusOr<nlohmann::json> {
        auto publishers = rtc.Publishers(router_id);
        if (!publishers.ok()) return publishers.status();
        nlohmann::json list = nlohmann::json::array();
        for (const PublisherInfo& p : *publishers) {
          nlohmann::json tracks = nlohmann::json::array();
          for (const Producer* producer : p.producers) {
            nlohmann::json layers = nlohmann::json::array();
            for (const ProducerStreamStats& s : producer->Stats(rtc.Now())) {
              layers.push_back({{"rid", s.rid}, {"ssrc", s.ssrc}, {"bitrate", s.bitrate_bps}});
            }
            const ProducerParams& params = producer->params();
            tracks.push_back({{"producerId", producer->id()},
                              {"kind", producer->kind()},
                              {"mid", params.mid},
                              {"codec", params.codecs.empty() ? "" : params.codecs.front().mime_type},
                              {"paused", producer->paused()},
                              {"layers", std::move(layers)}});
          }
          list.push_back({{"id", p.transport_id}, {"name", p.name}, {"tracks", std::move(tracks)}});
        }
        return list;
      },
      [room, respond](StatusOr<nlohmann::json> outcome) {
        if (!outcome.ok()) {
          // The room closed meanwhile: it has no publishers.
          outcome = nlohmann::json::array();
        }
        respond({200, "application/json", {}, nlohmann::json{{"room", room}, {"publishers", *outcome}}.dump()});
      });
}

}  // namespace

void RegisterWhipRoutes(SfuServer& server, control::HttpServer& http) {
  http.Route("/whip/", [&server](const HttpRequest& req, HttpRespond respond) {
    const std::string& token = server.settings().whip_token;
    if (!token.empty() && !control::BearerTokenMatches(req.authorization, token)) {
      return respond({401, "text/plain", {{"WWW-Authenticate", "Bearer"}}, "a bearer token is required\n"});
    }
    std::string_view rest = std::string_view(req.path).substr(6);  // After "/whip/".
    size_t slash = rest.find('/');
    std::string room(rest.substr(0, slash));
    std::string session = slash == std::string_view::npos ? "" : std::string(rest.substr(slash + 1));
    if (!ValidRoom(room)) return respond(Text(400, "room names are 1-64 of A-Z a-z 0-9 - _ ."));
    if (session.empty()) {
      if (req.method != "POST") return respond({405, "text/plain", {{"Allow", "POST, OPTIONS"}}, "POST an SDP offer\n"});
      return Publish(server, room, req, std::move(respond));
    }
    auto owner = server.directory().transport_router.find(session);
    auto room_router = server.directory().room_router.find(room);
    if (owner == server.directory().transport_router.end() ||
        room_router == server.directory().room_router.end() || owner->second != room_router->second) {
      return respond(Text(404, "no such WHIP session"));
    }
    if (req.method == "DELETE") return EndSession(server, session, std::move(respond));
    if (req.method == "PATCH") return Patch(server, session, req, std::move(respond));
    respond({405, "text/plain", {{"Allow", "PATCH, DELETE, OPTIONS"}}, "use PATCH or DELETE\n"});
  });
  http.Route("/whep/", [&server](const HttpRequest& req, HttpRespond respond) {
    const std::string& token = server.settings().whip_token;
    if (!token.empty() && !control::BearerTokenMatches(req.authorization, token)) {
      return respond({401, "text/plain", {{"WWW-Authenticate", "Bearer"}}, "a bearer token is required\n"});
    }
    // /whep/{room}/{publisher}[/{session}]
    std::vector<std::string> parts;
    std::string_view rest = std::string_view(req.path).substr(6);
    while (!rest.empty()) {
      size_t slash = rest.find('/');
      parts.emplace_back(rest.substr(0, slash));
      rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    }
    if (parts.size() < 2 || parts.size() > 3 || !ValidRoom(parts[0]) || parts[1].empty()) {
      return respond(Text(404, "WHEP endpoints are /whep/{room}/{publisherId}"));
    }
    if (parts.size() == 2) {
      if (req.method != "POST") return respond({405, "text/plain", {{"Allow", "POST, OPTIONS"}}, "POST an SDP offer\n"});
      return Subscribe(server, parts[0], parts[1], req, std::move(respond));
    }
    const std::string& session = parts[2];
    auto owner = server.directory().transport_router.find(session);
    auto room_router = server.directory().room_router.find(parts[0]);
    if (owner == server.directory().transport_router.end() ||
        room_router == server.directory().room_router.end() || owner->second != room_router->second) {
      return respond(Text(404, "no such WHEP session"));
    }
    if (req.method == "DELETE") return EndSession(server, session, std::move(respond));
    if (req.method == "PATCH") return Patch(server, session, req, std::move(respond));
    respond({405, "text/plain", {{"Allow", "PATCH, DELETE, OPTIONS"}}, "use PATCH or DELETE\n"});
  });
  http.Route("/rooms/", [&server](const HttpRequest& req, HttpRespond respond) {
    std::string room = req.path.substr(7);
    if (!ValidRoom(room)) return respond(Text(404, "rooms are /rooms/{room}"));
    if (req.method != "GET") return respond({405, "text/plain", {{"Allow", "GET, OPTIONS"}}, "use GET\n"});
    ListRoom(server, room, std::move(respond));
  });
}

}  // namespace sfu
