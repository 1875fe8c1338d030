#pragma once
// StrCat/StrAppend over abseil's, taking std::string_view too. Debian's abseil is built
// with its own absl::string_view (ABSL_OPTION_USE_STD_STRING_VIEW 0), which its StrCat
// requires; these adapters convert string-like arguments and forward the rest (numbers,
// absl::Dec, absl::Hex) unchanged.

#include <string>
#include <string_view>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace sfu {

// absl::string_view from a std::string_view (Debian's abseil has no such conversion).
inline absl::string_view ToAbsl(std::string_view s) { return absl::string_view(s.data(), s.size()); }
inline std::string_view FromAbsl(absl::string_view s) { return std::string_view(s.data(), s.size()); }

namespace internal {
template <typename T>
decltype(auto) StrCatArg(const T& v) {
  if constexpr (std::is_convertible_v<const T&, std::string_view>) {
    return ToAbsl(std::string_view(v));
  } else {
    return (v);
  }
}
}  // namespace internal

template <typename... Args>
std::string StrCat(const Args&... args) {
  return absl::StrCat(internal::StrCatArg(args)...);
}

template <typename... Args>
void StrAppend(std::string* out, const Args&... args) {
  absl::StrAppend(out, internal::StrCatArg(args)...);
}

}  // namespace sfu
