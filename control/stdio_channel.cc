#include "control/stdio_channel.h"

#include "base/str_cat.h"
#include "base/log.h"

namespace sfu::control {
namespace {

struct WriteRequest {
  uv_write_t req;
  std::string data;
};

}  // namespace

StdioChannel::StdioChannel(uv_loop_t* loop, ControlHub& hub, int in_fd, int out_fd,
                           std::function<void()> on_end)
    : loop_(loop),
      hub_(hub),
      in_fd_(in_fd),
      out_fd_(out_fd),
      on_end_(std::move(on_end)),
      decoder_(hub.max_message()) {}

StdioChannel::~StdioChannel() {
  if (session_id_ != 0) hub_.Detach(session_id_);
}

Status StdioChannel::Start() {
  for (int fd : {in_fd_, out_fd_}) {
    uv_handle_type type = uv_guess_handle(fd);
    if (type != UV_NAMED_PIPE) {
      return absl::FailedPreconditionError(StrCat(
          "--control stdio needs stdin and stdout to be pipes or Unix sockets (fd ", fd, " is a ",
          type == UV_TTY ? "terminal" : type == UV_FILE ? "file" : "different kind of handle",
          ")"));
    }
  }
  uv_pipe_init(loop_, &in_, 0);
  uv_pipe_init(loop_, &out_, 0);
  in_.data = this;
  out_.data = this;
  open_handles_ = 2;
  started_ = true;
  int rc = uv_pipe_open(&in_, in_fd_);
  if (rc == 0) rc = uv_pipe_open(&out_, out_fd_);
  if (rc == 0) rc = uv_read_start(reinterpret_cast<uv_stream_t*>(&in_), OnAlloc, OnRead);
  if (rc != 0) return absl::InternalError(StrCat("stdio control: ", uv_strerror(rc)));
  session_id_ = hub_.Attach(this);
  return absl::OkStatus();
}

void StdioChannel::OnAlloc(uv_handle_t* handle, size_t, uv_buf_t* buf) {
  auto* self = static_cast<StdioChannel*>(handle->data);
  *buf = uv_buf_init(self->read_buffer_, sizeof(self->read_buffer_));
}

void StdioChannel::OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* self = static_cast<StdioChannel*>(stream->data);
  if (nread > 0) {
    std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(buf->base),
                                   static_cast<size_t>(nread));
    self->decoder_.Feed(
        bytes, [self](std::string_view text) { self->hub_.OnMessage(self->session_id_, text); },
        [self](size_t size) { self->hub_.OnOversized(self->session_id_, size); });
    return;
  }
  if (nread == 0) return;  // EAGAIN
  uv_read_stop(stream);
  if (nread != UV_EOF) {
    SFU_LOG(kWarn, kControl, "stdio control: read failed: ", uv_strerror(static_cast<int>(nread)));
  }
  if (!self->closing_) {
    SFU_LOG(kInfo, kControl, "stdio control: input closed by the parent");
    if (self->on_end_) self->on_end_();
  }
}

void StdioChannel::Send(std::string message, bool droppable) {
  if (!started_ || closing_ || output_broken_) return;
  size_t queued = uv_stream_get_write_queue_size(reinterpret_cast<uv_stream_t*>(&out_));
  if (droppable && queued > kMaxQueuedBytes) {
    ++dropped_;
    return;
  }
  auto* w = new WriteRequest{{}, EncodeLengthPrefixed(message)};
  w->req.data = this;
  uv_buf_t buf = uv_buf_init(w->data.data(), static_cast<unsigned int>(w->data.size()));
  int rc = uv_write(&w->req, reinterpret_cast<uv_stream_t*>(&out_), &buf, 1, OnWrite);
  if (rc != 0) {
    delete w;
    output_broken_ = true;
    SFU_LOG(kWarn, kControl, "stdio control: write failed: ", uv_strerror(rc));
  }
}

void StdioChannel::OnWrite(uv_write_t* req, int status) {
  auto* w = reinterpret_cast<WriteRequest*>(req);
  auto* self = static_cast<StdioChannel*>(req->data);
  delete w;
  if (status < 0 && status != UV_ECANCELED && !self->output_broken_) {
    self->output_broken_ = true;
    SFU_LOG(kWarn, kControl, "stdio control: write failed: ", uv_strerror(status));
  }
}

void StdioChannel::Close(std::function<void()> done) {
  closed_ = std::move(done);
  if (!started_) {
    if (closed_) closed_();
    return;
  }
  if (closing_) return;
  closing_ = true;
  if (session_id_ != 0) {
    hub_.Detach(session_id_);
    session_id_ = 0;
  }
  uv_read_stop(reinterpret_cast<uv_stream_t*>(&in_));
  shutdown_req_.data = this;
  // Shutdown waits for queued writes (the reply to worker.close among them).
  if (uv_shutdown(&shutdown_req_, reinterpret_cast<uv_stream_t*>(&out_), OnShutdown) != 0) {
    CloseHandles();
  }
}

void StdioChannel::OnShutdown(uv_shutdown_t* req, int) {
  static_cast<StdioChannel*>(req->data)->CloseHandles();
}

void StdioChannel::CloseHandles() {
  uv_close(reinterpret_cast<uv_handle_t*>(&in_), OnClosed);
  uv_close(reinterpret_cast<uv_handle_t*>(&out_), OnClosed);
}

void StdioChannel::OnClosed(uv_handle_t* handle) {
  auto* self = static_cast<StdioChannel*>(handle->data);
  if (--self->open_handles_ == 0 && self->closed_) self->closed_();
}

}  // namespace sfu::control
