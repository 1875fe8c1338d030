#include "control/control_api_schema.h"

#include "base/str_cat.h"

namespace sfu::control {

StatusOr<JsonSchema> CompileControlApiSchema() {
  Json document = Json::parse(ControlApiSchemaText(), nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) {
    return absl::InternalError("control/schema/control-api.json is not valid JSON");
  }
  auto schema = JsonSchema::Compile(document);
  if (!schema.ok()) {
    return absl::InternalError(
        StrCat("control/schema/control-api.json: ", FromAbsl(schema.status().message())));
  }
  return schema;
}

}  // namespace sfu::control
