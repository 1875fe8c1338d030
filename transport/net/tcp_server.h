#pragma once
// ICE-TCP, passive side (RFC 6544): a TCP listener on a worker's loop whose connections
// carry STUN, DTLS and SRTP framed by a 2-byte length (RFC 4571). Connections are
// identified by a number; frames are handed up as they complete.

#include <uv.h>

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/units.h"
#include "transport/socket_address.h"

namespace sfu {

// RFC 4571 framing: takes stream bytes, yields frames (at most 65535 bytes each).
class Rfc4571Decoder {
 public:
  template <typename F>
  void Feed(std::span<const uint8_t> data, F&& on_frame) {
    for (uint8_t b : data) {
      if (header_len_ < 2) {
        header_[header_len_++] = b;
        if (header_len_ == 2) {
          expected_ = (size_t{header_[0]} << 8) | header_[1];
          frame_.clear();
          if (expected_ == 0) {
            header_len_ = 0;
          }
        }
        continue;
      }
      frame_.push_back(b);
      if (frame_.size() == expected_) {
        on_frame(std::span<uint8_t>(frame_));
        header_len_ = 0;
      }
    }
  }

 private:
  uint8_t header_[2] = {};
  size_t header_len_ = 0;
  size_t expected_ = 0;
  std::vector<uint8_t> frame_;
};

struct TcpServerCounters {
  uint64_t connections_accepted = 0;
  uint64_t connections_refused = 0;
  uint64_t frames_received = 0;
  uint64_t frames_sent = 0;
  uint64_t send_dropped = 0;
};

class TcpServer {
 public:
  class Listener {
   public:
    virtual ~Listener() = default;
    virtual void OnTcpFrame(uint64_t connection, const SocketAddress& from, std::span<uint8_t> frame,
                            Timestamp now) = 0;
    virtual void OnTcpClosed(uint64_t connection) = 0;
  };

  static constexpr size_t kMaxConnections = 4096;
  static constexpr size_t kMaxQueuedBytes = 1 << 20;  // Per connection.

  static StatusOr<std::unique_ptr<TcpServer>> Listen(uv_loop_t* loop, const SocketAddress& local,
                                                     Listener& listener);
  ~TcpServer();
  TcpServer(const TcpServer&) = delete;
  TcpServer& operator=(const TcpServer&) = delete;

  // Sends one frame on `connection` (dropped if it is gone or its queue is full).
  void Send(uint64_t connection, std::span<const uint8_t> frame);
  void CloseConnection(uint64_t connection);
  // Closes the listener and every connection; destroy once closed() is true.
  void Close();
  bool closed() const { return closing_ && open_handles_ == 0; }

  const SocketAddress& local_address() const { return local_; }
  const TcpServerCounters& counters() const { return counters_; }
  size_t connection_count() const { return connections_.size(); }

  struct Connection;

 private:
  TcpServer(uv_loop_t* loop, Listener& listener);
  static void OnConnection(uv_stream_t* server, int status);
  void Drop(Connection* c);

  uv_loop_t* loop_;
  Listener& listener_;
  uv_tcp_t server_{};
  SocketAddress local_;
  uint64_t next_id_ = 1;
  std::map<uint64_t, std::unique_ptr<Connection>> connections_;
  int open_handles_ = 0;
  bool closing_ = false;
  TcpServerCounters counters_;
};

}  // namespace sfu
