// sfu-load: a load generator for sfu. It starts the server as a child (JSON-RPC over
// stdio), creates R routers with P producers each on plain transports (SRTP
// AEAD_AES_128_GCM by default), K consumers per producer each on a plain transport of
// its own whose UDP sink it reads, sends a synthetic video+audio mix at a set rate, and
// reports loss, added latency, the server's CPU per million forwarded packets and its
// RSS. Every run is bounded in time; see --help and docs/performance.md.

#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "bench/load/sfu_child.h"
#include "bench/load/webrtc_join.h"
#include "nlohmann/json.hpp"
#include "transport/plain_transport.h"
#include "transport/srtp/srtp_session.h"

namespace sfu::load {
namespace {

using Json = nlohmann::json;

constexpr size_t kVideoPacket = 1200;  // Whole RTP packet, before the SRTP tag.
constexpr size_t kAudioPacket = 160;
constexpr size_t kStampSize = 12;      // Realtime ns (8) + producer index (4), at the payload's end.
constexpr int kVideoPt = 96;
constexpr int kAudioPt = 111;
constexpr int kBatch = 64;

struct Options {
  std::string sfu;
  int workers = 1;
  int routers = 5;
  int producers = 10;  // Per router.
  int consumers = 10;  // Per producer.
  double rate = 25000;  // Ingress video packets per second, all producers together.
  bool audio = true;
  std::string srtp = "gcm";  // gcm | cm | none
  double duration = 10;
  double warmup = 1;
  bool step = false;
  double step_factor = 1.15;
  double max_rate = 1e6;
  double loss_threshold = 0.001;
  double hold = 0;  // Seconds of media before the measured window (memory runs).
  bool read_sinks = true;  // false: like the speed-of-light forwarder, only probes are read.
  std::vector<int> server_cpus = {1};
  std::vector<int> load_cpus = {0};
  std::vector<std::string> server_args;  // More sfu flags (--server-arg).
  int webrtc = 0;                        // WebRTC join mode: this many transports.
  int join_batch = 100;
  std::string json_out;
};

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "sfu-load: %s\n", what.c_str());
  std::exit(1);
}

int64_t RealtimeNs() {
  timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return int64_t{t.tv_sec} * 1'000'000'000 + t.tv_nsec;
}

double ThreadCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

std::vector<int> ParseCpus(const std::string& s) {
  std::vector<int> out;
  if (s == "any") return out;
  size_t at = 0;
  while (at < s.size()) {
    size_t comma = s.find(',', at);
    out.push_back(std::stoi(s.substr(at, comma - at)));
    if (comma == std::string::npos) break;
    at = comma + 1;
  }
  return out;
}

int UdpSocket(int buffer_bytes, sockaddr_in* bound) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) Die("socket failed");
  for (auto [force, plain] : {std::pair{SO_RCVBUFFORCE, SO_RCVBUF}, std::pair{SO_SNDBUFFORCE, SO_SNDBUF}}) {
    if (setsockopt(fd, SOL_SOCKET, force, &buffer_bytes, sizeof(buffer_bytes)) != 0) {
      setsockopt(fd, SOL_SOCKET, plain, &buffer_bytes, sizeof(buffer_bytes));
    }
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) Die("bind failed");
  socklen_t len = sizeof(a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  *bound = a;
  return fd;
}

std::optional<SrtpProfile> ProfileOf(const std::string& srtp) {
  if (srtp == "gcm") return SrtpProfile::kAeadAes128Gcm;
  if (srtp == "cm") return SrtpProfile::kAes128CmSha1_80;
  return std::nullopt;
}

// One producer slot: a plain transport with a video (and an audio) producer, fed from
// one UDP socket.
struct Source {
  uint32_t index = 0;
  int fd = -1;
  sockaddr_in local{};
  sockaddr_in server{};
  std::unique_ptr<SrtpSession> srtp;
  uint32_t video_ssrc = 0, audio_ssrc = 0;
  uint16_t video_seq = 0, audio_seq = 0;
  uint16_t picture_id = 0;
  uint32_t video_ts = 0, audio_ts = 0;
  uint64_t frames = 0;
  double frame_credit = 0;
  int64_t next_frame_ns = 0, next_audio_ns = 0;
  // Outgoing batch.
  uint8_t buf[kBatch][kVideoPacket + SrtpSession::kMaxTrailer];
  mmsghdr msgs[kBatch];
  iovec iov[kBatch];
  int queued = 0;
  uint64_t sent = 0;
  uint64_t send_errors = 0;
};

// One consumer transport's UDP sink (its video and audio consumers).
struct Sink {
  int fd = -1;
  sockaddr_in local{};
  uint32_t source = 0;
  bool probe = false;  // Decrypted and timed (the first sink of each source).
  std::string transport_id;
  std::unique_ptr<SrtpSession> srtp;
  uint32_t video_ssrc = 0, audio_ssrc = 0;
};

struct Window {
  uint64_t sent = 0;
  uint64_t received = 0;  // RTP at the sinks.
  uint64_t other = 0;     // RTCP at the sinks and at the sources.
  std::vector<int64_t> latency_ns;
  double load_cpu = 0;
};

class Generator {
 public:
  explicit Generator(Options o) : o_(std::move(o)) {}

  int Run();

 private:
  void Setup();
  void Emit(Source& s, bool video, bool first, bool last, bool key);
  void Flush(Source& s);
  void Receive(Sink& sink, Window& w, int64_t measure_from);
  // Sends at `rate` for `seconds` (measuring after `warmup`), then drains.
  Window RunWindow(double rate, double warmup, double seconds);
  Json ServerCounters();
  Json Measure(double rate, double warmup, double seconds);

  Options o_;
  std::unique_ptr<SfuChild> sfu_;
  std::vector<std::unique_ptr<Source>> sources_;
  std::vector<std::unique_ptr<Sink>> sinks_;
  int epoll_ = -1;
  double video_pps_per_source_ = 0;
  long rss_start_kb_ = 0, rss_idle_kb_ = 0;
  uint8_t rx_buf_[kBatch][2048];
  mmsghdr rx_msgs_[kBatch];
  iovec rx_iov_[kBatch];
  alignas(cmsghdr) uint8_t rx_ctrl_[kBatch][64];
};

void Generator::Setup() {
  auto profile = ProfileOf(o_.srtp);
  std::vector<std::string> args = {"--workers", std::to_string(o_.workers)};
  args.insert(args.end(), o_.server_args.begin(), o_.server_args.end());
  sfu_ = std::make_unique<SfuChild>(o_.sfu, args, o_.server_cpus);
  sfu_->WaitRunning();
  rss_start_kb_ = sfu_->RssKb();
  epoll_ = epoll_create1(EPOLL_CLOEXEC);
  Json video_codec = {{"mimeType", "video/VP8"}, {"payloadType", kVideoPt}, {"clockRate", 90000},
                      {"rtcpFeedback", {{{"type", "nack"}}, {{"type", "nack"}, {"parameter", "pli"}}}}};
  Json audio_codec = {{"mimeType", "audio/opus"}, {"payloadType", kAudioPt}, {"clockRate", 48000}, {"channels", 2}};
  Json caps = {{"codecs",
                {{{"mimeType", "video/VP8"}, {"preferredPayloadType", kVideoPt}, {"clockRate", 90000},
                  {"rtcpFeedback", {{{"type", "nack"}}, {{"type", "nack"}, {"parameter", "pli"}}}}},
                 {{"mimeType", "audio/opus"}, {"preferredPayloadType", kAudioPt}, {"clockRate", 48000},
                  {"channels", 2}}}}};
  Json create = {{"enableSrtp", profile.has_value()}};
  if (profile) create["srtpCryptoSuite"] = SdesSuiteName(*profile);
  uint32_t next_ssrc = 0x10000;
  for (int r = 0; r < o_.routers; ++r) {
    std::string router = sfu_->Call("router.create", Json::object())["routerId"];
    for (int p = 0; p < o_.producers; ++p) {
      auto s = std::make_unique<Source>();
      s->index = static_cast<uint32_t>(sources_.size());
      s->fd = UdpSocket(4 << 20, &s->local);
      Json params = create;
      params["routerId"] = router;
      Json t = sfu_->Call("router.createPlainTransport", params);
      std::string tid = t["transportId"];
      inet_pton(AF_INET, t["tuple"]["localAddress"].get<std::string>().c_str(), &s->server.sin_addr);
      s->server.sin_family = AF_INET;
      s->server.sin_port = htons(static_cast<uint16_t>(t["tuple"]["localPort"].get<int>()));
      Json connect = {{"transportId", tid}, {"ip", "127.0.0.1"}, {"port", ntohs(s->local.sin_port)}};
      if (profile) {
        std::vector<uint8_t> key(InfoOf(*profile).key_len + InfoOf(*profile).salt_len);
        for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(std::rand());
        auto session = SrtpSession::Create(*profile, key);
        if (!session.ok()) Die("SRTP setup failed");
        s->srtp = std::move(*session);
        connect["srtpParameters"] = {{"cryptoSuite", SdesSuiteName(*profile)},
                                     {"keyBase64", absl::Base64Escape(std::string(key.begin(), key.end()))}};
      }
      sfu_->Call("transport.connect", connect);
      s->video_ssrc = next_ssrc++;
      s->audio_ssrc = next_ssrc++;
      std::string video = sfu_->Call("transport.produce", {{"transportId", tid}, {"kind", "video"},
                                                           {"rtpParameters", {{"codecs", {video_codec}},
                                                                              {"encodings", {{{"ssrc", s->video_ssrc}}}}}}})["producerId"];
      std::string audio;
      if (o_.audio) {
        audio = sfu_->Call("transport.produce", {{"transportId", tid}, {"kind", "audio"},
                                                 {"rtpParameters", {{"codecs", {audio_codec}},
                                                                    {"encodings", {{{"ssrc", s->audio_ssrc}}}}}}})["producerId"];
      }
      epoll_event ev{EPOLLIN, {}};
      ev.data.u64 = uint64_t{1} << 32 | s->index;  // RTCP from the server: drained.
      epoll_ctl(epoll_, EPOLL_CTL_ADD, s->fd, &ev);
      for (int k = 0; k < o_.consumers; ++k) {
        auto sink = std::make_unique<Sink>();
        sink->probe = k == 0;
        // Unread sinks get a tiny buffer: the kernel drops on arrival, as in fwdbench.
        sink->fd = UdpSocket(o_.read_sinks || sink->probe ? 16 << 20 : 4096, &sink->local);
        sink->source = s->index;
        Json st = create;
        st["routerId"] = router;
        Json ct = sfu_->Call("router.createPlainTransport", st);
        std::string ctid = ct["transportId"];
        sink->transport_id = ctid;
        Json cconnect = {{"transportId", ctid}, {"ip", "127.0.0.1"}, {"port", ntohs(sink->local.sin_port)}};
        if (profile) {
          std::string key;
          absl::Base64Unescape(ct["srtpParameters"]["keyBase64"].get<std::string>(), &key);
          auto session = SrtpSession::Create(*profile, std::span(reinterpret_cast<const uint8_t*>(key.data()), key.size()));
          if (!session.ok()) Die("SRTP setup failed");
          sink->srtp = std::move(*session);
          cconnect["srtpParameters"] = ct["srtpParameters"];  // Nothing is sent back.
        }
        sfu_->Call("transport.connect", cconnect);
        Json vc = sfu_->Call("transport.consume", {{"transportId", ctid}, {"producerId", video}, {"rtpCapabilities", caps}});
        sink->video_ssrc = vc["rtpParameters"]["encodings"][0]["ssrc"];
        if (o_.audio) {
          Json ac = sfu_->Call("transport.consume", {{"transportId", ctid}, {"producerId", audio}, {"rtpCapabilities", caps}});
          sink->audio_ssrc = ac["rtpParameters"]["encodings"][0]["ssrc"];
        }
        epoll_event sev{EPOLLIN, {}};
        sev.data.u64 = sinks_.size();
        if (o_.read_sinks || sink->probe) epoll_ctl(epoll_, EPOLL_CTL_ADD, sink->fd, &sev);
        sinks_.push_back(std::move(sink));
      }
      for (int i = 0; i < kBatch; ++i) {
        s->iov[i] = {s->buf[i], 0};
        s->msgs[i] = {};
        s->msgs[i].msg_hdr.msg_iov = &s->iov[i];
        s->msgs[i].msg_hdr.msg_iovlen = 1;
        s->msgs[i].msg_hdr.msg_name = &s->server;
        s->msgs[i].msg_hdr.msg_namelen = sizeof(s->server);
      }
      sources_.push_back(std::move(s));
    }
  }
  for (int i = 0; i < kBatch; ++i) {
    rx_iov_[i] = {rx_buf_[i], sizeof(rx_buf_[i])};
    rx_msgs_[i] = {};
    rx_msgs_[i].msg_hdr.msg_iov = &rx_iov_[i];
    rx_msgs_[i].msg_hdr.msg_iovlen = 1;
  }
  usleep(200'000);  // Let the server settle (keyframe requests and the like).
  rss_idle_kb_ = sfu_->RssKb();
}

void Generator::Flush(Source& s) {
  int done = 0;
  while (done < s.queued) {
    int n = sendmmsg(s.fd, s.msgs + done, static_cast<unsigned>(s.queued - done), 0);
    if (n <= 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
        usleep(50);  // Our own send buffer is full: wait for the kernel, drop nothing.
        continue;
      }
      ++s.send_errors;
      ++done;
      continue;
    }
    done += n;
  }
  s.sent += static_cast<uint64_t>(s.queued);
  s.queued = 0;
}

void Generator::Emit(Source& s, bool video, bool first, bool last, bool key) {
  if (s.queued == kBatch) Flush(s);
  uint8_t* p = s.buf[s.queued];
  size_t len = video ? kVideoPacket : kAudioPacket;
  std::memset(p, 0x5a, len);
  p[0] = 0x80;
  uint16_t seq = video ? s.video_seq++ : s.audio_seq++;
  uint32_t ts = video ? s.video_ts : s.audio_ts;
  uint32_t ssrc = video ? s.video_ssrc : s.audio_ssrc;
  p[1] = static_cast<uint8_t>(video ? kVideoPt : kAudioPt);
  p[2] = static_cast<uint8_t>(seq >> 8);
  p[3] = static_cast<uint8_t>(seq);
  for (int i = 0; i < 4; ++i) {
    p[4 + i] = static_cast<uint8_t>(ts >> (24 - 8 * i));
    p[8 + i] = static_cast<uint8_t>(ssrc >> (24 - 8 * i));
  }
  if (video) {
    // VP8 payload descriptor (X, I, 15-bit picture id), S on a frame's first packet,
    // which carries the frame tag and, for a keyframe, the start code and 320x240.
    const uint8_t descriptor[] = {static_cast<uint8_t>(first ? 0x90 : 0x80), 0x80,
                                  static_cast<uint8_t>(0x80 | ((s.picture_id >> 8) & 0x7f)),
                                  static_cast<uint8_t>(s.picture_id)};
    std::memcpy(p + 12, descriptor, sizeof(descriptor));
    if (first) {
      const uint8_t tag[] = {static_cast<uint8_t>(key ? 0x10 : 0x11), 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00};
      std::memcpy(p + 16, tag, key ? sizeof(tag) : 3);
    }
    if (last) p[1] |= 0x80;  // Marker.
  }
  // The send time is read per packet: a source served late in a loop iteration must not
  // carry the iteration's start (the time spent on earlier sources is the generator's).
  int64_t stamp = RealtimeNs();
  std::memcpy(p + len - kStampSize, &stamp, 8);
  std::memcpy(p + len - 4, &s.index, 4);
  size_t out = len;
  if (s.srtp && s.srtp->ProtectRtp(std::span(p, sizeof(s.buf[0])), &out) != SrtpError::kOk) Die("SRTP protect failed");
  s.iov[s.queued].iov_len = out;
  ++s.queued;
}

void Generator::Receive(Sink& sink, Window& w, int64_t measure_from) {
  for (int round = 0; round < 16; ++round) {
    for (int i = 0; i < kBatch; ++i) {
      rx_msgs_[i].msg_hdr.msg_control = rx_ctrl_[i];
      rx_msgs_[i].msg_hdr.msg_controllen = sizeof(rx_ctrl_[i]);
    }
    int n = recvmmsg(sink.fd, rx_msgs_, kBatch, MSG_DONTWAIT, nullptr);
    if (n <= 0) return;
    for (int i = 0; i < n; ++i) {
      bool rtcp = rx_msgs_[i].msg_len >= 2 && rx_buf_[i][1] >= 192 && rx_buf_[i][1] <= 223;
      ++(rtcp ? w.other : w.received);
    }
    if (sink.probe) {
      for (int i = 0; i < n; ++i) {
        int64_t arrival = 0;
        for (cmsghdr* c = CMSG_FIRSTHDR(&rx_msgs_[i].msg_hdr); c; c = CMSG_NXTHDR(&rx_msgs_[i].msg_hdr, c)) {
          if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
            timespec t;
            std::memcpy(&t, CMSG_DATA(c), sizeof(t));
            arrival = int64_t{t.tv_sec} * 1'000'000'000 + t.tv_nsec;
          }
        }
        size_t len = rx_msgs_[i].msg_len;
        std::span<uint8_t> pkt(rx_buf_[i], sizeof(rx_buf_[i]));
        if (len < 12 || (rx_buf_[i][1] >= 192 && rx_buf_[i][1] <= 223)) continue;  // RTCP.
        if (sink.srtp && sink.srtp->UnprotectRtp(pkt, &len) != SrtpError::kOk) continue;
        if (len < 12 + kStampSize) continue;
        int64_t stamp;
        std::memcpy(&stamp, rx_buf_[i] + len - kStampSize, 8);
        if (stamp >= measure_from && arrival > 0 && w.latency_ns.size() < 4'000'000) {
          w.latency_ns.push_back(arrival - stamp);
        }
      }
    }
    if (n < kBatch) return;
  }
}

Window Generator::RunWindow(double rate, double warmup, double seconds) {
  Window w;
  double cpu0 = ThreadCpuSeconds();
  video_pps_per_source_ = rate / static_cast<double>(sources_.size());
  int64_t start = RealtimeNs();
  int64_t measure_from = start + static_cast<int64_t>(warmup * 1e9);
  int64_t stop_sending = measure_from + static_cast<int64_t>(seconds * 1e9);
  int64_t frame_ns = 1'000'000'000 / 30, audio_ns = 20'000'000;
  for (auto& s : sources_) {
    // Staggered, so the sources' frames do not all land at once.
    s->next_frame_ns = start + frame_ns * s->index / static_cast<int64_t>(sources_.size());
    s->next_audio_ns = start + audio_ns * s->index / static_cast<int64_t>(sources_.size());
    s->frames = 0;
    s->sent = 0;
  }
  epoll_event events[256];
  int64_t drain_until = 0;
  while (true) {
    int64_t now = RealtimeNs();
    int64_t next_due = now + 1'000'000;
    if (now < stop_sending) {
      for (auto& sp : sources_) {
        Source& s = *sp;
        while (s.next_frame_ns <= now) {
          // A keyframe every 3 s, three times a delta frame. Each window opens with one
          // (in its warm-up); after that the sources' keyframes are spread over the 3 s, as
          // independent publishers' are, not all in the same frame interval.
          bool key = s.frames == 0 || (s.frames + s.index * 90 / sources_.size()) % 90 == 0;
          s.frame_credit += video_pps_per_source_ / 30.0 * (key ? 3.0 : 1.0);
          int packets = std::max(1, static_cast<int>(s.frame_credit));
          s.frame_credit -= packets;
          ++s.picture_id;
          for (int i = 0; i < packets; ++i) Emit(s, true, i == 0, i == packets - 1, key);
          s.video_ts += 3000;
          ++s.frames;
          s.next_frame_ns += frame_ns;
        }
        while (o_.audio && s.next_audio_ns <= now) {
          Emit(s, false, true, true, false);
          s.audio_ts += 960;
          s.next_audio_ns += audio_ns;
        }
        Flush(s);
        next_due = std::min({next_due, s.next_frame_ns, o_.audio ? s.next_audio_ns : next_due});
      }
    } else if (drain_until == 0) {
      drain_until = now + 300'000'000;
    } else if (now >= drain_until) {
      break;
    }
    // Sleep until the next packet is due (at most 1 ms), not in 1 ms steps.
    int64_t wait_ns = std::clamp<int64_t>(next_due - RealtimeNs(), 0, 1'000'000);
    timespec timeout{0, static_cast<long>(wait_ns)};
    int n = epoll_pwait2(epoll_, events, 256, &timeout, nullptr);
    for (int i = 0; i < n; ++i) {
      uint64_t tag = events[i].data.u64;
      if (tag >> 32) {
        // RTCP from the server to a source: read and dropped.
        Source& s = *sources_[tag & 0xffffffff];
        while (recv(s.fd, rx_buf_[0], sizeof(rx_buf_[0]), MSG_DONTWAIT) > 0) ++w.other;
        continue;
      }
      Receive(*sinks_[tag], w, measure_from);
    }
  }
  for (auto& s : sources_) w.sent += s->sent;
  w.load_cpu = ThreadCpuSeconds() - cpu0;
  return w;
}

Json Generator::ServerCounters() {
  Json dump = sfu_->Call("worker.dump", Json::object());
  uint64_t rtp_to_sinks = 0;
  if (!o_.read_sinks) {
    // Unread sinks: what the server sent them, from its own RTP counters.
    for (const auto& sink : sinks_) {
      rtp_to_sinks += sfu_->Call("transport.getStats", {{"transportId", sink->transport_id}})["rtpPacketsSent"].get<uint64_t>();
    }
  }
  double cpu = 0;
  uint64_t rx = 0, tx = 0, dropped = 0;
  Json per_worker = Json::array();
  for (const Json& w : dump["workers"]) {
    double c = w["cpu"]["userSeconds"].get<double>() + w["cpu"]["systemSeconds"].get<double>();
    cpu += c;
    per_worker.push_back(c);
    rx += w["udp"]["packetsReceived"].get<uint64_t>();
    tx += w["udp"]["packetsSent"].get<uint64_t>();
    dropped += w["udp"]["sendDropped"].get<uint64_t>();
  }
  return {{"cpu", cpu}, {"rx", rx}, {"tx", tx}, {"sendDropped", dropped}, {"workerCpu", per_worker},
          {"rtpToSinks", rtp_to_sinks}, {"at", static_cast<double>(RealtimeNs()) / 1e9}};
}

double Percentile(std::vector<int64_t>& v, double q) {
  if (v.empty()) return 0;
  size_t at = std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(at), v.end());
  return static_cast<double>(v[at]) / 1000.0;  // Microseconds.
}

Json Generator::Measure(double rate, double warmup, double seconds) {
  Json before = ServerCounters();
  Window w = RunWindow(rate, warmup, seconds);
  Json after = ServerCounters();
  double cpu = after["cpu"].get<double>() - before["cpu"].get<double>();
  uint64_t rx = after["rx"].get<uint64_t>() - before["rx"].get<uint64_t>();
  uint64_t tx = after["tx"].get<uint64_t>() - before["tx"].get<uint64_t>();
  // Rates over the time between the two counter readings (sending, then draining).
  double span = after["at"].get<double>() - before["at"].get<double>();
  uint64_t expected = w.sent * static_cast<uint64_t>(o_.consumers);
  uint64_t delivered = w.received;
  if (!o_.read_sinks) delivered = after["rtpToSinks"].get<uint64_t>() - before["rtpToSinks"].get<uint64_t>();
  auto ratio_loss = [](double got, double want) { return want > 0 ? std::max(0.0, 1.0 - got / want) : 0.0; };
  Json worker_cpu = Json::array();
  for (size_t i = 0; i < after["workerCpu"].size(); ++i) {
    worker_cpu.push_back(after["workerCpu"][i].get<double>() - before["workerCpu"][i].get<double>());
  }
  Json r = {
      {"targetVideoPps", rate},
      {"sentPps", static_cast<double>(w.sent) / span},
      {"forwardedPps", static_cast<double>(tx) / span},
      {"packetsSent", w.sent},
      {"serverPacketsReceived", rx},
      {"serverPacketsSent", tx},
      {"packetsReceived", w.received},
      {"ingressLoss", ratio_loss(static_cast<double>(rx), static_cast<double>(w.sent))},
      {"egressLoss", o_.read_sinks ? ratio_loss(static_cast<double>(w.received + w.other), static_cast<double>(tx)) : 0.0},
      {"loss", ratio_loss(static_cast<double>(delivered), static_cast<double>(expected))},
      {"sinksRead", o_.read_sinks},
      {"latencyUs", {{"p50", Percentile(w.latency_ns, 0.5)}, {"p99", Percentile(w.latency_ns, 0.99)},
                     {"p999", Percentile(w.latency_ns, 0.999)}, {"samples", w.latency_ns.size()}}},
      {"serverCpuSeconds", cpu},
      {"serverCpuUtilization", cpu / span},
      {"workerCpuSeconds", worker_cpu},
      {"cpuSecondsPerMillionForwarded", tx > 0 ? cpu / (static_cast<double>(tx) / 1e6) : 0.0},
      {"serverSendDropped", after["sendDropped"].get<uint64_t>() - before["sendDropped"].get<uint64_t>()},
      {"serverRssKb", sfu_->RssKb()},
      {"loadCpuUtilization", w.load_cpu / span},
  };
  return r;
}

void PrintRow(const Json& r) {
  std::printf("%10.0f %10.0f %11.0f %8.4f%% %8.4f%% %8.4f%% %8.0f %8.0f %8.0f %7.3f %6.1f%% %8ld %6.1f%%\n",
              r["targetVideoPps"].get<double>(), r["sentPps"].get<double>(), r["forwardedPps"].get<double>(),
              100 * r["ingressLoss"].get<double>(), 100 * r["egressLoss"].get<double>(), 100 * r["loss"].get<double>(),
              r["latencyUs"]["p50"].get<double>(), r["latencyUs"]["p99"].get<double>(),
              r["latencyUs"]["p999"].get<double>(), r["cpuSecondsPerMillionForwarded"].get<double>(),
              100 * r["serverCpuUtilization"].get<double>(), r["serverRssKb"].get<long>(),
              100 * r["loadCpuUtilization"].get<double>());
  std::fflush(stdout);
}

int Generator::Run() {
  PinTo(o_.load_cpus);
  Setup();
  int consumers_total = static_cast<int>(sinks_.size()) * (o_.audio ? 2 : 1);
  std::printf("sfu-load: %d worker(s), %d router(s) x %d producer(s) x %d consumer(s) = %zu sinks, %d consumers, "
              "srtp %s, server on CPU %s, generator on CPU %s\n",
              o_.workers, o_.routers, o_.producers, o_.consumers, sinks_.size(), consumers_total, o_.srtp.c_str(),
              o_.server_cpus.empty() ? "any" : std::to_string(o_.server_cpus[0]).c_str(),
              o_.load_cpus.empty() ? "any" : std::to_string(o_.load_cpus[0]).c_str());
  std::printf("%10s %10s %11s %9s %9s %9s %8s %8s %8s %7s %7s %8s %7s\n", "video-pps", "sent/s", "forwarded/s",
              "in-loss", "out-loss", "loss", "p50-us", "p99-us", "p999-us", "cpu-s/M", "srvCPU", "rss-kB", "genCPU");
  Json report = {{"options",
                  {{"workers", o_.workers}, {"routers", o_.routers}, {"producers", o_.producers},
                   {"consumers", o_.consumers}, {"audio", o_.audio}, {"srtp", o_.srtp}, {"duration", o_.duration},
                   {"warmup", o_.warmup}}},
                 {"consumerObjects", consumers_total},
                 {"sinks", sinks_.size()},
                 {"rssStartKb", rss_start_kb_},
                 {"rssIdleKb", rss_idle_kb_}};
  if (o_.hold > 0) RunWindow(o_.rate, 0, o_.hold);
  Json steps = Json::array();
  double rate = o_.rate;
  double clean = 0;
  while (true) {
    Json r = Measure(rate, o_.warmup, o_.duration);
    PrintRow(r);
    steps.push_back(r);
    bool ok = r["loss"].get<double>() <= o_.loss_threshold;
    if (ok) clean = std::max(clean, r["forwardedPps"].get<double>());
    if (!o_.step || !ok || rate * o_.step_factor > o_.max_rate) break;
    rate *= o_.step_factor;
  }
  report["steps"] = steps;
  report["rssEndKb"] = sfu_->RssKb();
  report["rssPerConsumerIdleKb"] =
      static_cast<double>(rss_idle_kb_ - rss_start_kb_) / std::max(1, consumers_total);
  report["rssPerConsumerKb"] = static_cast<double>(report["rssEndKb"].get<long>() - rss_start_kb_) /
                               std::max(1, consumers_total);
  if (o_.step) report["highestCleanForwardedPps"] = clean;
  std::printf("rss: start %ld kB, idle with objects %ld kB, end %ld kB; per consumer: idle %.1f kB, after media %.1f kB\n",
              rss_start_kb_, rss_idle_kb_, report["rssEndKb"].get<long>(), report["rssPerConsumerIdleKb"].get<double>(),
              report["rssPerConsumerKb"].get<double>());
  if (o_.step) std::printf("highest clean rate (loss <= %.2f%%): %.0f forwarded packets/s\n", 100 * o_.loss_threshold, clean);
  if (!o_.json_out.empty()) {
    std::ofstream f(o_.json_out);
    f << report.dump(2) << "\n";
  }
  return 0;
}

void Usage() {
  std::printf(R"(Usage: sfu-load [OPTIONS]
Drives sfu (started as a child, JSON-RPC over stdio) with plain RTP transports.
  --sfu PATH              the sfu binary (default: sfu next to sfu-load)
  --workers N             server worker threads (default 1)
  --routers R             routers (rooms), spread over the workers (default 5)
  --producers P           video (+ audio) producers per router (default 10)
  --consumers K           consumers per producer, each on its own transport and sink (default 10)
  --rate PPS              ingress video packets/s, all producers together (default 25000);
                          video is 1200 B packets in 30 frames/s bursts, a keyframe (3x) every 3 s;
                          audio 160 B at 50/s per producer
  --no-audio              video only
  --srtp gcm|cm|none      AEAD_AES_128_GCM (default), AES_CM_128_HMAC_SHA1_80, or plain RTP
  --duration S            measured seconds per step (default 10, at most 120)
  --warmup S              unmeasured seconds before (default 1)
  --hold S                seconds of media before the first step (memory runs; at most 120)
  --step                  raise the rate by --step-factor (1.15) until loss exceeds --loss (0.001)
  --max-rate PPS          stop stepping there (default 1000000)
  --sinks read|drop       read every sink (default; loss counted at the sinks), or only the
                          first of each producer, the others never read with a 4 kB buffer
                          as in ../shared/bench/fwdbench.c (loss from the server's counters)
  --server-cpus LIST      CPUs for sfu (default 1; "any")
  --load-cpus LIST        CPUs for the generator (default 0; "any")
  --webrtc N              WebRTC mode instead: join N WebRTC transports (ICE, DTLS, SRTP keys
                          through the project's own stack as the client), --join-batch at a
                          time (default 100); reports joins/s, step times, memory per transport
  --server-arg ARG        one more sfu argument (repeat: --server-arg --udp-gso --server-arg off)
  --json FILE             the report as JSON
)");
}

Options Parse(int argc, char** argv) {
  Options o;
  std::string self = argv[0];
  auto slash = self.rfind('/');
  o.sfu = (slash == std::string::npos ? std::string(".") : self.substr(0, slash)) + "/sfu";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Die(a + " needs a value");
      return argv[++i];
    };
    auto number = [&](double lo, double hi) {
      std::string v = value();
      char* end = nullptr;
      double d = std::strtod(v.c_str(), &end);
      if (end == v.c_str() || *end != '\0' || d < lo || d > hi) {
        Die(a + " must be a number in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], not " + v);
      }
      return d;
    };
    if (a == "--help" || a == "-h") {
      Usage();
      std::exit(0);
    } else if (a == "--sfu") {
      o.sfu = value();
    } else if (a == "--workers") {
      o.workers = static_cast<int>(number(1, 64));
    } else if (a == "--routers") {
      o.routers = static_cast<int>(number(1, 1000));
    } else if (a == "--producers") {
      o.producers = static_cast<int>(number(1, 1000));
    } else if (a == "--consumers") {
      o.consumers = static_cast<int>(number(1, 1000));
    } else if (a == "--rate") {
      o.rate = number(1, 1e7);
    } else if (a == "--no-audio") {
      o.audio = false;
    } else if (a == "--srtp") {
      o.srtp = value();
      if (o.srtp != "gcm" && o.srtp != "cm" && o.srtp != "none") Die("--srtp must be gcm, cm or none");
    } else if (a == "--duration") {
      o.duration = number(0.1, 120);
    } else if (a == "--warmup") {
      o.warmup = number(0, 30);
    } else if (a == "--hold") {
      o.hold = number(0, 120);
    } else if (a == "--step") {
      o.step = true;
    } else if (a == "--step-factor") {
      o.step_factor = number(1.01, 4);
    } else if (a == "--max-rate") {
      o.max_rate = number(1, 1e7);
    } else if (a == "--loss") {
      o.loss_threshold = number(0, 1);
    } else if (a == "--server-cpus") {
      o.server_cpus = ParseCpus(value());
    } else if (a == "--sinks") {
      std::string v = value();
      if (v != "read" && v != "drop") Die("--sinks must be read or drop");
      o.read_sinks = v == "read";
    } else if (a == "--load-cpus") {
      o.load_cpus = ParseCpus(value());
    } else if (a == "--webrtc") {
      o.webrtc = static_cast<int>(number(1, 20000));
    } else if (a == "--join-batch") {
      o.join_batch = static_cast<int>(number(1, 1000));
    } else if (a == "--server-arg") {
      o.server_args.push_back(value());
    } else if (a == "--json") {
      o.json_out = value();
    } else {
      Die("unknown option " + a + " (see --help)");
    }
  }
  long sinks = long{o.routers} * o.producers * o.consumers;
  if (o.webrtc == 0 && sinks > 20000) Die("at most 20000 sinks (routers x producers x consumers)");
  return o;
}

// WebRTC mode: one router, N transports joined in batches.
int RunJoin(const Options& o) {
  PinTo(o.load_cpus);
  std::vector<std::string> args = {"--workers", std::to_string(o.workers)};
  args.insert(args.end(), o.server_args.begin(), o.server_args.end());
  SfuChild sfu(o.sfu, args, o.server_cpus);
  sfu.WaitRunning();
  JoinOptions jo;
  jo.transports = o.webrtc;
  jo.batch = o.join_batch;
  jo.router_id = sfu.Call("router.create", Json::object())["routerId"].get<std::string>();
  std::printf("sfu-load: %d WebRTC transports joined %d at a time, server on CPU %s, generator on CPU %s\n",
              o.webrtc, o.join_batch, o.server_cpus.empty() ? "any" : std::to_string(o.server_cpus[0]).c_str(),
              o.load_cpus.empty() ? "any" : std::to_string(o.load_cpus[0]).c_str());
  Json report = RunWebRtcJoin(sfu, jo);
  report["options"] = {{"workers", o.workers}, {"webrtc", o.webrtc}, {"joinBatch", o.join_batch}};
  if (!o.json_out.empty()) {
    std::ofstream f(o.json_out);
    f << report.dump(2) << "\n";
  }
  return report["failed"].get<int>() == 0 ? 0 : 1;
}

}  // namespace
}  // namespace sfu::load

int main(int argc, char** argv) {
  sfu::load::Options o = sfu::load::Parse(argc, argv);
  // Every run ends by itself: a watchdog well past the longest step sequence.
  alarm(900);
  if (o.webrtc > 0) return sfu::load::RunJoin(o);
  return sfu::load::Generator(std::move(o)).Run();
}
