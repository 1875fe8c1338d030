#pragma once
// Logging: levels, tags, plain text or JSON lines, one write(2) per line to stderr (stdout
// may carry the stdio control channel). The configuration is process-wide and may be
// changed at run time from the control loop, so it is held in relaxed atomics: reading it costs a
// plain load on the media path.
//
// Warnings and errors are always written (when the level allows). Lines at info and below
// are written only when their tag is enabled; all tags are enabled by default.

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/str_cat.h"

namespace sfu {

enum class LogLevel : int { kTrace = 0, kDebug, kInfo, kWarn, kError, kOff };
enum class LogFormat : int { kText = 0, kJson };

// The tags code may log under. Adding one: append it here and to kLogTagNames.
enum class LogTag : uint32_t {
  kWorker = 0, kControl, kSettings, kIce, kDtls, kSrtp, kSctp, kRtp, kRtcp, kBwe, kHttp, kCount
};

std::string_view LogLevelName(LogLevel level);
std::optional<LogLevel> ParseLogLevel(std::string_view name);
std::optional<LogFormat> ParseLogFormat(std::string_view name);
std::string_view LogTagName(LogTag tag);
std::optional<LogTag> ParseLogTag(std::string_view name);
// All tag names, comma-separated (for help text and error messages).
std::string AllLogTagNames();

class Log {
 public:
  static void SetLevel(LogLevel level) { level_.store(static_cast<int>(level), kOrder); }
  static LogLevel level() { return static_cast<LogLevel>(level_.load(kOrder)); }
  static void SetFormat(LogFormat format) { format_.store(static_cast<int>(format), kOrder); }
  static LogFormat format() { return static_cast<LogFormat>(format_.load(kOrder)); }
  // Empty enables every tag.
  static void SetTags(const std::vector<LogTag>& tags);
  static std::vector<LogTag> tags();

  static bool Enabled(LogLevel level, LogTag tag) {
    if (static_cast<int>(level) < level_.load(kOrder)) return false;
    if (level >= LogLevel::kWarn) return true;
    return (tag_mask_.load(kOrder) >> static_cast<uint32_t>(tag)) & 1u;
  }

  static void Write(LogLevel level, LogTag tag, std::string_view message);

  // Renders one line (with the trailing newline) as Write would.
  static std::string Format(LogFormat format, int64_t wall_us, LogLevel level, LogTag tag,
                            std::string_view thread, std::string_view message);

  // Replaces the stderr sink (tests). Pass nullptr to restore it. Not thread-safe.
  static void SetSinkForTesting(std::function<void(std::string_view)> sink);

 private:
  static constexpr std::memory_order kOrder = std::memory_order_relaxed;
  static constexpr uint32_t kAllTags = (1u << static_cast<uint32_t>(LogTag::kCount)) - 1;
  static inline std::atomic<int> level_{static_cast<int>(LogLevel::kInfo)};
  static inline std::atomic<int> format_{static_cast<int>(LogFormat::kText)};
  static inline std::atomic<uint32_t> tag_mask_{kAllTags};
};

}  // namespace sfu

// SFU_LOG(kInfo, kControl, "listening on ", addr): arguments are absl::StrCat'ed only when
// the line will be written.
#define SFU_LOG(level, tag, ...)                                                        \
  do {                                                                                  \
    if (::sfu::Log::Enabled(::sfu::LogLevel::level, ::sfu::LogTag::tag))                \
      ::sfu::Log::Write(::sfu::LogLevel::level, ::sfu::LogTag::tag, ::sfu::StrCat(__VA_ARGS__)); \
  } while (0)
