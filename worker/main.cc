// sfu: the composition root. Parses settings, starts the server, runs the control loop.

#include <signal.h>
#include <uv.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "base/log.h"
#include "worker/process_info.h"
#include "worker/settings.h"
#include "worker/sfu_server.h"

extern char** environ;

namespace {

sfu::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError("no such file or not readable");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return absl::DataLossError("read error");
  return text.str();
}

std::map<std::string, std::string> Environment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string_view kv(*e);
    size_t eq = kv.find('=');
    if (eq != std::string_view::npos) env.emplace(kv.substr(0, eq), kv.substr(eq + 1));
  }
  return env;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto parsed = sfu::ParseCommandLine(args, Environment(), ReadFile);
  if (!parsed.ok()) {
    std::fprintf(stderr, "sfu: %s\n", std::string(parsed.status().message()).c_str());
    return 2;
  }
  if (parsed->help) {
    std::fputs(sfu::HelpText().c_str(), stdout);
    return 0;
  }
  if (parsed->version) {
    std::printf("sfu %s\n", SFU_VERSION);
    return 0;
  }
  const sfu::Settings& settings = parsed->settings;
  sfu::Log::SetLevel(settings.log_level);
  sfu::Log::SetFormat(settings.log_format);
  sfu::Log::SetTags(settings.log_tags);
  // A control peer that goes away must not kill the process with SIGPIPE.
  signal(SIGPIPE, SIG_IGN);

  int workers = settings.workers > 0 ? settings.workers : sfu::UsableCpuCount();
  uv_loop_t* loop = uv_default_loop();
  int code = 0;
  {
    sfu::SfuServer server(loop, settings, workers);
    if (sfu::Status st = server.Start(); !st.ok()) {
      std::fprintf(stderr, "sfu: %s\n", std::string(st.message()).c_str());
      return 1;
    }
    uv_run(loop, UV_RUN_DEFAULT);
    code = server.exit_code();
  }
  if (uv_loop_close(loop) != 0) {
    SFU_LOG(kWarn, kWorker, "control loop closed with handles still open");
  }
  return code;
}
