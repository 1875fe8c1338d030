#pragma once
// SFU_CHECK: invariants of our own code (never of input). A failed check prints the
// condition and location and aborts: it marks a bug, not a bad packet.

#include <string_view>

namespace sfu::internal {
[[noreturn]] void CheckFailed(const char* file, int line, const char* condition,
                              std::string_view message);
}  // namespace sfu::internal

#define SFU_CHECK(cond)                                                    \
  do {                                                                     \
    if (!(cond)) [[unlikely]]                                              \
      ::sfu::internal::CheckFailed(__FILE__, __LINE__, #cond, {});         \
  } while (0)

#define SFU_CHECK_MSG(cond, msg)                                           \
  do {                                                                     \
    if (!(cond)) [[unlikely]]                                              \
      ::sfu::internal::CheckFailed(__FILE__, __LINE__, #cond, (msg));      \
  } while (0)

#ifdef SFU_DEBUG
#define SFU_DCHECK(cond) SFU_CHECK(cond)
#else
#define SFU_DCHECK(cond) \
  do {                   \
  } while (false && (cond))
#endif
