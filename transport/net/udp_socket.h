#pragma once
// A UDP socket on a worker's loop, shared by all of that worker's transports. Reads in
// batches with recvmmsg(2) into a fixed arena (no allocation per packet); writes are
// queued into a fixed arena and flushed with sendmmsg(2) once per loop iteration, or when
// the batch is full. The only libuv user in transport/ besides the TCP server.

#include <netinet/in.h>
#include <sys/socket.h>
#include <uv.h>

#include <array>
#include <cstdint>
#include <memory>
#include <span>

#include "base/status.h"
#include "base/units.h"
#include "transport/socket_address.h"

namespace sfu {

struct UdpSocketCounters {
  uint64_t packets_received = 0;
  uint64_t bytes_received = 0;
  uint64_t receive_batches = 0;
  uint64_t packets_sent = 0;
  uint64_t bytes_sent = 0;
  uint64_t send_batches = 0;
  uint64_t send_dropped = 0;  // Queue full while the socket would block, or too large.
  uint64_t send_errors = 0;
};

class UdpSocket {
 public:
  class Listener {
   public:
    virtual ~Listener() = default;
    // `data` lives until the callback returns and may be modified in place.
    virtual void OnUdpPacket(std::span<uint8_t> data, const SocketAddress& from, Timestamp now) = 0;
  };

  static constexpr size_t kBatch = 32;
  static constexpr size_t kMaxDatagram = 2048;
  static constexpr size_t kSendQueue = 128;

  // Binds `local` (port 0: any). `buffer_bytes` sizes SO_RCVBUF/SO_SNDBUF (forced when
  // privileged, as the default cap drops bursts).
  static StatusOr<std::unique_ptr<UdpSocket>> Bind(uv_loop_t* loop, const SocketAddress& local,
                                                   Listener& listener,
                                                   int buffer_bytes = 16 << 20);
  ~UdpSocket();
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;

  // Queues one datagram (copied); sent at the end of this loop iteration.
  void Send(std::span<const uint8_t> data, const SocketAddress& to);
  // The next free slot of the send queue (kMaxDatagram bytes; empty when the queue stays
  // full). A datagram written there and passed to Send() is queued without a copy.
  std::span<uint8_t> SendBuffer();
  void Flush();
  // Stops and closes the handles. The object must outlive the loop's processing of the
  // close: destroy it once closed() is true (the next loop iteration).
  void Close();
  bool closed() const { return open_handles_ == 0; }

  const SocketAddress& local_address() const { return local_; }
  const UdpSocketCounters& counters() const { return counters_; }

 private:
  UdpSocket(int fd, Listener& listener);
  static void OnPoll(uv_poll_t* handle, int status, int events);
  static void OnCheck(uv_check_t* handle);
  void ReadBatches();

  int fd_;
  Listener& listener_;
  SocketAddress local_;
  uv_poll_t poll_{};
  uv_check_t check_{};
  bool writable_wait_ = false;
  bool closed_ = false;
  int open_handles_ = 2;
  UdpSocketCounters counters_;

  // Receive arena.
  std::array<std::array<uint8_t, kMaxDatagram>, kBatch> rx_buf_{};
  std::array<sockaddr_storage, kBatch> rx_addr_{};
  std::array<iovec, kBatch> rx_iov_{};
  std::array<mmsghdr, kBatch> rx_msg_{};

  // Send queue.
  std::array<std::array<uint8_t, kMaxDatagram>, kSendQueue> tx_buf_{};
  std::array<sockaddr_storage, kSendQueue> tx_addr_{};
  std::array<iovec, kSendQueue> tx_iov_{};
  std::array<mmsghdr, kSendQueue> tx_msg_{};
  size_t tx_count_ = 0;
};

}  // namespace sfu
