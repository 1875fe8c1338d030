// SRTP protect/unprotect per packet: our OpenSSL EVP implementation against Debian's
// libsrtp2 (NSS backend), every profile, 160 B (audio) and 1200 B (video) payloads.
// The figures decide which one the hot path uses (docs/performance.md).

#include <benchmark/benchmark.h>

#include <vector>

#include "tests/support/libsrtp_reference.h"
#include "transport/srtp/srtp_session.h"

namespace {

using sfu::SrtpProfile;

constexpr SrtpProfile kProfiles[] = {SrtpProfile::kAeadAes256Gcm, SrtpProfile::kAeadAes128Gcm,
                                     SrtpProfile::kAes128CmSha1_80, SrtpProfile::kAes128CmSha1_32};

std::vector<uint8_t> Key(SrtpProfile p) {
  const auto& info = sfu::InfoOf(p);
  std::vector<uint8_t> k(info.key_len + info.salt_len);
  for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<uint8_t>(i * 7 + 1);
  return k;
}

std::vector<uint8_t> Rtp(uint16_t seq, size_t payload) {
  std::vector<uint8_t> p = {0x80, 96, static_cast<uint8_t>(seq >> 8), static_cast<uint8_t>(seq),
                            0, 0, 0, 1, 0x12, 0x34, 0x56, 0x78};
  p.resize(12 + payload, 0x5A);
  return p;
}

void BM_OursProtect(benchmark::State& state) {
  SrtpProfile profile = kProfiles[state.range(0)];
  size_t payload = static_cast<size_t>(state.range(1));
  auto session = std::move(*sfu::SrtpSession::Create(profile, Key(profile)));
  std::vector<uint8_t> buf = Rtp(0, payload);
  size_t plain_len = buf.size();
  buf.resize(plain_len + sfu::SrtpSession::kMaxTrailer);
  uint16_t seq = 0;
  for (auto _ : state) {
    buf[2] = static_cast<uint8_t>(seq >> 8);
    buf[3] = static_cast<uint8_t>(seq++);
    size_t len = plain_len;
    benchmark::DoNotOptimize(session->ProtectRtp(buf, &len));
  }
  state.SetLabel(std::string(sfu::InfoOf(profile).openssl_name));
  state.SetItemsProcessed(state.iterations());
}

void BM_LibsrtpProtect(benchmark::State& state) {
  SrtpProfile profile = kProfiles[state.range(0)];
  size_t payload = static_cast<size_t>(state.range(1));
  sfu::testing::LibSrtp session(profile, Key(profile), sfu::testing::LibSrtp::Direction::kOutbound);
  std::vector<uint8_t> buf = Rtp(0, payload);
  int plain_len = static_cast<int>(buf.size());
  buf.resize(buf.size() + SRTP_MAX_TRAILER_LEN);
  uint16_t seq = 0;
  for (auto _ : state) {
    buf[2] = static_cast<uint8_t>(seq >> 8);
    buf[3] = static_cast<uint8_t>(seq++);
    int len = plain_len;
    benchmark::DoNotOptimize(srtp_protect(session.ctx(), buf.data(), &len));
  }
  state.SetLabel(std::string(sfu::InfoOf(profile).openssl_name));
  state.SetItemsProcessed(state.iterations());
}

void BM_OursUnprotect(benchmark::State& state) {
  SrtpProfile profile = kProfiles[state.range(0)];
  size_t payload = static_cast<size_t>(state.range(1));
  auto sender = std::move(*sfu::SrtpSession::Create(profile, Key(profile)));
  // Pre-protect a ring of packets; the receiver sees each index once per lap, so the
  // window is reset by using a fresh receiver per lap.
  constexpr int kRing = 4096;
  std::vector<std::vector<uint8_t>> ring;
  for (int i = 0; i < kRing; ++i) {
    auto p = Rtp(static_cast<uint16_t>(i), payload);
    size_t len = p.size();
    p.resize(len + sfu::SrtpSession::kMaxTrailer);
    (void)sender->ProtectRtp(p, &len);
    p.resize(len);
    ring.push_back(std::move(p));
  }
  std::vector<uint8_t> work(ring[0].size());
  auto receiver = std::move(*sfu::SrtpSession::Create(profile, Key(profile)));
  int i = 0;
  for (auto _ : state) {
    if (i == kRing) {
      state.PauseTiming();
      receiver = std::move(*sfu::SrtpSession::Create(profile, Key(profile)));
      i = 0;
      state.ResumeTiming();
    }
    std::copy(ring[static_cast<size_t>(i)].begin(), ring[static_cast<size_t>(i)].end(), work.begin());
    size_t len = ring[static_cast<size_t>(i)].size();
    benchmark::DoNotOptimize(receiver->UnprotectRtp(work, &len));
    ++i;
  }
  state.SetLabel(std::string(sfu::InfoOf(profile).openssl_name));
  state.SetItemsProcessed(state.iterations());
}

void Args(benchmark::internal::Benchmark* b) {
  for (int p = 0; p < 4; ++p) {
    for (int size : {160, 1200}) b->Args({p, size});
  }
}

BENCHMARK(BM_OursProtect)->Apply(Args);
BENCHMARK(BM_LibsrtpProtect)->Apply(Args);
BENCHMARK(BM_OursUnprotect)->Apply(Args);

}  // namespace

BENCHMARK_MAIN();
