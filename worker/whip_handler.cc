// WHIP (RFC 9725): POST /whip/{room} publishes, PATCH /whip/{room}/{id} restarts ICE or
// takes trickled candidates, DELETE /whip/{room}/{id} ends the session. Each room is a
// router on one worker; each publisher is a WebRTC transport with one producer per track,
// and its id (the last segment of the resource URL) is the transport id.
//
// WHEP: POST /whep/{room}/{publisherId} subscribes to one publisher's tracks (a new
// transport with a consumer per offered section), PATCH and DELETE on the resource
// /whep/{room}/{publisherId}/{id} work as for WHIP. GET /rooms/{room} lists publishers;
// GET /rooms/{room}/events streams their joins, leaves and mutes (RoomEvents).
//
// The server owns these sessions' lifetimes: DELETE ends one, and so does the end of ICE
// consent (a tab that vanished) or a DTLS close. A publisher's end ends the WHEP sessions
// that played it; a room whose last session ended closes its router. GET / serves the
// demo page.

#include <algorithm>
#include <memory>

#include "base/log.h"
#include "base/str_cat.h"
#include "control/auth.h"
#include "transport/sdp/sdp.h"
#include "worker/demo_assets.h"
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

// Holds a room's router open while a request for it waits for a worker.
class RoomPending {
 public:
  RoomPending(SfuServer& server, std::string room) : server_(server), room_(std::move(room)) {
    ++server_.directory().room_pending[room_];
  }
  ~RoomPending() { Release(); }
  // Before the destructor, for a decision that must not count this request.
  void Release() const {
    if (released_) return;
    released_ = true;
    auto& pending = server_.directory().room_pending;
    if (auto it = pending.find(room_); it != pending.end() && --it->second <= 0) pending.erase(it);
  }
  RoomPending(const RoomPending&) = delete;
  RoomPending& operator=(const RoomPending&) = delete;

 private:
  SfuServer& server_;
  std::string room_;
  mutable bool released_ = false;
};

void MaybeCloseRoom(SfuServer& server, const std::string& room);

// The publishers of a router as GET /rooms lists them (worker side); with `only`, just
// that one.
StatusOr<nlohmann::json> PublisherListing(RtcWorker& rtc, const std::string& router_id, const std::string& only = "") {
  auto publishers = rtc.Publishers(router_id);
  if (!publishers.ok()) return publishers.status();
  nlohmann::json list = nlohmann::json::array();
  for (const PublisherInfo& p : *publishers) {
    if (!only.empty() && p.transport_id != only) continue;
    nlohmann::json tracks = nlohmann::json::array();
    for (const Producer* producer : p.producers) {
      nlohmann::json layers = nlohmann::json::array();
      for (const ProducerStreamStats& st : producer->Stats(rtc.Now())) {
        layers.push_back({{"rid", st.rid}, {"ssrc", st.ssrc}, {"bitrate", st.bitrate_bps}});
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
}

// Tells the room's pages that a publisher joined.
void AnnounceJoin(SfuServer& server, const std::string& room, const std::string& router_id,
                  const std::string& transport_id) {
  auto worker = server.directory().WorkerOfTransport(transport_id);
  if (!worker) return;
  server.RunOnRtc(
      *worker,
      [router_id, transport_id](RtcWorker& rtc) { return PublisherListing(rtc, router_id, transport_id); },
      [&server, room](StatusOr<nlohmann::json> outcome) {
        if (!outcome.ok() || outcome->empty()) return;  // Gone meanwhile: its leave follows.
        server.room_events().Publish(room, "join", {{"publisher", (*outcome)[0]}});
      });
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
  auto pending = std::make_shared<RoomPending>(server, room);
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
      [&server, room, router_id, transport_id, respond, p = shared_publish, o = shared_offer,
       pending](StatusOr<nlohmann::json> outcome) {
        pending->Release();
        if (!outcome.ok()) {
          MaybeCloseRoom(server, room);  // A room this request made stays empty.
          return respond(FromStatus(outcome.status()));
        }
        server.directory().transport_router[transport_id] = router_id;
        server.directory().http_sessions[transport_id] = {room, ""};
        for (const WhipPublish::Track& t : p->tracks) {
          server.directory().producer_transport[StrCat(transport_id, "-", t.params.mid)] = transport_id;
        }
        WebRtcTransportInfo info = TransportInfoFromJson(transport_id, *outcome);
        std::string location = StrCat("/whip/", room, "/", transport_id);
        SFU_LOG(kInfo, kHttp, "WHIP publish ", location, ": ", p->tracks.size(), " track(s)");
        respond({201, "application/sdp", {{"Location", location}, {"ETag", StrCat("\"", info.ice.ufrag, "\"")}},
                 WriteWhipAnswer(*o, *p, info)});
        AnnounceJoin(server, room, router_id, transport_id);
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

// Closes a room's router once nothing in it is left or on its way.
void MaybeCloseRoom(SfuServer& server, const std::string& room) {
  auto& dir = server.directory();
  auto it = dir.room_router.find(room);
  if (it == dir.room_router.end() || dir.room_pending.count(room)) return;
  std::string router_id = it->second;
  for (const auto& [t, r] : dir.transport_router) {
    if (r == router_id) return;  // A session, or a transport of the control API.
  }
  int worker = dir.router_worker[router_id];
  dir.ForgetRouter(router_id);  // A new publisher from now on gets a new router.
  server.RunOnRtc(
      worker, [router_id](RtcWorker& rtc) -> StatusOr<nlohmann::json> {
        rtc.CloseRouter(router_id).IgnoreError();
        return nlohmann::json::object();
      },
      [room, router_id](StatusOr<nlohmann::json>) { SFU_LOG(kInfo, kHttp, "room ", room, " closed (router ", router_id, ")"); });
}

}  // namespace

void EndHttpSession(SfuServer& server, const std::string& transport_id, std::string_view why,
                    std::function<void(Status)> done) {
  auto& dir = server.directory();
  auto session = dir.http_sessions.find(transport_id);
  auto worker = dir.WorkerOfTransport(transport_id);
  if (session == dir.http_sessions.end() || !worker) {
    if (done) done(NotFoundError("no such session"));
    return;
  }
  SfuServer::Directory::HttpSession ended = session->second;
  // A publisher takes the sessions that play it along.
  std::vector<std::string> closing = {transport_id};
  if (ended.publisher.empty()) {
    for (const auto& [t, s] : dir.http_sessions) {
      if (s.publisher == transport_id) closing.push_back(t);
    }
  }
  for (const std::string& t : closing) dir.http_sessions.erase(t);  // Ends once.
  SFU_LOG(kInfo, kHttp, ended.publisher.empty() ? "WHIP" : "WHEP", " session ", transport_id, " ended: ", why,
          closing.size() > 1 ? StrCat(" (with ", closing.size() - 1, " player(s))") : "");
  server.RunOnRtc(
      *worker,
      [closing](RtcWorker& rtc) -> StatusOr<nlohmann::json> {
        Status first = rtc.CloseTransport(closing.front());
        for (size_t i = 1; i < closing.size(); ++i) rtc.CloseTransport(closing[i]).IgnoreError();
        if (!first.ok()) return first;
        return nlohmann::json::object();
      },
      [&server, closing, ended, transport_id, done](StatusOr<nlohmann::json> outcome) {
        for (const std::string& t : closing) server.directory().ForgetTransport(t);
        if (ended.publisher.empty()) server.room_events().Publish(ended.room, "leave", {{"id", transport_id}});
        MaybeCloseRoom(server, ended.room);
        if (done) done(outcome.ok() ? absl::OkStatus() : outcome.status());
      });
}

namespace {

void EndSession(SfuServer& server, const std::string& transport_id, HttpRespond respond) {
  EndHttpSession(server, transport_id, "DELETE", [respond](Status st) {
    respond(st.ok() ? HttpResponse{200, "", {}, ""} : FromStatus(st));
  });
}

// PATCH with JSON {"kind": "audio"|"video", "muted": bool}: pauses or resumes the
// publisher's tracks of that kind (their players get consumer.producerPause) and tells
// the room.
void Mute(SfuServer& server, const std::string& room, const std::string& transport_id, const HttpRequest& req,
          HttpRespond respond) {
  nlohmann::json body = nlohmann::json::parse(req.body, nullptr, false);
  if (!body.is_object() || !body.contains("kind") || !body["kind"].is_string() || !body.contains("muted") ||
      !body["muted"].is_boolean() || (body["kind"] != "audio" && body["kind"] != "video")) {
    return respond(Text(400, R"(a mute PATCH is {"kind": "audio"|"video", "muted": true|false})"));
  }
  auto& dir = server.directory();
  auto session = dir.http_sessions.find(transport_id);
  auto worker = dir.WorkerOfTransport(transport_id);
  if (session == dir.http_sessions.end() || !session->second.publisher.empty() || !worker) {
    return respond(Text(404, "no such WHIP session"));
  }
  std::string kind = body["kind"];
  bool muted = body["muted"];
  server.RunOnRtc(
      *worker,
      [transport_id, kind, muted](RtcWorker& rtc) -> StatusOr<nlohmann::json> {
        auto producers = rtc.TransportProducers(transport_id);
        if (!producers.ok()) return producers.status();
        std::vector<std::string> ids;
        for (const Producer* p : *producers) {
          if (p->kind() == kind) ids.push_back(p->id());
        }
        if (ids.empty()) return NotFoundError(StrCat("the publisher has no ", kind, " track"));
        for (const std::string& id : ids) {
          if (Status st = rtc.PauseProducer(id, muted); !st.ok()) return st;
        }
        return nlohmann::json::object();
      },
      [&server, room, transport_id, kind, muted, respond](StatusOr<nlohmann::json> outcome) {
        if (!outcome.ok()) return respond(FromStatus(outcome.status()));
        server.room_events().Publish(room, "mute", {{"id", transport_id}, {"kind", kind}, {"muted", muted}});
        respond({204, "", {}, ""});
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
    return respond(Text(415, "PATCH takes Content-Type: application/trickle-ice-sdpfrag (or application/json on a "
                             "WHIP session, to mute)"));
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
  auto pending = std::make_shared<RoomPending>(server, room);
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
      [&server, room, router_id, publisher, transport_id, respond, sub, consumers, o = shared_offer,
       pending](StatusOr<nlohmann::json> outcome) {
        if (!outcome.ok()) return respond(FromStatus(outcome.status()));
        auto& d = server.directory();
        if (!d.transport_router.count(publisher)) {
          // The publisher ended while this session was being made: it goes too.
          server.RunOnRtc(
              d.router_worker[router_id],
              [transport_id](RtcWorker& rtc) -> StatusOr<nlohmann::json> {
                rtc.CloseTransport(transport_id).IgnoreError();
                return nlohmann::json::object();
              },
              [](StatusOr<nlohmann::json>) {});
          return respond(Text(404, StrCat("publisher ", publisher, " has left")));
        }
        d.transport_router[transport_id] = router_id;
        d.http_sessions[transport_id] = {room, publisher};
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
      [router_id = it->second](RtcWorker& rtc) { return PublisherListing(rtc, router_id); },
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
    auto& sessions = server.directory().http_sessions;
    auto owner = sessions.find(session);
    if (owner == sessions.end() || owner->second.room != room || !owner->second.publisher.empty()) {
      return respond(Text(404, "no such WHIP session"));
    }
    if (req.method == "DELETE") return EndSession(server, session, std::move(respond));
    if (req.method == "PATCH" && MediaType(req.content_type) == "application/json") {
      return Mute(server, room, session, req, std::move(respond));
    }
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
    auto& sessions = server.directory().http_sessions;
    auto owner = sessions.find(session);
    if (owner == sessions.end() || owner->second.room != parts[0] || owner->second.publisher != parts[1]) {
      return respond(Text(404, "no such WHEP session"));
    }
    if (req.method == "DELETE") return EndSession(server, session, std::move(respond));
    if (req.method == "PATCH") return Patch(server, session, req, std::move(respond));
    respond({405, "text/plain", {{"Allow", "PATCH, DELETE, OPTIONS"}}, "use PATCH or DELETE\n"});
  });
  http.Route("/rooms/", [&server](const HttpRequest& req, HttpRespond respond) {
    std::string room = req.path.substr(7);
    if (!ValidRoom(room)) return respond(Text(404, "rooms are /rooms/{room} and /rooms/{room}/events"));
    if (req.method != "GET") return respond({405, "text/plain", {{"Allow", "GET, OPTIONS"}}, "use GET\n"});
    ListRoom(server, room, std::move(respond));
  });
  http.RouteStream(
      "/rooms/", "/events", "text/event-stream",
      [&server](const HttpRequest& req, std::shared_ptr<control::HttpStream> stream) -> std::optional<HttpResponse> {
        std::string room = req.path.substr(7, req.path.size() - 7 - 7);  // Between "/rooms/" and "/events".
        if (!ValidRoom(room)) return Text(404, "room events are /rooms/{room}/events");
        server.room_events().Add(room, stream);
        // The snapshot comes from the worker after the stream joined, so no event is missed;
        // an event that overtakes it is one the snapshot already shows.
        auto& dir = server.directory();
        auto it = dir.room_router.find(room);
        if (it == dir.room_router.end()) {
          stream->Write(RoomEvents::Format("snapshot", {{"room", room}, {"publishers", nlohmann::json::array()}}));
          return std::nullopt;
        }
        server.RunOnRtc(
            dir.router_worker[it->second],
            [router_id = it->second](RtcWorker& rtc) { return PublisherListing(rtc, router_id); },
            [room, stream](StatusOr<nlohmann::json> outcome) {
              nlohmann::json publishers = outcome.ok() ? *outcome : nlohmann::json::array();
              stream->Write(RoomEvents::Format("snapshot", {{"room", room}, {"publishers", std::move(publishers)}}));
            });
        return std::nullopt;
      });
  // The demo page.
  http.Route("/", [](const HttpRequest& req, HttpRespond respond) {
    std::string_view path = req.path == "/" ? "/index.html" : std::string_view(req.path);
    for (const DemoAsset& asset : DemoAssets()) {
      if (asset.path != path) continue;
      if (req.method != "GET") return respond({405, "text/plain", {{"Allow", "GET, OPTIONS"}}, "use GET\n"});
      return respond({200, std::string(asset.content_type), {{"Cache-Control", "no-cache"}}, std::string(asset.body)});
    }
    respond(Text(404, "not found"));
  });
  // Sessions whose peer has gone (ICE consent ran out, DTLS closed) end as a DELETE would.
  server.SetNotificationObserver([&server](const std::string& method, const nlohmann::json& params) {
    bool gone = (method == "transport.iceStateChange" &&
                 (params.value("iceState", "") == "disconnected" || params.value("iceState", "") == "closed")) ||
                (method == "transport.dtlsStateChange" &&
                 (params.value("dtlsState", "") == "closed" || params.value("dtlsState", "") == "failed"));
    if (!gone) return;
    std::string transport_id = params.value("transportId", "");
    if (!server.directory().http_sessions.count(transport_id)) return;
    EndHttpSession(server, transport_id, StrCat(method == "transport.iceStateChange" ? "ICE " : "DTLS ",
                                                params.value(method == "transport.iceStateChange" ? "iceState" : "dtlsState", "")),
                   nullptr);
  });
}

}  // namespace sfu
