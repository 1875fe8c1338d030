// Fuzzes JSON-RPC parsing and dispatch: any text must produce a well-formed response (or
// none, for notifications) and never throw or crash. Every method of the control API's
// schema is registered too (echoing its params), so requests for them run the schema
// validator over arbitrary params.

#include <cstddef>
#include <cstdint>
#include <string>

#include "base/check.h"
#include "control/control_api_schema.h"
#include "control/dispatcher.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static sfu::control::Dispatcher* dispatcher = [] {
    auto* d = new sfu::control::Dispatcher();
    d->RegisterSync("echo", [](const sfu::control::Json& p) -> sfu::StatusOr<sfu::control::Json> {
      return p;
    });
    d->RegisterSync("fail", [](const sfu::control::Json&) -> sfu::StatusOr<sfu::control::Json> {
      return sfu::InvalidParamsError("params.x", "bad");
    });
    auto schema = sfu::control::CompileControlApiSchema();
    SFU_CHECK(schema.ok());
    for (const std::string& method : schema->Methods()) {
      d->RegisterSync(method, [](const sfu::control::Json& p) -> sfu::StatusOr<sfu::control::Json> { return p; });
    }
    d->SetSchema(std::move(*schema));
    return d;
  }();
  std::string_view text(reinterpret_cast<const char*>(data), size);
  int responses = 0;
  dispatcher->HandleMessage(text, [&](std::string response) {
    ++responses;
    auto parsed = sfu::control::Json::parse(response, nullptr, false);
    SFU_CHECK(!parsed.is_discarded());
    SFU_CHECK(parsed.is_object() || (parsed.is_array() && !parsed.empty()));
  });
  SFU_CHECK(responses <= 1);
  return 0;
}
