#include "control/params.h"

#include <gtest/gtest.h>

namespace sfu::control {
namespace {

TEST(ParamsTest, OnlyRejectsUnknownFieldsByName) {
  Json p = {{"a", 1}, {"typo", 2}};
  Status st = Params(p).Only({"a"});
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorField(st), "params.typo");
  EXPECT_TRUE(Params(p).Only({"a", "typo"}).ok());
  EXPECT_TRUE(Params(Json::object()).Only({}).ok());
  EXPECT_EQ(ErrorField(Params(Json::array()).Only({})), "params");
}

TEST(ParamsTest, TypedGetters) {
  Json p = {{"s", "x"}, {"n", 5}, {"b", true}, {"neg", -3}, {"huge", 18446744073709551615u}};
  Params params(p);
  EXPECT_EQ(*params.String("s"), "x");
  EXPECT_EQ(*params.Int("n", 0, 10), 5);
  EXPECT_EQ(**params.OptionalBool("b"), true);
  EXPECT_FALSE(params.OptionalString("missing")->has_value());
  EXPECT_FALSE(params.OptionalInt("missing", 0, 1)->has_value());

  auto field_of = [](const Status& s) { return ErrorField(s).value_or(""); };
  EXPECT_EQ(field_of(params.String("n").status()), "params.n");
  EXPECT_EQ(params.String("n").status().message(), "must be a string");
  EXPECT_EQ(params.String("missing").status().message(), "is required");
  EXPECT_EQ(params.Int("n", 6, 10).status().message(), "must be in 6..10");
  EXPECT_EQ(field_of(params.Int("s", 0, 1).status()), "params.s");
  EXPECT_FALSE(params.Int("neg", 0, 10).ok());
  EXPECT_FALSE(params.Int("huge", 0, 10).ok());
  EXPECT_FALSE(params.OptionalBool("s").ok());
}

}  // namespace
}  // namespace sfu::control
