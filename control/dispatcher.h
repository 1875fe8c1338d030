#pragma once
// The JSON-RPC dispatch table. Methods register a handler under their name; incoming
// text is parsed, validated and routed through the table, never a switch. A handler
// replies exactly once, at once or later (after a round trip to a worker thread), with a
// result or a Status that becomes the typed JSON-RPC error. Runs on the control loop only.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "base/status.h"
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

  // Handles one message. `send` is called with the response text once every request in
  // it has been answered, and not at all when it held only notifications.
  void HandleMessage(std::string_view text, std::function<void(std::string)> send);

  // The response to a message that exceeded the size limit.
  static std::string OversizedResponse(size_t size, size_t limit);

 private:
  struct Pending;
  void Invoke(Request request, std::shared_ptr<Pending> pending, size_t slot);

  std::map<std::string, Handler, std::less<>> handlers_;
};

}  // namespace sfu::control
