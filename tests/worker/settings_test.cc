#include "worker/settings.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace sfu {
namespace {

using ::testing::HasSubstr;

class SettingsTest : public ::testing::Test {
 protected:
  StatusOr<CommandLine> Parse(std::vector<std::string> args) {
    return ParseCommandLine(args, env_, [this](const std::string& path) -> StatusOr<std::string> {
      auto it = files_.find(path);
      if (it == files_.end()) return absl::NotFoundError("no such file");
      return it->second;
    });
  }
  std::string Error(std::vector<std::string> args) {
    auto r = Parse(std::move(args));
    EXPECT_FALSE(r.ok());
    return r.ok() ? "" : std::string(r.status().message());
  }

  std::map<std::string, std::string> env_;
  std::map<std::string, std::string> files_;
};

TEST_F(SettingsTest, Defaults) {
  auto r = Parse({});
  ASSERT_TRUE(r.ok());
  const Settings& s = r->settings;
  EXPECT_EQ(s.workers, 0);
  EXPECT_FALSE(s.control_stdio);
  ASSERT_TRUE(s.control_listen.has_value());
  EXPECT_EQ(s.control_listen->ToString(), "127.0.0.1:8090");
  EXPECT_EQ(s.control_max_message, 1u << 20);
  EXPECT_EQ(s.log_level, LogLevel::kInfo);
  EXPECT_EQ(s.log_format, LogFormat::kText);
  EXPECT_TRUE(s.log_tags.empty());
  EXPECT_FALSE(r->help);
}

TEST_F(SettingsTest, FlagsInBothForms) {
  auto r = Parse({"--workers", "3", "--log-level=debug", "--control", "stdio",
                  "--control-listen=none", "--log-tags", "ice, dtls", "--log-format", "json"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->settings.workers, 3);
  EXPECT_EQ(r->settings.log_level, LogLevel::kDebug);
  EXPECT_TRUE(r->settings.control_stdio);
  EXPECT_FALSE(r->settings.control_listen.has_value());
  EXPECT_EQ(r->settings.log_tags, (std::vector<LogTag>{LogTag::kIce, LogTag::kDtls}));
  EXPECT_EQ(r->settings.log_format, LogFormat::kJson);
}

TEST_F(SettingsTest, PrecedenceIsFlagThenEnvThenFileThenDefault) {
  files_["/etc/sfu.json"] = R"({"workers": 2, "log-level": "warn", "log-format": "json"})";
  env_ = {{"SFU_CONFIG", "/etc/sfu.json"}, {"SFU_WORKERS", "5"}, {"SFU_LOG_LEVEL", "error"}};
  auto r = Parse({"--workers", "7"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->settings.workers, 7);                     // Flag over env and file.
  EXPECT_EQ(r->settings.log_level, LogLevel::kError);    // Env over file.
  EXPECT_EQ(r->settings.log_format, LogFormat::kJson);   // File over default.
  EXPECT_EQ(r->settings.config_file, "/etc/sfu.json");
  EXPECT_EQ(r->settings.control_max_message, 1u << 20);  // Default.
}

TEST_F(SettingsTest, ConfigFlagOverridesConfigVariable) {
  files_["a.json"] = R"({"workers": 2})";
  files_["b.json"] = R"({"workers": 4})";
  env_ = {{"SFU_CONFIG", "a.json"}};
  auto r = Parse({"--config", "b.json"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->settings.workers, 4);
}

TEST_F(SettingsTest, InvalidValuesNameTheSettingAndItsSource) {
  EXPECT_EQ(Error({"--workers", "abc"}),
            "invalid --workers \"abc\": expected \"auto\" or an integer in 1..128");
  EXPECT_THAT(Error({"--workers", "0"}), HasSubstr("--workers"));
  EXPECT_THAT(Error({"--workers", "129"}), HasSubstr("1..128"));
  env_ = {{"SFU_LOG_LEVEL", "loud"}};
  EXPECT_THAT(Error({}), HasSubstr("invalid SFU_LOG_LEVEL \"loud\""));
  env_.clear();
  files_["c.json"] = R"({"control-max-message": 10})";
  EXPECT_THAT(Error({"--config", "c.json"}),
              HasSubstr("invalid \"control-max-message\" in c.json \"10\": expected an integer in 1024.."));
  EXPECT_THAT(Error({"--log-tags", "ice,nope"}), HasSubstr("unknown tag \"nope\""));
  EXPECT_THAT(Error({"--control", "pipe"}), HasSubstr("expected \"stdio\" or \"none\""));
  EXPECT_THAT(Error({"--log-format", "xml"}), HasSubstr("--log-format"));
  EXPECT_THAT(Error({"--control-token", "short"}), HasSubstr("at least 16"));
  EXPECT_THAT(Error({"--control-token", "has space in the token"}), HasSubstr("printable"));
}

TEST_F(SettingsTest, BadCommandLines) {
  EXPECT_EQ(Error({"--frobnicate", "1"}), "unknown option --frobnicate (see sfu --help)");
  EXPECT_EQ(Error({"--workers"}), "option --workers needs a value");
  EXPECT_THAT(Error({"stray"}), HasSubstr("unexpected argument \"stray\""));
}

TEST_F(SettingsTest, BadConfigFiles) {
  EXPECT_THAT(Error({"--config", "missing.json"}), HasSubstr("cannot read config file missing.json"));
  files_["list.json"] = "[1,2]";
  EXPECT_THAT(Error({"--config", "list.json"}), HasSubstr("is not a JSON object"));
  files_["broken.json"] = "{";
  EXPECT_THAT(Error({"--config", "broken.json"}), HasSubstr("is not a JSON object"));
  files_["unknown.json"] = R"({"wokers": 2})";
  EXPECT_THAT(Error({"--config", "unknown.json"}), HasSubstr("unknown setting \"wokers\""));
  files_["typed.json"] = R"({"workers": [2]})";
  EXPECT_THAT(Error({"--config", "typed.json"}), HasSubstr("expected a string or an integer"));
}

TEST_F(SettingsTest, ControlListenAddresses) {
  auto r = Parse({"--control-listen", "[::1]:9000"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->settings.control_listen->host, "::1");
  EXPECT_TRUE(r->settings.control_listen->IsLoopback());
  EXPECT_EQ(r->settings.control_listen->ToString(), "[::1]:9000");
  r = Parse({"--control-listen", "localhost:0"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->settings.control_listen->host, "127.0.0.1");
  EXPECT_EQ(r->settings.control_listen->port, 0);

  EXPECT_THAT(Error({"--control-listen", "example.com:80"}), HasSubstr("IPv4 or IPv6"));
  EXPECT_THAT(Error({"--control-listen", "127.0.0.1"}), HasSubstr("HOST:PORT"));
  EXPECT_THAT(Error({"--control-listen", "127.0.0.1:70000"}), HasSubstr("0..65535"));
  EXPECT_THAT(Error({"--control-listen", "::1:80"}), HasSubstr("[ADDR]:PORT"));
}

TEST_F(SettingsTest, StdioControlDropsTheDefaultWebSocketListener) {
  auto r = Parse({"--control", "stdio"});
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->settings.control_listen.has_value());
  r = Parse({"--control", "stdio", "--control-listen", "127.0.0.1:0"});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->settings.control_listen.has_value());
  env_ = {{"SFU_CONTROL_LISTEN", "127.0.0.1:9"}};
  EXPECT_TRUE(Parse({"--control", "stdio"})->settings.control_listen.has_value());
  env_.clear();
  files_["f.json"] = R"({"control-listen": "127.0.0.1:7"})";
  r = Parse({"--control", "stdio", "--config", "f.json"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->settings.control_listen->port, 7);
}

TEST_F(SettingsTest, WildcardRtcListenNeedsAnAnnouncedAddress) {
  EXPECT_THAT(Error({"--rtc-listen", "0.0.0.0"}), HasSubstr("needs --announced-address"));
  auto r = Parse({"--rtc-listen", "0.0.0.0", "--announced-address", "sfu.example.com"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->settings.announced_address, "sfu.example.com");
  EXPECT_THAT(Error({"--rtc-listen", "nope"}), HasSubstr("IPv4 or IPv6"));
  EXPECT_THAT(Error({"--announced-address", "bad address!"}), HasSubstr("host name"));
  EXPECT_THAT(Error({"--rtc-port", "70000"}), HasSubstr("--rtc-port"));
}

TEST_F(SettingsTest, UdpGsoIsOnByDefaultAndCanBeTurnedOff) {
  auto r = Parse({});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->settings.udp_gso);
  EXPECT_EQ(DescribeSettings(r->settings)["udp-gso"], "on");
  r = Parse({"--udp-gso", "off"});
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->settings.udp_gso);
  files_["f.json"] = R"({"udp-gso": false})";
  r = Parse({"--config", "f.json"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->settings.udp_gso);
  EXPECT_THAT(Error({"--udp-gso", "maybe"}), HasSubstr("invalid --udp-gso \"maybe\": expected on or off"));
}

TEST_F(SettingsTest, NonLoopbackListenNeedsAToken) {
  EXPECT_THAT(Error({"--control-listen", "0.0.0.0:8090"}), HasSubstr("needs a token"));
  EXPECT_THAT(Error({"--control-listen", "[::]:8090"}), HasSubstr("needs a token"));
  env_ = {{"SFU_CONTROL_TOKEN", "0123456789abcdef0123"}};
  auto r = Parse({"--control-listen", "0.0.0.0:8090"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->settings.control_token, "0123456789abcdef0123");
  EXPECT_EQ(DescribeSettings(r->settings)["control-token"], "(set)");
}

TEST_F(SettingsTest, HelpAndVersionFlags) {
  auto r = Parse({"--help", "--version"});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->help);
  EXPECT_TRUE(r->version);
  EXPECT_TRUE(Parse({"-h"})->help);
}

TEST_F(SettingsTest, HelpListsEverySettingWithItsVariableAndDefault) {
  std::string help = HelpText();
  for (const auto& [name, value] : DescribeSettings(Settings{})) {
    EXPECT_THAT(help, HasSubstr("--" + name + " ")) << name;
    std::string var = "SFU_";
    for (char c : name) var.push_back(c == '-' ? '_' : static_cast<char>(std::toupper(c)));
    EXPECT_THAT(help, HasSubstr("env " + var)) << name;
  }
  EXPECT_THAT(help, HasSubstr("default: 127.0.0.1:8090"));
  EXPECT_THAT(help, HasSubstr("default: auto"));
}

}  // namespace
}  // namespace sfu
