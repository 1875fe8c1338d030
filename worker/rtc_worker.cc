#include "worker/rtc_worker.h"

#include <openssl/rand.h>

#include "base/log.h"
#include "base/str_cat.h"

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

ice::Credentials RandomIceCredentials() {
  // ICE: ufrag at least 4 characters, password at least 22 (RFC 8839 section 5.4).
  return {RandomString(16), RandomString(32)};
}

class RtcWorker::TransportHost final : public WebRtcTransport::Sender,
                                       public WebRtcTransport::Listener {
 public:
  TransportHost(RtcWorker& worker, std::string id, std::string router_id, ice::Credentials ice)
      : worker_(worker),
        id_(std::move(id)),
        router_id_(std::move(router_id)),
        transport_(*worker.dtls_context_, std::move(ice), *this, *this,
                   worker.config_.consent_timeout) {}

  const std::string& id() const { return id_; }
  const std::string& router_id() const { return router_id_; }
  WebRtcTransport& transport() { return transport_; }
  const WebRtcTransport& transport() const { return transport_; }
  std::optional<ice::Tuple>& indexed() { return indexed_; }

  void AddProducer(std::unique_ptr<Producer> p) {
    demuxer_.Add(p.get());
    producers_.push_back(std::move(p));
  }
  bool HasProducer(const std::string& id) const {
    for (const auto& p : producers_) {
      if (p->id() == id) return true;
    }
    return false;
  }

  nlohmann::json Stats() const {
    const auto& c = transport_.counters();
    nlohmann::json j = {
        {"transportId", id_},
        {"iceState", ice::StateName(transport_.ice().state())},
        {"dtlsState", DtlsStateName(transport_.dtls().state())},
        {"rtpPacketsReceived", c.rtp_in},
        {"rtcpPacketsReceived", c.rtcp_in},
        {"bytesReceived", c.bytes_in},
        {"rtpPacketsSent", c.rtp_out},
        {"bytesSent", c.bytes_out},
        {"srtpAuthFailures", c.srtp_auth_failures},
        {"droppedNotSelected", c.dropped_not_selected},
        {"droppedBeforeSrtp", c.dropped_before_srtp},
        {"rtpUnmatched", demuxer_.unmatched()},
        {"iceChecks", transport_.ice().counters().requests},
        {"iceBadIntegrity", transport_.ice().counters().bad_integrity},
    };
    if (auto p = transport_.srtp_profile()) j["srtpCryptoSuite"] = InfoOf(*p).openssl_name;
    if (const auto& t = transport_.ice().selected()) j["selectedTuple"] = TupleJson(*t);
    nlohmann::json producers = nlohmann::json::array();
    for (const auto& p : producers_) {
      nlohmann::json streams = nlohmann::json::array();
      for (const ProducerStreamStats& s : p->Stats()) {
        streams.push_back({{"ssrc", s.ssrc}, {"rid", s.rid}, {"rtx", s.rtx},
                           {"packetsReceived", s.packets}, {"bytesReceived", s.bytes},
                           {"packetsLost", s.packets_lost}, {"jitter", s.jitter_seconds}});
      }
      producers.push_back({{"producerId", p->id()}, {"kind", p->params().kind},
                           {"mid", p->params().mid}, {"packetsReceived", p->packets()},
                           {"streams", std::move(streams)}});
    }
    j["producers"] = std::move(producers);
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

  // WebRtcTransport::Sender
  void SendTo(const ice::Tuple& tuple, std::span<const uint8_t> datagram) override {
    if (tuple.protocol == ice::Protocol::kTcp) {
      if (worker_.tcp_) worker_.tcp_->Send(tuple.connection, datagram);
    } else {
      worker_.socket_->Send(datagram, tuple.remote);
    }
  }

  // WebRtcTransport::Listener
  void OnIceStateChange(ice::State state) override {
    worker_.notify_("transport.iceStateChange",
                    {{"transportId", id_}, {"iceState", ice::StateName(state)}});
  }
  void OnIceSelectedTupleChange(const ice::Tuple& tuple) override {
    worker_.IndexTuple(this, tuple);
    worker_.notify_("transport.iceSelectedTupleChange",
                    {{"transportId", id_}, {"iceSelectedTuple", TupleJson(tuple)}});
  }
  void OnDtlsStateChange(DtlsState state, std::string_view reason) override {
    nlohmann::json params = {{"transportId", id_}, {"dtlsState", DtlsStateName(state)}};
    if (!reason.empty()) params["reason"] = reason;
    worker_.notify_("transport.dtlsStateChange", std::move(params));
  }
  void OnRtp(std::span<uint8_t> packet, Timestamp now) override {
    auto rtp = rtp::RtpPacket::Parse(packet);
    if (!rtp) return;
    if (auto match = demuxer_.Find(*rtp)) match->producer->Receive(*rtp, match->encoding, match->rtx, now);
  }
  void OnRtcp(std::span<uint8_t>, Timestamp) override {
    // Sender and receiver reports are handled by the router issue's RTCP code.
  }

 private:
  RtcWorker& worker_;
  std::string id_;
  std::string router_id_;
  WebRtcTransport transport_;
  RtpDemuxer demuxer_;
  std::vector<std::unique_ptr<Producer>> producers_;
  std::optional<ice::Tuple> indexed_;
};

RtcWorker::RtcWorker(uv_loop_t* loop, int worker_id, RtcConfig config,
                     const DtlsCertificate& certificate, Notify notify)
    : loop_(loop), worker_id_(worker_id), config_(std::move(config)), notify_(std::move(notify)) {
  auto ctx = DtlsContext::Create(certificate);
  if (ctx.ok()) dtls_context_ = std::move(*ctx);
}

RtcWorker::~RtcWorker() = default;

Status RtcWorker::Start() {
  if (!dtls_context_) return absl::InternalError("DTLS context setup failed");
  auto address = SocketAddress::FromIp(config_.listen_ip, static_cast<uint16_t>(config_.port));
  if (!address) return InvalidParamsError("rtc-listen", "not an IP address");
  auto socket = UdpSocket::Bind(loop_, *address, *this);
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
  uv_timer_start(&timer_, OnTimer, 50, 50);
  timer_open_ = true;
  SFU_LOG(kInfo, kWorker, "worker ", worker_id_, " RTC on UDP ", socket_->local_address().ToString(),
          " and TCP ", tcp_->local_address().ToString());
  return absl::OkStatus();
}

void RtcWorker::OnTimer(uv_timer_t* timer) {
  auto* self = static_cast<RtcWorker*>(timer->data);
  Timestamp now = Timestamp::Micros(static_cast<int64_t>(uv_hrtime() / 1000));
  for (auto& [id, host] : self->transports_) host->transport().OnTimer(now);
}

void RtcWorker::Close() {
  for (auto& [id, host] : transports_) host->transport().Close();
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
                {"sendDropped", c.send_dropped}};
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

Status RtcWorker::CreateRouter(const std::string& router_id) {
  if (routers_.contains(router_id)) return InvalidStateError(StrCat("router ", router_id, " exists"));
  routers_[router_id] = RouterHost{};
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
  auto host = std::make_unique<TransportHost>(*this, transport_id, router_id, ice);
  by_ufrag_[ice.ufrag] = host.get();
  transports_[transport_id] = std::move(host);
  it->second.transports.push_back(transport_id);
  WebRtcTransportInfo info;
  info.id = transport_id;
  info.ice = ice;
  info.fingerprint = dtls_context_->fingerprint();
  std::string announced = config_.announced_address.empty() ? socket_->local_address().IpString()
                                                            : config_.announced_address;
  info.candidates.push_back({announced, socket_->local_address().port(), "udp"});
  if (tcp_) info.candidates.push_back({announced, tcp_->local_address().port(), "tcp"});
  return info;
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
  return host->transport().Connect(remote_ufrag, local_role, fingerprint_algorithm, fingerprint);
}

StatusOr<ice::Credentials> RtcWorker::RestartIce(const std::string& transport_id,
                                                 const std::string& remote_ufrag) {
  TransportHost* host = FindTransport(transport_id);
  if (!host) return NotFoundError(StrCat("no transport ", transport_id));
  ice::Credentials fresh = RandomIceCredentials();
  by_ufrag_.erase(host->transport().ice().local().ufrag);
  by_ufrag_[fresh.ufrag] = host;
  host->transport().RestartIce(fresh, remote_ufrag);
  return fresh;
}

StatusOr<std::string> RtcWorker::RemoteUfrag(const std::string& transport_id) const {
  TransportHost* host = FindTransport(transport_id);
  if (!host) return NotFoundError(StrCat("no transport ", transport_id));
  return host->transport().ice().remote_ufrag();
}

Status RtcWorker::CloseTransport(const std::string& transport_id) {
  auto it = transports_.find(transport_id);
  if (it == transports_.end()) return NotFoundError(StrCat("no transport ", transport_id));
  TransportHost* host = it->second.get();
  host->transport().Close();
  by_ufrag_.erase(host->transport().ice().local().ufrag);
  Unindex(host);
  if (auto r = routers_.find(host->router_id()); r != routers_.end()) std::erase(r->second.transports, transport_id);
  transports_.erase(it);
  return absl::OkStatus();
}

Status RtcWorker::Produce(const std::string& transport_id, const std::string& producer_id,
                          ProducerParams params) {
  TransportHost* host = FindTransport(transport_id);
  if (!host) return NotFoundError(StrCat("no transport ", transport_id));
  if (host->HasProducer(producer_id)) return InvalidStateError(StrCat("producer ", producer_id, " exists"));
  host->AddProducer(std::make_unique<Producer>(producer_id, std::move(params)));
  return absl::OkStatus();
}

StatusOr<nlohmann::json> RtcWorker::TransportStats(const std::string& transport_id) const {
  TransportHost* host = FindTransport(transport_id);
  if (!host) return NotFoundError(StrCat("no transport ", transport_id));
  return host->Stats();
}

void RtcWorker::IndexTuple(TransportHost* host, const ice::Tuple& tuple) {
  Unindex(host);
  if (tuple.protocol == ice::Protocol::kTcp) {
    by_tcp_[tuple.connection] = host;
  } else {
    by_address_[tuple.remote] = host;
  }
  host->indexed() = tuple;
}

void RtcWorker::Unindex(TransportHost* host) {
  if (!host->indexed()) return;
  const ice::Tuple& t = *host->indexed();
  if (t.protocol == ice::Protocol::kTcp) {
    auto it = by_tcp_.find(t.connection);
    if (it != by_tcp_.end() && it->second == host) by_tcp_.erase(it);
  } else {
    auto it = by_address_.find(t.remote);
    if (it != by_address_.end() && it->second == host) by_address_.erase(it);
  }
  host->indexed().reset();
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
          it->second->transport().OnStun(*m, tuple, now);
          return;
        }
      }
    }
  } else if (by_path) {
    by_path->transport().OnPacket(data, tuple, now);
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
