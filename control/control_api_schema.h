#pragma once
// The control API's schema, control/schema/control-api.json: the single description of
// every method's params and result and of every notification. The build embeds the file
// (cmake/EmbedText.cmake); the server validates each request against it (Dispatcher::
// SetSchema) and refuses to start when a registered method has no entry.

#include <string_view>

#include "base/status.h"
#include "control/json_schema.h"

namespace sfu::control {

// The file's text, as it was when the program was built.
std::string_view ControlApiSchemaText();

// Parses and compiles it; fails only when the file is broken, which a unit test catches.
StatusOr<JsonSchema> CompileControlApiSchema();

}  // namespace sfu::control
