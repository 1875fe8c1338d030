#pragma once
// A small HTTP/1.1 server on the control loop (libwebsockets, libuv foreign loop) for
// WHIP, WHEP, room events and the demo page. A handler gets the parsed request and
// answers at once or later (after a worker round trip); a stream handler keeps the
// response open and writes it in pieces (Server-Sent Events). CORS is answered for every
// route so a page on another origin can use WHIP (RFC 9725 section 4.7).

#include <uv.h>

#include <deque>
#include <functional>
#include <optional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "base/status.h"

struct lws;
struct lws_context;

namespace sfu::control {

struct HttpRequest {
  std::string method;  // "GET", "POST", "PATCH", "DELETE", "OPTIONS"
  std::string path;
  std::string query;  // Decoded arguments joined by '&' ("name=Ann&x=1").
  std::string content_type;
  std::string authorization;
  std::string body;
};

struct HttpResponse {
  int status = 200;
  std::string content_type;  // Empty: no body type.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// The value of query argument `name` ("" when absent).
std::string QueryParam(std::string_view query, std::string_view name);

// Answers a request once; a response for a connection that has closed is dropped.
using HttpRespond = std::function<void(HttpResponse)>;
using HttpHandler = std::function<void(const HttpRequest&, HttpRespond)>;

// The body of a response that stays open (text/event-stream). Writes are queued and sent
// as the socket allows; a client that lets more than kMaxQueued writes pile up is cut off.
class HttpStream {
 public:
  static constexpr size_t kMaxQueued = 256;
  virtual ~HttpStream() = default;
  // Queues `data`; false once the connection has closed (the stream can be dropped).
  virtual bool Write(std::string data) = 0;
  virtual bool open() const = 0;
};

// Accepts (nullopt: the stream is open and the head is sent with `content_type`) or
// refuses with an ordinary response.
using HttpStreamHandler =
    std::function<std::optional<HttpResponse>(const HttpRequest&, std::shared_ptr<HttpStream>)>;

struct HttpServerOptions {
  std::string host;
  int port = 0;
  size_t max_body = 64 * 1024;
};

class HttpServer {
 public:
  HttpServer(uv_loop_t* loop, HttpServerOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Routes by path prefix ("/whip/"); the longest matching prefix wins.
  void Route(std::string prefix, HttpHandler handler);
  // GET requests whose path starts with `prefix` and ends with `suffix` open a stream;
  // they are matched before the ordinary routes.
  void RouteStream(std::string prefix, std::string suffix, std::string content_type, HttpStreamHandler handler);
  Status Start();
  int port() const { return port_; }
  void Close(std::function<void()> done);

  struct Exchange;  // One request in flight.
  static int Callback(lws* wsi, int reason, void* user, void* in, size_t len);

 private:
  int OnEvent(lws* wsi, int reason, Exchange** slot, void* in, size_t len);
  void Dispatch(Exchange* exchange);
  static void OnCloseTimer(uv_timer_t* timer);

  uv_loop_t* loop_;
  HttpServerOptions options_;
  std::map<std::string, HttpHandler, std::greater<>> routes_;  // Longest prefix first.
  struct StreamRoute {
    std::string prefix;
    std::string suffix;
    std::string content_type;
    HttpStreamHandler handler;
  };
  std::vector<StreamRoute> stream_routes_;
  lws_context* context_ = nullptr;
  int port_ = 0;
  std::set<Exchange*> exchanges_;
  uv_timer_t close_timer_{};
  std::function<void()> closed_;
};

}  // namespace sfu::control
