#include "base/log.h"

#include <pthread.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <ctime>

#include "base/clock.h"

namespace sfu {
namespace {

constexpr std::array<std::string_view, 6> kLevelNames = {"trace", "debug", "info",
                                                         "warn",  "error", "off"};
constexpr std::array<std::string_view, static_cast<size_t>(LogTag::kCount)> kLogTagNames = {
    "worker", "control", "settings", "ice", "dtls", "srtp",
    "sctp",   "rtp",     "rtcp",     "bwe", "http"};

std::function<void(std::string_view)>& TestSink() {
  static std::function<void(std::string_view)> sink;
  return sink;
}

void WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // Nowhere left to report a logging failure.
    data.remove_prefix(static_cast<size_t>(n));
  }
}

void AppendJsonString(std::string& out, std::string_view s) {
  out.push_back('"');
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          static constexpr char kHex[] = "0123456789abcdef";
          out += "\\u00";
          out.push_back(kHex[(c >> 4) & 0xf]);
          out.push_back(kHex[c & 0xf]);
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

std::string IsoTime(int64_t wall_us) {
  time_t secs = static_cast<time_t>(wall_us / 1000000);
  struct tm tm_utc;
  gmtime_r(&secs, &tm_utc);
  char buf[40];
  size_t n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm_utc);
  return StrCat(std::string_view(buf, n), ".",
                      absl::Dec(static_cast<uint64_t>(wall_us % 1000000 / 1000), absl::kZeroPad3),
                      "Z");
}

}  // namespace

std::string_view LogLevelName(LogLevel level) { return kLevelNames[static_cast<size_t>(level)]; }

std::optional<LogLevel> ParseLogLevel(std::string_view name) {
  for (size_t i = 0; i < kLevelNames.size(); ++i) {
    if (kLevelNames[i] == name) return static_cast<LogLevel>(i);
  }
  return std::nullopt;
}

std::optional<LogFormat> ParseLogFormat(std::string_view name) {
  if (name == "text") return LogFormat::kText;
  if (name == "json") return LogFormat::kJson;
  return std::nullopt;
}

std::string_view LogTagName(LogTag tag) { return kLogTagNames[static_cast<size_t>(tag)]; }

std::optional<LogTag> ParseLogTag(std::string_view name) {
  for (size_t i = 0; i < kLogTagNames.size(); ++i) {
    if (kLogTagNames[i] == name) return static_cast<LogTag>(i);
  }
  return std::nullopt;
}

std::string AllLogTagNames() {
  std::string out;
  for (std::string_view name : kLogTagNames) StrAppend(&out, out.empty() ? "" : ",", name);
  return out;
}

void Log::SetTags(const std::vector<LogTag>& tags) {
  uint32_t mask = 0;
  for (LogTag t : tags) mask |= 1u << static_cast<uint32_t>(t);
  tag_mask_.store(tags.empty() ? kAllTags : mask, kOrder);
}

std::vector<LogTag> Log::tags() {
  std::vector<LogTag> out;
  uint32_t mask = tag_mask_.load(kOrder);
  if (mask == kAllTags) return out;
  for (uint32_t i = 0; i < static_cast<uint32_t>(LogTag::kCount); ++i) {
    if ((mask >> i) & 1u) out.push_back(static_cast<LogTag>(i));
  }
  return out;
}

std::string Log::Format(LogFormat format, int64_t wall_us, LogLevel level, LogTag tag,
                        std::string_view thread, std::string_view message) {
  std::string line;
  line.reserve(96 + message.size());
  if (format == LogFormat::kJson) {
    line += "{\"ts\":";
    AppendJsonString(line, IsoTime(wall_us));
    StrAppend(&line, ",\"level\":\"", LogLevelName(level), "\",\"tag\":\"",
                    LogTagName(tag), "\",\"thread\":");
    AppendJsonString(line, thread);
    line += ",\"msg\":";
    AppendJsonString(line, message);
    line += "}\n";
  } else {
    StrAppend(&line, IsoTime(wall_us), " ", LogLevelName(level), " [", LogTagName(tag),
                    "] (", thread, ") ", message, "\n");
  }
  return line;
}

void Log::Write(LogLevel level, LogTag tag, std::string_view message) {
  char thread[32] = "?";
  pthread_getname_np(pthread_self(), thread, sizeof(thread));
  std::string line =
      Format(format(), SystemClock::Instance().WallMicros(), level, tag, thread, message);
  if (TestSink()) {
    TestSink()(line);
    return;
  }
  WriteAll(STDERR_FILENO, line);
}

void Log::SetSinkForTesting(std::function<void(std::string_view)> sink) {
  TestSink() = std::move(sink);
}

}  // namespace sfu
