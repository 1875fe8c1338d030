// Fuzzes settings parsing through the config file path (untrusted JSON text), plus the
// HOST:PORT parser: errors are fine, crashes are not.

#include <cstddef>
#include <cstdint>
#include <string>

#include "worker/settings.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto reader = [&text](const std::string&) -> sfu::StatusOr<std::string> { return text; };
  (void)sfu::ParseCommandLine({"--config", "fuzz.json"}, {}, reader);
  (void)sfu::ParseHostPort(text);
  (void)sfu::ParseCommandLine({"--control-listen", text, "--log-tags", text}, {}, reader);
  return 0;
}
