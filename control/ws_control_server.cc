#include "control/ws_control_server.h"

#include <libwebsockets.h>

#include <cstdio>
#include <deque>
#include <vector>

#include "base/str_cat.h"
#include "base/log.h"
#include "control/auth.h"
#include "control/lws_util.h"

namespace sfu::control {

class WsControlServer::Connection final : public ControlSession {
 public:
  Connection(WsControlServer& server, lws* wsi) : server_(server), wsi_(wsi) {
    id_ = server_.hub_.Attach(this);
  }
  ~Connection() override { server_.hub_.Detach(id_); }

  void Send(std::string message, bool droppable) override {
    if (queued_bytes_ + message.size() > server_.options_.max_queued_bytes) {
      if (droppable) {
        ++dropped_;
        return;
      }
      SFU_LOG(kWarn, kControl, "control connection ", id_,
              " is not reading its responses; closing it");
      kill_ = true;
      lws_callback_on_writable(wsi_);
      return;
    }
    queued_bytes_ += message.size();
    tx_.push_back(std::move(message));
    lws_callback_on_writable(wsi_);
  }

  // Handles one received fragment; returns false to drop the connection.
  void OnReceive(const char* data, size_t len, bool message_end) {
    size_t limit = server_.hub_.max_message();
    if (!discarding_ && rx_.size() + len > limit) {
      discarding_ = true;
      discard_size_ = rx_.size();
      rx_.clear();
      rx_.shrink_to_fit();
    }
    if (discarding_) {
      discard_size_ += len;
    } else {
      rx_.append(data, len);
    }
    if (!message_end) return;
    if (discarding_) {
      discarding_ = false;
      server_.hub_.OnOversized(id_, discard_size_);
      return;
    }
    std::string message = std::move(rx_);
    rx_.clear();
    server_.hub_.OnMessage(id_, message);
  }

  // Writes one queued message; returns -1 when the connection is to be closed.
  int OnWritable() {
    if (kill_) return -1;
    if (tx_.empty()) return 0;
    std::string& message = tx_.front();
    buffer_.resize(LWS_PRE + message.size());
    std::copy(message.begin(), message.end(), buffer_.begin() + LWS_PRE);
    int n = lws_write(wsi_, buffer_.data() + LWS_PRE, message.size(), LWS_WRITE_TEXT);
    if (n < static_cast<int>(message.size())) return -1;
    queued_bytes_ -= message.size();
    tx_.pop_front();
    if (!tx_.empty()) lws_callback_on_writable(wsi_);
    return 0;
  }

  bool idle() const { return tx_.empty(); }
  uint64_t id() const { return id_; }
  uint64_t dropped() const { return dropped_; }

 private:
  WsControlServer& server_;
  lws* wsi_;
  uint64_t id_ = 0;
  std::string rx_;
  bool discarding_ = false;
  size_t discard_size_ = 0;
  std::deque<std::string> tx_;
  size_t queued_bytes_ = 0;
  std::vector<unsigned char> buffer_;
  bool kill_ = false;
  uint64_t dropped_ = 0;
};

namespace {

int LwsCallback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
  return WsControlServer::Callback(wsi, static_cast<int>(reason), user, in, len);
}

// protocols[0] also takes plain HTTP; anything but an upgrade gets a 404.
const lws_protocols kProtocols[] = {
    {"sfu-control", LwsCallback, sizeof(void*), 64 * 1024, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0}};

}  // namespace

WsControlServer::WsControlServer(uv_loop_t* loop, ControlHub& hub, WsControlOptions options)
    : loop_(loop), hub_(hub), options_(std::move(options)) {}

WsControlServer::~WsControlServer() {
  if (context_) lws_context_destroy(context_);
}

Status WsControlServer::Start() {
  auto listener = CreateLwsListener(loop_, options_.host, options_.port, kProtocols, this);
  if (!listener.ok()) return listener.status();
  context_ = listener->context;
  port_ = listener->port;
  SFU_LOG(kInfo, kControl, "control WebSocket listening on ", options_.host, ":", port_,
          options_.token.empty() ? " (no token)" : " (bearer token required)");
  return absl::OkStatus();
}

int WsControlServer::Callback(lws* wsi, int reason, void* user, void* in, size_t len) {
  lws_context* context = lws_get_context(wsi);
  auto* self = context ? static_cast<WsControlServer*>(lws_context_user(context)) : nullptr;
  if (!self) return 0;
  return self->OnEvent(wsi, reason, static_cast<Connection**>(user), in, len);
}

int WsControlServer::OnEvent(lws* wsi, int reason, Connection** slot, void* in, size_t len) {
  switch (reason) {
    case LWS_CALLBACK_HTTP:
      // A plain HTTP request to the control port.
      if (lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, nullptr)) return -1;
      return lws_http_transaction_completed(wsi);
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
      // Checked here rather than later so that a refusal is a proper HTTP/1.1 response.
      if (closing_) return -1;
      return CheckUpgrade(wsi);
    case LWS_CALLBACK_ESTABLISHED: {
      auto* connection = new Connection(*this, wsi);
      *slot = connection;
      connections_.insert(connection);
      return 0;
    }
    case LWS_CALLBACK_RECEIVE:
      if (*slot) {
        bool end = lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0;
        (*slot)->OnReceive(static_cast<const char*>(in), len, end);
      }
      return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE:
      return *slot ? (*slot)->OnWritable() : 0;
    case LWS_CALLBACK_CLOSED:
      if (*slot) {
        dropped_by_closed_ += (*slot)->dropped();
        connections_.erase(*slot);
        delete *slot;
        *slot = nullptr;
      }
      return 0;
    default:
      return 0;
  }
}

namespace {

// Answers an upgrade request with a bodiless HTTP/1.1 error. lws_return_http_status()
// would write "HTTP/1.0" at this stage of an upgrade, which strict clients refuse.
void RefuseUpgrade(lws* wsi, unsigned int status) {
  unsigned char buffer[LWS_PRE + 512];
  unsigned char* start = buffer + LWS_PRE;
  unsigned char* end = buffer + sizeof(buffer) - 1;
  const char* reason = status == HTTP_STATUS_UNAUTHORIZED ? "Unauthorized" : "Forbidden";
  int n = std::snprintf(reinterpret_cast<char*>(start), static_cast<size_t>(end - start),
                        "HTTP/1.1 %u %s\r\n", status, reason);
  unsigned char* p = start + n;
  static constexpr char kLength[] = "0";
  static constexpr char kClose[] = "close";
  static constexpr char kBearer[] = "Bearer";
  bool ok = lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH,
                                         reinterpret_cast<const unsigned char*>(kLength), 1, &p,
                                         end) == 0 &&
            lws_add_http_header_by_token(wsi, WSI_TOKEN_CONNECTION,
                                         reinterpret_cast<const unsigned char*>(kClose), 5, &p,
                                         end) == 0;
  if (ok && status == HTTP_STATUS_UNAUTHORIZED) {
    ok = lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_WWW_AUTHENTICATE,
                                      reinterpret_cast<const unsigned char*>(kBearer), 6, &p,
                                      end) == 0;
  }
  if (ok && lws_finalize_http_header(wsi, &p, end) == 0) {
    lws_write(wsi, start, static_cast<size_t>(p - start), LWS_WRITE_HTTP_HEADERS);
  }
}

}  // namespace

// Returns 0 to let the upgrade proceed, 1 after answering with a refusal.
int WsControlServer::CheckUpgrade(lws* wsi) {
  std::string_view why;
  unsigned int status = 0;
  if (options_.token.empty()) {
    // Without a token, only local programs may connect, never a web page: browsers send
    // Origin on every WebSocket handshake (RFC 6455 section 4.1), and do not apply CORS,
    // so any page open on this host could otherwise drive the server.
    if (lws_hdr_total_length(wsi, WSI_TOKEN_ORIGIN) > 0) {
      why = "a browser Origin without a token";
      status = HTTP_STATUS_FORBIDDEN;
    }
  } else {
    std::string header = LwsHeader(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
    if (!BearerTokenMatches(header, options_.token)) {
      why = header.empty() ? "no bearer token" : "wrong bearer token";
      status = HTTP_STATUS_UNAUTHORIZED;
    }
  }
  if (status == 0) return 0;
  ++refused_;
  char peer[64] = "?";
  lws_get_peer_simple(wsi, peer, sizeof(peer));
  SFU_LOG(kWarn, kControl, "control connection from ", peer, " refused: ", why);
  RefuseUpgrade(wsi, status);
  return 1;
}

uint64_t WsControlServer::dropped_notifications() const {
  uint64_t n = dropped_by_closed_;
  for (const Connection* c : connections_) n += c->dropped();
  return n;
}

void WsControlServer::Close(std::function<void()> done) {
  closed_ = std::move(done);
  closing_ = true;
  close_started_ms_ = uv_now(loop_);
  uv_timer_init(loop_, &close_timer_);
  close_timer_.data = this;
  uv_timer_start(&close_timer_, OnCloseTimer, 0, 5);
}

void WsControlServer::OnCloseTimer(uv_timer_t* timer) {
  auto* self = static_cast<WsControlServer*>(timer->data);
  bool flushed = true;
  for (const Connection* c : self->connections_) flushed &= c->idle();
  if (!flushed && uv_now(self->loop_) - self->close_started_ms_ < kFlushTimeoutMs) return;
  if (!flushed) SFU_LOG(kWarn, kControl, "closing control connections with unsent messages");
  uv_timer_stop(timer);
  uv_close(reinterpret_cast<uv_handle_t*>(timer), nullptr);
  if (self->context_) {
    // With a foreign loop, lws closes its handles asynchronously; the loop runs on until
    // they are closed.
    lws_context* context = self->context_;
    self->context_ = nullptr;
    lws_context_destroy(context);
  }
  auto done = std::move(self->closed_);
  self->closed_ = nullptr;
  if (done) done();
}

}  // namespace sfu::control
