#include "control/lws_util.h"

#include <libwebsockets.h>

#include <string_view>

#include "base/log.h"
#include "base/str_cat.h"

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

StatusOr<LwsListener> CreateLwsListener(uv_loop_t* loop, const std::string& host, int port,
                                        const lws_protocols* protocols, void* user) {
  RouteLwsLogs();
  lws_context_creation_info info{};
  void* foreign_loops[1] = {loop};
  info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_UV_NO_SIGSEGV_SIGFPE_SPIN;
  info.foreign_loops = foreign_loops;
  info.port = port;
  info.iface = host.c_str();
  info.protocols = protocols;
  info.user = user;
  info.gid = -1;
  info.uid = -1;
  info.server_string = "sfu";
  LwsListener out;
  out.context = lws_create_context(&info);
  // A failed bind leaves a context without its vhost.
  lws_vhost* vhost = out.context ? lws_get_vhost_by_name(out.context, "default") : nullptr;
  out.port = vhost ? lws_get_vhost_listen_port(vhost) : 0;
  if (out.port <= 0) {
    if (out.context) lws_context_destroy(out.context);
    return absl::UnavailableError(StrCat("cannot listen on ", host, ":", port, " (in use?)"));
  }
  return out;
}

std::string LwsHeader(lws* wsi, int token) {
  auto t = static_cast<lws_token_indexes>(token);
  int n = lws_hdr_total_length(wsi, t);
  if (n <= 0) return {};
  std::string value(static_cast<size_t>(n) + 1, '\0');
  int copied = lws_hdr_copy(wsi, value.data(), n + 1, t);
  value.resize(copied > 0 ? static_cast<size_t>(copied) : 0);
  return value;
}

}  // namespace sfu::control
