#pragma once
// Wrap-aware sequence-number maths for RTP sequence numbers (16 bit), RTP timestamps
// (32 bit) and similar counters (RFC 3550 appendix A.1; RFC 1982 serial arithmetic).

#include <cstdint>
#include <limits>
#include <optional>
#include <type_traits>

namespace sfu {

// True when a is ahead of b, treating the difference modulo 2^N. When the two are exactly
// half the space apart, the larger value wins, so that IsNewer(a, b) != IsNewer(b, a).
template <typename T>
constexpr bool IsNewer(T a, T b) {
  static_assert(std::is_unsigned_v<T>);
  constexpr T kHalf = static_cast<T>(std::numeric_limits<T>::max() / 2 + 1);
  if (a == b) return false;
  const T diff = static_cast<T>(a - b);
  if (diff == kHalf) return a > b;
  return diff < kHalf;
}

// Forward distance from b to a, modulo 2^N.
template <typename T>
constexpr T ForwardDiff(T b, T a) {
  static_assert(std::is_unsigned_v<T>);
  return static_cast<T>(a - b);
}

// Extends wrapping values into a monotonic int64 space. Values that arrive late (behind
// the newest seen) map to their place before it rather than a whole cycle ahead.
template <typename T>
class SeqNumUnwrapper {
 public:
  static_assert(std::is_unsigned_v<T> && sizeof(T) < sizeof(int64_t));
  static constexpr int64_t kCycle = int64_t{1} << (8 * sizeof(T));

  int64_t Unwrap(T value) {
    if (!last_) {
      last_ = value;
      return value;
    }
    int64_t delta = static_cast<int64_t>(static_cast<T>(value - static_cast<T>(*last_)));
    if (!IsNewer(value, static_cast<T>(*last_)) && value != static_cast<T>(*last_)) {
      delta -= kCycle;
    }
    int64_t unwrapped = *last_ + delta;
    if (delta > 0) last_ = unwrapped;
    return unwrapped;
  }

  // Maps a value without updating the state.
  int64_t PeekUnwrap(T value) const {
    SeqNumUnwrapper copy = *this;
    return copy.Unwrap(value);
  }

  void Reset() { last_.reset(); }

 private:
  std::optional<int64_t> last_;
};

}  // namespace sfu
