#include "control/jsonrpc.h"

#include "base/str_cat.h"

namespace sfu::control {
namespace {

// Nesting depth of JSON text, skipping strings; stops counting once past the limit.
int NestingDepth(std::string_view text) {
  int depth = 0;
  int max_depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"': in_string = true; break;
      case '[':
      case '{':
        if (++depth > max_depth) max_depth = depth;
        if (max_depth > kMaxJsonDepth) return max_depth;
        break;
      case ']':
      case '}': --depth; break;
      default: break;
    }
  }
  return max_depth;
}

bool ValidId(const Json& id) { return id.is_string() || id.is_number() || id.is_null(); }

}  // namespace

std::variant<Request, Json> ValidateRequest(const Json& value) {
  if (!value.is_object()) {
    return MakeError(nullptr, RpcError::kInvalidRequest, "a request must be a JSON object");
  }
  // The id is echoed in errors only when it is itself valid.
  Json id = nullptr;
  auto id_it = value.find("id");
  if (id_it != value.end()) {
    if (!ValidId(*id_it)) {
      return MakeError(nullptr, RpcError::kInvalidRequest, "id must be a string, number or null");
    }
    id = *id_it;
  }
  auto version = value.find("jsonrpc");
  if (version == value.end() || *version != "2.0") {
    return MakeError(id, RpcError::kInvalidRequest, "jsonrpc must be \"2.0\"");
  }
  auto method = value.find("method");
  if (method == value.end() || !method->is_string()) {
    return MakeError(id, RpcError::kInvalidRequest, "method must be a string");
  }
  Request request;
  request.notification = id_it == value.end();
  request.id = id;
  request.method = method->get<std::string>();
  auto params = value.find("params");
  if (params == value.end()) {
    request.params = Json::object();
  } else if (params->is_object() || params->is_array()) {
    request.params = *params;
  } else {
    return MakeError(id, RpcError::kInvalidRequest, "params must be an object or an array");
  }
  return request;
}

ParsedMessage ParseMessage(std::string_view text) {
  ParsedMessage out;
  if (NestingDepth(text) > kMaxJsonDepth) {
    out.entries.emplace_back(MakeError(nullptr, RpcError::kParseError,
                                       "JSON nested deeper than " + std::to_string(kMaxJsonDepth)));
    return out;
  }
  Json value = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) {
    out.entries.emplace_back(MakeError(nullptr, RpcError::kParseError, "invalid JSON"));
    return out;
  }
  if (!value.is_array()) {
    out.entries.push_back(ValidateRequest(value));
    return out;
  }
  if (value.empty()) {
    out.entries.emplace_back(MakeError(nullptr, RpcError::kInvalidRequest, "empty batch"));
    return out;
  }
  out.batch = true;
  out.entries.reserve(value.size());
  for (const Json& entry : value) out.entries.push_back(ValidateRequest(entry));
  return out;
}

Json MakeResult(const Json& id, Json result) {
  return Json{{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}};
}

std::string_view ErrorTypeName(RpcError code) {
  switch (code) {
    case RpcError::kParseError: return "ParseError";
    case RpcError::kInvalidRequest: return "InvalidRequest";
    case RpcError::kMethodNotFound: return "MethodNotFound";
    case RpcError::kInvalidParams: return "InvalidParams";
    case RpcError::kNotFound: return "NotFound";
    case RpcError::kInvalidState: return "InvalidState";
    case RpcError::kUnsupported: return "Unsupported";
    case RpcError::kInternalError: break;
  }
  return "Internal";
}

Json MakeError(const Json& id, RpcError code, std::string_view message, Json data) {
  if (!data.is_object()) data = Json::object();
  if (!data.contains("type")) data["type"] = ErrorTypeName(code);
  Json error{{"code", static_cast<int>(code)}, {"message", message}, {"data", std::move(data)}};
  return Json{{"jsonrpc", "2.0"}, {"id", id}, {"error", std::move(error)}};
}

Json MakeErrorFromStatus(const Json& id, const Status& status) {
  std::string_view message = FromAbsl(status.message());
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument: {
      Json data = Json::object();
      if (auto field = ErrorField(status)) data["field"] = *field;
      return MakeError(id, RpcError::kInvalidParams, message, std::move(data));
    }
    case absl::StatusCode::kNotFound:
      return MakeError(id, RpcError::kNotFound, message);
    case absl::StatusCode::kFailedPrecondition:
      return MakeError(id, RpcError::kInvalidState, message);
    case absl::StatusCode::kUnimplemented:
      return MakeError(id, RpcError::kUnsupported, message);
    default:
      return MakeError(id, RpcError::kInternalError, message);
  }
}

Json MakeNotification(std::string_view method, Json params) {
  return Json{{"jsonrpc", "2.0"}, {"method", method}, {"params", std::move(params)}};
}

std::string Serialize(const Json& message) {
  return message.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace sfu::control
