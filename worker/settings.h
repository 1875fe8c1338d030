#pragma once
// Settings of the sfu process: built-in defaults, overridden by a config file (JSON), then
// by environment variables (SFU_*), then by command-line flags. Parsing is pure: it takes
// the arguments, the environment and a file reader, and returns settings or one clear
// error naming the setting, where its value came from, and why it is wrong.

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/log.h"
#include "base/status.h"

namespace sfu {

struct HostPort {
  std::string host;  // IPv4 or IPv6 literal.
  int port = 0;
  bool IsLoopback() const;
  std::string ToString() const;  // "127.0.0.1:8090", "[::1]:8090"
};

struct Settings {
  int workers = 0;  // 0: one per CPU core.
  bool control_stdio = false;
  std::optional<HostPort> control_listen = HostPort{"127.0.0.1", 8090};
  std::string control_token;
  size_t control_max_message = 1 << 20;
  LogLevel log_level = LogLevel::kInfo;
  LogFormat log_format = LogFormat::kText;
  std::vector<LogTag> log_tags;  // Empty: all.
  std::string config_file;
  // Media.
  std::string rtc_listen = "127.0.0.1";  // IP the worker sockets bind.
  int rtc_port = 40000;                  // Worker i uses rtc_port + i; 0: any free port.
  std::string announced_address;         // What candidates carry; empty: rtc_listen.
  int consent_timeout_s = 30;            // RFC 7675; 0 disables.
  bool udp_gso = true;                   // UDP_SEGMENT sends where the kernel allows.
  std::string dtls_cert;                 // PEM files; empty: a fresh certificate.
  std::string dtls_key;
  // HTTP (WHIP).
  std::optional<HostPort> http_listen = HostPort{"127.0.0.1", 8080};
  std::string whip_token;
};

struct CommandLine {
  Settings settings;
  bool help = false;
  bool version = false;
};

using FileReader = std::function<StatusOr<std::string>(const std::string& path)>;

// `args` excludes the program name. `env` holds the process environment.
StatusOr<CommandLine> ParseCommandLine(const std::vector<std::string>& args,
                                       const std::map<std::string, std::string>& env,
                                       const FileReader& read_file);

// Parses "HOST:PORT" ("[v6]:PORT"; "localhost" becomes 127.0.0.1).
StatusOr<HostPort> ParseHostPort(std::string_view text);

// The text `sfu --help` prints: every setting, its flag, variable and default.
std::string HelpText();

// The settings as JSON-friendly key/value text (the token is masked), for worker.dump.
std::map<std::string, std::string> DescribeSettings(const Settings& settings);

}  // namespace sfu
