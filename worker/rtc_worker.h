#pragma once
// The media side of one worker thread: its UDP socket, DTLS context, and the routers,
// WebRTC transports and producers created on it. Every packet that arrives on the socket
// is matched to a transport by its 5-tuple, or for a STUN check by the ICE username
// fragment (RFC 8445 section 7.3), and stays on this thread.

#include <uv.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "base/status.h"
#include "nlohmann/json.hpp"
#include "router/router.h"
#include "router/rtp_endpoint.h"
#include "router/rtp_parameters.h"
#include "transport/dtls/dtls_session.h"
#include "transport/net/tcp_server.h"
#include "transport/net/udp_socket.h"
#include "transport/plain_transport.h"
#include "transport/webrtc_transport.h"
#include "worker/worker_thread.h"

namespace sfu {

struct RtcConfig {
  std::string listen_ip = "127.0.0.1";
  int port = 0;
  std::string announced_address;  // Empty: listen_ip.
  TimeDelta consent_timeout = TimeDelta::Seconds(30);
  TimeDelta keyframe_request_delay = TimeDelta::Seconds(1);
  bool udp_gso = true;
};

struct IceCandidateInfo {
  std::string ip;
  int port = 0;
  std::string protocol = "udp";
};

struct WebRtcTransportInfo {
  std::string id;
  ice::Credentials ice;
  std::string fingerprint;  // sha-256
  std::vector<IceCandidateInfo> candidates;
};

struct PlainTransportInfo {
  std::string id;
  std::string ip;  // Announced address of the worker's port.
  int port = 0;
  std::vector<uint8_t> srtp_key;  // Our sending master key + salt (SRTP only).
};

// Sends a notification to the application servers (called on the worker thread).
using Notify = std::function<void(std::string method, nlohmann::json params)>;

// A consumer as created: what an SDP answer or a JSON-RPC reply needs.
struct ConsumerInfo {
  std::string id;
  std::string producer_id;
  ConsumerParams params;
};

// A publisher (a transport with producers) as GET /rooms lists it.
struct PublisherInfo {
  std::string transport_id;
  std::string name;
  std::vector<const Producer*> producers;
};

class RtcWorker final : public WorkerService,
                        public UdpSocket::Listener,
                        public TcpServer::Listener,
                        public Router::Observer {
 public:
  RtcWorker(uv_loop_t* loop, int worker_id, RtcConfig config, const DtlsCertificate& certificate,
            Notify notify);
  ~RtcWorker() override;

  Status Start();
  // Closes every transport (close_notify) and the socket.
  void Close() override;
  nlohmann::json Dump() const override;

  // `keyframe_request_delay`: the router's throttle (else the worker's default, 1 s).
  Status CreateRouter(const std::string& router_id, std::optional<TimeDelta> keyframe_request_delay = std::nullopt);
  Status CloseRouter(const std::string& router_id);
  StatusOr<WebRtcTransportInfo> CreateWebRtcTransport(const std::string& router_id,
                                                      const std::string& transport_id);
  // A plain RTP transport on the worker's UDP port.
  StatusOr<PlainTransportInfo> CreatePlainTransport(const std::string& router_id, const std::string& transport_id,
                                                    const PlainTransportOptions& options);
  // Its remote address(es) and the remote's SRTP key; returns the tuple(s) as JSON.
  StatusOr<nlohmann::json> ConnectPlainTransport(const std::string& transport_id, std::optional<SocketAddress> rtp,
                                                 std::optional<SocketAddress> rtcp,
                                                 std::optional<SrtpProfile> srtp_profile,
                                                 std::span<const uint8_t> srtp_key);
  Status ConnectTransport(const std::string& transport_id, const std::string& remote_ufrag,
                          DtlsRole local_role, const std::string& fingerprint_algorithm,
                          const std::string& fingerprint);
  // ICE restart with fresh local credentials (and the peer's new ufrag, when known).
  StatusOr<ice::Credentials> RestartIce(const std::string& transport_id,
                                        const std::string& remote_ufrag = "");
  // The peer's current ICE ufrag.
  StatusOr<std::string> RemoteUfrag(const std::string& transport_id) const;
  Status CloseTransport(const std::string& transport_id);
  Status Produce(const std::string& transport_id, const std::string& producer_id,
                 ProducerParams params);
  // A consumer of `producer_id` (in the transport's router) sent on `transport_id`.
  StatusOr<ConsumerInfo> Consume(const std::string& transport_id, const std::string& consumer_id,
                                 const std::string& producer_id, const RtpCapabilities& capabilities,
                                 const std::string& mid, bool paused);
  Status CloseProducer(const std::string& producer_id);
  Status CloseConsumer(const std::string& consumer_id);
  Status PauseProducer(const std::string& producer_id, bool pause);
  Status PauseConsumer(const std::string& consumer_id, bool pause);
  Status RequestKeyFrame(const std::string& consumer_id);
  StatusOr<bool> CanConsume(const std::string& router_id, const std::string& producer_id,
                            const RtpCapabilities& capabilities) const;
  StatusOr<nlohmann::json> ProducerStats(const std::string& producer_id) const;
  StatusOr<nlohmann::json> ConsumerStats(const std::string& consumer_id) const;
  StatusOr<nlohmann::json> ProducerDump(const std::string& producer_id) const;
  StatusOr<nlohmann::json> ConsumerDump(const std::string& consumer_id) const;
  // The producers of a transport (a WHIP publisher), in creation order.
  StatusOr<std::vector<const Producer*>> TransportProducers(const std::string& transport_id) const;
  // Every transport of a router that has producers.
  StatusOr<std::vector<PublisherInfo>> Publishers(const std::string& router_id) const;
  void SetTransportName(const std::string& transport_id, std::string name);
  StatusOr<nlohmann::json> TransportStats(const std::string& transport_id) const;
  // router.dump and transport.dump: the objects and their relations.
  StatusOr<nlohmann::json> RouterDump(const std::string& router_id) const;
  StatusOr<nlohmann::json> TransportDump(const std::string& transport_id) const;
  // transport.setMaxIncomingBitrate / setMaxOutgoingBitrate (bits per second, 0: none).
  Status SetMaxBitrate(const std::string& transport_id, bool incoming, uint32_t bps);
  // *.enableTraceEvent: `kind` is "transport", "producer" or "consumer"; `mask` of TraceBit.
  Status SetTraceTypes(std::string_view kind, const std::string& id, uint8_t mask);
  Status SetConsumerPriority(const std::string& consumer_id, uint8_t priority);
  size_t router_count() const { return routers_.size(); }
  // The worker's monotonic clock (the one packets are stamped with).
  Timestamp Now() const;

  // UdpSocket::Listener
  void OnUdpPacket(std::span<uint8_t> data, const SocketAddress& from, Timestamp now) override;
  // TcpServer::Listener (ICE-TCP, RFC 6544)
  void OnTcpFrame(uint64_t connection, const SocketAddress& from, std::span<uint8_t> frame,
                  Timestamp now) override;
  void OnTcpClosed(uint64_t connection) override;

  // Router::Observer
  void OnProducerScore(const Producer& producer) override;
  void OnConsumerScore(const Consumer& consumer) override;
  void OnConsumerProducerPause(const Consumer& consumer) override;
  void OnConsumerProducerResume(const Consumer& consumer) override;
  void OnConsumerProducerClose(const Consumer& consumer) override;
  void OnProducerTrace(const Producer& producer, const TraceEvent& event) override;
  void OnConsumerTrace(const Consumer& consumer, const TraceEvent& event) override;
  void OnEndpointTrace(const RtpEndpoint& endpoint, const TraceEvent& event) override;

 private:
  class TransportHost;
  struct RouterHost {
    std::vector<std::string> transports;
    std::unique_ptr<Router> router;
  };
  Router* RouterOfProducer(const std::string& producer_id) const;
  Router* RouterOfConsumer(const std::string& consumer_id) const;
  static void OnTimer(uv_timer_t* timer);
  // Visits the next slice of the transports (their ICE, DTLS, NACK and RTCP timers).
  void TimerSlice(Timestamp now);
  TransportHost* FindTransport(const std::string& id) const;
  void IndexTuples(TransportHost* host, std::vector<ice::Tuple> tuples);
  // The comedia transport still learning its address that a packet from an unknown
  // address belongs to (by the SSRCs of its producers and consumers), if any.
  TransportHost* ComediaClaimer(std::span<const uint8_t> data) const;
  std::string AnnouncedAddress() const;
  void Unindex(TransportHost* host);
  // Delivers a packet: STUN by the ICE ufrag, anything else by the indexed path.
  void Route(std::span<uint8_t> data, const ice::Tuple& tuple, TransportHost* by_path, Timestamp now);

  uv_loop_t* loop_;
  int worker_id_;
  RtcConfig config_;
  Notify notify_;
  std::unique_ptr<DtlsContext> dtls_context_;
  std::unique_ptr<UdpSocket> socket_;
  std::unique_ptr<TcpServer> tcp_;
  // The timer ticks every kTimerTick and visits 1/kTimerSlices of the transports each
  // time, so each is visited every kTimerSlices ticks (20 ms: NACK retries and RTCP) while
  // a tick holds the loop, and the packets behind it, for a slice only (a walk over 1000
  // transports took ~0.3 ms). The cursor is the last id visited (empty: the first).
  static constexpr uint64_t kTimerTickMs = 5;
  static constexpr size_t kTimerSlices = 4;
  uv_timer_t timer_{};
  bool timer_open_ = false;
  std::string timer_cursor_;
  std::map<std::string, RouterHost> routers_;
  std::map<std::string, std::unique_ptr<TransportHost>> transports_;
  absl::flat_hash_map<std::string, TransportHost*> by_ufrag_;
  absl::flat_hash_map<SocketAddress, TransportHost*> by_address_;
  absl::flat_hash_map<uint64_t, TransportHost*> by_tcp_;
  std::vector<TransportHost*> comedia_pending_;
  absl::flat_hash_map<std::string, Router*> producer_router_;
  absl::flat_hash_map<std::string, Router*> consumer_router_;
  uint64_t unknown_packets_ = 0;
};

// Random SSRCs (never 0).
uint32_t RandomSsrc();

// Random identifiers (from OpenSSL's CSPRNG): ids of objects, which also act as the
// capability in WHIP resource URLs, and ICE credentials.
std::string RandomId();
ice::Credentials RandomIceCredentials();

}  // namespace sfu
