#include "control/dispatcher.h"

#include <gtest/gtest.h>

#include <optional>
#include <vector>

namespace sfu::control {
namespace {

class DispatcherTest : public ::testing::Test {
 protected:
  DispatcherTest() {
    d_.RegisterSync("echo", [](const Json& params) -> StatusOr<Json> { return params; });
    d_.RegisterSync("fail.params", [](const Json&) -> StatusOr<Json> {
      return InvalidParamsError("transportId", "must be a string");
    });
    d_.RegisterSync("fail.notfound",
                    [](const Json&) -> StatusOr<Json> { return NotFoundError("router r1"); });
    d_.RegisterSync("fail.state",
                    [](const Json&) -> StatusOr<Json> { return InvalidStateError("closed"); });
    d_.RegisterSync("fail.unsupported",
                    [](const Json&) -> StatusOr<Json> { return UnsupportedError("no AV1"); });
    d_.RegisterSync("fail.internal",
                    [](const Json&) -> StatusOr<Json> { return absl::InternalError("oops"); });
    d_.Register("later", [this](const Json&, Reply reply) { parked_.emplace(std::move(reply)); });
    d_.Register("forgets", [](const Json&, Reply) {});
    d_.Register("throws", [](const Json& params, Reply) { (void)params.at("missing").get<int>(); });
  }

  // Sends `text`; returns the parsed responses (empty when none was sent).
  std::vector<Json> Call(std::string_view text) {
    std::vector<Json> out;
    d_.HandleMessage(text, [&out](std::string response) { out.push_back(Json::parse(response)); });
    return out;
  }

  Json One(std::string_view text) {
    auto out = Call(text);
    EXPECT_EQ(out.size(), 1u) << text;
    return out.empty() ? Json() : out[0];
  }

  Dispatcher d_;
  std::optional<Reply> parked_;
};

TEST_F(DispatcherTest, Result) {
  Json r = One(R"({"jsonrpc":"2.0","id":1,"method":"echo","params":{"a":1}})");
  EXPECT_EQ(r["jsonrpc"], "2.0");
  EXPECT_EQ(r["id"], 1);
  EXPECT_EQ(r["result"], (Json{{"a", 1}}));
}

TEST_F(DispatcherTest, StringAndNullIdsAreEchoed) {
  EXPECT_EQ(One(R"({"jsonrpc":"2.0","id":"abc","method":"echo"})")["id"], "abc");
  EXPECT_TRUE(One(R"({"jsonrpc":"2.0","id":null,"method":"echo"})")["id"].is_null());
}

TEST_F(DispatcherTest, AbsentParamsBecomeAnEmptyObject) {
  EXPECT_EQ(One(R"({"jsonrpc":"2.0","id":1,"method":"echo"})")["result"], Json::object());
}

TEST_F(DispatcherTest, ParseError) {
  for (const char* text : {"{", "", "nonsense", "{\"jsonrpc\":\"2.0\",}", "\xff\xfe"}) {
    Json r = One(text);
    EXPECT_EQ(r["error"]["code"], -32700) << text;
    EXPECT_EQ(r["error"]["data"]["type"], "ParseError");
    EXPECT_TRUE(r["id"].is_null());
  }
}

TEST_F(DispatcherTest, DeepNestingIsAParseErrorNotACrash) {
  std::string deep(100000, '[');
  EXPECT_EQ(One(deep)["error"]["code"], -32700);
  std::string ok = std::string(60, '[') + std::string(60, ']');
  EXPECT_EQ(One(ok)[0]["error"]["code"], -32600);  // Parses: a batch of one non-request.
  // Brackets inside strings do not count.
  Json r = One(R"({"jsonrpc":"2.0","id":1,"method":"echo","params":{"s":")" +
               std::string(1000, '[') + R"("}})");
  EXPECT_TRUE(r.contains("result"));
}

TEST_F(DispatcherTest, InvalidRequests) {
  struct Case {
    const char* text;
    Json id;
  };
  const Case cases[] = {
      {R"(42)", nullptr},
      {R"("text")", nullptr},
      {R"({"id":1,"method":"echo"})", 1},                          // No jsonrpc.
      {R"({"jsonrpc":"1.0","id":1,"method":"echo"})", 1},          // Wrong version.
      {R"({"jsonrpc":"2.0","id":1})", 1},                          // No method.
      {R"({"jsonrpc":"2.0","id":1,"method":7})", 1},               // Method not a string.
      {R"({"jsonrpc":"2.0","id":1,"method":"echo","params":3})", 1},  // Params not structured.
      {R"({"jsonrpc":"2.0","id":{"a":1},"method":"echo"})", nullptr},  // Bad id.
      {R"([])", nullptr},                                           // Empty batch.
  };
  for (const Case& c : cases) {
    Json r = One(c.text);
    EXPECT_EQ(r["error"]["code"], -32600) << c.text;
    EXPECT_EQ(r["id"], c.id) << c.text;
    EXPECT_TRUE(r["error"]["message"].is_string());
    EXPECT_EQ(r["error"]["data"]["type"], "InvalidRequest");
  }
}

TEST_F(DispatcherTest, MethodNotFound) {
  Json r = One(R"({"jsonrpc":"2.0","id":5,"method":"router.nope"})");
  EXPECT_EQ(r["error"]["code"], -32601);
  EXPECT_EQ(r["error"]["data"]["type"], "MethodNotFound");
  EXPECT_EQ(r["id"], 5);
  EXPECT_NE(r["error"]["message"].get<std::string>().find("router.nope"), std::string::npos);
}

TEST_F(DispatcherTest, TypedErrors) {
  Json r = One(R"({"jsonrpc":"2.0","id":1,"method":"fail.params"})");
  EXPECT_EQ(r["error"]["code"], -32602);
  EXPECT_EQ(r["error"]["data"]["type"], "InvalidParams");
  EXPECT_EQ(r["error"]["data"]["field"], "transportId");
  EXPECT_EQ(r["error"]["message"], "must be a string");

  r = One(R"({"jsonrpc":"2.0","id":2,"method":"fail.notfound"})");
  EXPECT_EQ(r["error"]["code"], -32001);
  EXPECT_EQ(r["error"]["data"]["type"], "NotFound");
  r = One(R"({"jsonrpc":"2.0","id":3,"method":"fail.state"})");
  EXPECT_EQ(r["error"]["code"], -32002);
  EXPECT_EQ(r["error"]["data"]["type"], "InvalidState");
  r = One(R"({"jsonrpc":"2.0","id":4,"method":"fail.unsupported"})");
  EXPECT_EQ(r["error"]["code"], -32003);
  EXPECT_EQ(r["error"]["data"]["type"], "Unsupported");
  r = One(R"({"jsonrpc":"2.0","id":5,"method":"fail.internal"})");
  EXPECT_EQ(r["error"]["code"], -32603);
  EXPECT_EQ(r["error"]["data"]["type"], "Internal");
}

TEST_F(DispatcherTest, NotificationsGetNoResponseEvenOnError) {
  EXPECT_TRUE(Call(R"({"jsonrpc":"2.0","method":"echo"})").empty());
  EXPECT_TRUE(Call(R"({"jsonrpc":"2.0","method":"no.such.method"})").empty());
  EXPECT_TRUE(Call(R"({"jsonrpc":"2.0","method":"fail.params"})").empty());
}

TEST_F(DispatcherTest, BatchAnswersInOrderAndSkipsNotifications) {
  auto out = Call(R"([
    {"jsonrpc":"2.0","id":1,"method":"echo","params":[1]},
    {"jsonrpc":"2.0","method":"echo"},
    {"jsonrpc":"2.0","id":2,"method":"missing"},
    7,
    {"jsonrpc":"2.0","id":3,"method":"fail.state"}
  ])");
  ASSERT_EQ(out.size(), 1u);
  const Json& batch = out[0];
  ASSERT_TRUE(batch.is_array());
  ASSERT_EQ(batch.size(), 4u);
  EXPECT_EQ(batch[0]["result"], Json::array({1}));
  EXPECT_EQ(batch[1]["error"]["code"], -32601);
  EXPECT_EQ(batch[2]["error"]["code"], -32600);
  EXPECT_EQ(batch[3]["error"]["code"], -32002);
}

TEST_F(DispatcherTest, BatchOfNotificationsGetsNothing) {
  EXPECT_TRUE(Call(R"([{"jsonrpc":"2.0","method":"echo"},{"jsonrpc":"2.0","method":"x"}])").empty());
}

TEST_F(DispatcherTest, AsyncReplyIsSentWhenGiven) {
  std::vector<std::string> sent;
  d_.HandleMessage(R"({"jsonrpc":"2.0","id":9,"method":"later"})",
                   [&](std::string r) { sent.push_back(std::move(r)); });
  EXPECT_TRUE(sent.empty());
  ASSERT_TRUE(parked_.has_value());
  std::move (*parked_)(Json{{"done", true}});
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(Json::parse(sent[0])["result"]["done"], true);
}

TEST_F(DispatcherTest, BatchWaitsForItsSlowestMember) {
  std::vector<std::string> sent;
  d_.HandleMessage(R"([{"jsonrpc":"2.0","id":1,"method":"later"},{"jsonrpc":"2.0","id":2,"method":"echo"}])",
                   [&](std::string r) { sent.push_back(std::move(r)); });
  EXPECT_TRUE(sent.empty());
  std::move (*parked_)(Json("slow"));
  ASSERT_EQ(sent.size(), 1u);
  Json batch = Json::parse(sent[0]);
  EXPECT_EQ(batch[0]["result"], "slow");
  EXPECT_EQ(batch[1]["result"], Json::object());
}

TEST_F(DispatcherTest, AHandlerThatDropsItsReplyStillAnswers) {
  Json r = One(R"({"jsonrpc":"2.0","id":1,"method":"forgets"})");
  EXPECT_EQ(r["error"]["code"], -32603);
}

TEST_F(DispatcherTest, AHandlerThatThrowsAnswersWithAnInternalError) {
  Json r = One(R"({"jsonrpc":"2.0","id":3,"method":"throws"})");
  EXPECT_EQ(r["error"]["code"], -32603);
  EXPECT_EQ(r["id"], 3);
  // And the dispatcher keeps working.
  EXPECT_TRUE(One(R"({"jsonrpc":"2.0","id":4,"method":"echo"})").contains("result"));
}

TEST_F(DispatcherTest, InvalidUtf8InTheIdOrParamsDoesNotThrowOnSerialize) {
  // nlohmann accepts the text only if valid UTF-8; a string built in code may not be.
  Json bad = MakeResult(Json(std::string("\xff")), Json(std::string("\xc3")));
  EXPECT_NO_THROW(Serialize(bad));
}

TEST_F(DispatcherTest, OversizedResponse) {
  Json r = Json::parse(Dispatcher::OversizedResponse(2000000, 1048576));
  EXPECT_EQ(r["error"]["code"], -32600);
  EXPECT_TRUE(r["id"].is_null());
  EXPECT_EQ(r["error"]["data"]["type"], "MessageTooLarge");
  EXPECT_EQ(r["error"]["data"]["limit"], 1048576);
}

TEST_F(DispatcherTest, MethodsAreListedAndDuplicatesRefused) {
  EXPECT_TRUE(d_.Has("echo"));
  EXPECT_FALSE(d_.Has("nope"));
  EXPECT_EQ(d_.Methods().front(), "echo");
  EXPECT_DEATH(d_.RegisterSync("echo", [](const Json&) -> StatusOr<Json> { return Json(); }),
               "echo");
}


TEST_F(DispatcherTest, ParamsAreValidatedAgainstTheSchemaBeforeTheHandlerRuns) {
  auto schema = JsonSchema::Compile(Json::parse(R"({
    "methods": {
      "echo": {"summary": "s", "result": true, "errors": ["InvalidParams"],
               "params": {"type": "object", "additionalProperties": false, "required": ["a"],
                          "properties": {"a": {"type": "integer", "minimum": 0, "maximum": 9}}}},
      "later": {"summary": "s", "result": true, "errors": [],
                "params": {"type": "object", "additionalProperties": false}}}})"));
  ASSERT_TRUE(schema.ok()) << schema.status();
  d_.SetSchema(std::move(*schema));
  ASSERT_NE(d_.schema(), nullptr);
  EXPECT_EQ(One(R"({"jsonrpc":"2.0","id":1,"method":"echo","params":{"a":3}})")["result"], (Json{{"a", 3}}));
  Json r = One(R"({"jsonrpc":"2.0","id":2,"method":"echo","params":{"a":30}})");
  EXPECT_EQ(r["error"]["code"], -32602);
  EXPECT_EQ(r["error"]["data"]["field"], "params.a");
  EXPECT_EQ(r["error"]["message"], "must be an integer in [0, 9]");
  // Absent params are an empty object.
  r = One(R"({"jsonrpc":"2.0","id":3,"method":"echo"})");
  EXPECT_EQ(r["error"]["data"]["field"], "params.a");
  EXPECT_EQ(r["error"]["message"], "is required");
  EXPECT_EQ(One(R"({"jsonrpc":"2.0","id":4,"method":"echo","params":[]})")["error"]["data"]["field"], "params");
  // The handler did not run for a refused request: "later" would have parked its reply.
  r = One(R"({"jsonrpc":"2.0","id":5,"method":"later","params":{"x":1}})");
  EXPECT_EQ(r["error"]["message"], "unknown field");
  EXPECT_FALSE(parked_.has_value());
  // A refused notification gets no response; methods the schema lacks run unchecked.
  EXPECT_TRUE(Call(R"({"jsonrpc":"2.0","method":"echo","params":{"a":"x"}})").empty());
  EXPECT_EQ(One(R"({"jsonrpc":"2.0","id":6,"method":"fail.state","params":{"any":1}})")["error"]["code"], -32002);
  // In a batch, each entry on its own.
  auto batch = Call(R"([{"jsonrpc":"2.0","id":7,"method":"echo","params":{"a":1}},
                        {"jsonrpc":"2.0","id":8,"method":"echo","params":{"b":1}}])");
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_EQ(batch[0][0]["result"], (Json{{"a", 1}}));
  EXPECT_EQ(batch[0][1]["error"]["data"]["field"], "params.b");
}

}  // namespace
}  // namespace sfu::control
