#include "worker/settings.h"

#include <arpa/inet.h>

#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "base/str_cat.h"
#include "nlohmann/json.hpp"

namespace sfu {
namespace {

constexpr int kMaxWorkers = 128;

struct SettingDef {
  std::string_view name;  // Flag --name, variable SFU_NAME, config key "name".
  std::string_view value_hint;
  std::string_view help;
  // Applies a value; an error's message says why the value is wrong.
  Status (*apply)(Settings& s, std::string_view value);
  std::string (*describe)(const Settings& s);
};

// Splits "a, b,,c" into {"a", "b", "c"}.
std::vector<std::string_view> SplitList(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) out.push_back(item);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

Status Why(std::string_view why) { return absl::InvalidArgumentError(ToAbsl(why)); }
Status Invalid(const std::string& message) { return absl::InvalidArgumentError(message); }

StatusOr<int64_t> ParseInt(std::string_view v, int64_t min, int64_t max) {
  int64_t n = 0;
  if (!absl::SimpleAtoi(ToAbsl(v), &n) || n < min || n > max) {
    return Why(StrCat("expected an integer in ", min, "..", max));
  }
  return n;
}

const SettingDef kSettings[] = {
    {"workers", "N|auto", "worker threads, each with its own event loop",
     [](Settings& s, std::string_view v) -> Status {
       if (v == "auto") {
         s.workers = 0;
         return absl::OkStatus();
       }
       auto n = ParseInt(v, 1, kMaxWorkers);
       if (!n.ok()) return Why(StrCat("expected \"auto\" or an integer in 1..", kMaxWorkers));
       s.workers = static_cast<int>(*n);
       return absl::OkStatus();
     },
     [](const Settings& s) { return s.workers == 0 ? std::string("auto") : StrCat(s.workers); }},
    {"control", "stdio|none",
     "JSON-RPC over stdin/stdout, each message framed by a 4-byte big-endian length",
     [](Settings& s, std::string_view v) -> Status {
       if (v != "stdio" && v != "none") return Why("expected \"stdio\" or \"none\"");
       s.control_stdio = v == "stdio";
       return absl::OkStatus();
     },
     [](const Settings& s) { return std::string(s.control_stdio ? "stdio" : "none"); }},
    {"control-listen", "HOST:PORT|none",
     "JSON-RPC over WebSocket; a non-loopback address needs --control-token; with\n"
     "      --control stdio the default is none",
     [](Settings& s, std::string_view v) -> Status {
       if (v.empty() || v == "none") {
         s.control_listen.reset();
         return absl::OkStatus();
       }
       auto hp = ParseHostPort(v);
       if (!hp.ok()) return hp.status();
       s.control_listen = *hp;
       return absl::OkStatus();
     },
     [](const Settings& s) {
       return s.control_listen ? s.control_listen->ToString() : std::string("none");
     }},
    {"control-token", "TOKEN",
     "bearer token the WebSocket control clients must send (prefer the variable: flags show in ps)",
     [](Settings& s, std::string_view v) -> Status {
       if (!v.empty() && v.size() < 16) return Why("expected at least 16 characters");
       for (char c : v) {
         if (c <= ' ' || c > '~') return Why("expected printable ASCII without spaces");
       }
       s.control_token = std::string(v);
       return absl::OkStatus();
     },
     [](const Settings& s) { return std::string(s.control_token.empty() ? "none" : "(set)"); }},
    {"control-max-message", "BYTES", "largest control message accepted; larger ones get an error",
     [](Settings& s, std::string_view v) -> Status {
       auto n = ParseInt(v, 1024, 64 << 20);
       if (!n.ok()) return n.status();
       s.control_max_message = static_cast<size_t>(*n);
       return absl::OkStatus();
     },
     [](const Settings& s) { return StrCat(s.control_max_message); }},
    {"log-level", "trace|debug|info|warn|error|off", "lowest level written",
     [](Settings& s, std::string_view v) -> Status {
       auto level = ParseLogLevel(v);
       if (!level) return Why("expected one of trace, debug, info, warn, error, off");
       s.log_level = *level;
       return absl::OkStatus();
     },
     [](const Settings& s) { return std::string(LogLevelName(s.log_level)); }},
    {"log-format", "text|json", "plain text lines or JSON lines, on stderr",
     [](Settings& s, std::string_view v) -> Status {
       auto format = ParseLogFormat(v);
       if (!format) return Why("expected \"text\" or \"json\"");
       s.log_format = *format;
       return absl::OkStatus();
     },
     [](const Settings& s) {
       return std::string(s.log_format == LogFormat::kJson ? "json" : "text");
     }},
    {"log-tags", "TAG,...|all",
     "tags whose info and debug lines are written (warnings and errors always are)",
     [](Settings& s, std::string_view v) -> Status {
       s.log_tags.clear();
       if (v == "all" || v.empty()) return absl::OkStatus();
       for (std::string_view name : SplitList(v)) {
         auto tag = ParseLogTag(name);
         if (!tag) {
           return Why(StrCat("unknown tag \"", name, "\"; tags are ", AllLogTagNames()));
         }
         s.log_tags.push_back(*tag);
       }
       return absl::OkStatus();
     },
     [](const Settings& s) {
       if (s.log_tags.empty()) return std::string("all");
       std::string out;
       for (LogTag t : s.log_tags) StrAppend(&out, out.empty() ? "" : ",", LogTagName(t));
       return out;
     }},
    {"rtc-listen", "IP",
     "address the workers' UDP and TCP sockets bind (0.0.0.0: all IPv4, with --announced-address)",
     [](Settings& s, std::string_view v) -> Status {
       if (!ParseHostPort(StrCat(v.find(':') == std::string_view::npos ? std::string(v) : StrCat("[", v, "]"), ":0")).ok()) {
         return Why("expected an IPv4 or IPv6 address");
       }
       s.rtc_listen = std::string(v);
       return absl::OkStatus();
     },
     [](const Settings& s) { return s.rtc_listen; }},
    {"rtc-port", "PORT", "UDP port of worker 0; worker i uses PORT+i (0: any free port)",
     [](Settings& s, std::string_view v) -> Status {
       auto n = ParseInt(v, 0, 65535 - kMaxWorkers);
       if (!n.ok()) return n.status();
       s.rtc_port = static_cast<int>(*n);
       return absl::OkStatus();
     },
     [](const Settings& s) { return StrCat(s.rtc_port); }},
    {"announced-address", "IP|HOST",
     "address put in ICE candidates, for NAT and containers (default: --rtc-listen)",
     [](Settings& s, std::string_view v) -> Status {
       if (v.empty() || v.size() > 253) return Why("expected an IP address or a host name");
       for (char c : v) {
         if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':')) {
           return Why("expected an IP address or a host name");
         }
       }
       s.announced_address = std::string(v);
       return absl::OkStatus();
     },
     [](const Settings& s) { return s.announced_address.empty() ? std::string("(rtc-listen)") : s.announced_address; }},
    {"consent-timeout", "SECONDS",
     "ICE consent freshness: a transport without checks this long is disconnected (0: never)",
     [](Settings& s, std::string_view v) -> Status {
       auto n = ParseInt(v, 0, 3600);
       if (!n.ok()) return n.status();
       s.consent_timeout_s = static_cast<int>(*n);
       return absl::OkStatus();
     },
     [](const Settings& s) { return StrCat(s.consent_timeout_s); }},
    {"udp-gso", "on|off",
     "send runs of equal-sized packets to one peer as one UDP GSO message (Linux >= 4.18)",
     [](Settings& s, std::string_view v) -> Status {
       if (v == "on" || v == "true") {
         s.udp_gso = true;
       } else if (v == "off" || v == "false") {
         s.udp_gso = false;
       } else {
         return Why("expected on or off");
       }
       return absl::OkStatus();
     },
     [](const Settings& s) { return std::string(s.udp_gso ? "on" : "off"); }},
    {"dtls-cert", "FILE", "PEM certificate for DTLS (default: a fresh ECDSA P-256 one)",
     [](Settings& s, std::string_view v) -> Status {
       s.dtls_cert = std::string(v);
       return absl::OkStatus();
     },
     [](const Settings& s) { return s.dtls_cert.empty() ? std::string("none") : s.dtls_cert; }},
    {"dtls-key", "FILE", "PEM private key of --dtls-cert",
     [](Settings& s, std::string_view v) -> Status {
       s.dtls_key = std::string(v);
       return absl::OkStatus();
     },
     [](const Settings& s) { return s.dtls_key.empty() ? std::string("none") : s.dtls_key; }},
    {"http-listen", "HOST:PORT|none",
     "HTTP endpoint for WHIP, WHEP and GET /rooms/ROOM; with --control stdio the default is none",
     [](Settings& s, std::string_view v) -> Status {
       if (v.empty() || v == "none") {
         s.http_listen.reset();
         return absl::OkStatus();
       }
       auto hp = ParseHostPort(v);
       if (!hp.ok()) return hp.status();
       s.http_listen = *hp;
       return absl::OkStatus();
     },
     [](const Settings& s) { return s.http_listen ? s.http_listen->ToString() : std::string("none"); }},
    {"whip-token", "TOKEN", "bearer token WHIP and WHEP clients must send (default: none, open)",
     [](Settings& s, std::string_view v) -> Status {
       for (char c : v) {
         if (c <= ' ' || c > '~') return Why("expected printable ASCII without spaces");
       }
       s.whip_token = std::string(v);
       return absl::OkStatus();
     },
     [](const Settings& s) { return std::string(s.whip_token.empty() ? "none" : "(set)"); }},
};

const SettingDef* FindSetting(std::string_view name) {
  for (const SettingDef& def : kSettings) {
    if (def.name == name) return &def;
  }
  return nullptr;
}

std::string EnvName(std::string_view name) {
  std::string out = "SFU_";
  for (char c : name) out.push_back(c == '-' ? '_' : absl::ascii_toupper(static_cast<unsigned char>(c)));
  return out;
}

struct Assignment {
  const SettingDef* def;
  std::string value;
  std::string source;  // How the error names it: --workers, SFU_WORKERS, "workers" in FILE
};

Status ApplyAll(Settings& s, const std::vector<Assignment>& assignments) {
  for (const Assignment& a : assignments) {
    Status st = a.def->apply(s, a.value);
    if (!st.ok()) {
      return Invalid(
          StrCat("invalid ", a.source, " \"", a.value, "\": ", st.message()));
    }
  }
  return absl::OkStatus();
}

StatusOr<std::vector<Assignment>> ReadConfigFile(const std::string& path,
                                                 const FileReader& read_file) {
  auto text = read_file(path);
  if (!text.ok()) {
    return Invalid(
        StrCat("cannot read config file ", path, ": ", text.status().message()));
  }
  nlohmann::json doc = nlohmann::json::parse(*text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return Invalid(
        StrCat("config file ", path, " is not a JSON object"));
  }
  std::vector<Assignment> out;
  for (const auto& [key, value] : doc.items()) {
    const SettingDef* def = FindSetting(key);
    if (!def) {
      return Invalid(
          StrCat("unknown setting \"", key, "\" in ", path, " (see sfu --help)"));
    }
    std::string text_value;
    if (value.is_string()) {
      text_value = value.get<std::string>();
    } else if (value.is_number_integer() || value.is_boolean()) {
      text_value = value.dump();
    } else {
      return Invalid(StrCat(
          "invalid \"", key, "\" in ", path, ": expected a string or an integer"));
    }
    out.push_back({def, std::move(text_value), StrCat("\"", key, "\" in ", path)});
  }
  return out;
}

// Whether the (already validated) config file names `key`.
bool ConfigSets(const std::string& path, const FileReader& read_file, std::string_view key) {
  auto text = read_file(path);
  if (!text.ok()) return false;
  nlohmann::json doc = nlohmann::json::parse(*text, nullptr, false);
  return doc.is_object() && doc.contains(key);
}

}  // namespace

bool HostPort::IsLoopback() const {
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    return IN6_IS_ADDR_LOOPBACK(&v6) ||
           (IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127);
  }
  return false;
}

std::string HostPort::ToString() const {
  if (host.find(':') != std::string::npos) return StrCat("[", host, "]:", port);
  return StrCat(host, ":", port);
}

StatusOr<HostPort> ParseHostPort(std::string_view text) {
  HostPort hp;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return Why("expected [IPV6]:PORT");
    }
    hp.host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon) {
      return Why("expected HOST:PORT (IPv6 as [ADDR]:PORT)");
    }
    hp.host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
  }
  if (hp.host == "localhost") hp.host = "127.0.0.1";
  in_addr v4{};
  in6_addr v6{};
  if (inet_pton(AF_INET, hp.host.c_str(), &v4) != 1 &&
      inet_pton(AF_INET6, hp.host.c_str(), &v6) != 1) {
    return Why("the host must be an IPv4 or IPv6 address (or localhost)");
  }
  auto port = ParseInt(port_text, 0, 65535);
  if (!port.ok()) return Why("the port must be an integer in 0..65535");
  hp.port = static_cast<int>(*port);
  return hp;
}

StatusOr<CommandLine> ParseCommandLine(const std::vector<std::string>& args,
                                       const std::map<std::string, std::string>& env,
                                       const FileReader& read_file) {
  CommandLine out;
  std::vector<Assignment> from_cli;
  std::optional<std::string> config_path;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "--help" || arg == "-h") {
      out.help = true;
      continue;
    }
    if (arg == "--version") {
      out.version = true;
      continue;
    }
    if (arg.substr(0, 2) != "--") {
      return Invalid(
          StrCat("unexpected argument \"", arg, "\" (see sfu --help)"));
    }
    std::string_view name = arg.substr(2);
    std::optional<std::string> value;
    if (size_t eq = name.find('='); eq != std::string_view::npos) {
      value = std::string(name.substr(eq + 1));
      name = name.substr(0, eq);
    }
    const SettingDef* def = FindSetting(name);
    if (!def && name != "config") {
      return Invalid(
          StrCat("unknown option --", name, " (see sfu --help)"));
    }
    if (!value) {
      if (i + 1 >= args.size()) {
        return Invalid(StrCat("option --", name, " needs a value"));
      }
      value = args[++i];
    }
    if (!def) {
      config_path = *value;
    } else {
      from_cli.push_back({def, *value, StrCat("--", name)});
    }
  }
  if (!config_path) {
    if (auto it = env.find("SFU_CONFIG"); it != env.end() && !it->second.empty()) {
      config_path = it->second;
    }
  }

  Settings& s = out.settings;
  if (config_path) {
    s.config_file = *config_path;
    auto from_file = ReadConfigFile(*config_path, read_file);
    if (!from_file.ok()) return from_file.status();
    if (Status st = ApplyAll(s, *from_file); !st.ok()) return st;
  }
  std::vector<Assignment> from_env;
  for (const SettingDef& def : kSettings) {
    std::string var = EnvName(def.name);
    if (auto it = env.find(var); it != env.end()) from_env.push_back({&def, it->second, var});
  }
  if (Status st = ApplyAll(s, from_env); !st.ok()) return st;
  if (Status st = ApplyAll(s, from_cli); !st.ok()) return st;

  // An application server that spawns sfu on stdio gets no WebSocket or HTTP endpoint
  // unless it asks for one, so that several such processes can run side by side.
  auto set_anywhere = [&](std::string_view name) {
    for (const auto* list : {&from_cli, &from_env}) {
      for (const Assignment& a : *list) {
        if (a.def->name == name) return true;
      }
    }
    return config_path && ConfigSets(*config_path, read_file, name);
  };
  if (s.control_stdio && !set_anywhere("control-listen")) s.control_listen.reset();
  if (s.control_stdio && !set_anywhere("http-listen")) s.http_listen.reset();

  if ((s.rtc_listen == "0.0.0.0" || s.rtc_listen == "::") && s.announced_address.empty()) {
    return Invalid(StrCat("invalid --rtc-listen \"", s.rtc_listen,
                          "\": a wildcard address needs --announced-address (the address clients reach)"));
  }
  if (s.control_listen && !s.control_listen->IsLoopback() && s.control_token.empty()) {
    return Invalid(StrCat(
        "invalid --control-listen \"", s.control_listen->ToString(),
        "\": a non-loopback address needs a token (--control-token or SFU_CONTROL_TOKEN)"));
  }
  return out;
}

std::string HelpText() {
  Settings defaults;
  std::string out =
      "Usage: sfu [OPTIONS]\n"
      "A selective forwarding unit for WebRTC group calls.\n\n"
      "Each setting comes from, highest precedence first: its flag (--name VALUE or\n"
      "--name=VALUE), its environment variable, the config file (a JSON object keyed by\n"
      "setting name), the built-in default.\n\n";
  for (const SettingDef& def : kSettings) {
    StrAppend(&out, "  --", def.name, " ", def.value_hint, "\n      ", def.help,
                    "\n      env ", EnvName(def.name), "; default: ", def.describe(defaults),
                    "\n");
  }
  StrAppend(&out,
                  "  --config FILE\n      read settings from a JSON file\n      env SFU_CONFIG; "
                  "default: none\n",
                  "  --version\n      print the version and exit\n", "  -h, --help\n"
                  "      print this help and exit\n\n"
                  "An invalid value prints one line naming the setting and exits with code 2.\n"
                  "Log tags: ", AllLogTagNames(), "\n");
  return out;
}

std::map<std::string, std::string> DescribeSettings(const Settings& settings) {
  std::map<std::string, std::string> out;
  for (const SettingDef& def : kSettings) out[std::string(def.name)] = def.describe(settings);
  out["config"] = settings.config_file.empty() ? "none" : settings.config_file;
  return out;
}

}  // namespace sfu
