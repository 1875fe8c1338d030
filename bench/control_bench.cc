// Control-plane micro-benchmarks: JSON-RPC parse + dispatch + serialize, and the stdio
// framing decoder. The control path is not the hot path, but a slow one limits how fast
// an application server can set up calls (thousands of requests per join burst).

#include <benchmark/benchmark.h>

#include <string>

#include "control/dispatcher.h"
#include "control/length_framer.h"

namespace {

using sfu::control::Dispatcher;
using sfu::control::Json;

void BM_DispatchRequest(benchmark::State& state) {
  Dispatcher d;
  d.RegisterSync("router.dump", [](const Json& params) -> sfu::StatusOr<Json> {
    return Json{{"id", params.value("routerId", "")}, {"transports", Json::array()}};
  });
  const std::string request =
      R"({"jsonrpc":"2.0","id":12345,"method":"router.dump","params":{"routerId":"3f2a9c4e-1b7d-4e8a-9f00-5d6c7b8a9e0f"}})";
  size_t bytes = 0;
  for (auto _ : state) {
    d.HandleMessage(request, [&](std::string response) { bytes += response.size(); });
  }
  benchmark::DoNotOptimize(bytes);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DispatchRequest);

void BM_LengthPrefixDecode(benchmark::State& state) {
  const size_t message_size = static_cast<size_t>(state.range(0));
  std::string stream;
  for (int i = 0; i < 64; ++i) stream += sfu::control::EncodeLengthPrefixed(std::string(message_size, 'x'));
  sfu::control::LengthPrefixDecoder decoder(1 << 20);
  size_t messages = 0;
  for (auto _ : state) {
    // Delivered in 4 KiB reads, as a pipe would.
    for (size_t pos = 0; pos < stream.size(); pos += 4096) {
      size_t n = std::min<size_t>(4096, stream.size() - pos);
      decoder.Feed({reinterpret_cast<const uint8_t*>(stream.data()) + pos, n},
                   [&](std::string_view) { ++messages; }, [](size_t) {});
    }
  }
  benchmark::DoNotOptimize(messages);
  state.SetItemsProcessed(static_cast<int64_t>(messages));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(stream.size()));
}
BENCHMARK(BM_LengthPrefixDecode)->Arg(200)->Arg(4096);

}  // namespace

BENCHMARK_MAIN();
