#pragma once
// The group-call demo page (worker/demo/), compiled into the binary by
// cmake/EmbedAssets.cmake and served at / by the HTTP endpoint.

#include <span>
#include <string_view>

namespace sfu {

struct DemoAsset {
  std::string_view path;  // "/index.html", "/demo.js", ...
  std::string_view content_type;
  std::string_view body;
};

std::span<const DemoAsset> DemoAssets();

}  // namespace sfu
