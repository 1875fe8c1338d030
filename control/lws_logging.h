#pragma once
// Routes libwebsockets' own log lines (errors and warnings only) into ours.

namespace sfu::control {
void RouteLwsLogs();
}  // namespace sfu::control
