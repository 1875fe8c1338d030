#pragma once
// JSON-RPC 2.0 message model (https://www.jsonrpc.org/specification): validating incoming
// requests and building responses, errors and notifications. No I/O.

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/status.h"
#include "nlohmann/json.hpp"

namespace sfu::control {

using Json = nlohmann::json;

// Error codes: the specification's, then the server's own in its reserved range
// (-32000..-32099). Every error carries `data.type`, its kind in words (ParseError,
// InvalidRequest, MethodNotFound, InvalidParams, NotFound, InvalidState, Unsupported,
// Internal); InvalidParams adds `data.field`.
enum class RpcError : int {
  kParseError = -32700,
  kInvalidRequest = -32600,
  kMethodNotFound = -32601,
  kInvalidParams = -32602,
  kInternalError = -32603,
  kNotFound = -32001,
  kInvalidState = -32002,
  kUnsupported = -32003,
};

// Deepest nesting of arrays and objects accepted in a message; deeper input is refused
// before it is parsed, so no recursion downstream can exhaust the stack.
inline constexpr int kMaxJsonDepth = 64;

struct Request {
  Json id;                 // Number, string or null; absent for a notification.
  bool notification = false;
  std::string method;
  Json params;             // Object (absent params become an empty object) or array.
};

// One parsed message: a single request, a batch, or an error response to send back
// at once (parse error, invalid request, empty batch).
struct ParsedMessage {
  // For a single message: one element. For a batch: one per entry, each either a
  // Request or the error response that entry earned.
  std::vector<std::variant<Request, Json>> entries;
  bool batch = false;
};

ParsedMessage ParseMessage(std::string_view text);

// Validates one request object; returns the error response for an invalid one.
std::variant<Request, Json> ValidateRequest(const Json& value);

Json MakeResult(const Json& id, Json result);
Json MakeError(const Json& id, RpcError code, std::string_view message, Json data = nullptr);
// Maps a control-path Status onto its JSON-RPC error (see base/status.h for the kinds).
Json MakeErrorFromStatus(const Json& id, const Status& status);
Json MakeNotification(std::string_view method, Json params);

// Serializes; invalid UTF-8 from a client is replaced rather than thrown on.
std::string Serialize(const Json& message);

}  // namespace sfu::control
