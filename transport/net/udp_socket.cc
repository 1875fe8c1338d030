#include "transport/net/udp_socket.h"

#include <fcntl.h>
#include <netinet/udp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/check.h"
#include "base/str_cat.h"

namespace sfu {
namespace {

// Hash and equality of a destination's family, address, port (and IPv6 scope); padding is
// ignored.
uint32_t HashDestination(const sockaddr_storage& a) {
  uint32_t h;
  if (a.ss_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(a);
    uint32_t w[4];
    std::memcpy(w, &v6.sin6_addr, sizeof(w));
    h = w[0] ^ (w[1] * 0x85ebca6bu) ^ (w[2] * 0xc2b2ae35u) ^ w[3] ^ v6.sin6_scope_id;
    h ^= v6.sin6_port;
  } else {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(a);
    h = v4.sin_addr.s_addr ^ (static_cast<uint32_t>(v4.sin_port) << 16);
  }
  h *= 0x9e3779b1u;
  return h ^ (h >> 15);
}

bool SameDestination(const sockaddr_storage& a, const sockaddr_storage& b) {
  if (a.ss_family != b.ss_family) return false;
  if (a.ss_family == AF_INET6) {
    const auto& x = reinterpret_cast<const sockaddr_in6&>(a);
    const auto& y = reinterpret_cast<const sockaddr_in6&>(b);
    return x.sin6_port == y.sin6_port && x.sin6_scope_id == y.sin6_scope_id &&
           std::memcmp(&x.sin6_addr, &y.sin6_addr, sizeof(x.sin6_addr)) == 0;
  }
  const auto& x = reinterpret_cast<const sockaddr_in&>(a);
  const auto& y = reinterpret_cast<const sockaddr_in&>(b);
  return x.sin_port == y.sin_port && x.sin_addr.s_addr == y.sin_addr.s_addr;
}

}  // namespace

StatusOr<std::unique_ptr<UdpSocket>> UdpSocket::Bind(uv_loop_t* loop, const SocketAddress& local,
                                                     Listener& listener, int buffer_bytes, bool gso) {
  int fd = ::socket(local.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(StrCat("socket: ", std::strerror(errno)));
  int one = 1;
  if (local.is_v6()) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  // SO_*BUFFORCE passes the system cap when privileged; otherwise take what is allowed.
  for (auto [force, plain] : {std::pair{SO_RCVBUFFORCE, SO_RCVBUF}, std::pair{SO_SNDBUFFORCE, SO_SNDBUF}}) {
    if (setsockopt(fd, SOL_SOCKET, force, &buffer_bytes, sizeof(buffer_bytes)) != 0) {
      setsockopt(fd, SOL_SOCKET, plain, &buffer_bytes, sizeof(buffer_bytes));
    }
  }
  if (::bind(fd, local.sockaddr_ptr(), local.sockaddr_len()) != 0) {
    int err = errno;
    ::close(fd);
    return absl::UnavailableError(StrCat("cannot bind UDP ", local.ToString(), ": ", std::strerror(err)));
  }
  auto s = std::unique_ptr<UdpSocket>(new UdpSocket(fd, listener));
  // Probe GSO: the option exists on kernels that can send with it.
  int segment = 0;
  s->gso_ = gso && setsockopt(fd, SOL_UDP, UDP_SEGMENT, &segment, sizeof(segment)) == 0;
  sockaddr_storage bound{};
  socklen_t len = sizeof(bound);
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
  s->local_ = *SocketAddress::FromSockaddr(reinterpret_cast<sockaddr*>(&bound), len);
  uv_poll_init_socket(loop, &s->poll_, fd);
  s->poll_.data = s.get();
  uv_poll_start(&s->poll_, UV_READABLE, OnPoll);
  uv_check_init(loop, &s->check_);
  s->check_.data = s.get();
  uv_check_start(&s->check_, OnCheck);
  return s;
}

UdpSocket::UdpSocket(int fd, Listener& listener) : fd_(fd), listener_(listener) {
  for (size_t i = 0; i < kBatch; ++i) {
    rx_iov_[i] = {rx_buf_[i].data(), kMaxDatagram};
    rx_msg_[i].msg_hdr.msg_iov = &rx_iov_[i];
    rx_msg_[i].msg_hdr.msg_iovlen = 1;
    rx_msg_[i].msg_hdr.msg_name = &rx_addr_[i];
  }
}

UdpSocket::~UdpSocket() {
  SFU_CHECK_MSG(closed(), "UdpSocket destroyed before its handles closed");
  if (fd_ >= 0) ::close(fd_);
}

void UdpSocket::OnPoll(uv_poll_t* handle, int status, int events) {
  auto* self = static_cast<UdpSocket*>(handle->data);
  if (status < 0) return;
  if (events & UV_WRITABLE) {
    self->writable_wait_ = false;
    uv_poll_start(&self->poll_, UV_READABLE, OnPoll);
    self->Flush();
  }
  if (events & UV_READABLE) self->ReadBatches();
}

void UdpSocket::OnCheck(uv_check_t* handle) { static_cast<UdpSocket*>(handle->data)->Flush(); }

void UdpSocket::ReadBatches() {
  // A bounded number of batches per wake-up, so one busy socket cannot starve the loop.
  for (int round = 0; round < 8 && !closed_; ++round) {
    for (size_t i = 0; i < kBatch; ++i) rx_msg_[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
    int n = recvmmsg(fd_, rx_msg_.data(), kBatch, MSG_DONTWAIT, nullptr);
    if (n <= 0) return;  // EAGAIN, or an error reported on the next send.
    ++counters_.receive_batches;
    // Time is read once per batch.
    Timestamp now = Timestamp::Micros(static_cast<int64_t>(uv_hrtime() / 1000));
    for (int i = 0; i < n && !closed_; ++i) {
      auto& msg = rx_msg_[static_cast<size_t>(i)];
      if (msg.msg_hdr.msg_flags & MSG_TRUNC) continue;  // Larger than any media packet.
      auto from = SocketAddress::FromSockaddr(static_cast<sockaddr*>(msg.msg_hdr.msg_name),
                                              msg.msg_hdr.msg_namelen);
      if (!from) continue;
      ++counters_.packets_received;
      counters_.bytes_received += msg.msg_len;
      listener_.OnUdpPacket({rx_buf_[static_cast<size_t>(i)].data(), msg.msg_len}, *from, now);
    }
    // What this batch produced leaves now, not after up to eight batches: a packet waits
    // for the fan-out of at most one batch (a frame's packets still share GSO messages).
    Flush();
    if (static_cast<size_t>(n) < kBatch) return;
  }
}

void UdpSocket::Send(std::span<const uint8_t> data, const SocketAddress& to) {
  if (closed_ || data.size() > kMaxDatagram || !to.valid()) {
    ++counters_.send_dropped;
    return;
  }
  if (tx_count_ == kSendQueue) {
    Flush();
    if (tx_count_ == kSendQueue) {
      ++counters_.send_dropped;
      return;
    }
  }
  size_t i = tx_count_++;
  if (data.data() != tx_buf_[i].data()) std::memcpy(tx_buf_[i].data(), data.data(), data.size());
  tx_len_[i] = static_cast<uint16_t>(data.size());
  tx_addr_len_[i] = to.sockaddr_len();
  std::memcpy(&tx_addr_[i], to.sockaddr_ptr(), tx_addr_len_[i]);
}

std::span<uint8_t> UdpSocket::SendBuffer() {
  if (closed_) return {};
  if (tx_count_ == kSendQueue) Flush();
  if (tx_count_ == kSendQueue) return {};
  return tx_buf_[tx_count_];
}

size_t UdpSocket::BuildMessages() {
  // Pass 1: assign each entry to a message. A destination's latest message takes the
  // entry if it is still open and the entry fits; an entry shorter than the segment ends it.
  size_t count = 0;
  if (++stamp_ == 0) {
    dest_table_.fill({});
    stamp_ = 1;
  }
  constexpr size_t kMask = 2 * kSendQueue - 1;
  for (size_t i = 0; i < tx_count_; ++i) {
    size_t len = tx_len_[i];
    bool joinable = gso_ && len <= kGsoMaxSegmentSize;
    Message* m = nullptr;
    Slot* slot = nullptr;
    if (gso_) {
      for (size_t h = HashDestination(tx_addr_[i]) & kMask;; h = (h + 1) & kMask) {
        Slot& s = dest_table_[h];
        if (s.stamp != stamp_) {
          slot = &s;
          break;
        }
        Message& latest = messages_[s.message];
        if (SameDestination(tx_addr_[latest.first_entry], tx_addr_[i])) {
          slot = &s;
          if (joinable && latest.open && len <= latest.segment && latest.count < kGsoMaxSegments &&
              latest.bytes + len <= kGsoMaxBytes) {
            m = &latest;
          }
          break;
        }
      }
    }
    if (m == nullptr) {
      // A new message; it becomes the destination's latest, so later entries never pass
      // this one.
      m = &messages_[count];
      *m = Message{.first_entry = static_cast<uint16_t>(i), .first_iov = 0, .count = 0,
                   .segment = static_cast<uint16_t>(len), .bytes = 0, .open = joinable};
      if (slot) *slot = {stamp_, static_cast<uint16_t>(count)};
      ++count;
    }
    tx_group_[i] = static_cast<uint16_t>(m - messages_.data());
    ++m->count;
    m->bytes += static_cast<uint32_t>(len);
    if (len < m->segment) m->open = false;
  }
  // Pass 2: lay out the iovecs message by message, in queue order within each.
  uint32_t next = 0;
  for (size_t m = 0; m < count; ++m) {
    Message& msg = messages_[m];
    mmsghdr& out = tx_msg_[m];
    out.msg_hdr.msg_name = &tx_addr_[msg.first_entry];
    out.msg_hdr.msg_namelen = tx_addr_len_[msg.first_entry];
    msg.first_iov = next;
    out.msg_hdr.msg_iov = &tx_iov_[next];
    out.msg_hdr.msg_iovlen = msg.count;
    next += msg.count;
    msg.count = 0;  // Refilled below.
    if (out.msg_hdr.msg_iovlen > 1) {
      Control& c = tx_control_[m];
      out.msg_hdr.msg_control = c.bytes;
      out.msg_hdr.msg_controllen = sizeof(c.bytes);
      cmsghdr* cm = CMSG_FIRSTHDR(&out.msg_hdr);
      cm->cmsg_level = SOL_UDP;
      cm->cmsg_type = UDP_SEGMENT;
      cm->cmsg_len = CMSG_LEN(sizeof(uint16_t));
      std::memcpy(CMSG_DATA(cm), &msg.segment, sizeof(uint16_t));
    } else {
      out.msg_hdr.msg_control = nullptr;
      out.msg_hdr.msg_controllen = 0;
    }
  }
  for (size_t i = 0; i < tx_count_; ++i) {
    Message& msg = messages_[tx_group_[i]];
    tx_iov_[msg.first_iov + msg.count++] = {tx_buf_[i].data(), tx_len_[i]};
  }
  return count;
}

void UdpSocket::SendAlone(size_t m) {
  const mmsghdr& msg = tx_msg_[m];
  for (size_t k = 0; k < msg.msg_hdr.msg_iovlen; ++k) {
    const iovec& v = msg.msg_hdr.msg_iov[k];
    ssize_t n = ::sendto(fd_, v.iov_base, v.iov_len, MSG_DONTWAIT,
                         static_cast<const sockaddr*>(msg.msg_hdr.msg_name), msg.msg_hdr.msg_namelen);
    if (n < 0) {
      ++(errno == EAGAIN || errno == EWOULDBLOCK ? counters_.send_dropped : counters_.send_errors);
      continue;
    }
    ++counters_.packets_sent;
    counters_.bytes_sent += v.iov_len;
  }
}

void UdpSocket::Flush() {
  if (tx_count_ == 0) return;
  size_t messages = BuildMessages();
  size_t done = 0;  // Messages sent (or given up).
  while (done < messages) {
    int n = sendmmsg(fd_, tx_msg_.data() + done, static_cast<unsigned>(messages - done), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        if (!writable_wait_) {
          writable_wait_ = true;
          uv_poll_start(&poll_, UV_READABLE | UV_WRITABLE, OnPoll);
        }
        break;
      }
      if (tx_msg_[done].msg_hdr.msg_iovlen > 1) {
        // The kernel refused the datagrams together. EIO: the device cannot offload the
        // checksum, so GSO is off for good; anything else (a too-large segment): only here.
        if (errno == EIO) gso_ = false;
        SendAlone(done);
      } else {
        // A datagram the kernel refuses (unreachable, too big): skip it, keep the rest.
        ++counters_.send_errors;
      }
      ++done;
      continue;
    }
    ++counters_.send_batches;
    for (size_t m = done; m < done + static_cast<size_t>(n); ++m) {
      const mmsghdr& msg = tx_msg_[m];
      counters_.bytes_sent += msg.msg_len;
      counters_.packets_sent += msg.msg_hdr.msg_iovlen;
      if (msg.msg_hdr.msg_iovlen > 1) {
        ++counters_.gso_messages;
        counters_.gso_packets += msg.msg_hdr.msg_iovlen;
      }
    }
    done += static_cast<size_t>(n);
  }
  if (done == messages) {
    tx_count_ = 0;
    return;
  }
  // Keep the entries of unsent messages at the front of the queue, in order.
  size_t left = 0;
  for (size_t i = 0; i < tx_count_; ++i) {
    if (tx_group_[i] < done) continue;
    if (left != i) {
      std::memcpy(tx_buf_[left].data(), tx_buf_[i].data(), tx_len_[i]);
      tx_len_[left] = tx_len_[i];
      tx_addr_[left] = tx_addr_[i];
      tx_addr_len_[left] = tx_addr_len_[i];
    }
    ++left;
  }
  tx_count_ = left;
}

void UdpSocket::Close() {
  if (closed_) return;
  Flush();
  closed_ = true;
  uv_poll_stop(&poll_);
  uv_check_stop(&check_);
  auto on_closed = [](uv_handle_t* h) { --static_cast<UdpSocket*>(h->data)->open_handles_; };
  uv_close(reinterpret_cast<uv_handle_t*>(&poll_), on_closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&check_), on_closed);
}

}  // namespace sfu
