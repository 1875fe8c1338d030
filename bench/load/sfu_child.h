#pragma once
// The sfu server as a child process of the load generator: started with its JSON-RPC
// control on stdin/stdout (4-byte big-endian length framing) and pinned to chosen CPUs.
// Calls block, with a deadline; notifications on the way are counted and dropped.

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"

namespace sfu::load {

class SfuChild {
 public:
  // Starts `binary` with `args` after the control flags, on `cpus` (empty: any).
  // Exits the generator with a message when it cannot.
  SfuChild(const std::string& binary, const std::vector<std::string>& args, const std::vector<int>& cpus);
  ~SfuChild();
  SfuChild(const SfuChild&) = delete;
  SfuChild& operator=(const SfuChild&) = delete;

  // Waits for worker.running; returns its params.
  nlohmann::json WaitRunning(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // The result of `method`; an error response or a timeout ends the generator (a load
  // run cannot go on without its objects).
  nlohmann::json Call(const std::string& method, const nlohmann::json& params,
                      std::chrono::milliseconds timeout = std::chrono::seconds(10));

  pid_t pid() const { return pid_; }
  // utime + stime of the whole process, seconds (/proc/PID/stat).
  double CpuSeconds() const;
  // VmRSS, kB (/proc/PID/status).
  long RssKb() const;
  uint64_t notifications() const { return notifications_; }

 private:
  nlohmann::json ReadMessage(std::chrono::steady_clock::time_point deadline);

  pid_t pid_ = -1;
  int to_child_ = -1;
  int from_child_ = -1;
  std::string buffer_;
  int64_t next_id_ = 1;
  uint64_t notifications_ = 0;
};

// Pins the calling thread to `cpus` (no-op when empty).
void PinTo(const std::vector<int>& cpus);

}  // namespace sfu::load
