#pragma once
// The JSON-RPC dispatch table. Methods register a handler under their name; incoming
// text is parsed, validated and routed through the table, never a switch. A handler
// replies exactly once, at once or later (after a round trip to a worker thread), with a
// result or a Status that becomes the typed JSON-RPC error. With a schema (SetSchema),
// every request's params are validated against it before the handler runs, so a handler
// sees only params of the documented shape. Runs on the control loop only.

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "base/status.h"
#include "control/json_schema.h"
#include "control/jsonrpc.h"

namespace sfu::control {

// Delivers a handler's outcome, once. A Reply dropped without being called answers
// with an internal error, so a request is never left without a response.
class Reply {
 public:
  explicit Reply(absl::AnyInvocable<void(StatusOr<Json>)> fn) : fn_(std::move(fn)) {}
  Reply(Reply&& other) noexcept : fn_(std::move(other.fn_)) { other.fn_ = nullptr; }
  Reply& operator=(Reply&&) = delete;
  ~Reply();

  void operator()(StatusOr<Json> outcome) &&;

 private:
  absl::AnyInvocable<void(StatusOr<Json>)> fn_;
};

class Dispatcher {
 public:
  using Handler = std::function<void(const Json& params, Reply reply)>;
  using SyncHandler = std::function<StatusOr<Json>(const Json& params)>;

  void Register(std::string method, Handler handler);
  void RegisterSync(std::string method, SyncHandler handler);
  bool Has(std::string_view method) const;
  std::vector<std::string> Methods() const;

  // From now on, a request for a method the schema describes is answered with its
  // InvalidParams error when its params do not validate, without running the handler.
  // Methods it does not describe run unchecked (JsonSchema::CheckCovers finds them).
  void SetSchema(JsonSchema schema) { schema_.emplace(std::move(schema)); }
  const JsonSchema* schema() const { return schema_ ? &*schema_ : nullptr; }

  // Handles one message. `send` is called with the response text once every request in
  // it has been answered, and not at all when it held only notifications.
  void HandleMessage(std::string_view text, std::function<void(std::string)> send);

  // The response to a message that exceeded the size limit.
  static std::string OversizedResponse(size_t size, size_t limit);

 private:
  struct Pending;
  void Invoke(Request request, std::shared_ptr<Pending> pending, size_t slot);

  std::map<std::string, Handler, std::less<>> handlers_;
  std::optional<JsonSchema> schema_;
};

}  // namespace sfu::control
