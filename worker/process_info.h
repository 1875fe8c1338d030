#pragma once
// Resource use of this process, read from getrusage(2) and /proc/self/statm.

#include <cstdint>

namespace sfu {

struct ProcessUsage {
  double user_seconds = 0;
  double system_seconds = 0;
  uint64_t rss_bytes = 0;
  uint64_t max_rss_bytes = 0;
};

ProcessUsage ReadProcessUsage();

// CPUs this process may run on (respects taskset and cgroup cpusets).
int UsableCpuCount();

}  // namespace sfu
