#pragma once
// The control API's schema document (control/schema/control-api.json) and a validator for
// the subset of JSON Schema 2020-12 (https://json-schema.org/draft/2020-12) it uses.
// Debian 12 packages no C++ JSON Schema library (nlohmann-json3-dev, the JSON library we
// use, has none), hence this subset.
//
// The document: {"$schema"?, "$comment"?, "title"?, "description"?, "$defs"?: {NAME:
// schema}, "methods": {METHOD: {"summary", "params": schema, "result": schema, "errors":
// [kind, ...]}}, "notifications"?: {NAME: {"summary", "params": schema}}}.
//
// Keywords: type (a name or an array of names), properties, required,
// additionalProperties (boolean or schema), items, prefixItems, enum, const, minimum,
// maximum, exclusiveMinimum, exclusiveMaximum, minLength, maxLength, minItems, maxItems,
// minProperties, maxProperties, allOf, anyOf, oneOf, not, $ref ("#/$defs/NAME" only),
// the boolean schemas true and false, and the annotations title, description, $comment,
// default, examples and deprecated. Any other keyword fails Compile, so the document
// cannot silently rely on one that is not checked. Differences from the specification:
// "integer" is a number written without fraction or exponent (1.0 is a float to
// nlohmann and to the handlers, so not an integer here); string lengths count code
// points, as the specification says (the handlers' own checks count bytes).
//
// Errors are InvalidParamsError (control/params.h style): the field's path from the
// request ("params", "params.rtpParameters.codecs[0].payloadType") and a reason in the
// handlers' words ("is required", "must be a string", "unknown field", "must be audio or
// video", "must be an integer in [0, 127]"). Validation recursion is bounded
// (kMaxDepth), since params come from untrusted clients and $ref can recurse.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "control/jsonrpc.h"

namespace sfu::control {

class JsonSchema {
 public:
  // Deepest nesting of schemas applied to one value (each $ref, combinator branch,
  // property and item is a level). The control API needs about 12.
  static constexpr int kMaxDepth = 96;

  // Compiles a schema document; fails (naming the place) on anything malformed or
  // unsupported.
  static StatusOr<JsonSchema> Compile(const Json& document);

  JsonSchema(JsonSchema&&) noexcept;
  JsonSchema& operator=(JsonSchema&&) noexcept;
  ~JsonSchema();

  bool HasMethod(std::string_view method) const;
  std::vector<std::string> Methods() const;        // Sorted.
  std::vector<std::string> Notifications() const;  // Sorted.

  // `params` is a request's params (absent params are an empty object), reported from
  // "params"; a result is reported from "result".
  Status ValidateParams(std::string_view method, const Json& params) const;
  Status ValidateResult(std::string_view method, const Json& result) const;
  Status ValidateNotification(std::string_view name, const Json& params) const;

  // Fails, listing them, when any of `methods` (a dispatcher's) has no entry.
  Status CheckCovers(const std::vector<std::string>& methods) const;

 private:
  struct Node;
  using NodeId = uint32_t;
  struct Method {
    NodeId params;
    NodeId result;
  };

  JsonSchema();
  Status CompileDocument(const Json& document);
  StatusOr<Method> CompileEntry(const Json& value, const std::string& where, bool method);
  StatusOr<NodeId> CompileSchema(const Json& schema, const std::string& where, int depth);
  Status BuildNode(const Json& schema, const std::string& where, int depth, Node& node);
  Status FinishNode(const std::string& where, const std::vector<std::string>& type_phrases,
                    Node& node) const;
  Status Validate(NodeId id, const Json& value, std::string& path, int depth) const;
  Status ValidateObject(const Node& node, const Json& value, std::string& path, int depth) const;
  Status ValidateArray(const Node& node, const Json& value, std::string& path, int depth) const;
  Status ValidateAlternatives(const std::vector<NodeId>& branches, bool exactly_one,
                              const Json& value, std::string& path, int depth) const;

  std::vector<Node> nodes_;
  std::map<std::string, NodeId, std::less<>> defs_;
  std::map<std::string, Method, std::less<>> methods_;
  std::map<std::string, NodeId, std::less<>> notifications_;
};

}  // namespace sfu::control
