// The router's forwarding path in process, without sockets or SRTP: one VP8 producer,
// K consumers on K endpoints whose sinks take the packet as a transport would (SendBuffer
// then SendRtp). It measures nanoseconds per forwarded packet and counts heap
// allocations: after a warm-up, forwarding must allocate nothing. Run from a release
// build: build/release/bin/forward_bench (exits 1 if the allocation check fails).

#include <benchmark/benchmark.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <new>
#include <vector>

#include "router/packet_sink.h"
#include "router/router.h"
#include "router/rtp_endpoint.h"
#include "router/rtp_parameters.h"

// GCC pairs the replaced operator new with free() below and warns; they do match.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace {

std::atomic<uint64_t> g_allocations{0};

}  // namespace

// Counting global allocator (the whole binary).
void* operator new(size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t n) { return operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }

namespace {

// Like a UDP transport: hands out a slot of its send queue and "sends" what lands there.
class QueueSink : public sfu::PacketSink {
 public:
  std::span<uint8_t> SendBuffer() override { return slot_; }
  void SendRtp(std::span<uint8_t> buffer, size_t len) override {
    benchmark::DoNotOptimize(buffer.data());
    bytes_ += len;
    ++packets_;
  }
  void SendRtcp(std::span<uint8_t>, size_t) override {}
  uint64_t packets() const { return packets_; }

 private:
  std::array<uint8_t, 2048> slot_{};
  uint64_t bytes_ = 0;
  uint64_t packets_ = 0;
};

class World {
 public:
  explicit World(int consumers) {
    pub_ = std::make_unique<sfu::RtpEndpoint>(router_, pub_sink_, 1, "pub");
    sfu::ProducerParams p;
    p.kind = "video";
    p.codecs = {{96, "video/VP8", 90000, 0, "", std::nullopt, {"nack", "nack pli"}}};
    p.encodings = {{1111, std::nullopt, ""}};
    if (!router_.Produce(*pub_, "p", p).ok()) std::abort();
    sfu::RtpCapabilities caps;
    caps.codecs = {{"video", "video/VP8", 100, 90000, 0, "", {"nack", "nack pli"}}};
    for (int i = 0; i < consumers; ++i) {
      sinks_.push_back(std::make_unique<QueueSink>());
      subs_.push_back(std::make_unique<sfu::RtpEndpoint>(router_, *sinks_.back(), 10 + i, "sub"));
      auto params = sfu::DeriveConsumerParams(router_.FindProducer("p")->params(), caps, "",
                                              static_cast<uint32_t>(100 + i), static_cast<uint32_t>(200 + i));
      if (!params.ok() || !router_.Consume(*subs_.back(), "c" + std::to_string(i), "p", *params, Now()).ok()) {
        std::abort();
      }
    }
  }
  ~World() {
    for (auto& s : subs_) router_.CloseEndpoint(*s);
    router_.CloseEndpoint(*pub_);
  }

  // One 1200-byte VP8 packet (a keyframe start every 90th frame of 10 packets).
  void Send() {
    bool first = seq_ % 10 == 0;
    bool key = seq_ % 900 == 0;
    packet_.fill(0x5a);
    uint8_t* p = packet_.data();
    p[0] = 0x80;
    p[1] = static_cast<uint8_t>(96 | (seq_ % 10 == 9 ? 0x80 : 0));
    p[2] = static_cast<uint8_t>(seq_ >> 8);
    p[3] = static_cast<uint8_t>(seq_);
    uint32_t ts = (seq_ / 10) * 3000;
    for (int i = 0; i < 4; ++i) p[4 + i] = static_cast<uint8_t>(ts >> (24 - 8 * i));
    p[8] = 0, p[9] = 0, p[10] = 0x04, p[11] = 0x57;  // SSRC 1111
    const uint8_t vp8[] = {static_cast<uint8_t>(first ? 0x10 : 0x00), static_cast<uint8_t>(key ? 0x10 : 0x11),
                           0x02, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00};
    std::copy(std::begin(vp8), std::end(vp8), p + 12);
    ++seq_;
    now_ = sfu::Timestamp::Micros(now_.us() + 20);
    pub_->OnRtp(packet_, now_);
  }
  sfu::Timestamp Now() const { return now_; }
  uint64_t forwarded() const {
    uint64_t n = 0;
    for (const auto& s : sinks_) n += s->packets();
    return n;
  }

 private:
  sfu::Router router_{"r", {}};
  QueueSink pub_sink_;
  std::unique_ptr<sfu::RtpEndpoint> pub_;
  std::vector<std::unique_ptr<QueueSink>> sinks_;
  std::vector<std::unique_ptr<sfu::RtpEndpoint>> subs_;
  std::array<uint8_t, 1200> packet_{};
  uint16_t seq_ = 0;
  sfu::Timestamp now_ = sfu::Timestamp::Millis(1000);
};

void BM_Forward(benchmark::State& state) {
  World world(static_cast<int>(state.range(0)));
  for (int i = 0; i < 1000; ++i) world.Send();  // Warm-up: streams, stores, maps.
  uint64_t before = world.forwarded();
  for (auto _ : state) world.Send();
  state.counters["forwarded_per_packet"] =
      static_cast<double>(world.forwarded() - before) / static_cast<double>(state.iterations());
  state.SetItemsProcessed(static_cast<int64_t>(world.forwarded() - before));
}
BENCHMARK(BM_Forward)->Arg(1)->Arg(10)->Arg(100);

// The check: 100k packets to 10 consumers after the warm-up allocate nothing.
bool AllocationCheck() {
  World world(10);
  for (int i = 0; i < 2000; ++i) world.Send();
  uint64_t before = g_allocations.load();
  uint64_t forwarded = world.forwarded();
  for (int i = 0; i < 100'000; ++i) world.Send();
  uint64_t allocations = g_allocations.load() - before;
  std::fprintf(stderr, "allocation check: %llu allocations for %llu forwarded packets (%s)\n",
              static_cast<unsigned long long>(allocations),
              static_cast<unsigned long long>(world.forwarded() - forwarded), allocations == 0 ? "ok" : "FAILED");
  return allocations == 0 && world.forwarded() - forwarded == 1'000'000;
}

}  // namespace

int main(int argc, char** argv) {
  bool ok = AllocationCheck();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return ok ? 0 : 1;
}
