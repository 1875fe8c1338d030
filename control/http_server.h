#pragma once
// A small HTTP/1.1 server on the control loop (libwebsockets, libuv foreign loop) for
// WHIP and, later, WHEP and the demo page. A handler gets the parsed request and answers
// at once or later (after a worker round trip). CORS is answered for every route so a
// page on another origin can use WHIP (RFC 9725 section 4.7).

#include <uv.h>

#include <functional>
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
  lws_context* context_ = nullptr;
  int port_ = 0;
  std::set<Exchange*> exchanges_;
  uv_timer_t close_timer_{};
  std::function<void()> closed_;
};

}  // namespace sfu::control
