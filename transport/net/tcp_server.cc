#include "transport/net/tcp_server.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/str_cat.h"

namespace sfu {

struct TcpServer::Connection {
  TcpServer* server = nullptr;
  uint64_t id = 0;
  uv_tcp_t handle{};
  SocketAddress remote;
  Rfc4571Decoder decoder;
  char read_buffer[16384];
  bool closing = false;
};

namespace {

struct WriteRequest {
  uv_write_t req;
  std::vector<uint8_t> data;
};

}  // namespace

StatusOr<std::unique_ptr<TcpServer>> TcpServer::Listen(uv_loop_t* loop, const SocketAddress& local,
                                                       Listener& listener) {
  // Bind and listen on a plain socket first, so a failure leaves no libuv handle behind.
  int fd = ::socket(local.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(StrCat("socket: ", std::strerror(errno)));
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (local.is_v6()) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  if (::bind(fd, local.sockaddr_ptr(), local.sockaddr_len()) != 0 || ::listen(fd, 128) != 0) {
    int err = errno;
    ::close(fd);
    return absl::UnavailableError(StrCat("cannot listen on TCP ", local.ToString(), ": ", std::strerror(err)));
  }
  auto s = std::unique_ptr<TcpServer>(new TcpServer(loop, listener));
  uv_tcp_init(loop, &s->server_);
  s->server_.data = s.get();
  s->open_handles_ = 1;
  uv_tcp_open(&s->server_, fd);
  uv_listen(reinterpret_cast<uv_stream_t*>(&s->server_), 128, OnConnection);
  sockaddr_storage bound{};
  socklen_t len = sizeof(bound);
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
  s->local_ = *SocketAddress::FromSockaddr(reinterpret_cast<sockaddr*>(&bound), len);
  return s;
}

TcpServer::TcpServer(uv_loop_t* loop, Listener& listener) : loop_(loop), listener_(listener) {}

TcpServer::~TcpServer() = default;

void TcpServer::OnConnection(uv_stream_t* server, int status) {
  auto* self = static_cast<TcpServer*>(server->data);
  if (status < 0 || self->closing_) return;
  auto c = std::make_unique<Connection>();
  c->server = self;
  c->id = self->next_id_++;
  uv_tcp_init(self->loop_, &c->handle);
  c->handle.data = c.get();
  ++self->open_handles_;
  if (uv_accept(server, reinterpret_cast<uv_stream_t*>(&c->handle)) != 0 ||
      self->connections_.size() >= kMaxConnections) {
    ++self->counters_.connections_refused;
    Connection* raw = c.release();
    uv_close(reinterpret_cast<uv_handle_t*>(&raw->handle), [](uv_handle_t* h) {
      auto* conn = static_cast<Connection*>(h->data);
      --conn->server->open_handles_;
      delete conn;
    });
    return;
  }
  uv_tcp_nodelay(&c->handle, 1);
  sockaddr_storage peer{};
  int len = sizeof(peer);
  uv_tcp_getpeername(&c->handle, reinterpret_cast<sockaddr*>(&peer), &len);
  if (auto a = SocketAddress::FromSockaddr(reinterpret_cast<sockaddr*>(&peer), static_cast<socklen_t>(len))) {
    c->remote = *a;
  }
  ++self->counters_.connections_accepted;
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(&c->handle),
      [](uv_handle_t* h, size_t, uv_buf_t* buf) {
        auto* conn = static_cast<Connection*>(h->data);
        *buf = uv_buf_init(conn->read_buffer, sizeof(conn->read_buffer));
      },
      [](uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
        auto* conn = static_cast<Connection*>(stream->data);
        TcpServer* srv = conn->server;
        if (nread < 0) {
          srv->Drop(conn);
          return;
        }
        Timestamp now = Timestamp::Micros(static_cast<int64_t>(uv_hrtime() / 1000));
        uint64_t id = conn->id;
        SocketAddress remote = conn->remote;
        conn->decoder.Feed({reinterpret_cast<const uint8_t*>(buf->base), static_cast<size_t>(nread)},
                           [srv, id, &remote, now](std::span<uint8_t> frame) {
                             ++srv->counters_.frames_received;
                             srv->listener_.OnTcpFrame(id, remote, frame, now);
                           });
      });
  self->connections_[c->id] = std::move(c);
}

void TcpServer::Drop(Connection* c) {
  if (c->closing) return;
  c->closing = true;
  uint64_t id = c->id;
  auto it = connections_.find(id);
  Connection* raw = it->second.release();
  connections_.erase(it);
  uv_close(reinterpret_cast<uv_handle_t*>(&raw->handle), [](uv_handle_t* h) {
    auto* conn = static_cast<Connection*>(h->data);
    --conn->server->open_handles_;
    delete conn;
  });
  if (!closing_) listener_.OnTcpClosed(id);
}

void TcpServer::Send(uint64_t connection, std::span<const uint8_t> frame) {
  auto it = connections_.find(connection);
  if (it == connections_.end() || frame.size() > 65535) {
    ++counters_.send_dropped;
    return;
  }
  auto* stream = reinterpret_cast<uv_stream_t*>(&it->second->handle);
  if (uv_stream_get_write_queue_size(stream) > kMaxQueuedBytes) {
    ++counters_.send_dropped;
    return;
  }
  auto* w = new WriteRequest();
  w->data.resize(frame.size() + 2);
  w->data[0] = static_cast<uint8_t>(frame.size() >> 8);
  w->data[1] = static_cast<uint8_t>(frame.size());
  std::memcpy(w->data.data() + 2, frame.data(), frame.size());
  uv_buf_t buf = uv_buf_init(reinterpret_cast<char*>(w->data.data()), static_cast<unsigned>(w->data.size()));
  if (uv_write(&w->req, stream, &buf, 1, [](uv_write_t* req, int) { delete reinterpret_cast<WriteRequest*>(req); }) != 0) {
    delete w;
    ++counters_.send_dropped;
    return;
  }
  ++counters_.frames_sent;
}

void TcpServer::CloseConnection(uint64_t connection) {
  auto it = connections_.find(connection);
  if (it != connections_.end()) Drop(it->second.get());
}

void TcpServer::Close() {
  if (closing_) return;
  closing_ = true;
  while (!connections_.empty()) Drop(connections_.begin()->second.get());
  uv_close(reinterpret_cast<uv_handle_t*>(&server_), [](uv_handle_t* h) {
    auto* self = static_cast<TcpServer*>(h->data);
    --self->open_handles_;
  });
}

}  // namespace sfu
