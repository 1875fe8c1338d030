#include "worker/rtc_worker.h"

#include <openssl/rand.h>

#include <iterator>

#include "base/clock.h"
#include "base/log.h"
#include "base/str_cat.h"
#include "worker/media_json.h"

namespace sfu {
namespace {

std::string RandomString(size_t n) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string out(n, '\0');
  std::vector<unsigned char> bytes(n);
  RAND_bytes(bytes.data(), static_cast<int>(n));
  for (size_t i = 0; i < n; ++i) out[i] = kAlphabet[bytes[i] % (sizeof(kAlphabet) - 1)];
  return out;
}

std::string_view ProtocolName(ice::Protocol p) { return p == ice::Protocol::kUdp ? "udp" : "tcp"; }

}  // namespace

std::string RandomId() { return RandomString(24); }

uint32_t RandomSsrc() {
  uint32_t v = 0;
  while (v == 0) RAND_bytes(reinterpret_cast<unsigned char*>(&v), sizeof(v));
  return v;
}

ice::Credentials RandomIceCredentials() {
  // ICE: ufrag at least 4 characters, password at least 22 (RFC 8839 section 5.4).
  return {RandomString(16), RandomString(32)};
}

class RtcWorker::TransportHost final : public WebRtcTransport::Sender,
                                       public WebRtcTransport::Listener,
                                       public PlainTransport::Sender,
                                       public PlainTransport::Listener,
                                       public PacketSink {
 public:
  // A WebRTC transport.
  TransportHost(RtcWorker& worker, std::string id, std::string router_id, Router& router, ice::Credentials ice)
      : TransportHost(worker, std::move(id), std::move(router_id), router) {
    webrtc_ = std::make_unique<WebRtcTransport>(*worker.dtls_context_, std::move(ice), *this, *this,
                                                worker.config_.consent_timeout);
  }
  // A plain transport (call InitPlain next).
  TransportHost(RtcWorker& worker, std::string id, std::string router_id, Router& router)
      : worker_(worker),
        id_(std::move(id)),
        router_id_(std::move(router_id)),
        endpoint_(router, *this, RandomSsrc(), StrCat("sfu-", id_.substr(0, 8))) {
    endpoint_.SetConnected(false, worker.Now());  // Until DTLS is, or the remote address known.
  }
  Status InitPlain(const PlainTransportOptions& options) {
    auto t = PlainTransport::Create(options, *this, *this);
    if (!t.ok()) return t.status();
    plain_ = std::move(*t);
    return absl::OkStatus();
  }

  const std::string& id() const { return id_; }
  const std::string& router_id() const { return router_id_; }
  // Exactly one of these is set.
  WebRtcTransport* webrtc() const { return webrtc_.get(); }
  PlainTransport* plain() const { return plain_.get(); }
  std::vector<ice::Tuple>& indexed() { return indexed_; }

  RtpEndpoint& endpoint() { return endpoint_; }
  const RtpEndpoint& endpoint() const { return endpoint_; }
  std::string& name() { return name_; }

  void OnPacket(std::span<uint8_t> data, const ice::Tuple& from, Timestamp now) {
    if (webrtc_) {
      webrtc_->OnPacket(data, from, now);
    } else {
      plain_->OnPacket(data, from.remote, now);
    }
  }
  void OnTimer(Timestamp now) {
    if (webrtc_) webrtc_->OnTimer(now);
    if (webrtc_ ? webrtc_->srtp_ready() : plain_->connected()) endpoint_.OnTimer(now);
  }
  void Close() {
    if (webrtc_) webrtc_->Close();
  }

  // The traffic counters both kinds of transport keep under the same names.
  static void AddTraffic(nlohmann::json& j, const auto& c) {
    j["rtpPacketsReceived"] = c.rtp_in;
    j["rtcpPacketsReceived"] = c.rtcp_in;
    j["bytesReceived"] = c.bytes_in;
    j["rtpPacketsSent"] = c.rtp_out;
    j["rtcpPacketsSent"] = c.rtcp_out;
    j["bytesSent"] = c.bytes_out;
    j["srtpAuthFailures"] = c.srtp_auth_failures;
  }

  nlohmann::json Stats() const {
    RtpEndpointCounters e = endpoint_.counters();
    nlohmann::json j;
    if (webrtc_) {
      const auto& c = webrtc_->counters();
      j = {
          {"transportId", id_},
          {"type", "webrtc"},
          {"iceState", ice::StateName(webrtc_->ice().state())},
          {"dtlsState", DtlsStateName(webrtc_->dtls().state())},
          {"droppedNotSelected", c.dropped_not_selected},
          {"droppedBeforeSrtp", c.dropped_before_srtp},
          {"iceChecks", webrtc_->ice().counters().requests},
          {"iceBadIntegrity", webrtc_->ice().counters().bad_integrity},
      };
      AddTraffic(j, c);
      if (auto p = webrtc_->srtp_profile()) j["srtpCryptoSuite"] = InfoOf(*p).openssl_name;
      if (const auto& t = webrtc_->ice().selected()) j["selectedTuple"] = TupleJson(*t);
    } else {
      const auto& c = plain_->counters();
      j = {
          {"transportId", id_},
          {"type", "plain"},
          {"connected", plain_->connected()},
          {"droppedBeforeSrtp", c.dropped_before_keys},
          {"droppedNotConnected", c.dropped_not_connected},
      };
      AddTraffic(j, c);
      if (plain_->options().srtp) j["srtpCryptoSuite"] = SdesSuiteName(*plain_->options().srtp);
      j["tuple"] = PlainTupleJson(plain_->remote_rtp());
      AddRtcpTuple(j);
    }
    j.update({
        {"rtpUnmatched", e.rtp_unmatched},
        {"rtcpMalformed", e.rtcp_malformed},
        {"rtcpUnknownSsrc", e.rtcp_unknown_ssrc},
        {"receiverReportsSent", e.receiver_reports_sent},
        {"senderReportsSent", e.sender_reports_sent},
        {"rembSent", e.remb_sent},
    });
    Timestamp now = worker_.Now();
    nlohmann::json producers = nlohmann::json::array();
    for (const Producer* p : endpoint_.producers()) producers.push_back(ProducerStatsJson(*p, now));
    j["producers"] = std::move(producers);
    nlohmann::json consumers = nlohmann::json::array();
    for (const Consumer* cons : endpoint_.consumers()) consumers.push_back(ConsumerStatsJson(*cons));
    j["consumers"] = std::move(consumers);
    return j;
  }

  nlohmann::json TupleJson(const ice::Tuple& t) const {
    const SocketAddress& local = t.protocol == ice::Protocol::kTcp && worker_.tcp_
                                     ? worker_.tcp_->local_address()
                                     : worker_.socket_->local_address();
    return {{"localAddress", local.IpString()},
            {"localPort", local.port()},
            {"remoteIp", t.remote.IpString()},
            {"remotePort", t.remote.port()},
            {"protocol", ProtocolName(t.protocol)}};
  }
  // A plain transport's tuple: the worker's port, and the remote once known.
  nlohmann::json PlainTupleJson(const std::optional<SocketAddress>& remote) const {
    nlohmann::json j = {{"localAddress", worker_.AnnouncedAddress()},
                        {"localPort", worker_.socket_->local_address().port()},
                        {"protocol", "udp"}};
    if (remote) j.update({{"remoteIp", remote->IpString()}, {"remotePort", remote->port()}});
    return j;
  }

  // rtcpTuple: without rtcp-mux, or when comedia learned RTCP from a port of its own.
  void AddRtcpTuple(nlohmann::json& j) const {
    const auto& rtcp = plain_->remote_rtcp();
    if (!plain_->options().rtcp_mux || (rtcp && rtcp != plain_->remote_rtp())) j["rtcpTuple"] = PlainTupleJson(rtcp);
  }

  // WebRtcTransport::Sender
  void SendTo(const ice::Tuple& tuple, std::span<const uint8_t> datagram) override {
    if (tuple.protocol == ice::Protocol::kTcp) {
      if (worker_.tcp_) worker_.tcp_->Send(tuple.connection, datagram);
    } else {
      worker_.socket_->Send(datagram, tuple.remote);
    }
  }
  // PlainTransport::Sender
  void SendDatagram(const SocketAddress& to, std::span<const uint8_t> datagram) override {
    worker_.socket_->Send(datagram, to);
  }

  // WebRtcTransport::Listener
  void OnIceStateChange(ice::State state) override {
    worker_.notify_("transport.iceStateChange",
                    {{"transportId", id_}, {"iceState", ice::StateName(state)}});
  }
  void OnIceSelectedTupleChange(const ice::Tuple& tuple) override {
    worker_.IndexTuples(this, {tuple});
    worker_.notify_("transport.iceSelectedTupleChange",
                    {{"transportId", id_}, {"iceSelectedTuple", TupleJson(tuple)}});
  }
  void OnDtlsStateChange(DtlsState state, std::string_view reason) override {
    endpoint_.SetConnected(state == DtlsState::kConnected, worker_.Now());
    nlohmann::json params = {{"transportId", id_}, {"dtlsState", DtlsStateName(state)}};
    if (!reason.empty()) params["reason"] = reason;
    worker_.notify_("transport.dtlsStateChange", std::move(params));
  }
  // Both listeners.
  void OnRtp(std::span<uint8_t> packet, Timestamp now) override { endpoint_.OnRtp(packet, now); }
  void OnRtcp(std::span<uint8_t> packet, Timestamp now) override { endpoint_.OnRtcp(packet, now); }

  // PlainTransport::Listener
  void OnRemoteAddress(const std::optional<SocketAddress>& rtp, const std::optional<SocketAddress>& rtcp) override {
    std::vector<ice::Tuple> tuples;
    for (const auto& a : {rtp, rtcp}) {
      if (a) tuples.push_back({*a, ice::Protocol::kUdp, 0});
    }
    worker_.IndexTuples(this, std::move(tuples));
    if (rtp && rtcp) std::erase(worker_.comedia_pending_, this);
    nlohmann::json params = {{"transportId", id_}, {"tuple", PlainTupleJson(rtp)}};
    AddRtcpTuple(params);
    worker_.notify_("transport.tuple", std::move(params));
  }
  void OnConnected() override { endpoint_.SetConnected(true, worker_.Now()); }

  // PacketSink: the router's packets, encrypted and queued for the batched send. Over
  // UDP they are written into the socket's queue directly.
  std::span<uint8_t> SendBuffer() override {
    if (webrtc_) {
      const auto& selected = webrtc_->ice().selected();
      if (!selected || selected->protocol != ice::Protocol::kUdp) return {};
    }
    return worker_.socket_->SendBuffer();
  }
  void SendRtp(std::span<uint8_t> buffer, size_t len) override {
    if (plain_) {
      plain_->SendRtp(buffer, len);
    } else if (webrtc_->srtp_ready()) {
      webrtc_->SendRtp(buffer, len);
    }
  }
  void SendRtcp(std::span<uint8_t> buffer, size_t len) override {
    if (plain_) {
      plain_->SendRtcp(buffer, len);
    } else if (webrtc_->srtp_ready()) {
      webrtc_->SendRtcp(buffer, len);
    }
  }

 private:
  RtcWorker& worker_;
  std::string id_;
  std::string router_id_;
  std::unique_ptr<WebRtcTransport> webrtc_;
  std::unique_ptr<PlainTransport> plain_;
  RtpEndpoint endpoint_;
  std::string name_;
  std::vector<ice::Tuple> indexed_;
};

RtcWorker::RtcWorker(uv_loop_t* loop, int worker_id, RtcConfig config,
                     const DtlsCertificate& certificate, Notify notify)
    : loop_(loop), worker_id_(worker_id), config_(std::move(config)), notify_(std::move(notify)) {
  auto ctx = DtlsContext::Create(certificate);
  if (ctx.ok()) dtls_context_ = std::move(*ctx);
}

RtcWorker::~RtcWorker() {
  // Routers first: tearing one down detaches its producers and consumers from their
  // transports' endpoints, which must still be there.
  routers_.clear();
}

Status RtcWorker::Start() {
  if (!dtls_context_) return absl::InternalError("DTLS context setup failed");
  auto address = SocketAddress::FromIp(config_.listen_ip, static_cast<uint16_t>(config_.port));
  if (!address) return InvalidParamsError("rtc-listen", "not an IP address");
  auto socket = UdpSocket::Bind(loop_, *address, *this, 16 << 20, config_.udp_gso);
  if (!socket.ok()) return socket.status();
  socket_ = std::move(*socket);
  // ICE-TCP on the same port number when one is configured.
  auto tcp_address = SocketAddress::FromIp(config_.listen_ip, static_cast<uint16_t>(config_.port));
  auto tcp = TcpServer::Listen(loop_, *tcp_address, *this);
  if (!tcp.ok()) {
    socket_->Close();
    return tcp.status();
  }
  tcp_ = std::move(*tcp);
  uv_timer_init(loop_, &timer_);
  timer_.data = this;
  uv_timer_start(&timer_, OnTimer, kTimerTickMs, kTimerTickMs);
  timer_open_ = true;
  SFU_LOG(kInfo, kWorker, "worker ", worker_id_, " RTC on UDP ", socket_->local_address().ToString(),
          " and TCP ", tcp_->local_address().ToString());
  return absl::OkStatus();
}

void RtcWorker::OnTimer(uv_timer_t* timer) {
  auto* self = static_cast<RtcWorker*>(timer->data);
  self->TimerSlice(self->Now());
}

void RtcWorker::TimerSlice(Timestamp now) {
  if (transports_.empty()) return;
  size_t slice = (transports_.size() + kTimerSlices - 1) / kTimerSlices;
  // The map is ordered by id, so the walk resumes after the last id visited even when
  // transports came or went in between. A walk that reaches the end starts over next tick.
  auto it = timer_cursor_.empty() ? transports_.begin() : transports_.upper_bound(timer_cursor_);
  for (size_t visited = 0; it != transports_.end() && visited < slice; ++it, ++visited) {
    it->second->OnTimer(now);
  }
  if (it == transports_.end()) {
    timer_cursor_.clear();
  } else {
    timer_cursor_.assign(std::prev(it)->first);  // Reuses the string's storage.
  }
}

Timestamp RtcWorker::Now() const { return Timestamp::Micros(static_cast<int64_t>(uv_hrtime() / 1000)); }

void RtcWorker::Close() {
  for (auto& [id, host] : transports_) host->Close();
  if (socket_) socket_->Close();  // Flushes the close_notify records first.
  if (tcp_) tcp_->Close();
  if (timer_open_) {
    uv_timer_stop(&timer_);
    uv_close(reinterpret_cast<uv_handle_t*>(&timer_), nullptr);
    timer_open_ = false;
  }
}

nlohmann::json RtcWorker::Dump() const {
  nlohmann::json routers = nlohmann::json::array();
  for (const auto& [id, r] : routers_) routers.push_back({{"routerId", id}, {"transportIds", r.transports}});
  nlohmann::json j = {{"routers", std::move(routers)}, {"unknownPackets", unknown_packets_}};
  if (socket_) {
    const auto& c = socket_->counters();
    j["udp"] = {{"localAddress", socket_->local_address().ToString()},
                {"packetsReceived", c.packets_received}, {"packetsSent", c.packets_sent},
                {"receiveBatches", c.receive_batches}, {"sendBatches", c.send_batches},
                {"sendDropped", c.send_dropped}, {"sendErrors", c.send_errors},
                {"gso", socket_->gso()}, {"gsoMessages", c.gso_messages},
                {"gsoPackets", c.gso_packets}};
  }
  if (tcp_) {
    const auto& c = tcp_->counters();
    j["tcp"] = {{"localAddress", tcp_->local_address().ToString()},
                {"connections", tcp_->connection_count()},
                {"connectionsAccepted", c.connections_accepted},
                {"framesReceived", c.frames_received}, {"framesSent", c.frames_sent},
                {"sendDropped", c.send_dropped}};
  }
  return j;
}

Status RtcWorker::CreateRouter(const std::string& router_id, std::optional<TimeDelta> keyframe_request_delay) {
  if (routers_.contains(router_id)) return InvalidStateError(StrCat("router ", router_id, " exists"));
  RouterOptions options;
  options.producer.keyframe_request_delay = keyframe_request_delay.value_or(config_.keyframe_request_delay);
  options.clock.unix_minus_monotonic_us = SystemClock::Instance().WallMicros() - Now().us();
  RouterHost host;
  host.router = std::make_unique<Router>(router_id, options, this);
  routers_[router_id] = std::move(host);
  return absl::OkStatus();
}

Status RtcWorker::CloseRouter(const std::string& router_id) {
  auto it = routers_.find(router_id);
  if (it == routers_.end()) return NotFoundError(StrCat("no router ", router_id));
  for (const std::string& t : std::vector<std::string>(it->second.transports)) {
    CloseTransport(t).IgnoreError();
  }
  routers_.erase(router_id);
  return absl::OkStatus();
}

StatusOr<WebRtcTransportInfo> RtcWorker::CreateWebRtcTransport(const std::string& router_id,
                                                               const std::string& transport_id) {
  auto it = routers_.find(router_id);
  if (it == routers_.end()) return NotFoundError(StrCat("no router ", router_id));
  if (!socket_) return InvalidStateError("the worker has no socket");
  ice::Credentials ice = RandomIceCredentials();
  if (transports_.contains(transport_id)) return InvalidStateError(StrCat("transport ", transport_id, " exists"));
  auto host = std::make_unique<TransportHost>(*this, transport_id, router_id, *it->second.router, ice);
  by_ufrag_[ice.ufrag] = host.get();
  transports_[transport_id] = std::move(host);
  it->second.transports.push_back(transport_id);
  WebRtcTransportInfo info;
  info.id = transport_id;
  info.ice = ice;
  info.fingerprint = dtls_context_->fingerprint();
  std::string announced = AnnouncedAddress();
  info.candidates.push_back({announced, socket_->local_address().port(), "udp"});
  if (tcp_) info.candidates.push_back({announced, tcp_->local_address().port(), "tcp"});
  return info;
}

StatusOr<PlainTransportInfo> RtcWorker::CreatePlainTransport(const std::string& router_id,
                                                             const std::string& transport_id,
                                                             const PlainTransportOptions& options) {
  auto it = routers_.find(router_id);
  if (it == routers_.end()) return NotFoundError(StrCat("no router ", router_id));
  if (!socket_) return InvalidStateError("the worker has no socket");
  if (transports_.contains(transport_id)) return InvalidStateError(StrCat("transport ", transport_id, " exists"));
  auto host = std::make_unique<TransportHost>(*this, transport_id, router_id, *it->second.router);
  if (Status st = host->InitPlain(options); !st.ok()) return st;
  PlainTransportInfo info;
  info.id = transport_id;
  info.ip = AnnouncedAddress();
  info.port = socket_->local_address().port();
  auto key = host->plain()->local_srtp_key();
  info.srtp_key.assign(key.begin(), key.end());
  if (options.comedia) comedia_pending_.push_back(host.get());
  transports_[transport_id] = std::move(host);
  it->second.transports.push_back(transport_id);
  return info;
}

StatusOr<nlohmann::json> RtcWorker::ConnectPlainTransport(const std::string& transport_id,
                                                          std::optional<SocketAddress> rtp,
                                                          std::optional<SocketAddress> rtcp,
                                                          std::optional<SrtpProfile> srtp_profile,
                                                          std::span<const uint8_t> srtp_key) {
  TransportHost* host = FindTransport(transport_id);
  if (!host) return NotFoundError(StrCat("no transport ", transport_id));
  if (!host->plain()) {
    return InvalidParamsError("params.dtlsParameters",
                              StrCat("transport ", transport_id, " is a WebRTC transport: connect needs dtlsParameters"));
  }
  // One worker port serves every transport, so a remote address can belong to one only.
  for (const auto& a : {rtp, rtcp}) {
    if (!a) continue;
    if (auto taken = by_address_.find(*a); taken != by_address_.end() && taken->second != host) {
      return InvalidStateError(StrCat("remote address ", a->ToString(), " is in use by transport ",
                                      taken->second->id()));
    }
  }
  if (Status st = host->plain()->Connect(rtp, rtcp, srtp_profile, srtp_key); !st.ok()) return st;
  nlohmann::json j = {{"tuple", host->PlainTupleJson(host->plain()->remote_rtp())}};
  host->AddRtcpTuple(j);
  return j;
}

RtcWorker::TransportHost* RtcWorker::ComediaClaimer(std::span<const uint8_t> data) const {
  if (comedia_pending_.empty() || data.size() < 8 || data[0] < 128 || data[0] > 191) return nullptr;
  auto be32 = [&](size_t at) -> std::optional<uint32_t> {
    if (data.size() < at + 4) return std::nullopt;
    return (uint32_t{data[at]} << 24) | (uint32_t{data[at + 1]} << 16) | (uint32_t{data[at + 2]} << 8) | data[at + 3];
  };
  // The SSRCs that say whose packet this is: RTP's own; for RTCP the sender's (a
  // publisher's SR) and the first one reported on or fed back about (a receiver's RR,
  // NACK or PLI). SRTCP encrypts all but the sender SSRC; authentication decides then.
  std::optional<uint32_t> ssrcs[2];
  uint8_t pt = data[1];
  bool has_reports = (data[0] & 0x1f) > 0;
  if (pt < 192 || pt > 223) {
    ssrcs[0] = be32(8);
  } else {
    ssrcs[0] = be32(4);
    if (pt == 201 && has_reports) ssrcs[1] = be32(8);
    if (pt == 200 && has_reports) ssrcs[1] = be32(28);
    if (pt == 205 || pt == 206) ssrcs[1] = be32(8);
  }
  for (TransportHost* host : comedia_pending_) {
    for (const auto& ssrc : ssrcs) {
      if (ssrc && host->endpoint().HasSsrc(*ssrc)) return host;
    }
  }
  return nullptr;
}

RtcWorker::TransportHost* RtcWorker::FindTransport(const std::string& id) const {
  auto it = transports_.find(id);
  return it == transports_.end() ? nullptr : it->second.get();
}

Status RtcWorker::ConnectTransport(const std::string& transport_id, const std::string& remote_ufrag,
                                   DtlsRole local_role, const std::string& fingerprint_algorithm,
                                   const std::string& fingerprint) {
  TransportHost* host = FindTransport(transport_id);
  if (!host) return NotFoundError(StrCat("no transport ", transport_id));
  if (!host->webrtc()) {
    return InvalidParamsError("params.dtlsParameters",
                              StrCat("transport ", transport_id, " is a plain transport: connect it with ip, port and srtpParameters"));
  }
  return host->webrtc()->Connect(remote_ufrag, local_role, fingerprint_algorithm, fingerprint);
}

StatusOr<ice::Credentials> RtcWorker::RestartIce(const std::string& transport_id,
                                                 const std::string& remote_ufrag) {
  TransportHost* host = FindTransport(transport_id);
  if (!host) return NotFoundError(StrCat("no transport ", transport_id));
  if (!host->webrtc()) return InvalidStateError(StrCat("transport ", transport_id, " is a plain transport (no ICE)"));
  ice::Credentials fresh = RandomIceCredentials();
  by_ufrag_.erase(host->webrtc()->ice().local().ufrag);
  by_ufrag_[fresh.ufrag] = host;
  host->webrtc()->RestartIce(fresh, remote_ufrag);
  return fresh;
}

StatusOr<std::string> RtcWorker::RemoteUfrag(const std::string& transport_id) const {
  TransportHost* host = FindTransport(transport_id);
  if (!host) return NotFoundError(StrCat("no transport ", transport_id));
  if (!host->webrtc()) return InvalidStateError(StrCat("transport ", transport_id, " is a plain transport (no ICE)"));
  return host->webrtc()->ice().remote_ufrag();
}

Status RtcWorker::CloseTransport(const std::string& transport_id) {
  auto it = transports_.find(transport_id);
  if (it == transports_.end()) return NotFoundError(StrCat("no transport ", transport_id));
  TransportHost* host = it->second.get();
  if (auto r = routers_.find(host->router_id()); r != routers_.end()) {
    // Consumers of this transport's producers are forgotten by OnConsumerProducerClose.
    for (const Consumer* c : host->endpoint().consumers()) consumer_router_.erase(c->id());
    for (const Producer* p : host->endpoint().producers()) producer_router_.erase(p->id());
    r->second.router->CloseEndpoint(host->endpoint());
  }
  host->Close();
  if (host->webrtc()) by_ufrag_.erase(host->webrtc()->ice().local().ufrag);
  std::erase(comedia_pending_, host);
  Unindex(host);
  if (auto r = routers_.find(host->router_id()); r != routers_.end()) std::erase(r->second.transports, transport_id);
  transports_.erase(it);
  return absl::OkStatus();
}

Status RtcWorker::Produce(const std::string& transport_id, const std::string& producer_id,
                          ProducerParams params) {
  TransportHost* host = FindTransport(transport_id);
  if (!host) return NotFoundError(StrCat("no transport ", transport_id));
  if (producer_router_.contains(producer_id)) return InvalidStateError(StrCat("producer ", producer_id, " exists"));
  Router& router = host->endpoint().router();
  auto p = router.Produce(host->endpoint(), producer_id, std::move(params));
  if (!p.ok()) return p.status();
  producer_router_[producer_id] = &router;
  return absl::OkStatus();
}

StatusOr<ConsumerInfo> RtcWorker::Consume(const std::string& transport_id, const std::string& consumer_id,
                                          const std::string& producer_id, const RtpCapabilities& capabilities,
                                          const std::string& mid, bool paused) {
  TransportHost* host = FindTransport(transport_id);
  if (!host) return NotFoundError(StrCat("no transport ", transport_id));
  if (consumer_router_.contains(consumer_id)) return InvalidStateError(StrCat("consumer ", consumer_id, " exists"));
  Router& router = host->endpoint().router();
  Producer* producer = router.FindProducer(producer_id);
  if (!producer) return NotFoundError(StrCat("no producer ", producer_id, " in router ", router.id()));
  auto params = DeriveConsumerParams(producer->params(), capabilities, mid, RandomSsrc(), RandomSsrc());
  if (!params.ok()) return params.status();
  params->cname = host->endpoint().cname();
  ConsumerParams copy = *params;
  auto c = router.Consume(host->endpoint(), consumer_id, producer_id, std::move(*params), Now());
  if (!c.ok()) return c.status();
  if (paused) (*c)->Pause();
  consumer_router_[consumer_id] = &router;
  return ConsumerInfo{consumer_id, producer_id, std::move(copy)};
}

Router* RtcWorker::RouterOfProducer(const std::string& producer_id) const {
  auto it = producer_router_.find(producer_id);
  return it == producer_router_.end() ? nullptr : it->second;
}

Router* RtcWorker::RouterOfConsumer(const std::string& consumer_id) const {
  auto it = consumer_router_.find(consumer_id);
  return it == consumer_router_.end() ? nullptr : it->second;
}

Status RtcWorker::CloseProducer(const std::string& producer_id) {
  Router* router = RouterOfProducer(producer_id);
  if (!router) return NotFoundError(StrCat("no producer ", producer_id));
  producer_router_.erase(producer_id);  // Its consumers: OnConsumerProducerClose.
  return router->CloseProducer(producer_id);
}

Status RtcWorker::CloseConsumer(const std::string& consumer_id) {
  Router* router = RouterOfConsumer(consumer_id);
  if (!router) return NotFoundError(StrCat("no consumer ", consumer_id));
  consumer_router_.erase(consumer_id);
  return router->CloseConsumer(consumer_id);
}

Status RtcWorker::PauseProducer(const std::string& producer_id, bool pause) {
  Router* router = RouterOfProducer(producer_id);
  if (!router) return NotFoundError(StrCat("no producer ", producer_id));
  return pause ? router->PauseProducer(producer_id) : router->ResumeProducer(producer_id, Now());
}

Status RtcWorker::PauseConsumer(const std::string& consumer_id, bool pause) {
  Router* router = RouterOfConsumer(consumer_id);
  if (!router) return NotFoundError(StrCat("no consumer ", consumer_id));
  return pause ? router->PauseConsumer(consumer_id) : router->ResumeConsumer(consumer_id, Now());
}

Status RtcWorker::RequestKeyFrame(const std::string& consumer_id) {
  Router* router = RouterOfConsumer(consumer_id);
  Consumer* c = router ? router->FindConsumer(consumer_id) : nullptr;
  if (!c) return NotFoundError(StrCat("no consumer ", consumer_id));
  if (c->kind() != "video") return InvalidStateError("keyframes are for video consumers");
  router->RequestKeyFrame(*c, Now());
  return absl::OkStatus();
}

StatusOr<bool> RtcWorker::CanConsume(const std::string& router_id, const std::string& producer_id,
                                     const RtpCapabilities& capabilities) const {
  auto it = routers_.find(router_id);
  if (it == routers_.end()) return NotFoundError(StrCat("no router ", router_id));
  Producer* p = it->second.router->FindProducer(producer_id);
  if (!p) return NotFoundError(StrCat("no producer ", producer_id, " in router ", router_id));
  return DeriveConsumerParams(p->params(), capabilities, "", 1, 2).ok();
}

StatusOr<nlohmann::json> RtcWorker::ProducerStats(const std::string& producer_id) const {
  Router* router = RouterOfProducer(producer_id);
  Producer* p = router ? router->FindProducer(producer_id) : nullptr;
  if (!p) return NotFoundError(StrCat("no producer ", producer_id));
  return ProducerStatsJson(*p, Now());
}

StatusOr<nlohmann::json> RtcWorker::ConsumerStats(const std::string& consumer_id) const {
  Router* router = RouterOfConsumer(consumer_id);
  Consumer* c = router ? router->FindConsumer(consumer_id) : nullptr;
  if (!c) return NotFoundError(StrCat("no consumer ", consumer_id));
  return ConsumerStatsJson(*c);
}

StatusOr<nlohmann::json> RtcWorker::ProducerDump(const std::string& producer_id) const {
  Router* router = RouterOfProducer(producer_id);
  Producer* p = router ? router->FindProducer(producer_id) : nullptr;
  if (!p) return NotFoundError(StrCat("no producer ", producer_id));
  nlohmann::json consumers = nlohmann::json::array();
  for (const Consumer* c : router->ConsumersOf(*p)) consumers.push_back(c->id());
  nlohmann::json j = ProducerParamsJson(*p);
  j["routerId"] = router->id();
  j["consumerIds"] = std::move(consumers);
  return j;
}

StatusOr<nlohmann::json> RtcWorker::ConsumerDump(const std::string& consumer_id) const {
  Router* router = RouterOfConsumer(consumer_id);
  Consumer* c = router ? router->FindConsumer(consumer_id) : nullptr;
  if (!c) return NotFoundError(StrCat("no consumer ", consumer_id));
  nlohmann::json j = ConsumerParamsJson(*c);
  j["routerId"] = router->id();
  return j;
}

StatusOr<nlohmann::json> RtcWorker::RouterDump(const std::string& router_id) const {
  auto it = routers_.find(router_id);
  if (it == routers_.end()) return NotFoundError(StrCat("no router ", router_id));
  const Router& router = *it->second.router;
  nlohmann::json producers = nlohmann::json::array();
  nlohmann::json consumers = nlohmann::json::array();
  nlohmann::json map = nlohmann::json::object();
  for (const auto& [id, p] : router.producers()) {
    producers.push_back(id);
    nlohmann::json of = nlohmann::json::array();
    for (const Consumer* c : router.ConsumersOf(*p)) of.push_back(c->id());
    map[id] = std::move(of);
  }
  for (const auto& [id, c] : router.consumers()) consumers.push_back(id);
  return nlohmann::json{{"routerId", router_id},
                        {"transportIds", it->second.transports},
                        {"producerIds", std::move(producers)},
                        {"consumerIds", std::move(consumers)},
                        {"mapProducerIdConsumerIds", std::move(map)}};
}

StatusOr<nlohmann::json> RtcWorker::TransportDump(const std::string& transport_id) const {
  TransportHost* host = FindTransport(transport_id);
  if (!host) return NotFoundError(StrCat("no transport ", transport_id));
  nlohmann::json producers = nlohmann::json::array();
  for (const Producer* p : host->endpoint().producers()) producers.push_back(p->id());
  nlohmann::json consumers = nlohmann::json::array();
  for (const Consumer* c : host->endpoint().consumers()) consumers.push_back(c->id());
  nlohmann::json j = {{"transportId", transport_id},
                      {"routerId", host->router_id()},
                      {"type", host->webrtc() ? "webrtc" : "plain"},
                      {"name", host->name()}};
  if (const WebRtcTransport* t = host->webrtc()) {
    std::string announced = AnnouncedAddress();
    nlohmann::json candidates = nlohmann::json::array();
    candidates.push_back({{"ip", announced}, {"port", socket_->local_address().port()}, {"protocol", "udp"}});
    if (tcp_) candidates.push_back({{"ip", announced}, {"port", tcp_->local_address().port()}, {"protocol", "tcp"}});
    j.update({
        {"iceRole", "controlled"},
        {"iceParameters", {{"usernameFragment", t->ice().local().ufrag}, {"password", t->ice().local().pwd}, {"iceLite", true}}},
        {"iceCandidates", std::move(candidates)},
        {"iceState", ice::StateName(t->ice().state())},
        {"dtlsParameters", {{"fingerprints", {{{"algorithm", "sha-256"}, {"value", dtls_context_->fingerprint()}}}}}},
        {"dtlsState", DtlsStateName(t->dtls().state())},
    });
    if (const auto& tuple = t->ice().selected()) j["iceSelectedTuple"] = host->TupleJson(*tuple);
  } else {
    const PlainTransport& plain = *host->plain();
    j.update({{"rtcpMux", plain.options().rtcp_mux},
              {"comedia", plain.options().comedia},
              {"connected", plain.connected()},
              {"tuple", host->PlainTupleJson(plain.remote_rtp())}});
    host->AddRtcpTuple(j);
    // The keys stay secret: only the suite is shown.
    if (plain.options().srtp) j["srtpCryptoSuite"] = SdesSuiteName(*plain.options().srtp);
  }
  j["producerIds"] = std::move(producers);
  j["consumerIds"] = std::move(consumers);
  const RtpEndpoint& e = host->endpoint();
  j["maxIncomingBitrate"] = e.max_incoming_bitrate();
  j["maxOutgoingBitrate"] = e.max_outgoing_bitrate();
  nlohmann::json types = nlohmann::json::array();
  if (e.trace_types() & TraceBit(TraceEvent::Type::kBwe)) types.push_back("bwe");
  j["traceEventTypes"] = std::move(types);
  return j;
}

std::string RtcWorker::AnnouncedAddress() const {
  return config_.announced_address.empty() ? socket_->local_address().IpString() : config_.announced_address;
}

Status RtcWorker::SetMaxBitrate(const std::string& transport_id, bool incoming, uint32_t bps) {
  TransportHost* host = FindTransport(transport_id);
  if (!host) return NotFoundError(StrCat("no transport ", transport_id));
  if (incoming) {
    host->endpoint().SetMaxIncomingBitrate(bps);
  } else {
    host->endpoint().SetMaxOutgoingBitrate(bps);
  }
  return absl::OkStatus();
}

Status RtcWorker::SetTraceTypes(std::string_view kind, const std::string& id, uint8_t mask) {
  if (kind == "transport") {
    TransportHost* host = FindTransport(id);
    if (!host) return NotFoundError(StrCat("no transport ", id));
    host->endpoint().SetTraceTypes(mask);
  } else if (kind == "producer") {
    Router* router = RouterOfProducer(id);
    Producer* p = router ? router->FindProducer(id) : nullptr;
    if (!p) return NotFoundError(StrCat("no producer ", id));
    p->SetTraceTypes(mask);
  } else {
    Router* router = RouterOfConsumer(id);
    Consumer* c = router ? router->FindConsumer(id) : nullptr;
    if (!c) return NotFoundError(StrCat("no consumer ", id));
    c->SetTraceTypes(mask);
  }
  return absl::OkStatus();
}

Status RtcWorker::SetConsumerPriority(const std::string& consumer_id, uint8_t priority) {
  Router* router = RouterOfConsumer(consumer_id);
  Consumer* c = router ? router->FindConsumer(consumer_id) : nullptr;
  if (!c) return NotFoundError(StrCat("no consumer ", consumer_id));
  c->SetPriority(priority);
  return absl::OkStatus();
}

namespace {

// A trace event as the *.trace notifications carry it (mediasoup's shape).
nlohmann::json TraceJson(const TraceEvent& e) {
  nlohmann::json info = {{"ssrc", e.ssrc}};
  switch (e.type) {
    case TraceEvent::Type::kRtp:
    case TraceEvent::Type::kKeyFrame:
      info.update({{"sequenceNumber", e.seq}, {"timestamp", e.timestamp}, {"payloadType", e.payload_type},
                   {"marker", e.marker}, {"size", e.size}, {"isRtx", e.retransmission}});
      break;
    case TraceEvent::Type::kNack: info["count"] = e.count; break;
    case TraceEvent::Type::kBwe: info.update({{"bitrate", e.bitrate}, {"ssrcCount", e.count}}); break;
    default: break;
  }
  return {{"type", TraceTypeName(e.type)},
          {"timestamp", e.at.us() / 1000},
          {"direction", e.outgoing ? "out" : "in"},
          {"info", std::move(info)}};
}

}  // namespace

void RtcWorker::OnProducerTrace(const Producer& producer, const TraceEvent& event) {
  nlohmann::json j = TraceJson(event);
  j["producerId"] = producer.id();
  notify_("producer.trace", std::move(j));
}

void RtcWorker::OnConsumerTrace(const Consumer& consumer, const TraceEvent& event) {
  nlohmann::json j = TraceJson(event);
  j["consumerId"] = consumer.id();
  notify_("consumer.trace", std::move(j));
}

void RtcWorker::OnEndpointTrace(const RtpEndpoint& endpoint, const TraceEvent& event) {
  for (const auto& [id, host] : transports_) {
    if (&host->endpoint() != &endpoint) continue;
    nlohmann::json j = TraceJson(event);
    j["transportId"] = id;
    notify_("transport.trace", std::move(j));
    return;
  }
}

StatusOr<std::vector<const Producer*>> RtcWorker::TransportProducers(const std::string& transport_id) const {
  TransportHost* host = FindTransport(transport_id);
  if (!host) return NotFoundError(StrCat("no transport ", transport_id));
  return std::vector<const Producer*>(host->endpoint().producers().begin(), host->endpoint().producers().end());
}

StatusOr<std::vector<PublisherInfo>> RtcWorker::Publishers(const std::string& router_id) const {
  auto it = routers_.find(router_id);
  if (it == routers_.end()) return NotFoundError(StrCat("no router ", router_id));
  std::vector<PublisherInfo> out;
  for (const std::string& t : it->second.transports) {
    TransportHost* host = FindTransport(t);
    if (!host || host->endpoint().producers().empty()) continue;
    PublisherInfo info{t, host->name(), {}};
    for (const Producer* p : host->endpoint().producers()) info.producers.push_back(p);
    out.push_back(std::move(info));
  }
  return out;
}

void RtcWorker::SetTransportName(const std::string& transport_id, std::string name) {
  if (TransportHost* host = FindTransport(transport_id)) host->name() = std::move(name);
}

void RtcWorker::OnProducerScore(const Producer& producer) {
  nlohmann::json scores = nlohmann::json::array();
  for (const ProducerStreamStats& s : producer.Stats(Now())) {
    scores.push_back({{"encodingIdx", s.encoding}, {"ssrc", s.ssrc}, {"rid", s.rid}, {"score", s.score}});
  }
  notify_("producer.score", {{"producerId", producer.id()}, {"score", std::move(scores)}});
}

void RtcWorker::OnConsumerScore(const Consumer& consumer) {
  notify_("consumer.score", {{"consumerId", consumer.id()},
                             {"score", {{"score", consumer.score()}, {"producerScore", consumer.producer().score()}}}});
}

void RtcWorker::OnConsumerProducerPause(const Consumer& consumer) {
  notify_("consumer.producerPause", {{"consumerId", consumer.id()}});
}

void RtcWorker::OnConsumerProducerResume(const Consumer& consumer) {
  notify_("consumer.producerResume", {{"consumerId", consumer.id()}});
}

void RtcWorker::OnConsumerProducerClose(const Consumer& consumer) {
  consumer_router_.erase(consumer.id());
  notify_("consumer.producerClose", {{"consumerId", consumer.id()}, {"producerId", consumer.producer().id()}});
}

StatusOr<nlohmann::json> RtcWorker::TransportStats(const std::string& transport_id) const {
  TransportHost* host = FindTransport(transport_id);
  if (!host) return NotFoundError(StrCat("no transport ", transport_id));
  return host->Stats();
}

void RtcWorker::IndexTuples(TransportHost* host, std::vector<ice::Tuple> tuples) {
  Unindex(host);
  for (const ice::Tuple& tuple : tuples) {
    if (tuple.protocol == ice::Protocol::kTcp) {
      by_tcp_[tuple.connection] = host;
    } else {
      by_address_[tuple.remote] = host;
    }
  }
  host->indexed() = std::move(tuples);
}

void RtcWorker::Unindex(TransportHost* host) {
  for (const ice::Tuple& t : host->indexed()) {
    if (t.protocol == ice::Protocol::kTcp) {
      auto it = by_tcp_.find(t.connection);
      if (it != by_tcp_.end() && it->second == host) by_tcp_.erase(it);
    } else {
      auto it = by_address_.find(t.remote);
      if (it != by_address_.end() && it->second == host) by_address_.erase(it);
    }
  }
  host->indexed().clear();
}

void RtcWorker::Route(std::span<uint8_t> data, const ice::Tuple& tuple, TransportHost* by_path,
                      Timestamp now) {
  if (!data.empty() && data[0] < 4) {
    // STUN: route by the USERNAME's first fragment (ours), so checks from new addresses
    // (peer-reflexive, a client that moved) reach their transport.
    if (auto m = stun::StunMessage::Parse(data)) {
      if (auto username = m->Username()) {
        std::string ufrag(username->substr(0, username->find(':')));
        if (auto it = by_ufrag_.find(ufrag); it != by_ufrag_.end()) {
          it->second->webrtc()->OnStun(*m, tuple, now);
          return;
        }
      }
    }
  } else if (by_path) {
    by_path->OnPacket(data, tuple, now);
    return;
  } else if (TransportHost* claimer = ComediaClaimer(data)) {
    claimer->OnPacket(data, tuple, now);
    return;
  }
  ++unknown_packets_;
}

void RtcWorker::OnUdpPacket(std::span<uint8_t> data, const SocketAddress& from, Timestamp now) {
  auto it = by_address_.find(from);
  Route(data, {from, ice::Protocol::kUdp, 0}, it == by_address_.end() ? nullptr : it->second, now);
}

void RtcWorker::OnTcpFrame(uint64_t connection, const SocketAddress& from, std::span<uint8_t> frame,
                           Timestamp now) {
  auto it = by_tcp_.find(connection);
  Route(frame, {from, ice::Protocol::kTcp, connection}, it == by_tcp_.end() ? nullptr : it->second, now);
}

void RtcWorker::OnTcpClosed(uint64_t connection) {
  // The transport keeps its state; without checks on a new path, consent runs out.
  by_tcp_.erase(connection);
}

}  // namespace sfu
