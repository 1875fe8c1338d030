#include "bench/load/sfu_child.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace sfu::load {
namespace {

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "sfu-load: %s\n", what.c_str());
  std::exit(1);
}

void WriteAll(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) Die(std::string("writing to sfu: ") + std::strerror(errno));
    done += static_cast<size_t>(n);
  }
}

}  // namespace

void PinTo(const std::vector<int>& cpus) {
  if (cpus.empty()) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int c : cpus) CPU_SET(static_cast<size_t>(c), &set);
  if (sched_setaffinity(0, sizeof(set), &set) != 0) Die(std::string("sched_setaffinity: ") + std::strerror(errno));
}

SfuChild::SfuChild(const std::string& binary, const std::vector<std::string>& args, const std::vector<int>& cpus) {
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) Die("pipe2 failed");
  pid_ = fork();
  if (pid_ < 0) Die("fork failed");
  if (pid_ == 0) {
    PinTo(cpus);
    dup2(in[0], STDIN_FILENO);
    dup2(out[1], STDOUT_FILENO);
    std::vector<std::string> all = {binary, "--control", "stdio", "--control-listen", "none", "--http-listen", "none",
                                    "--rtc-port", "0", "--log-level", "warn"};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    std::fprintf(stderr, "sfu-load: cannot run %s: %s\n", binary.c_str(), std::strerror(errno));
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  to_child_ = in[1];
  from_child_ = out[0];
}

SfuChild::~SfuChild() {
  // End of input shuts the server down; a bounded wait, then SIGKILL.
  if (to_child_ >= 0) close(to_child_);
  for (int i = 0; i < 50; ++i) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      // A server that crashes on the way out is a finding, not noise.
      if (WIFSIGNALED(status)) {
        std::fprintf(stderr, "sfu-load: sfu (pid %d) died of signal %d while shutting down\n", pid_,
                     WTERMSIG(status));
      } else if (WEXITSTATUS(status) != 0) {
        std::fprintf(stderr, "sfu-load: sfu (pid %d) exited with status %d\n", pid_, WEXITSTATUS(status));
      }
      pid_ = -1;
      break;
    }
    usleep(100'000);
  }
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (from_child_ >= 0) close(from_child_);
}

nlohmann::json SfuChild::ReadMessage(std::chrono::steady_clock::time_point deadline) {
  while (true) {
    if (buffer_.size() >= 4) {
      auto b = reinterpret_cast<const uint8_t*>(buffer_.data());
      size_t n = (size_t{b[0]} << 24) | (size_t{b[1]} << 16) | (size_t{b[2]} << 8) | b[3];
      if (buffer_.size() >= 4 + n) {
        nlohmann::json j = nlohmann::json::parse(buffer_.substr(4, n), nullptr, false);
        buffer_.erase(0, 4 + n);
        if (j.is_discarded()) Die("sfu sent a message that is not JSON");
        return j;
      }
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) Die("no answer from sfu in time");
    pollfd p{from_child_, POLLIN, 0};
    int r = poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;
    char chunk[65536];
    ssize_t n = ::read(from_child_, chunk, sizeof(chunk));
    if (n <= 0) Die("sfu exited (its stdout closed)");
    buffer_.append(chunk, static_cast<size_t>(n));
  }
}

nlohmann::json SfuChild::WaitRunning(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    nlohmann::json m = ReadMessage(deadline);
    if (m.value("method", "") == "worker.running") return m["params"];
  }
}

nlohmann::json SfuChild::Call(const std::string& method, const nlohmann::json& params,
                              std::chrono::milliseconds timeout) {
  int64_t id = next_id_++;
  std::string body = nlohmann::json{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", params}}.dump();
  std::string frame(4, '\0');
  for (int i = 0; i < 4; ++i) frame[static_cast<size_t>(i)] = static_cast<char>((body.size() >> (24 - 8 * i)) & 0xff);
  WriteAll(to_child_, frame + body);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    nlohmann::json m = ReadMessage(deadline);
    if (!m.contains("id")) {
      ++notifications_;
      continue;
    }
    if (m["id"] != id) continue;
    if (m.contains("error")) Die(method + " failed: " + m["error"].dump());
    return m["result"];
  }
}

double SfuChild::CpuSeconds() const {
  std::ifstream f("/proc/" + std::to_string(pid_) + "/stat");
  std::string line;
  std::getline(f, line);
  // Fields after the command name (which may hold spaces): state is field 3.
  auto close_paren = line.rfind(')');
  if (close_paren == std::string::npos) return 0;
  std::istringstream rest(line.substr(close_paren + 2));
  std::string field;
  double utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stod(field);
    if (i == 15) stime = std::stod(field);
  }
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

long SfuChild::RssKb() const {
  std::ifstream f("/proc/" + std::to_string(pid_) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

}  // namespace sfu::load
