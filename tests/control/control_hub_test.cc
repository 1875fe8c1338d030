#include "control/control_hub.h"

#include <gtest/gtest.h>

#include <optional>

namespace sfu::control {
namespace {

struct FakeSession : ControlSession {
  std::vector<std::pair<Json, bool>> sent;
  void Send(std::string message, bool droppable) override {
    sent.emplace_back(Json::parse(message), droppable);
  }
};

TEST(ControlHubTest, RoutesResponsesToTheAskingSessionOnly) {
  Dispatcher d;
  d.RegisterSync("echo", [](const Json& p) -> StatusOr<Json> { return p; });
  ControlHub hub(d, 1024);
  FakeSession a, b;
  uint64_t ida = hub.Attach(&a);
  hub.Attach(&b);
  hub.OnMessage(ida, R"({"jsonrpc":"2.0","id":1,"method":"echo","params":{"x":1}})");
  ASSERT_EQ(a.sent.size(), 1u);
  EXPECT_FALSE(a.sent[0].second);  // Responses are never droppable.
  EXPECT_EQ(a.sent[0].first["result"]["x"], 1);
  EXPECT_TRUE(b.sent.empty());
}

TEST(ControlHubTest, LateResponseToAGoneSessionIsDropped) {
  Dispatcher d;
  std::optional<Reply> parked;
  d.Register("later", [&](const Json&, Reply r) { parked.emplace(std::move(r)); });
  ControlHub hub(d, 1024);
  FakeSession a;
  uint64_t id = hub.Attach(&a);
  hub.OnMessage(id, R"({"jsonrpc":"2.0","id":1,"method":"later"})");
  hub.Detach(id);
  std::move(*parked)(Json(1));
  EXPECT_TRUE(a.sent.empty());
  EXPECT_EQ(hub.session_count(), 0u);
}

TEST(ControlHubTest, NotificationsGoToAllAndRunningToLateComers) {
  Dispatcher d;
  ControlHub hub(d, 1024);
  FakeSession a, late;
  hub.Attach(&a);
  hub.Notify("x.happened", {{"k", 1}});
  hub.MarkRunning({{"pid", 1}});
  ASSERT_EQ(a.sent.size(), 2u);
  EXPECT_EQ(a.sent[0].first["method"], "x.happened");
  EXPECT_TRUE(a.sent[0].second);
  EXPECT_FALSE(a.sent[0].first.contains("id"));
  EXPECT_EQ(a.sent[1].first["method"], "worker.running");
  hub.Attach(&late);
  ASSERT_EQ(late.sent.size(), 1u);
  EXPECT_EQ(late.sent[0].first["method"], "worker.running");
}

TEST(ControlHubTest, OversizedGetsAnError) {
  Dispatcher d;
  ControlHub hub(d, 1024);
  FakeSession a;
  uint64_t id = hub.Attach(&a);
  hub.OnOversized(id, 5000);
  ASSERT_EQ(a.sent.size(), 1u);
  EXPECT_EQ(a.sent[0].first["error"]["code"], -32600);
  EXPECT_EQ(a.sent[0].first["error"]["data"]["limit"], 1024);
}

}  // namespace
}  // namespace sfu::control
