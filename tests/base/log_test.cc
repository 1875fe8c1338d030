#include "base/log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

#include "base/rate_limited_log.h"
#include "base/status.h"
#include "nlohmann/json.hpp"

namespace sfu {
namespace {

using ::testing::HasSubstr;

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Log::SetSinkForTesting([this](std::string_view line) { lines_.emplace_back(line); });
    Log::SetLevel(LogLevel::kTrace);
    Log::SetFormat(LogFormat::kText);
    Log::SetTags({});
  }
  void TearDown() override {
    Log::SetSinkForTesting(nullptr);
    Log::SetLevel(LogLevel::kInfo);
    Log::SetTags({});
  }
  std::vector<std::string> lines_;
};

TEST_F(LogTest, TextLine) {
  SFU_LOG(kInfo, kControl, "hello ", 42);
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_THAT(lines_[0], HasSubstr(" info [control] "));
  EXPECT_THAT(lines_[0], HasSubstr("hello 42\n"));
}

TEST_F(LogTest, JsonLineIsValidJsonEvenWithControlCharacters) {
  Log::SetFormat(LogFormat::kJson);
  SFU_LOG(kWarn, kIce, "quote \" backslash \\ newline \n tab \t bell \x07");
  ASSERT_EQ(lines_.size(), 1u);
  auto j = nlohmann::json::parse(lines_[0]);
  EXPECT_EQ(j["level"], "warn");
  EXPECT_EQ(j["tag"], "ice");
  EXPECT_EQ(j["msg"], "quote \" backslash \\ newline \n tab \t bell \x07");
  EXPECT_TRUE(j["ts"].get<std::string>().ends_with("Z"));
}

TEST_F(LogTest, FormatIsDeterministic) {
  std::string line = Log::Format(LogFormat::kText, 1'700'000'000'123'000, LogLevel::kError,
                                 LogTag::kRtp, "worker-0", "boom");
  EXPECT_EQ(line, "2023-11-14T22:13:20.123Z error [rtp] (worker-0) boom\n");
}

TEST_F(LogTest, LevelFilters) {
  Log::SetLevel(LogLevel::kWarn);
  SFU_LOG(kInfo, kControl, "dropped");
  SFU_LOG(kError, kControl, "kept");
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_THAT(lines_[0], HasSubstr("kept"));
}

TEST_F(LogTest, TagsFilterInfoButNotWarnings) {
  Log::SetTags({LogTag::kIce});
  SFU_LOG(kInfo, kControl, "control info");
  SFU_LOG(kInfo, kIce, "ice info");
  SFU_LOG(kWarn, kControl, "control warning");
  ASSERT_EQ(lines_.size(), 2u);
  EXPECT_THAT(lines_[0], HasSubstr("ice info"));
  EXPECT_THAT(lines_[1], HasSubstr("control warning"));
  EXPECT_EQ(Log::tags(), std::vector<LogTag>{LogTag::kIce});
}

TEST_F(LogTest, ArgumentsAreNotEvaluatedWhenDisabled) {
  Log::SetLevel(LogLevel::kError);
  int evaluated = 0;
  auto expensive = [&] {
    ++evaluated;
    return std::string("x");
  };
  SFU_LOG(kDebug, kRtp, expensive());
  EXPECT_EQ(evaluated, 0);
}

TEST_F(LogTest, NamesParse) {
  EXPECT_EQ(ParseLogLevel("debug"), LogLevel::kDebug);
  EXPECT_FALSE(ParseLogLevel("loud").has_value());
  EXPECT_EQ(ParseLogFormat("json"), LogFormat::kJson);
  EXPECT_EQ(ParseLogTag("srtp"), LogTag::kSrtp);
  EXPECT_FALSE(ParseLogTag("nope").has_value());
  EXPECT_THAT(AllLogTagNames(), HasSubstr("worker,control"));
}

TEST_F(LogTest, RateLimitedLogBurstsThenSummarizesOncePerInterval) {
  RateLimitedLog rl(LogLevel::kWarn, LogTag::kRtp, "bad packet", /*burst=*/2);
  Timestamp t = Timestamp::Millis(5000);
  for (int i = 0; i < 100; ++i) rl.Hit(t + TimeDelta::Millis(i), "detail");
  EXPECT_EQ(lines_.size(), 2u);  // The burst; 98 counted.
  rl.Hit(t + TimeDelta::Millis(1000), "later");
  ASSERT_EQ(lines_.size(), 4u);  // The summary, then the new window's first line.
  EXPECT_THAT(lines_[2], HasSubstr("bad packet: 98 more suppressed"));
  EXPECT_THAT(lines_[3], HasSubstr("bad packet: later"));
  EXPECT_EQ(rl.total(), 101u);
  // A quiet second window: no summary when nothing was suppressed.
  rl.Hit(t + TimeDelta::Millis(2500), "again");
  EXPECT_EQ(lines_.size(), 5u);
}

TEST(StatusTest, InvalidParamsCarriesTheField) {
  Status s = InvalidParamsError("params.workers", "must be positive");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorField(s), "params.workers");
  EXPECT_FALSE(ErrorField(NotFoundError("x")).has_value());
  EXPECT_EQ(InvalidStateError("x").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(UnsupportedError("x").code(), absl::StatusCode::kUnimplemented);
}

}  // namespace
}  // namespace sfu
