#include "control/json_schema.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <utility>

#include "base/str_cat.h"

namespace sfu::control {
namespace {

constexpr uint32_t kNone = UINT32_MAX;

// Type bits; an integer value has both kInteger and kNumber.
constexpr uint8_t kNull = 1, kBoolean = 2, kObject = 4, kArray = 8, kNumber = 16, kInteger = 32,
                  kString = 64;

struct TypeName {
  std::string_view name;
  uint8_t bit;
  std::string_view phrase;  // As in "must be a string".
};
constexpr TypeName kTypes[] = {
    {"null", kNull, "null"},       {"boolean", kBoolean, "a boolean"},
    {"object", kObject, "an object"}, {"array", kArray, "an array"},
    {"number", kNumber, "a number"}, {"integer", kInteger, "an integer"},
    {"string", kString, "a string"},
};

constexpr std::string_view kErrorKinds[] = {"InvalidParams", "NotFound", "InvalidState",
                                            "Unsupported", "Internal"};
constexpr std::string_view kAnnotations[] = {"title", "description", "$comment",
                                             "default", "examples", "deprecated"};
constexpr std::string_view kDraft = "https://json-schema.org/draft/2020-12/schema";

uint8_t TypeOf(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null: return kNull;
    case Json::value_t::boolean: return kBoolean;
    case Json::value_t::object: return kObject;
    case Json::value_t::array: return kArray;
    case Json::value_t::string: return kString;
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned: return kInteger | kNumber;
    case Json::value_t::number_float: return kNumber;
    default: return 0;  // binary, discarded: never valid.
  }
}

// An integer as sign and magnitude, so that every int64 and uint64 compares exactly.
struct Integer {
  bool negative;
  uint64_t magnitude;
};

Integer ToInteger(const Json& v) {
  if (v.is_number_unsigned()) return {false, v.get<uint64_t>()};
  int64_t n = v.get<int64_t>();
  if (n >= 0) return {false, static_cast<uint64_t>(n)};
  return {true, static_cast<uint64_t>(-(n + 1)) + 1};
}

// -1, 0 or 1 as a < b, a == b, a > b (both numbers; NaN compares unordered: 2).
int CompareNumbers(const Json& a, const Json& b) {
  if (a.is_number_integer() && b.is_number_integer()) {
    Integer x = ToInteger(a), y = ToInteger(b);
    if (x.negative != y.negative) return x.negative ? -1 : 1;
    int c = x.magnitude < y.magnitude ? -1 : (x.magnitude > y.magnitude ? 1 : 0);
    return x.negative ? -c : c;
  }
  long double x = a.get<long double>(), y = b.get<long double>();
  if (std::isnan(x) || std::isnan(y)) return 2;
  return x < y ? -1 : (x > y ? 1 : 0);
}

// Unicode code points in valid UTF-8 (the parser refuses invalid UTF-8).
size_t CodePoints(const std::string& s) {
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

// A value as it appears in a message: strings bare ("must be audio or video").
std::string Text(const Json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

// "a", "a or b", "a, b or c".
std::string OrList(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += i + 1 == items.size() ? " or " : ", ";
    out += items[i];
  }
  return out;
}

// Path depth of an error's field: "params.a[0].b" is 3.
size_t FieldDepth(const Status& status) {
  std::string field = ErrorField(status).value_or("");
  return static_cast<size_t>(std::count_if(field.begin(), field.end(),
                                           [](char c) { return c == '.' || c == '['; }));
}

Status Malformed(const std::string& where, std::string_view what) {
  return absl::InvalidArgumentError(StrCat("schema ", where.empty() ? "/" : where, ": ", what));
}

bool IsNonNegativeInteger(const Json& v) {
  return v.is_number_unsigned() || (v.is_number_integer() && v.get<int64_t>() >= 0);
}

std::string Joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) StrAppend(&out, out.empty() ? "" : ", ", s);
  return out;
}

// "type": a name or an array of names, into bits and the phrases of its message.
Status ReadTypes(const Json& value, const std::string& at, uint8_t& types,
                 std::vector<std::string>& phrases) {
  std::vector<Json> names = value.is_array() ? value.get<std::vector<Json>>() : std::vector<Json>{value};
  if (names.empty()) return Malformed(at, "must not be empty");
  for (const Json& name : names) {
    const auto* t = std::find_if(std::begin(kTypes), std::end(kTypes), [&](const TypeName& tn) {
      return name.is_string() && tn.name == name.get<std::string>();
    });
    if (t == std::end(kTypes)) return Malformed(at, StrCat("unknown type ", name.dump()));
    if (types & t->bit) return Malformed(at, StrCat("repeats ", name.dump()));
    types = static_cast<uint8_t>(types | t->bit);
    phrases.emplace_back(t->phrase);
  }
  return absl::OkStatus();
}

// The NAME of a "$ref": "#/$defs/NAME" (JSON Pointer escapes undone, RFC 6901); "" for
// any other reference.
std::string DefName(const Json& ref) {
  static constexpr std::string_view kPrefix = "#/$defs/";
  std::string text = ref.is_string() ? ref.get<std::string>() : "";
  if (!text.starts_with(kPrefix)) return "";
  std::string name;
  for (size_t i = kPrefix.size(); i < text.size(); ++i) {
    if (text[i] == '/') return "";
    if (text[i] == '~' && i + 1 < text.size() && (text[i + 1] == '0' || text[i + 1] == '1')) {
      name += text[++i] == '0' ? '~' : '/';
    } else {
      name += text[i];
    }
  }
  return name;
}

bool IsAnnotation(std::string_view key) {
  return std::find(std::begin(kAnnotations), std::end(kAnnotations), key) != std::end(kAnnotations);
}

Status CheckAnnotation(std::string_view key, const Json& value, const std::string& at) {
  if (key == "examples") return value.is_array() ? absl::OkStatus() : Malformed(at, "must be an array");
  if (key == "deprecated") return value.is_boolean() ? absl::OkStatus() : Malformed(at, "must be a boolean");
  if (key == "default") return absl::OkStatus();
  return value.is_string() ? absl::OkStatus() : Malformed(at, "must be a string");
}

}  // namespace

struct JsonSchema::Node {
  bool never = false;  // The schema `false`.
  NodeId ref = kNone;
  uint8_t types = 0;  // Bits of kTypes; 0 for any.
  std::string type_reason;
  std::optional<Json> const_value;
  std::optional<std::vector<Json>> enum_values;
  std::string value_reason;  // For const and enum.
  std::optional<Json> minimum, maximum, exclusive_minimum, exclusive_maximum;
  std::string range_reason;
  std::optional<uint64_t> min_length, max_length, min_items, max_items, min_properties,
      max_properties;
  std::string length_reason;
  std::map<std::string, NodeId, std::less<>> properties;
  std::vector<std::string> required;  // In the schema's order: the order of the checks.
  NodeId additional = kNone;
  std::vector<NodeId> prefix_items;
  NodeId items = kNone;
  std::vector<NodeId> all_of, any_of, one_of;
  NodeId negated = kNone;
};

JsonSchema::JsonSchema() = default;
JsonSchema::JsonSchema(JsonSchema&&) noexcept = default;
JsonSchema& JsonSchema::operator=(JsonSchema&&) noexcept = default;
JsonSchema::~JsonSchema() = default;

StatusOr<JsonSchema> JsonSchema::Compile(const Json& document) {
  JsonSchema schema;
  if (Status st = schema.CompileDocument(document); !st.ok()) return st;
  return schema;
}

Status JsonSchema::CompileDocument(const Json& document) {
  if (!document.is_object()) return Malformed("", "the document must be an object");
  for (const auto& [key, value] : document.items()) {
    static constexpr std::string_view kKeys[] = {"$schema", "$comment", "title", "description",
                                                 "$defs", "methods", "notifications"};
    if (std::find(std::begin(kKeys), std::end(kKeys), key) == std::end(kKeys)) {
      return Malformed("", StrCat("unknown member \"", key, "\""));
    }
  }
  if (document.contains("$schema") && document["$schema"] != std::string(kDraft)) {
    return Malformed("/$schema", StrCat("must be \"", kDraft, "\""));
  }
  if (document.contains("$defs")) {
    const Json& defs = document["$defs"];
    if (!defs.is_object()) return Malformed("/$defs", "must be an object");
    // Every name first, so that definitions may refer to each other in any order.
    for (const auto& [name, def] : defs.items()) {
      defs_[name] = static_cast<NodeId>(nodes_.size());
      nodes_.emplace_back();
    }
    for (const auto& [name, def] : defs.items()) {
      Node node;
      if (Status st = BuildNode(def, StrCat("/$defs/", name), 0, node); !st.ok()) return st;
      nodes_[defs_[name]] = std::move(node);
    }
  }
  if (!document.contains("methods") || !document["methods"].is_object()) {
    return Malformed("/methods", "is required (an object)");
  }
  for (const auto& [name, value] : document["methods"].items()) {
    auto m = CompileEntry(value, StrCat("/methods/", name), true);
    if (!m.ok()) return m.status();
    methods_.emplace(name, *m);
  }
  if (document.contains("notifications")) {
    const Json& notifications = document["notifications"];
    if (!notifications.is_object()) return Malformed("/notifications", "must be an object");
    for (const auto& [name, value] : notifications.items()) {
      auto n = CompileEntry(value, StrCat("/notifications/", name), false);
      if (!n.ok()) return n.status();
      notifications_.emplace(name, n->params);
    }
  }
  return absl::OkStatus();
}

// One entry of "methods" (method true) or "notifications".
StatusOr<JsonSchema::Method> JsonSchema::CompileEntry(const Json& value, const std::string& where,
                                                      bool method) {
  if (!value.is_object()) return Malformed(where, "must be an object");
  std::vector<std::string_view> keys = {"summary", "params"};
  if (method) keys.insert(keys.end(), {"result", "errors"});
  for (const auto& [key, member] : value.items()) {
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
      return Malformed(where, StrCat("unknown member \"", key, "\""));
    }
  }
  for (std::string_view key : keys) {
    if (!value.contains(key)) return Malformed(where, StrCat("\"", key, "\" is required"));
  }
  if (!value["summary"].is_string()) return Malformed(where + "/summary", "must be a string");
  if (method) {
    const Json& errors = value["errors"];
    if (!errors.is_array()) return Malformed(where + "/errors", "must be an array");
    for (const Json& e : errors) {
      if (!e.is_string() || std::find(std::begin(kErrorKinds), std::end(kErrorKinds),
                                      e.get<std::string>()) == std::end(kErrorKinds)) {
        return Malformed(where + "/errors",
                         "must list InvalidParams, NotFound, InvalidState, Unsupported, Internal");
      }
    }
  }
  auto params = CompileSchema(value["params"], where + "/params", 0);
  if (!params.ok()) return params.status();
  Method m{*params, kNone};
  if (method) {
    auto result = CompileSchema(value["result"], where + "/result", 0);
    if (!result.ok()) return result.status();
    m.result = *result;
  }
  return m;
}

StatusOr<JsonSchema::NodeId> JsonSchema::CompileSchema(const Json& schema, const std::string& where,
                                                       int depth) {
  if (depth > kMaxDepth) return Malformed(where, "nested too deeply");
  Node node;
  if (Status st = BuildNode(schema, where, depth, node); !st.ok()) return st;
  nodes_.push_back(std::move(node));
  return static_cast<NodeId>(nodes_.size() - 1);
}

// Reads one schema object into `node` (not an element of nodes_: compiling subschemas
// appends to it).
Status JsonSchema::BuildNode(const Json& schema, const std::string& where, int depth, Node& node) {
  if (schema.is_boolean()) {
    node.never = !schema.get<bool>();
    return absl::OkStatus();
  }
  if (!schema.is_object()) return Malformed(where, "a schema must be an object or a boolean");
  static constexpr std::pair<std::string_view, std::optional<uint64_t> Node::*> kCounts[] = {
      {"minLength", &Node::min_length}, {"maxLength", &Node::max_length},
      {"minItems", &Node::min_items},   {"maxItems", &Node::max_items},
      {"minProperties", &Node::min_properties}, {"maxProperties", &Node::max_properties}};
  static constexpr std::pair<std::string_view, std::optional<Json> Node::*> kBounds[] = {
      {"minimum", &Node::minimum}, {"maximum", &Node::maximum},
      {"exclusiveMinimum", &Node::exclusive_minimum}, {"exclusiveMaximum", &Node::exclusive_maximum}};
  static constexpr std::pair<std::string_view, std::vector<NodeId> Node::*> kLists[] = {
      {"allOf", &Node::all_of}, {"anyOf", &Node::any_of}, {"oneOf", &Node::one_of},
      {"prefixItems", &Node::prefix_items}};
  static constexpr std::pair<std::string_view, NodeId Node::*> kSingles[] = {
      {"items", &Node::items}, {"additionalProperties", &Node::additional}, {"not", &Node::negated}};
  std::vector<std::string> type_phrases;
  for (auto member = schema.begin(); member != schema.end(); ++member) {
    const std::string& key = member.key();
    const Json& value = member.value();
    std::string at = StrCat(where, "/", key);
    auto is = [&key](const auto& entry) { return entry.first == key; };
    if (const auto* c = std::find_if(std::begin(kCounts), std::end(kCounts), is); c != std::end(kCounts)) {
      if (!IsNonNegativeInteger(value)) return Malformed(at, "must be a non-negative integer");
      node.*(c->second) = value.get<uint64_t>();
    } else if (const auto* b = std::find_if(std::begin(kBounds), std::end(kBounds), is);
               b != std::end(kBounds)) {
      if (!value.is_number()) return Malformed(at, "must be a number");
      node.*(b->second) = value;
    } else if (const auto* l = std::find_if(std::begin(kLists), std::end(kLists), is);
               l != std::end(kLists)) {
      if (!value.is_array() || value.empty()) return Malformed(at, "must be a non-empty array");
      for (size_t i = 0; i < value.size(); ++i) {
        auto id = CompileSchema(value[i], StrCat(at, "/", i), depth + 1);
        if (!id.ok()) return id.status();
        (node.*(l->second)).push_back(*id);
      }
    } else if (const auto* s = std::find_if(std::begin(kSingles), std::end(kSingles), is);
               s != std::end(kSingles)) {
      auto id = CompileSchema(value, at, depth + 1);
      if (!id.ok()) return id.status();
      node.*(s->second) = *id;
    } else if (key == "type") {
      if (Status st = ReadTypes(value, at, node.types, type_phrases); !st.ok()) return st;
    } else if (key == "properties") {
      if (!value.is_object()) return Malformed(at, "must be an object");
      for (const auto& [name, sub] : value.items()) {
        auto id = CompileSchema(sub, StrCat(at, "/", name), depth + 1);
        if (!id.ok()) return id.status();
        node.properties[name] = *id;
      }
    } else if (key == "required") {
      if (!value.is_array()) return Malformed(at, "must be an array of strings");
      for (const Json& name : value) {
        if (!name.is_string()) return Malformed(at, "must be an array of strings");
        std::string text = name.get<std::string>();
        if (std::find(node.required.begin(), node.required.end(), text) != node.required.end()) {
          return Malformed(at, StrCat("repeats ", name.dump()));
        }
        node.required.push_back(std::move(text));
      }
    } else if (key == "enum") {
      if (!value.is_array() || value.empty()) return Malformed(at, "must be a non-empty array");
      node.enum_values = value.get<std::vector<Json>>();
    } else if (key == "const") {
      node.const_value = value;
    } else if (key == "$ref") {
      auto it = defs_.find(DefName(value));
      if (it == defs_.end()) return Malformed(at, "must be \"#/$defs/NAME\" naming a definition");
      node.ref = it->second;
    } else if (IsAnnotation(key)) {
      if (Status st = CheckAnnotation(key, value, at); !st.ok()) return st;
    } else {
      return Malformed(where, StrCat("unknown keyword \"", key, "\""));
    }
  }
  return FinishNode(where, type_phrases, node);
}

// Consistency checks, and the reasons errors give (made once, here).
Status JsonSchema::FinishNode(const std::string& where, const std::vector<std::string>& type_phrases,
                              Node& node) const {
  const std::pair<const std::optional<uint64_t>&, const std::optional<uint64_t>&> ranges[] = {
      {node.min_length, node.max_length}, {node.min_items, node.max_items},
      {node.min_properties, node.max_properties}};
  for (const auto& [low, high] : ranges) {
    if (low && high && *low > *high) return Malformed(where, "a minimum exceeds its maximum");
  }
  if (node.additional != kNone && nodes_[node.additional].never) {
    for (const std::string& name : node.required) {
      if (!node.properties.contains(name)) {
        return Malformed(where, StrCat("requires \"", name, "\", which additionalProperties forbids"));
      }
    }
  }
  std::string noun = node.types == kInteger ? "an integer " : (node.types == kNumber ? "a number " : "");
  if (node.minimum && node.maximum && !node.exclusive_minimum && !node.exclusive_maximum) {
    node.range_reason = StrCat("must be ", noun, "in [", node.minimum->dump(), ", ", node.maximum->dump(), "]");
  } else {
    std::string bounds;
    auto add = [&bounds](std::string_view op, const std::optional<Json>& bound) {
      if (bound) StrAppend(&bounds, bounds.empty() ? "" : " and ", op, " ", bound->dump());
    };
    add(">=", node.minimum);
    add(">", node.exclusive_minimum);
    add("<=", node.maximum);
    add("<", node.exclusive_maximum);
    node.range_reason = StrCat("must be ", noun, bounds);
  }
  // An integer with both bounds says so for any failure, as the handlers do
  // ("must be an integer in [0, 127]").
  bool bounded_integer = node.types == kInteger && node.minimum && node.maximum &&
                         !node.exclusive_minimum && !node.exclusive_maximum;
  node.type_reason = bounded_integer ? node.range_reason : StrCat("must be ", OrList(type_phrases));
  if (node.enum_values) {
    std::vector<std::string> texts;
    for (const Json& v : *node.enum_values) texts.push_back(Text(v));
    node.value_reason = StrCat("must be ", OrList(texts));
  }
  if (node.min_length && node.max_length) {
    node.length_reason = StrCat("must be ", *node.min_length, "-", *node.max_length, " characters");
  } else if (node.min_length) {
    node.length_reason = *node.min_length == 1 ? std::string("must not be empty")
                                               : StrCat("must be at least ", *node.min_length, " characters");
  } else if (node.max_length) {
    node.length_reason = StrCat("must be at most ", *node.max_length, " characters");
  }
  return absl::OkStatus();
}

bool JsonSchema::HasMethod(std::string_view method) const { return methods_.contains(method); }

std::vector<std::string> JsonSchema::Methods() const {
  std::vector<std::string> out;
  for (const auto& [name, m] : methods_) out.push_back(name);
  return out;
}

std::vector<std::string> JsonSchema::Notifications() const {
  std::vector<std::string> out;
  for (const auto& [name, id] : notifications_) out.push_back(name);
  return out;
}

Status JsonSchema::ValidateParams(std::string_view method, const Json& params) const {
  auto it = methods_.find(method);
  if (it == methods_.end()) return absl::InternalError(StrCat("no schema for method ", method));
  std::string path = "params";
  return Validate(it->second.params, params, path, 0);
}

Status JsonSchema::ValidateResult(std::string_view method, const Json& result) const {
  auto it = methods_.find(method);
  if (it == methods_.end()) return absl::InternalError(StrCat("no schema for method ", method));
  std::string path = "result";
  return Validate(it->second.result, result, path, 0);
}

Status JsonSchema::ValidateNotification(std::string_view name, const Json& params) const {
  auto it = notifications_.find(name);
  if (it == notifications_.end()) return absl::InternalError(StrCat("no schema for notification ", name));
  std::string path = "params";
  return Validate(it->second, params, path, 0);
}

Status JsonSchema::CheckCovers(const std::vector<std::string>& methods) const {
  std::vector<std::string> missing;
  for (const std::string& m : methods) {
    if (!HasMethod(m)) missing.push_back(m);
  }
  if (missing.empty()) return absl::OkStatus();
  return absl::FailedPreconditionError(
      StrCat("control/schema/control-api.json has no entry for registered method(s): ", Joined(missing)));
}

// `path` is the value's field path; it is extended for members and items and restored
// on success (a failure's path is in its status).
Status JsonSchema::Validate(NodeId id, const Json& value, std::string& path, int depth) const {
  if (depth > kMaxDepth) return InvalidParamsError(path, "is nested too deeply");
  const Node& node = nodes_[id];
  if (node.never) return InvalidParamsError(path, "is not allowed");
  if (node.ref != kNone) {
    if (Status st = Validate(node.ref, value, path, depth + 1); !st.ok()) return st;
  }
  if (node.types != 0 && (TypeOf(value) & node.types) == 0) return InvalidParamsError(path, node.type_reason);
  if (node.const_value && value != *node.const_value) {
    return InvalidParamsError(path, StrCat("must be ", Text(*node.const_value)));
  }
  if (node.enum_values &&
      std::find(node.enum_values->begin(), node.enum_values->end(), value) == node.enum_values->end()) {
    return InvalidParamsError(path, node.value_reason);
  }
  if (value.is_number()) {
    auto fails = [&value](const std::optional<Json>& bound, auto ok) {
      if (!bound) return false;
      int c = CompareNumbers(value, *bound);
      return c == 2 || !ok(c);
    };
    if (fails(node.minimum, [](int c) { return c >= 0; }) ||
        fails(node.exclusive_minimum, [](int c) { return c > 0; }) ||
        fails(node.maximum, [](int c) { return c <= 0; }) ||
        fails(node.exclusive_maximum, [](int c) { return c < 0; })) {
      return InvalidParamsError(path, node.range_reason);
    }
  }
  if (value.is_string() && (node.min_length || node.max_length)) {
    size_t n = CodePoints(value.get_ref<const std::string&>());
    if ((node.min_length && n < *node.min_length) || (node.max_length && n > *node.max_length)) {
      return InvalidParamsError(path, node.length_reason);
    }
  }
  if (value.is_array()) {
    if (Status st = ValidateArray(node, value, path, depth); !st.ok()) return st;
  }
  if (value.is_object()) {
    if (Status st = ValidateObject(node, value, path, depth); !st.ok()) return st;
  }
  for (NodeId sub : node.all_of) {
    if (Status st = Validate(sub, value, path, depth + 1); !st.ok()) return st;
  }
  if (!node.any_of.empty()) {
    if (Status st = ValidateAlternatives(node.any_of, false, value, path, depth); !st.ok()) return st;
  }
  if (!node.one_of.empty()) {
    if (Status st = ValidateAlternatives(node.one_of, true, value, path, depth); !st.ok()) return st;
  }
  if (node.negated != kNone) {
    size_t mark = path.size();
    Status st = Validate(node.negated, value, path, depth + 1);
    path.resize(mark);
    if (st.ok()) return InvalidParamsError(path, "is not allowed");
  }
  return absl::OkStatus();
}

// Members in an order close to the handlers': unknown ones first (as Params::Only), then
// the members present (the required ones in the schema's order first), then the
// required ones missing. A malformed member is reported before a missing one.
Status JsonSchema::ValidateObject(const Node& node, const Json& value, std::string& path,
                                  int depth) const {
  size_t mark = path.size();
  auto member = [&](NodeId id, const std::string& key, const Json& v) {
    StrAppend(&path, ".", key);
    Status st = Validate(id, v, path, depth + 1);
    if (st.ok()) path.resize(mark);
    return st;
  };
  auto is_required = [&node](const std::string& key) {
    return std::find(node.required.begin(), node.required.end(), key) != node.required.end();
  };
  bool closed = node.additional != kNone && nodes_[node.additional].never;
  if (closed) {
    for (const auto& [key, v] : value.items()) {
      if (!node.properties.contains(key)) {
        StrAppend(&path, ".", key);
        return InvalidParamsError(path, "unknown field");
      }
    }
  }
  for (const std::string& name : node.required) {
    auto it = value.find(name);
    auto prop = node.properties.find(name);
    if (it == value.end() || prop == node.properties.end()) continue;
    if (Status st = member(prop->second, name, *it); !st.ok()) return st;
  }
  for (const auto& [key, v] : value.items()) {
    auto prop = node.properties.find(key);
    if (prop != node.properties.end() && is_required(key)) continue;  // Done above.
    NodeId id = prop != node.properties.end() ? prop->second : node.additional;
    if (id == kNone) continue;
    if (Status st = member(id, key, v); !st.ok()) return st;
  }
  for (const std::string& name : node.required) {
    if (!value.contains(name)) {
      StrAppend(&path, ".", name);
      return InvalidParamsError(path, "is required");
    }
  }
  if (node.min_properties && value.size() < *node.min_properties) {
    return InvalidParamsError(path, *node.min_properties == 1
                                        ? std::string("must have at least one member")
                                        : StrCat("must have at least ", *node.min_properties, " members"));
  }
  if (node.max_properties && value.size() > *node.max_properties) {
    return InvalidParamsError(path, StrCat("must have at most ", *node.max_properties, " members"));
  }
  return absl::OkStatus();
}

Status JsonSchema::ValidateArray(const Node& node, const Json& value, std::string& path, int depth) const {
  if (node.min_items && value.size() < *node.min_items) {
    return InvalidParamsError(path, *node.min_items == 1
                                        ? std::string("must be a non-empty array")
                                        : StrCat("must have at least ", *node.min_items, " items"));
  }
  if (node.max_items && value.size() > *node.max_items) {
    return InvalidParamsError(path, StrCat("must have at most ", *node.max_items, " items"));
  }
  size_t mark = path.size();
  for (size_t i = 0; i < value.size(); ++i) {
    NodeId id = i < node.prefix_items.size() ? node.prefix_items[i] : node.items;
    if (id == kNone) continue;
    StrAppend(&path, "[", i, "]");
    if (Status st = Validate(id, value[i], path, depth + 1); !st.ok()) return st;
    path.resize(mark);
  }
  return absl::OkStatus();
}

// anyOf (exactly_one false) or oneOf. When every branch fails, the error is the one that
// got furthest into the value (the first such), its reasons merged with the other
// branches' at the same field: anyOf [{const: all}, {type: array}] gives "must be all or
// an array".
Status JsonSchema::ValidateAlternatives(const std::vector<NodeId>& branches, bool exactly_one,
                                        const Json& value, std::string& path, int depth) const {
  size_t mark = path.size();
  std::vector<Status> failures;
  size_t matched = 0;
  for (NodeId id : branches) {
    Status st = Validate(id, value, path, depth + 1);
    path.resize(mark);
    if (st.ok()) {
      if (!exactly_one) return st;
      ++matched;
    } else {
      failures.push_back(std::move(st));
    }
  }
  if (matched == 1) return absl::OkStatus();
  if (matched > 1) return InvalidParamsError(path, "must match exactly one of its alternatives");
  const Status* best = &failures.front();
  for (const Status& st : failures) {
    if (FieldDepth(st) > FieldDepth(*best)) best = &st;
  }
  std::optional<std::string> field = ErrorField(*best);
  if (!field) return *best;
  std::vector<std::string> reasons;
  bool all_must_be = true;
  for (const Status& st : failures) {
    std::string reason(st.message());
    if (ErrorField(st) != field ||
        std::find(reasons.begin(), reasons.end(), reason) != reasons.end()) {
      continue;
    }
    all_must_be = all_must_be && reason.starts_with("must be ");
    reasons.push_back(std::move(reason));
  }
  if (reasons.size() == 1) return *best;
  std::string merged;
  for (const std::string& r : reasons) {
    if (merged.empty()) {
      merged = r;
    } else {
      StrAppend(&merged, all_must_be ? " or " : "; or ", all_must_be ? r.substr(8) : r);
    }
  }
  return InvalidParamsError(*field, merged);
}

}  // namespace sfu::control
