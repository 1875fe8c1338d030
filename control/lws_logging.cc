#include "control/lws_logging.h"

#include <libwebsockets.h>

#include <string_view>

#include "base/log.h"

namespace sfu::control {
namespace {

void LwsLog(int level, const char* line) {
  std::string_view text(line);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  if (level & LLL_ERR) {
    SFU_LOG(kError, kHttp, "libwebsockets: ", text);
  } else {
    SFU_LOG(kWarn, kHttp, "libwebsockets: ", text);
  }
}

}  // namespace

void RouteLwsLogs() { lws_set_log_level(LLL_ERR | LLL_WARN, LwsLog); }

}  // namespace sfu::control
