#include "base/status.h"

#include "absl/strings/cord.h"
#include "base/str_cat.h"

namespace sfu {

Status InvalidParamsError(std::string_view field, std::string_view reason) {
  Status s = absl::InvalidArgumentError(ToAbsl(reason));
  s.SetPayload(ToAbsl(kFieldPayloadKey), absl::Cord(ToAbsl(field)));
  return s;
}

Status NotFoundError(std::string_view what) { return absl::NotFoundError(ToAbsl(what)); }
Status InvalidStateError(std::string_view what) {
  return absl::FailedPreconditionError(ToAbsl(what));
}
Status UnsupportedError(std::string_view what) { return absl::UnimplementedError(ToAbsl(what)); }

std::optional<std::string> ErrorField(const Status& status) {
  auto payload = status.GetPayload(ToAbsl(kFieldPayloadKey));
  if (!payload) return std::nullopt;
  return std::string(*payload);
}

}  // namespace sfu
