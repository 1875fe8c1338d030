#pragma once
// Reading a request's params with errors that name the field and say why. Every getter
// returns InvalidParamsError (JSON-RPC -32602) with the field's path on bad input:
// "params" for the params as a whole, "params.NAME" for a member.

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "control/jsonrpc.h"

namespace sfu::control {

class Params {
 public:
  explicit Params(const Json& params) : params_(params) {}

  // Params must be an object whose keys are all in `allowed`.
  Status Only(std::initializer_list<std::string_view> allowed) const;

  StatusOr<std::optional<std::string>> OptionalString(std::string_view name) const;
  StatusOr<std::string> String(std::string_view name) const;
  StatusOr<std::optional<int64_t>> OptionalInt(std::string_view name, int64_t min,
                                               int64_t max) const;
  StatusOr<int64_t> Int(std::string_view name, int64_t min, int64_t max) const;
  StatusOr<std::optional<bool>> OptionalBool(std::string_view name) const;

 private:
  const Json* Find(std::string_view name) const;
  static std::string Path(std::string_view name);
  const Json& params_;
};

}  // namespace sfu::control
