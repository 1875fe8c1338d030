#pragma once
// A UDP socket on a worker's loop, shared by all of that worker's transports. Reads in
// batches with recvmmsg(2) into a fixed arena (no allocation per packet); writes are
// queued into a fixed arena and flushed with sendmmsg(2) after each received batch, once
// per loop iteration for the rest (timers), or when the queue is full. With UDP GSO
// (UDP_SEGMENT, Linux >= 4.18) a flush sends each run of equal-sized datagrams to one
// destination as one message the kernel splits, so a video frame to a subscriber costs
// one trip down the stack instead of one per packet.
// The only libuv user in transport/ besides the TCP server.

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
  uint64_t gso_messages = 0;  // Messages carrying more than one datagram.
  uint64_t gso_packets = 0;   // Datagrams sent in them.
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
  static constexpr size_t kSendQueue = 512;
  // GSO limits: the kernel's UDP_MAX_SEGMENTS (64 before Linux 6.x raised it), a total
  // below the IP length limit, and segments that fit a 1500-byte Ethernet MTU over IPv6
  // (a segment larger than the path MTU fails where plain sends would fragment).
  static constexpr size_t kGsoMaxSegments = 64;
  static constexpr size_t kGsoMaxBytes = 65000;
  static constexpr size_t kGsoMaxSegmentSize = 1452;

  // Binds `local` (port 0: any). `buffer_bytes` sizes SO_RCVBUF/SO_SNDBUF (forced when
  // privileged, as the default cap drops bursts).
  static StatusOr<std::unique_ptr<UdpSocket>> Bind(uv_loop_t* loop, const SocketAddress& local,
                                                   Listener& listener,
                                                   int buffer_bytes = 16 << 20, bool gso = true);
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
  // False when disabled at Bind or after the kernel refused a GSO send (EIO: the device
  // cannot checksum), from then on every datagram goes alone.
  bool gso() const { return gso_; }

 private:
  UdpSocket(int fd, Listener& listener);
  static void OnPoll(uv_poll_t* handle, int status, int events);
  static void OnCheck(uv_check_t* handle);
  void ReadBatches();
  // Fills tx_msg_ from the queue: one message per entry, or with GSO one per run of
  // equal-sized entries to one destination (the last of a run may be shorter). Returns the
  // message count; tx_group_[i] is the message of entry i.
  size_t BuildMessages();
  // Sends the entries of message `m` one by one after the kernel refused them together.
  void SendAlone(size_t m);

  int fd_;
  Listener& listener_;
  SocketAddress local_;
  uv_poll_t poll_{};
  uv_check_t check_{};
  bool writable_wait_ = false;
  bool closed_ = false;
  bool gso_ = true;
  int open_handles_ = 2;
  UdpSocketCounters counters_;

  // Receive arena.
  std::array<std::array<uint8_t, kMaxDatagram>, kBatch> rx_buf_{};
  std::array<sockaddr_storage, kBatch> rx_addr_{};
  std::array<iovec, kBatch> rx_iov_{};
  std::array<mmsghdr, kBatch> rx_msg_{};

  // Send queue: entry i is tx_buf_[i] (tx_len_[i] bytes) to tx_addr_[i].
  std::array<std::array<uint8_t, kMaxDatagram>, kSendQueue> tx_buf_{};
  std::array<uint16_t, kSendQueue> tx_len_{};
  std::array<sockaddr_storage, kSendQueue> tx_addr_{};
  std::array<socklen_t, kSendQueue> tx_addr_len_{};
  size_t tx_count_ = 0;

  // Flush scratch: messages, their iovecs (grouped by message) and GSO control data.
  struct Message {
    uint16_t first_entry = 0;  // Queue index of its first datagram (its destination).
    uint32_t first_iov = 0;
    uint16_t count = 0;
    uint16_t segment = 0;  // Size of every datagram but the last.
    uint32_t bytes = 0;
    bool open = true;      // Still accepts datagrams of `segment` bytes.
  };
  union Control {
    cmsghdr header;
    uint8_t bytes[CMSG_SPACE(sizeof(uint16_t))];
  };
  std::array<Message, kSendQueue> messages_{};
  std::array<uint16_t, kSendQueue> tx_group_{};
  std::array<iovec, kSendQueue> tx_iov_{};
  std::array<mmsghdr, kSendQueue> tx_msg_{};
  std::array<Control, kSendQueue> tx_control_{};
  // Destination -> its latest message, open addressing, stamped per flush (no clearing).
  struct Slot {
    uint32_t stamp = 0;
    uint16_t message = 0;
  };
  std::array<Slot, 2 * kSendQueue> dest_table_{};
  uint32_t stamp_ = 0;
};

}  // namespace sfu
