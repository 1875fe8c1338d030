#pragma once
// Control-path errors are absl::Status values. The kinds the control API names map onto
// absl codes; the dispatcher alone turns them into JSON-RPC errors.
//   InvalidParams -> kInvalidArgument (with the offending field path as a payload)
//   NotFound      -> kNotFound
//   InvalidState  -> kFailedPrecondition
//   Unsupported   -> kUnimplemented

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace sfu {

using absl::Status;
using absl::StatusOr;

inline constexpr std::string_view kFieldPayloadKey = "sfu/field";

// An invalid parameter: `field` is its path from the request ("params",
// "params.routerId", "params.rtpParameters.encodings[0].rid").
Status InvalidParamsError(std::string_view field, std::string_view reason);
Status NotFoundError(std::string_view what);
Status InvalidStateError(std::string_view what);
Status UnsupportedError(std::string_view what);

// The field path carried by an InvalidParamsError, if any.
std::optional<std::string> ErrorField(const Status& status);

}  // namespace sfu
