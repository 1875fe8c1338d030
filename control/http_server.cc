#include "control/http_server.h"

#include <libwebsockets.h>

#include <cstring>

#include "base/log.h"
#include "base/str_cat.h"
#include "control/lws_util.h"

namespace sfu::control {

struct HttpServer::Exchange {
  lws* wsi = nullptr;
  HttpRequest request;
  bool too_large = false;
  bool dispatched = false;
  std::optional<HttpResponse> response;
  std::shared_ptr<bool> valid = std::make_shared<bool>(true);
  // A stream: its head (sent first), then the queued chunks.
  std::optional<std::string> stream_head;
  std::deque<std::string> chunks;
  bool overflow = false;
};

namespace {

class StreamImpl final : public HttpStream {
 public:
  explicit StreamImpl(HttpServer::Exchange* e);
  bool Write(std::string data) override;
  bool open() const override {
    auto alive = valid_.lock();
    return alive && *alive;
  }

 private:
  HttpServer::Exchange* e_;
  std::weak_ptr<bool> valid_;
};

}  // namespace

namespace {

int LwsHttpCallback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
  return HttpServer::Callback(wsi, static_cast<int>(reason), user, in, len);
}

const lws_protocols kHttpProtocols[] = {
    {"http", LwsHttpCallback, sizeof(void*), 0, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0}};

std::string Method(lws* wsi) {
  if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI)) return "GET";
  if (lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI)) return "POST";
  if (lws_hdr_total_length(wsi, WSI_TOKEN_OPTIONS_URI)) return "OPTIONS";
  if (lws_hdr_total_length(wsi, WSI_TOKEN_DELETE_URI)) return "DELETE";
  if (lws_hdr_total_length(wsi, WSI_TOKEN_PATCH_URI)) return "PATCH";
  if (lws_hdr_total_length(wsi, WSI_TOKEN_PUT_URI)) return "PUT";
  return "";
}

const char* Reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Status";
  }
}

std::string CorsHeaders() {
  // CORS on every response (RFC 9725 section 4.7): the page may be elsewhere.
  return "Access-Control-Allow-Origin: *\r\n"
         "Access-Control-Expose-Headers: Location, Link, ETag\r\n";
}

int WriteRaw(lws* wsi, std::string_view bytes, lws_write_protocol mode) {
  std::vector<unsigned char> buf(LWS_PRE + bytes.size());
  std::memcpy(buf.data() + LWS_PRE, bytes.data(), bytes.size());
  int n = lws_write(wsi, buf.data() + LWS_PRE, bytes.size(), mode);
  return n < static_cast<int>(bytes.size()) ? -1 : 0;
}

// Writes a whole response; returns nonzero when the connection should close.
int WriteResponse(lws* wsi, const HttpResponse& r) {
  std::string head = StrCat("HTTP/1.1 ", r.status, " ", Reason(r.status), "\r\n");
  StrAppend(&head, "Server: sfu\r\nContent-Length: ", r.body.size(), "\r\n");
  if (!r.content_type.empty()) StrAppend(&head, "Content-Type: ", r.content_type, "\r\n");
  head += CorsHeaders();
  for (const auto& [name, value] : r.headers) StrAppend(&head, name, ": ", value, "\r\n");
  head += "\r\n";
  if (WriteRaw(wsi, head + r.body, LWS_WRITE_HTTP_FINAL) != 0) return -1;
  return lws_http_transaction_completed(wsi) ? -1 : 0;
}

StreamImpl::StreamImpl(HttpServer::Exchange* e) : e_(e), valid_(e->valid) {}

bool StreamImpl::Write(std::string data) {
  if (!open()) return false;
  if (e_->chunks.size() >= kMaxQueued) {
    e_->overflow = true;  // A reader this slow is cut off; it can reconnect.
  } else {
    e_->chunks.push_back(std::move(data));
  }
  lws_callback_on_writable(e_->wsi);
  return true;
}

// Sends the stream's head or its next chunk; nonzero closes the connection.
int WriteStream(lws* wsi, HttpServer::Exchange* e) {
  if (e->overflow) return -1;
  if (e->stream_head) {
    std::string head = std::move(*e->stream_head);
    e->stream_head.reset();
    if (WriteRaw(wsi, head, LWS_WRITE_HTTP) != 0) return -1;
  } else if (!e->chunks.empty()) {
    std::string chunk = std::move(e->chunks.front());
    e->chunks.pop_front();
    if (WriteRaw(wsi, chunk, LWS_WRITE_HTTP) != 0) return -1;
  }
  if (!e->chunks.empty()) lws_callback_on_writable(wsi);
  return 0;
}

}  // namespace

HttpServer::HttpServer(uv_loop_t* loop, HttpServerOptions options)
    : loop_(loop), options_(std::move(options)) {}

HttpServer::~HttpServer() {
  for (Exchange* e : exchanges_) *e->valid = false;
  if (context_) lws_context_destroy(context_);
}

void HttpServer::Route(std::string prefix, HttpHandler handler) {
  routes_[std::move(prefix)] = std::move(handler);
}

void HttpServer::RouteStream(std::string prefix, std::string suffix, std::string content_type,
                             HttpStreamHandler handler) {
  stream_routes_.push_back({std::move(prefix), std::move(suffix), std::move(content_type), std::move(handler)});
}

Status HttpServer::Start() {
  auto listener = CreateLwsListener(loop_, options_.host, options_.port, kHttpProtocols, this);
  if (!listener.ok()) return listener.status();
  context_ = listener->context;
  port_ = listener->port;
  SFU_LOG(kInfo, kHttp, "HTTP listening on ", options_.host, ":", port_);
  return absl::OkStatus();
}

int HttpServer::Callback(lws* wsi, int reason, void* user, void* in, size_t len) {
  lws_context* context = lws_get_context(wsi);
  auto* self = context ? static_cast<HttpServer*>(lws_context_user(context)) : nullptr;
  if (!self) return 0;
  return self->OnEvent(wsi, reason, static_cast<Exchange**>(user), in, len);
}

int HttpServer::OnEvent(lws* wsi, int reason, Exchange** slot, void* in, size_t len) {
  switch (reason) {
    case LWS_CALLBACK_HTTP: {
      if (*slot) {  // A kept-alive connection's previous request.
        *(*slot)->valid = false;
        exchanges_.erase(*slot);
        delete *slot;
      }
      auto* e = new Exchange();
      e->wsi = wsi;
      e->request.method = Method(wsi);
      e->request.path = std::string(static_cast<const char*>(in), len);
      e->request.content_type = LwsHeader(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE);
      e->request.authorization = LwsHeader(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
      // Query arguments ("a=1", "b=2"; libwebsockets has decoded them), joined by '&'.
      for (int n = 0; n < 16; ++n) {
        char arg[512];
        int got = lws_hdr_copy_fragment(wsi, arg, sizeof(arg), WSI_TOKEN_HTTP_URI_ARGS, n);
        if (got <= 0) break;
        if (!e->request.query.empty()) e->request.query += '&';
        e->request.query.append(arg, static_cast<size_t>(got));
      }
      *slot = e;
      exchanges_.insert(e);
      if ((e->request.method == "POST" || e->request.method == "PATCH" || e->request.method == "PUT") &&
          LwsHeader(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) != "0") {
        return 0;  // Wait for the body (an empty one has no completion callback).
      }
      Dispatch(e);
      return 0;
    }
    case LWS_CALLBACK_HTTP_BODY: {
      Exchange* e = *slot;
      if (!e) return 0;
      if (e->request.body.size() + len > options_.max_body) {
        e->too_large = true;
      } else {
        e->request.body.append(static_cast<const char*>(in), len);
      }
      return 0;
    }
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
      if (*slot) Dispatch(*slot);
      return 0;
    case LWS_CALLBACK_HTTP_WRITEABLE: {
      Exchange* e = *slot;
      if (!e) return 0;
      if (!e->response) return e->stream_head || !e->chunks.empty() || e->overflow ? WriteStream(wsi, e) : 0;
      HttpResponse r = std::move(*e->response);
      e->response.reset();
      return WriteResponse(wsi, r);
    }
    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
      if (*slot) {
        *(*slot)->valid = false;
        exchanges_.erase(*slot);
        delete *slot;
        *slot = nullptr;
      }
      return 0;
    default:
      return 0;
  }
}

void HttpServer::Dispatch(Exchange* e) {
  if (e->dispatched) return;
  e->dispatched = true;
  std::weak_ptr<bool> valid = e->valid;
  HttpRespond respond = [e, valid](HttpResponse r) {
    auto alive = valid.lock();
    if (!alive || !*alive) return;  // The client went away.
    e->response = std::move(r);
    lws_callback_on_writable(e->wsi);
  };
  if (e->too_large) {
    respond({413, "text/plain", {}, "request body too large\n"});
    return;
  }
  if (e->request.method == "OPTIONS") {
    respond({204, "", {{"Access-Control-Allow-Methods", "GET, POST, PATCH, DELETE, OPTIONS"},
                       {"Access-Control-Allow-Headers", "Authorization, Content-Type, If-Match"},
                       {"Access-Control-Max-Age", "86400"}}, ""});
    return;
  }
  const std::string& path = e->request.path;
  for (const StreamRoute& route : stream_routes_) {
    if (e->request.method != "GET" || path.size() < route.prefix.size() + route.suffix.size() ||
        path.compare(0, route.prefix.size(), route.prefix) != 0 ||
        path.compare(path.size() - route.suffix.size(), route.suffix.size(), route.suffix) != 0) {
      continue;
    }
    auto stream = std::make_shared<StreamImpl>(e);
    e->stream_head = StrCat("HTTP/1.1 200 OK\r\nServer: sfu\r\nContent-Type: ", route.content_type,
                            "\r\nCache-Control: no-cache\r\nX-Accel-Buffering: no\r\n", CorsHeaders(), "\r\n");
    if (auto refused = route.handler(e->request, stream)) {
      e->stream_head.reset();
      e->chunks.clear();
      respond(std::move(*refused));
      return;
    }
    // The connection stays open for as long as the client wants it.
    lws_set_timeout(e->wsi, NO_PENDING_TIMEOUT, 0);
    lws_callback_on_writable(e->wsi);
    return;
  }
  for (auto& [prefix, handler] : routes_) {
    if (e->request.path.compare(0, prefix.size(), prefix) == 0) {
      handler(e->request, std::move(respond));
      return;
    }
  }
  respond({404, "text/plain", {}, "not found\n"});
}

void HttpServer::Close(std::function<void()> done) {
  closed_ = std::move(done);
  uv_timer_init(loop_, &close_timer_);
  close_timer_.data = this;
  uv_timer_start(&close_timer_, OnCloseTimer, 0, 0);
}

void HttpServer::OnCloseTimer(uv_timer_t* timer) {
  auto* self = static_cast<HttpServer*>(timer->data);
  uv_close(reinterpret_cast<uv_handle_t*>(timer), nullptr);
  for (Exchange* e : self->exchanges_) *e->valid = false;
  if (self->context_) {
    lws_context* context = self->context_;
    self->context_ = nullptr;
    lws_context_destroy(context);
  }
  auto done = std::move(self->closed_);
  self->closed_ = nullptr;
  if (done) done();
}

std::string QueryParam(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view arg = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (arg.size() > name.size() && arg.substr(0, name.size()) == name && arg[name.size()] == '=') {
      return std::string(arg.substr(name.size() + 1));
    }
  }
  return {};
}

}  // namespace sfu::control
