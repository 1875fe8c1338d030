#include "control/params.h"

#include <algorithm>

#include "base/str_cat.h"

namespace sfu::control {

std::string Params::Path(std::string_view name) { return StrCat("params.", name); }

const Json* Params::Find(std::string_view name) const {
  if (!params_.is_object()) return nullptr;
  auto it = params_.find(name);
  return it == params_.end() ? nullptr : &*it;
}

Status Params::Only(std::initializer_list<std::string_view> allowed) const {
  if (!params_.is_object()) return InvalidParamsError("params", "must be an object");
  for (const auto& [key, value] : params_.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      return InvalidParamsError(Path(key), "unknown field");
    }
  }
  return absl::OkStatus();
}

StatusOr<std::optional<std::string>> Params::OptionalString(std::string_view name) const {
  const Json* v = Find(name);
  if (!v) return std::optional<std::string>();
  if (!v->is_string()) return InvalidParamsError(Path(name), "must be a string");
  return std::optional<std::string>(v->get<std::string>());
}

StatusOr<std::string> Params::String(std::string_view name) const {
  auto v = OptionalString(name);
  if (!v.ok()) return v.status();
  if (!*v) return InvalidParamsError(Path(name), "is required");
  return std::move(**v);
}

StatusOr<std::optional<int64_t>> Params::OptionalInt(std::string_view name, int64_t min,
                                                     int64_t max) const {
  const Json* v = Find(name);
  if (!v) return std::optional<int64_t>();
  if (!v->is_number_integer()) return InvalidParamsError(Path(name), "must be an integer");
  // Unsigned values beyond int64 are out of every range we accept.
  if (v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
    return InvalidParamsError(Path(name), StrCat("must be in ", min, "..", max));
  }
  int64_t n = v->get<int64_t>();
  if (n < min || n > max) {
    return InvalidParamsError(Path(name), StrCat("must be in ", min, "..", max));
  }
  return std::optional<int64_t>(n);
}

StatusOr<int64_t> Params::Int(std::string_view name, int64_t min, int64_t max) const {
  auto v = OptionalInt(name, min, max);
  if (!v.ok()) return v.status();
  if (!*v) return InvalidParamsError(Path(name), "is required");
  return **v;
}

StatusOr<std::optional<bool>> Params::OptionalBool(std::string_view name) const {
  const Json* v = Find(name);
  if (!v) return std::optional<bool>();
  if (!v->is_boolean()) return InvalidParamsError(Path(name), "must be a boolean");
  return std::optional<bool>(v->get<bool>());
}

}  // namespace sfu::control
