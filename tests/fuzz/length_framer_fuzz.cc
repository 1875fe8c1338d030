// Fuzzes the stdio framing: arbitrary bytes, split at arbitrary points, with a small
// limit so the oversized path is reached. Invariant: the two splits agree.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "base/check.h"
#include "control/length_framer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  size_t split = data[0] % (size);  // First byte picks where the second feed starts.
  std::span<const uint8_t> bytes(data + 1, size - 1);
  split = split < bytes.size() ? split : bytes.size();

  auto run = [](std::span<const uint8_t> a, std::span<const uint8_t> b) {
    sfu::control::LengthPrefixDecoder decoder(256);
    std::vector<std::string> out;
    for (auto part : {a, b}) {
      decoder.Feed(part, [&](std::string_view m) { out.emplace_back(m); },
                   [&](size_t n) { out.push_back("oversized:" + std::to_string(n)); });
    }
    return out;
  };
  auto whole = run(bytes, {});
  auto parts = run(bytes.first(split), bytes.subspan(split));
  SFU_CHECK(whole == parts);
  return 0;
}
