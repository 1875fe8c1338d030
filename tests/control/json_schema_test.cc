#include "control/json_schema.h"

#include <gtest/gtest.h>

#include <string>

#include "base/log.h"
#include "base/str_cat.h"
#include "control/control_api_schema.h"

namespace sfu::control {
namespace {

// A document with one method "m" whose params are `params`, and `defs`.
Json Document(Json params, Json defs = Json::object()) {
  return {{"$schema", "https://json-schema.org/draft/2020-12/schema"},
          {"$defs", std::move(defs)},
          {"methods",
           {{"m", {{"summary", "test"}, {"params", std::move(params)}, {"result", true},
                   {"errors", {"InvalidParams"}}}}}}};
}

JsonSchema Compiled(Json params, Json defs = Json::object()) {
  auto schema = JsonSchema::Compile(Document(std::move(params), std::move(defs)));
  EXPECT_TRUE(schema.ok()) << schema.status();
  return std::move(*schema);
}

// "FIELD: REASON" for an invalid value, "ok" for a valid one.
std::string Check(const JsonSchema& schema, const Json& params) {
  Status st = schema.ValidateParams("m", params);
  if (st.ok()) return "ok";
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  return ErrorField(st).value_or("(no field)") + ": " + std::string(st.message());
}

Status CompileError(Json params, Json defs = Json::object()) {
  auto schema = JsonSchema::Compile(Document(std::move(params), std::move(defs)));
  return schema.ok() ? absl::OkStatus() : schema.status();
}

TEST(JsonSchemaTest, Type) {
  JsonSchema s = Compiled({{"type", "object"},
                           {"properties",
                            {{"s", {{"type", "string"}}},
                             {"i", {{"type", "integer"}}},
                             {"n", {{"type", "number"}}},
                             {"b", {{"type", "boolean"}}},
                             {"a", {{"type", "array"}}},
                             {"z", {{"type", "null"}}},
                             {"u", {{"type", {"string", "integer"}}}}}}});
  EXPECT_EQ(Check(s, {{"s", "x"}, {"i", -3}, {"n", 1.5}, {"b", false}, {"a", Json::array()},
                      {"z", nullptr}, {"u", 7}}),
            "ok");
  EXPECT_EQ(Check(s, {{"n", 3}}), "ok");  // An integer is a number.
  EXPECT_EQ(Check(s, Json::array()), "params: must be an object");
  EXPECT_EQ(Check(s, {{"s", 1}}), "params.s: must be a string");
  EXPECT_EQ(Check(s, {{"i", 1.0}}), "params.i: must be an integer");  // As the handlers.
  EXPECT_EQ(Check(s, {{"i", "1"}}), "params.i: must be an integer");
  EXPECT_EQ(Check(s, {{"n", "1"}}), "params.n: must be a number");
  EXPECT_EQ(Check(s, {{"b", 0}}), "params.b: must be a boolean");
  EXPECT_EQ(Check(s, {{"a", Json::object()}}), "params.a: must be an array");
  EXPECT_EQ(Check(s, {{"z", 0}}), "params.z: must be null");
  EXPECT_EQ(Check(s, {{"u", true}}), "params.u: must be a string or an integer");
}

TEST(JsonSchemaTest, RequiredAndAdditionalProperties) {
  JsonSchema s = Compiled({{"type", "object"},
                           {"required", {"b", "a"}},
                           {"properties", {{"a", {{"type", "string"}}}, {"b", {{"type", "string"}}},
                                           {"c", {{"type", "string"}}}}},
                           {"additionalProperties", false}});
  EXPECT_EQ(Check(s, {{"a", "x"}, {"b", "y"}}), "ok");
  EXPECT_EQ(Check(s, {{"a", "x"}}), "params.b: is required");
  // Missing members in the schema's order; a malformed member before any missing one.
  EXPECT_EQ(Check(s, Json::object()), "params.b: is required");
  EXPECT_EQ(Check(s, {{"b", 1}}), "params.b: must be a string");
  EXPECT_EQ(Check(s, {{"c", 1}}), "params.c: must be a string");
  // Unknown members first, as Params::Only.
  EXPECT_EQ(Check(s, {{"typo", 1}}), "params.typo: unknown field");
  EXPECT_EQ(Check(s, {{"a", "x"}, {"b", "y"}, {"c", 5}}), "params.c: must be a string");

  JsonSchema map = Compiled({{"type", "object"}, {"additionalProperties", {{"type", "integer"}}}});
  EXPECT_EQ(Check(map, {{"x", 1}, {"y", 2}}), "ok");
  EXPECT_EQ(Check(map, {{"x", 1}, {"y", "2"}}), "params.y: must be an integer");

  JsonSchema open = Compiled({{"type", "object"}, {"properties", {{"a", {{"type", "string"}}}}}});
  EXPECT_EQ(Check(open, {{"b", 1}}), "ok");
}

TEST(JsonSchemaTest, MinAndMaxProperties) {
  JsonSchema s = Compiled({{"type", "object"}, {"minProperties", 1}, {"maxProperties", 2}});
  EXPECT_EQ(Check(s, {{"a", 1}}), "ok");
  EXPECT_EQ(Check(s, Json::object()), "params: must have at least one member");
  EXPECT_EQ(Check(s, {{"a", 1}, {"b", 2}, {"c", 3}}), "params: must have at most 2 members");
}

TEST(JsonSchemaTest, EnumAndConst) {
  JsonSchema s = Compiled({{"type", "object"},
                           {"properties",
                            {{"kind", {{"type", "string"}, {"enum", {"audio", "video"}}}},
                             {"role", {{"enum", {"client", "server", "auto"}}}},
                             {"n", {{"enum", {1, 2}}}},
                             {"c", {{"const", "all"}}}}}});
  EXPECT_EQ(Check(s, {{"kind", "video"}, {"role", "auto"}, {"n", 2}, {"c", "all"}}), "ok");
  EXPECT_EQ(Check(s, {{"n", 2.0}}), "ok");  // Numbers compare by value.
  EXPECT_EQ(Check(s, {{"kind", "data"}}), "params.kind: must be audio or video");
  EXPECT_EQ(Check(s, {{"kind", 5}}), "params.kind: must be a string");  // type first.
  EXPECT_EQ(Check(s, {{"role", "x"}}), "params.role: must be client, server or auto");
  EXPECT_EQ(Check(s, {{"n", 3}}), "params.n: must be 1 or 2");
  EXPECT_EQ(Check(s, {{"c", "some"}}), "params.c: must be all");
}

TEST(JsonSchemaTest, NumericBounds) {
  JsonSchema s = Compiled(
      {{"type", "object"},
       {"properties",
        {{"pt", {{"type", "integer"}, {"minimum", 0}, {"maximum", 127}}},
         {"ssrc", {{"type", "integer"}, {"minimum", 1}, {"maximum", 4294967295u}}},
         {"bitrate", {{"type", "integer"}, {"minimum", 0}}},
         {"ratio", {{"type", "number"}, {"exclusiveMinimum", 0}, {"exclusiveMaximum", 1}}},
         {"big", {{"type", "integer"}, {"maximum", -1}}}}}});
  EXPECT_EQ(Check(s, {{"pt", 0}, {"ssrc", 4294967295u}, {"bitrate", 0}, {"ratio", 0.5}}), "ok");
  // An integer with both bounds gives them for any failure, as media_json's readers do.
  EXPECT_EQ(Check(s, {{"pt", 128}}), "params.pt: must be an integer in [0, 127]");
  EXPECT_EQ(Check(s, {{"pt", -1}}), "params.pt: must be an integer in [0, 127]");
  EXPECT_EQ(Check(s, {{"pt", "96"}}), "params.pt: must be an integer in [0, 127]");
  EXPECT_EQ(Check(s, {{"ssrc", 4294967296u}}), "params.ssrc: must be an integer in [1, 4294967295]");
  EXPECT_EQ(Check(s, {{"ssrc", 0}}), "params.ssrc: must be an integer in [1, 4294967295]");
  EXPECT_EQ(Check(s, {{"bitrate", -1}}), "params.bitrate: must be an integer >= 0");
  EXPECT_EQ(Check(s, {{"bitrate", 18446744073709551615u}}), "ok");
  EXPECT_EQ(Check(s, {{"bitrate", -9223372036854775807 - 1}}), "params.bitrate: must be an integer >= 0");
  EXPECT_EQ(Check(s, {{"ratio", 0}}), "params.ratio: must be a number > 0 and < 1");
  EXPECT_EQ(Check(s, {{"ratio", 1.0}}), "params.ratio: must be a number > 0 and < 1");
  // Unsigned values beyond int64 compare exactly with a negative bound.
  EXPECT_EQ(Check(s, {{"big", 18446744073709551615u}}), "params.big: must be an integer <= -1");
  EXPECT_EQ(Check(s, {{"big", -2}}), "ok");
}

TEST(JsonSchemaTest, StringLength) {
  JsonSchema s = Compiled({{"type", "object"},
                           {"properties",
                            {{"id", {{"type", "string"}, {"minLength", 1}, {"maxLength", 4}}},
                             {"min", {{"type", "string"}, {"minLength", 1}}},
                             {"min3", {{"type", "string"}, {"minLength", 3}}},
                             {"max", {{"type", "string"}, {"maxLength", 2}}}}}});
  EXPECT_EQ(Check(s, {{"id", "abcd"}}), "ok");
  EXPECT_EQ(Check(s, {{"id", "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"}}), "ok");  // Code points, not bytes.
  EXPECT_EQ(Check(s, {{"id", ""}}), "params.id: must be 1-4 characters");
  EXPECT_EQ(Check(s, {{"id", "abcde"}}), "params.id: must be 1-4 characters");
  EXPECT_EQ(Check(s, {{"min", ""}}), "params.min: must not be empty");
  EXPECT_EQ(Check(s, {{"min3", "ab"}}), "params.min3: must be at least 3 characters");
  EXPECT_EQ(Check(s, {{"max", "abc"}}), "params.max: must be at most 2 characters");
}

TEST(JsonSchemaTest, ItemsAndPrefixItems) {
  JsonSchema s = Compiled(
      {{"type", "object"},
       {"properties",
        {{"list", {{"type", "array"}, {"items", {{"type", "string"}}}, {"minItems", 1}, {"maxItems", 3}}},
         {"two", {{"type", "array"}, {"minItems", 2}}},
         {"fps", {{"type", "array"}, {"prefixItems", {{{"type", "object"}, {"required", {"value"}}}}}}},
         {"pair", {{"type", "array"}, {"prefixItems", {{{"type", "string"}}, {{"type", "integer"}}}},
                   {"items", false}}}}}});
  EXPECT_EQ(Check(s, {{"list", {"a", "b"}}, {"fps", {{{"value", "x"}}, 5}}, {"pair", {"a", 1}}}), "ok");
  EXPECT_EQ(Check(s, {{"list", Json::array()}}), "params.list: must be a non-empty array");
  EXPECT_EQ(Check(s, {{"list", {"a", "b", "c", "d"}}}), "params.list: must have at most 3 items");
  EXPECT_EQ(Check(s, {{"two", {1}}}), "params.two: must have at least 2 items");
  EXPECT_EQ(Check(s, {{"list", {"a", 2}}}), "params.list[1]: must be a string");
  EXPECT_EQ(Check(s, {{"fps", {Json::object()}}}), "params.fps[0].value: is required");
  EXPECT_EQ(Check(s, {{"pair", {"a", "b"}}}), "params.pair[1]: must be an integer");
  EXPECT_EQ(Check(s, {{"pair", {"a", 1, 2}}}), "params.pair[2]: is not allowed");
}

TEST(JsonSchemaTest, Combinators) {
  JsonSchema s = Compiled(
      {{"type", "object"},
       {"properties",
        {{"codec", {{"type", "object"},
                    {"properties", {{"preferredPayloadType", {{"type", "integer"}}},
                                    {"payloadType", {{"type", "integer"}}}}},
                    {"anyOf", {{{"required", {"preferredPayloadType"}}}, {{"required", {"payloadType"}}}}}}},
         {"tags", {{"anyOf", {{{"const", "all"}}, {{"type", "array"}, {"items", {{"type", "string"}}}}}}}},
         {"one", {{"oneOf", {{{"type", "integer"}}, {{"type", "number"}, {"minimum", 10}}}}}},
         {"both", {{"allOf", {{{"type", "integer"}}, {{"minimum", 5}}}}}},
         {"notNull", {{"not", {{"type", "null"}}}}}}}});
  EXPECT_EQ(Check(s, {{"codec", {{"payloadType", 96}}}}), "ok");
  // Every branch failed: the first of those that reached deepest.
  EXPECT_EQ(Check(s, {{"codec", Json::object()}}), "params.codec.preferredPayloadType: is required");
  EXPECT_EQ(Check(s, {{"tags", "all"}}), "ok");
  EXPECT_EQ(Check(s, {{"tags", {"rtp"}}}), "ok");
  EXPECT_EQ(Check(s, {{"tags", 5}}), "params.tags: must be all or an array");
  EXPECT_EQ(Check(s, {{"tags", {"rtp", 5}}}), "params.tags[1]: must be a string");
  EXPECT_EQ(Check(s, {{"one", 3}}), "ok");
  EXPECT_EQ(Check(s, {{"one", 10.5}}), "ok");
  EXPECT_EQ(Check(s, {{"one", 12}}), "params.one: must match exactly one of its alternatives");
  EXPECT_EQ(Check(s, {{"one", 2.5}}), "params.one: must be an integer or a number >= 10");
  EXPECT_EQ(Check(s, {{"both", 6}}), "ok");
  EXPECT_EQ(Check(s, {{"both", 4}}), "params.both: must be >= 5");
  EXPECT_EQ(Check(s, {{"notNull", 0}}), "ok");
  EXPECT_EQ(Check(s, {{"notNull", nullptr}}), "params.notNull: is not allowed");
}

TEST(JsonSchemaTest, RefsAndNestedPaths) {
  Json defs = {
      {"codec", {{"type", "object"},
                 {"required", {"payloadType"}},
                 {"properties", {{"payloadType", {{"$ref", "#/$defs/pt"}}}}}}},
      {"pt", {{"type", "integer"}, {"minimum", 0}, {"maximum", 127}}},
      {"a/b", {{"type", "string"}}},
  };
  JsonSchema s = Compiled({{"type", "object"},
                           {"properties",
                            {{"rtpParameters",
                              {{"type", "object"},
                               {"properties", {{"codecs", {{"type", "array"}, {"items", {{"$ref", "#/$defs/codec"}}}}}}}}},
                             {"escaped", {{"$ref", "#/$defs/a~1b"}}}}}},
                          defs);
  EXPECT_EQ(Check(s, {{"rtpParameters", {{"codecs", {{{"payloadType", 96}}}}}}}), "ok");
  EXPECT_EQ(Check(s, {{"rtpParameters", {{"codecs", {{{"payloadType", 96}}, {{"payloadType", 300}}}}}}}),
            "params.rtpParameters.codecs[1].payloadType: must be an integer in [0, 127]");
  EXPECT_EQ(Check(s, {{"rtpParameters", {{"codecs", {Json::object()}}}}}),
            "params.rtpParameters.codecs[0].payloadType: is required");
  EXPECT_EQ(Check(s, {{"escaped", 1}}), "params.escaped: must be a string");
}

TEST(JsonSchemaTest, DepthIsLimited) {
  // A recursive schema (a tree of arrays) and a value nested deeper than the limit.
  JsonSchema s = Compiled({{"$ref", "#/$defs/tree"}},
                          {{"tree", {{"type", "array"}, {"items", {{"$ref", "#/$defs/tree"}}}}}});
  Json shallow = Json::array();
  for (int i = 0; i < 10; ++i) shallow = Json::array({shallow});
  EXPECT_EQ(Check(s, shallow), "ok");
  Json deep = Json::array();
  for (int i = 0; i < 200; ++i) deep = Json::array({deep});
  std::string result = Check(s, deep);
  EXPECT_NE(result.find("is nested too deeply"), std::string::npos) << result;
  EXPECT_EQ(result.rfind("params[0][0]", 0), 0u) << result;

  // A $ref cycle that never descends into the value ends too.
  JsonSchema loop = Compiled({{"$ref", "#/$defs/a"}},
                             {{"a", {{"$ref", "#/$defs/b"}}}, {"b", {{"$ref", "#/$defs/a"}}}});
  EXPECT_EQ(Check(loop, Json::object()), "params: is nested too deeply");
}

TEST(JsonSchemaTest, BooleanSchemas) {
  EXPECT_EQ(Check(Compiled(true), {{"anything", 1}}), "ok");
  EXPECT_EQ(Check(Compiled(false), Json::object()), "params: is not allowed");
}

TEST(JsonSchemaTest, CompileRejectsWhatItDoesNotSupport) {
  auto message = [](const Status& st) { return std::string(st.message()); };
  Status st = CompileError({{"type", "object"}, {"properties", {{"id", {{"type", "string"}, {"pattern", "^a"}}}}}});
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(message(st), "schema /methods/m/params/properties/id: unknown keyword \"pattern\"");
  EXPECT_FALSE(CompileError({{"uniqueItems", true}}).ok());
  EXPECT_FALSE(CompileError({{"if", true}}).ok());
  EXPECT_FALSE(CompileError({{"format", "uri"}}).ok());
  EXPECT_FALSE(CompileError({{"type", "float"}}).ok());
  EXPECT_FALSE(CompileError({{"type", {"string", "string"}}}).ok());
  EXPECT_FALSE(CompileError({{"required", "a"}}).ok());
  EXPECT_FALSE(CompileError({{"minLength", -1}}).ok());
  EXPECT_FALSE(CompileError({{"minItems", 3}, {"maxItems", 2}}).ok());
  EXPECT_FALSE(CompileError({{"minimum", "0"}}).ok());
  EXPECT_FALSE(CompileError({{"enum", Json::array()}}).ok());
  EXPECT_FALSE(CompileError({{"anyOf", Json::array()}}).ok());
  EXPECT_FALSE(CompileError(5).ok());
  EXPECT_FALSE(CompileError({{"description", 5}}).ok());
  // A required member that additionalProperties forbids.
  EXPECT_FALSE(CompileError({{"required", {"a"}}, {"additionalProperties", false}}).ok());
  // References: only to definitions that exist.
  EXPECT_TRUE(CompileError({{"$ref", "#/$defs/x"}}, {{"x", true}}).ok());
  EXPECT_FALSE(CompileError({{"$ref", "#/$defs/y"}}, {{"x", true}}).ok());
  EXPECT_FALSE(CompileError({{"$ref", "#/$defs/x/properties/a"}}, {{"x", true}}).ok());
  EXPECT_FALSE(CompileError({{"$ref", "other.json#/$defs/x"}}, {{"x", true}}).ok());
  // Annotations are accepted.
  EXPECT_TRUE(CompileError({{"title", "t"}, {"description", "d"}, {"$comment", "c"}, {"default", 1},
                            {"examples", {1}}, {"deprecated", false}})
                  .ok());

  // The document's own shape.
  Json doc = Document(true);
  doc["extra"] = 1;
  EXPECT_FALSE(JsonSchema::Compile(doc).ok());
  doc = Document(true);
  doc["$schema"] = "http://json-schema.org/draft-07/schema#";
  EXPECT_FALSE(JsonSchema::Compile(doc).ok());
  doc = Document(true);
  doc["methods"]["m"].erase("result");
  EXPECT_FALSE(JsonSchema::Compile(doc).ok());
  doc = Document(true);
  doc["methods"]["m"]["errors"] = {"Oops"};
  EXPECT_FALSE(JsonSchema::Compile(doc).ok());
  doc = Document(true);
  doc["notifications"] = {{"n", {{"summary", "s"}, {"params", {{"type", "object"}}}, {"result", true}}}};
  EXPECT_FALSE(JsonSchema::Compile(doc).ok());
}

TEST(JsonSchemaTest, MethodsNotificationsAndCoverage) {
  Json doc = Document({{"type", "object"}});
  doc["methods"]["a.b"] = {{"summary", "s"}, {"params", true}, {"result", {{"type", "object"}}},
                           {"errors", Json::array()}};
  doc["notifications"] = {{"x.y", {{"summary", "s"}, {"params", {{"type", "object"}, {"required", {"id"}}}}}}};
  auto s = JsonSchema::Compile(doc);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->Methods(), (std::vector<std::string>{"a.b", "m"}));
  EXPECT_EQ(s->Notifications(), (std::vector<std::string>{"x.y"}));
  EXPECT_TRUE(s->HasMethod("a.b"));
  EXPECT_FALSE(s->HasMethod("x.y"));
  EXPECT_FALSE(s->ValidateParams("nope", Json::object()).ok());
  EXPECT_EQ(ErrorField(s->ValidateResult("a.b", 5)), "result");
  EXPECT_TRUE(s->ValidateResult("a.b", Json::object()).ok());
  EXPECT_EQ(ErrorField(s->ValidateNotification("x.y", Json::object())), "params.id");
  EXPECT_TRUE(s->CheckCovers({"a.b", "m"}).ok());
  Status st = s->CheckCovers({"a.b", "c.d", "m", "e.f"});
  EXPECT_FALSE(st.ok());
  EXPECT_NE(std::string(st.message()).find("c.d, e.f"), std::string::npos) << st;
}

// The real document, as embedded in the library.
class ControlApiSchemaTest : public ::testing::Test {
 protected:
  ControlApiSchemaTest() {
    auto s = CompileControlApiSchema();
    EXPECT_TRUE(s.ok()) << s.status();
    if (s.ok()) schema_.emplace(std::move(*s));
  }
  std::string Check(std::string_view method, const Json& params) {
    Status st = schema_->ValidateParams(method, params);
    if (st.ok()) return "ok";
    return ErrorField(st).value_or("(no field)") + ": " + std::string(st.message());
  }
  std::optional<JsonSchema> schema_;
};

TEST_F(ControlApiSchemaTest, CompilesAndCoversTheApi) {
  ASSERT_TRUE(schema_);
  EXPECT_EQ(ControlApiSchemaText().front(), '{');
  for (const char* m :
       {"worker.getInfo", "worker.dump", "worker.close", "worker.getResourceUsage", "worker.updateSettings",
        "router.create", "router.close", "router.dump", "router.createWebRtcTransport", "router.closeTransport",
        "router.canConsume", "router.getRtpCapabilities", "transport.connect", "transport.restartIce",
        "transport.getStats", "transport.dump", "transport.setMaxIncomingBitrate",
        "transport.setMaxOutgoingBitrate", "transport.enableTraceEvent", "transport.produce",
        "transport.consume", "transport.closeProducer", "transport.closeConsumer", "producer.pause",
        "producer.resume", "producer.getStats", "producer.dump", "producer.enableTraceEvent",
        "consumer.pause", "consumer.resume", "consumer.requestKeyFrame", "consumer.getStats", "consumer.dump",
        "consumer.setPriority", "consumer.enableTraceEvent"}) {
    EXPECT_TRUE(schema_->HasMethod(m)) << m;
  }
  EXPECT_EQ(schema_->Methods().size(), 36u);
  EXPECT_EQ(schema_->Notifications().size(), 13u);
}

TEST_F(ControlApiSchemaTest, ErrorsAsTheHandlersGiveThem) {
  ASSERT_TRUE(schema_);
  EXPECT_EQ(Check("worker.getInfo", Json::object()), "ok");
  EXPECT_EQ(Check("worker.getInfo", {{"verbose", true}}), "params.verbose: unknown field");
  EXPECT_EQ(Check("worker.getInfo", Json::array()), "params: must be an object");
  EXPECT_EQ(Check("router.create", {{"routerId", ""}}), "params.routerId: must be 1-128 characters");
  EXPECT_EQ(Check("router.create", {{"keyFrameRequestDelay", -1}}),
            "params.keyFrameRequestDelay: must be an integer in [0, 60000]");
  EXPECT_EQ(Check("consumer.resume", {{"consumerId", 5}}), "params.consumerId: must be a string");
  EXPECT_EQ(Check("producer.getStats", {{"producerId", "p"}, {"extra", 1}}), "params.extra: unknown field");
  // As tests/integration/whip_test.py expects: the malformed role before the missing fingerprints.
  EXPECT_EQ(Check("transport.connect", {{"transportId", "t"}, {"dtlsParameters", {{"role", 5}}}}),
            "params.dtlsParameters.role: must be a string");
  Json fingerprint = {{"algorithm", "sha-256"}, {"value", "AA:BB"}};
  EXPECT_EQ(Check("transport.connect",
                  {{"transportId", "t"}, {"dtlsParameters", {{"role", "x"}, {"fingerprints", {fingerprint}}}}}),
            "params.dtlsParameters.role: must be client, server or auto");
  EXPECT_EQ(Check("transport.connect", {{"transportId", "t"}, {"dtlsParameters", {{"fingerprints", Json::array()}}}}),
            "params.dtlsParameters.fingerprints: must be a non-empty array");
  // The algorithm is the worker's to check (its error names params.dtlsParameters.fingerprints).
  EXPECT_EQ(Check("transport.connect", {{"transportId", "t"},
                                        {"dtlsParameters", {{"fingerprints", {{{"algorithm", "md5"}, {"value", "AA"}}}}}}}),
            "ok");
  Json vp8 = {{"mimeType", "video/VP8"}, {"payloadType", 96}, {"clockRate", 90000}};
  Json produce = {{"transportId", "t"}, {"kind", "video"},
                  {"rtpParameters", {{"codecs", {vp8}}, {"encodings", {{{"ssrc", 1111}}}}}}};
  EXPECT_EQ(Check("transport.produce", produce), "ok");
  produce["kind"] = "data";
  EXPECT_EQ(Check("transport.produce", produce), "params.kind: must be audio or video");
  produce["kind"] = "video";
  produce["rtpParameters"]["encodings"] = {{{"ssrc", -1}}};
  EXPECT_EQ(Check("transport.produce", produce),
            "params.rtpParameters.encodings[0].ssrc: must be an integer in [1, 4294967295]");
  produce["rtpParameters"]["encodings"] = Json::array();
  EXPECT_EQ(Check("transport.produce", produce), "params.rtpParameters.encodings: must be a non-empty array");
  produce["rtpParameters"]["encodings"] = {{{"ssrc", 1}}};
  produce["rtpParameters"]["codecs"][0].erase("payloadType");
  EXPECT_EQ(Check("transport.produce", produce),
            "params.rtpParameters.codecs[0].preferredPayloadType: is required");
  produce["rtpParameters"]["codecs"][0]["payloadType"] = 96;
  produce["rtpParameters"]["codecs"][0]["clockRate"] = 0;
  EXPECT_EQ(Check("transport.produce", produce),
            "params.rtpParameters.codecs[0].clockRate: must be an integer in [1, 1000000]");
  produce.erase("rtpParameters");
  EXPECT_EQ(Check("transport.produce", produce), "params.rtpParameters: is required");
  Json consume = {{"transportId", "t"}, {"producerId", "p"}, {"rtpCapabilities", {{"codecs", "x"}}}};
  EXPECT_EQ(Check("transport.consume", consume), "params.rtpCapabilities.codecs: must be an array");
  consume["rtpCapabilities"]["codecs"] = {{{"mimeType", "video/VP8"}, {"preferredPayloadType", 100},
                                           {"clockRate", 90000}, {"parameters", {{"x", true}}}}};
  EXPECT_EQ(Check("transport.consume", consume),
            "params.rtpCapabilities.codecs[0].parameters.x: must be a string or an integer");
}

TEST_F(ControlApiSchemaTest, NewMethods) {
  ASSERT_TRUE(schema_);
  EXPECT_EQ(Check("worker.updateSettings", {{"logLevel", "debug"}}), "ok");
  EXPECT_EQ(Check("worker.updateSettings", {{"logTags", "all"}}), "ok");
  EXPECT_EQ(Check("worker.updateSettings", {{"logTags", {"ice", "dtls"}}}), "ok");
  EXPECT_EQ(Check("worker.updateSettings", Json::object()), "params: must have at least one member");
  EXPECT_EQ(Check("worker.updateSettings", {{"logLevel", "loud"}}),
            "params.logLevel: must be trace, debug, info, warn, error or off");
  EXPECT_EQ(Check("worker.updateSettings", {{"logTags", {"ice", "nope"}}}).substr(0, 35),
            "params.logTags[1]: must be worker, ");
  EXPECT_EQ(Check("transport.setMaxIncomingBitrate", {{"transportId", "t"}, {"bitrate", 0}}), "ok");
  EXPECT_EQ(Check("transport.setMaxOutgoingBitrate", {{"transportId", "t"}, {"bitrate", -5}}),
            "params.bitrate: must be an integer in [0, 4294967295]");
  EXPECT_EQ(Check("transport.enableTraceEvent", {{"transportId", "t"}, {"types", Json::array()}}), "ok");
  EXPECT_EQ(Check("transport.enableTraceEvent", {{"transportId", "t"}, {"types", {"rtp"}}}),
            "params.types[0]: must be bwe");
  EXPECT_EQ(Check("producer.enableTraceEvent", {{"producerId", "p"}, {"types", {"keyframe", "nack"}}}), "ok");
  EXPECT_EQ(Check("consumer.enableTraceEvent", {{"consumerId", "c"}}), "params.types: is required");
  EXPECT_EQ(Check("consumer.setPriority", {{"consumerId", "c"}, {"priority", 0}}),
            "params.priority: must be an integer in [1, 255]");
  EXPECT_EQ(Check("router.dump", {{"routerId", "r"}}), "ok");
  EXPECT_EQ(Check("transport.dump", Json::object()), "params.transportId: is required");
}

// worker.updateSettings lists base/log.h's levels and tags, no more and no fewer.
TEST_F(ControlApiSchemaTest, LogLevelsAndTagsMatchTheLogger) {
  Json doc = Json::parse(ControlApiSchemaText());
  std::string tags;
  for (const Json& t : doc["$defs"]["logTags"]["anyOf"][1]["items"]["enum"]) {
    StrAppend(&tags, tags.empty() ? "" : ",", t.get<std::string>());
    EXPECT_TRUE(ParseLogTag(t.get<std::string>())) << t;
  }
  EXPECT_EQ(tags, AllLogTagNames());
  const Json& levels = doc["$defs"]["logLevel"]["enum"];
  EXPECT_EQ(levels.size(), 6u);
  for (const Json& l : levels) EXPECT_TRUE(ParseLogLevel(l.get<std::string>())) << l;
}

}  // namespace
}  // namespace sfu::control
