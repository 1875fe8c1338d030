#pragma once
// The stdio control channel: an application server spawns `sfu --control stdio` and
// exchanges length-prefixed JSON-RPC messages over the child's stdin and stdout.
// End of input means the parent is gone; the owner then shuts the process down.

#include <uv.h>

#include <cstdint>
#include <functional>
#include <string>

#include "base/status.h"
#include "control/control_hub.h"
#include "control/length_framer.h"

namespace sfu::control {

class StdioChannel final : public ControlSession {
 public:
  StdioChannel(uv_loop_t* loop, ControlHub& hub, int in_fd, int out_fd,
               std::function<void()> on_end);
  ~StdioChannel() override;
  StdioChannel(const StdioChannel&) = delete;
  StdioChannel& operator=(const StdioChannel&) = delete;

  Status Start();
  void Send(std::string message, bool droppable) override;
  // Stops reading, lets queued writes finish, closes both pipes, then calls `done`.
  void Close(std::function<void()> done);

  uint64_t dropped_notifications() const { return dropped_; }

 private:
  static void OnAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void OnWrite(uv_write_t* req, int status);
  static void OnShutdown(uv_shutdown_t* req, int status);
  static void OnClosed(uv_handle_t* handle);
  void CloseHandles();

  // Notifications are dropped while this many bytes wait to be written.
  static constexpr size_t kMaxQueuedBytes = 16 << 20;

  uv_loop_t* loop_;
  ControlHub& hub_;
  int in_fd_;
  int out_fd_;
  std::function<void()> on_end_;
  uv_pipe_t in_{};
  uv_pipe_t out_{};
  uv_shutdown_t shutdown_req_{};
  LengthPrefixDecoder decoder_;
  uint64_t session_id_ = 0;
  bool started_ = false;
  bool closing_ = false;
  bool output_broken_ = false;
  int open_handles_ = 0;
  uint64_t dropped_ = 0;
  std::function<void()> closed_;
  char read_buffer_[64 * 1024];
};

}  // namespace sfu::control
