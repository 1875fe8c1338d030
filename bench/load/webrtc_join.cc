#include "bench/load/webrtc_join.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/rand.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <optional>
#include <vector>

#include "transport/dtls/dtls_certificate.h"
#include "transport/dtls/dtls_session.h"
#include "transport/ice/stun_message.h"
#include "transport/srtp/srtp_session.h"

namespace sfu::load {
namespace {

using Json = nlohmann::json;

int64_t MonotonicNs() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return int64_t{t.tv_sec} * 1'000'000'000 + t.tv_nsec;
}

double ThreadCpuSeconds() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

std::span<const uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// One browser: its socket, connected to the server's port, and its handshake state.
struct Client : DtlsSession::Listener {
  enum class State { kIce, kDtls, kDone, kFailed };

  Client(DtlsContext& context, int fd_in) : fd(fd_in), dtls(context, *this) {}
  ~Client() override {
    if (fd >= 0) ::close(fd);
  }

  void OnDtlsSend(std::span<const uint8_t> d) override { (void)::send(fd, d.data(), d.size(), MSG_DONTWAIT); }
  void OnDtlsConnected(const std::optional<SrtpKeys>& keys) override {
    // The keys must make a working SRTP session, as a browser's would.
    if (keys && SrtpSession::Create(keys->profile, keys->local).ok()) {
      state = State::kDone;
      done_ns = MonotonicNs();
    } else {
      state = State::kFailed;
      failure = "no SRTP keys";
    }
  }
  void OnDtlsFailed(std::string_view reason) override {
    state = State::kFailed;
    failure = std::string(reason);
  }
  void OnDtlsClosed() override {
    state = State::kFailed;
    failure = "closed";
  }
  void OnDtlsData(std::span<const uint8_t>) override {}

  void SendCheck() {
    uint8_t buf[256];
    RAND_bytes(transaction.data(), static_cast<int>(transaction.size()));
    stun::StunBuilder b(buf, stun::kBindingMethod, stun::MessageClass::kRequest, transaction);
    b.AddString(stun::attr::kUsername, server_ufrag + ":" + ufrag);
    b.AddU32(stun::attr::kPriority, 0x6e7f1eff);
    b.AddU64(stun::attr::kIceControlling, tie_breaker);
    b.AddFlag(stun::attr::kUseCandidate);
    b.AddMessageIntegrity(Bytes(server_password));
    b.AddFingerprint();
    auto msg = b.Finish();
    if (msg) (void)::send(fd, msg->data(), msg->size(), MSG_DONTWAIT);
    ++checks;
    next_check_ns = MonotonicNs() + 200'000'000;
  }

  // A datagram from the server.
  void OnDatagram(std::span<const uint8_t> d) {
    if (state == State::kIce && stun::LooksLikeStun(d)) {
      auto msg = stun::StunMessage::Parse(d);
      if (!msg || msg->transaction_id() != transaction) return;
      if (msg->message_class() != stun::MessageClass::kSuccess ||
          msg->CheckIntegrity(Bytes(server_password)) != stun::Integrity::kValid) {
        state = State::kFailed;
        failure = "ICE check refused";
        return;
      }
      ice_ns = MonotonicNs();
      state = State::kDtls;
      if (Status st = dtls.Start(DtlsRole::kClient, "sha-256", server_fingerprint); !st.ok()) {
        state = State::kFailed;
        failure = std::string(st.message());
      }
    } else if (state == State::kDtls && !d.empty() && d[0] >= 20 && d[0] <= 63) {
      dtls.OnPacket(d);
    }
  }

  int fd;
  DtlsSession dtls;
  State state = State::kIce;
  std::string transport_id, server_ufrag, server_password, server_fingerprint, ufrag, failure;
  uint64_t tie_breaker = 0;
  stun::TransactionId transaction{};
  int checks = 0;
  int64_t rpc_ns = 0;  // createWebRtcTransport + transport.connect.
  int64_t start_ns = 0, ice_ns = 0, done_ns = 0, next_check_ns = 0;
};

double PercentileMs(std::vector<int64_t> v, double q) {
  if (v.empty()) return 0;
  size_t at = std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(at), v.end());
  return static_cast<double>(v[at]) / 1e6;
}

std::string RandomToken(size_t n) {
  static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::vector<uint8_t> r(n);
  RAND_bytes(r.data(), static_cast<int>(n));
  std::string s;
  for (uint8_t b : r) s.push_back(kChars[b % (sizeof(kChars) - 1)]);
  return s;
}

}  // namespace

Json RunWebRtcJoin(SfuChild& sfu, const JoinOptions& o) {
  auto cert = DtlsCertificate::Generate();
  if (!cert.ok()) {
    std::fprintf(stderr, "sfu-load: certificate: %s\n", std::string(cert.status().message()).c_str());
    std::exit(1);
  }
  auto context = DtlsContext::Create(*cert);
  if (!context.ok()) {
    std::fprintf(stderr, "sfu-load: DTLS context: %s\n", std::string(context.status().message()).c_str());
    std::exit(1);
  }
  // Every client socket stays open until the end: raise the descriptor limit to fit.
  rlimit files{};
  getrlimit(RLIMIT_NOFILE, &files);
  files.rlim_cur = std::min<rlim_t>(files.rlim_max, std::max<rlim_t>(files.rlim_cur, static_cast<rlim_t>(o.transports) + 256));
  setrlimit(RLIMIT_NOFILE, &files);

  long rss_before = sfu.RssKb();
  double server_cpu_before = sfu.CpuSeconds();
  double load_cpu_before = ThreadCpuSeconds();
  int epoll = epoll_create1(EPOLL_CLOEXEC);
  std::vector<std::unique_ptr<Client>> all;
  std::vector<int64_t> rpc_ns, ice_ns, dtls_ns, join_ns;
  std::vector<std::string> failures;
  int64_t started = MonotonicNs();
  std::printf("%8s %8s %8s %10s %10s %10s %10s %9s\n", "joined", "failed", "batch-s", "rpc-ms-p50", "ice-ms-p50",
              "dtls-ms-p50", "dtls-ms-p99", "rss-kB");
  for (int first = 0; first < o.transports; first += o.batch) {
    int count = std::min(o.batch, o.transports - first);
    int64_t batch_start = MonotonicNs();
    std::vector<Client*> batch;
    for (int i = 0; i < count; ++i) {
      int64_t t0 = MonotonicNs();
      Json t = sfu.Call("router.createWebRtcTransport", {{"routerId", o.router_id}});
      const Json& udp = t["iceCandidates"][0];
      sockaddr_in server{};
      server.sin_family = AF_INET;
      server.sin_port = htons(udp["port"].get<uint16_t>());
      inet_pton(AF_INET, udp["ip"].get<std::string>().c_str(), &server.sin_addr);
      int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      sockaddr_in local{};
      local.sin_family = AF_INET;
      local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0 ||
          connect(fd, reinterpret_cast<sockaddr*>(&server), sizeof(server)) != 0) {
        std::fprintf(stderr, "sfu-load: client socket: %s\n", std::strerror(errno));
        std::exit(1);
      }
      auto c = std::make_unique<Client>(**context, fd);
      c->transport_id = t["transportId"].get<std::string>();
      c->server_ufrag = t["iceParameters"]["usernameFragment"].get<std::string>();
      c->server_password = t["iceParameters"]["password"].get<std::string>();
      c->ufrag = RandomToken(8);
      c->server_fingerprint = t["dtlsParameters"]["fingerprints"][0]["value"].get<std::string>();
      RAND_bytes(reinterpret_cast<uint8_t*>(&c->tie_breaker), sizeof(c->tie_breaker));
      sfu.Call("transport.connect",
               {{"transportId", c->transport_id},
                {"dtlsParameters",
                 {{"role", "client"}, {"fingerprints", {{{"algorithm", "sha-256"}, {"value", cert->fingerprint()}}}}}},
                {"iceParameters", {{"usernameFragment", c->ufrag}}}});
      c->rpc_ns = MonotonicNs() - t0;
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.ptr = c.get();
      epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &ev);
      batch.push_back(c.get());
      all.push_back(std::move(c));
    }
    // The whole batch joins at once, as a room filling up would.
    for (Client* c : batch) {
      c->start_ns = MonotonicNs();
      c->SendCheck();
    }
    int64_t deadline = MonotonicNs() + static_cast<int64_t>(o.timeout_s * 1e9);
    epoll_event events[256];
    uint8_t buf[2048];
    while (MonotonicNs() < deadline) {
      bool pending = false;
      int64_t now = MonotonicNs();
      int64_t wait_ns = 50'000'000;
      for (Client* c : batch) {
        if (c->state == Client::State::kIce) {
          pending = true;
          if (now >= c->next_check_ns) {
            if (c->checks >= 20) {
              c->state = Client::State::kFailed;
              c->failure = "no answer to ICE checks";
              continue;
            }
            c->SendCheck();
          }
          wait_ns = std::min(wait_ns, c->next_check_ns - now);
        } else if (c->state == Client::State::kDtls) {
          pending = true;
          if (auto in = c->dtls.TimeoutIn()) {
            if (in->us() <= 0) {
              c->dtls.OnTimeout();
            } else {
              wait_ns = std::min(wait_ns, in->us() * 1000);
            }
          }
        }
      }
      if (!pending) break;
      timespec timeout{0, static_cast<long>(std::clamp<int64_t>(wait_ns, 0, 50'000'000))};
      int n = epoll_pwait2(epoll, events, 256, &timeout, nullptr);
      for (int i = 0; i < n; ++i) {
        auto* c = static_cast<Client*>(events[i].data.ptr);
        ssize_t len;
        while ((len = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
          c->OnDatagram({buf, static_cast<size_t>(len)});
        }
      }
    }
    std::vector<int64_t> batch_dtls;
    int joined = 0, failed = 0;
    for (Client* c : batch) {
      if (c->state == Client::State::kDone) {
        ++joined;
        rpc_ns.push_back(c->rpc_ns);
        ice_ns.push_back(c->ice_ns - c->start_ns);
        dtls_ns.push_back(c->done_ns - c->ice_ns);
        batch_dtls.push_back(c->done_ns - c->ice_ns);
        join_ns.push_back(c->rpc_ns + c->done_ns - c->start_ns);
      } else {
        ++failed;
        if (failures.size() < 5) {
          failures.push_back(c->transport_id + ": " + (c->failure.empty() ? "timed out" : c->failure));
        }
      }
    }
    std::vector<int64_t> batch_rpc, batch_ice;
    for (Client* c : batch) {
      batch_rpc.push_back(c->rpc_ns);
      if (c->ice_ns) batch_ice.push_back(c->ice_ns - c->start_ns);
    }
    std::printf("%8d %8d %8.2f %10.2f %10.2f %10.2f %10.2f %9ld\n", joined, failed,
                static_cast<double>(MonotonicNs() - batch_start) / 1e9, PercentileMs(batch_rpc, 0.5),
                PercentileMs(batch_ice, 0.5), PercentileMs(batch_dtls, 0.5), PercentileMs(batch_dtls, 0.99),
                sfu.RssKb());
    std::fflush(stdout);
  }
  double elapsed = static_cast<double>(MonotonicNs() - started) / 1e9;
  long rss_joined = sfu.RssKb();
  double server_cpu = sfu.CpuSeconds() - server_cpu_before;
  double load_cpu = ThreadCpuSeconds() - load_cpu_before;
  size_t joined = dtls_ns.size();
  Json report = {
      {"transports", o.transports},
      {"joined", joined},
      {"failed", o.transports - static_cast<int>(joined)},
      {"failures", failures},
      {"seconds", elapsed},
      {"joinsPerSecond", static_cast<double>(joined) / elapsed},
      {"rpcMs", {{"p50", PercentileMs(rpc_ns, 0.5)}, {"p99", PercentileMs(rpc_ns, 0.99)}}},
      {"iceMs", {{"p50", PercentileMs(ice_ns, 0.5)}, {"p99", PercentileMs(ice_ns, 0.99)}}},
      {"dtlsMs", {{"p50", PercentileMs(dtls_ns, 0.5)}, {"p99", PercentileMs(dtls_ns, 0.99)}}},
      {"joinMs", {{"p50", PercentileMs(join_ns, 0.5)}, {"p99", PercentileMs(join_ns, 0.99)}}},
      {"serverCpuSecondsPerJoin", joined ? server_cpu / static_cast<double>(joined) : 0.0},
      {"loadCpuSecondsPerJoin", joined ? load_cpu / static_cast<double>(joined) : 0.0},
      {"rssBeforeKb", rss_before},
      {"rssJoinedKb", rss_joined},
      {"rssPerTransportKb", joined ? static_cast<double>(rss_joined - rss_before) / static_cast<double>(joined) : 0.0},
  };
  std::printf("joined %zu of %d WebRTC transports in %.2f s: %.0f joins/s; server %.2f ms CPU per join; "
              "join (RPC + ICE + DTLS) p50 %.2f ms, p99 %.2f ms; server RSS %ld -> %ld kB, %.1f kB per transport\n",
              joined, o.transports, elapsed, report["joinsPerSecond"].get<double>(),
              1000 * report["serverCpuSecondsPerJoin"].get<double>(), report["joinMs"]["p50"].get<double>(),
              report["joinMs"]["p99"].get<double>(), rss_before, rss_joined,
              report["rssPerTransportKb"].get<double>());
  for (const std::string& f : failures) std::printf("failed: %s\n", f.c_str());
  if (o.close) {
    for (const auto& c : all) sfu.Call("router.closeTransport", {{"routerId", o.router_id}, {"transportId", c->transport_id}});
    usleep(200'000);
    report["rssAfterCloseKb"] = sfu.RssKb();
    std::printf("after closing them all: server RSS %ld kB\n", report["rssAfterCloseKb"].get<long>());
  }
  ::close(epoll);
  return report;
}

}  // namespace sfu::load
