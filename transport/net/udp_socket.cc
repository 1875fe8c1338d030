#include "transport/net/udp_socket.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/check.h"
#include "base/str_cat.h"

namespace sfu {

StatusOr<std::unique_ptr<UdpSocket>> UdpSocket::Bind(uv_loop_t* loop, const SocketAddress& local,
                                                     Listener& listener, int buffer_bytes) {
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
  for (size_t i = 0; i < kSendQueue; ++i) {
    tx_msg_[i].msg_hdr.msg_iov = &tx_iov_[i];
    tx_msg_[i].msg_hdr.msg_iovlen = 1;
    tx_msg_[i].msg_hdr.msg_name = &tx_addr_[i];
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
  tx_iov_[i] = {tx_buf_[i].data(), data.size()};
  std::memcpy(&tx_addr_[i], to.sockaddr_ptr(), to.sockaddr_len());
  tx_msg_[i].msg_hdr.msg_namelen = to.sockaddr_len();
}

std::span<uint8_t> UdpSocket::SendBuffer() {
  if (closed_) return {};
  if (tx_count_ == kSendQueue) Flush();
  if (tx_count_ == kSendQueue) return {};
  return tx_buf_[tx_count_];
}

void UdpSocket::Flush() {
  size_t done = 0;
  while (done < tx_count_) {
    int n = sendmmsg(fd_, tx_msg_.data() + done, static_cast<unsigned>(tx_count_ - done), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        if (!writable_wait_) {
          writable_wait_ = true;
          uv_poll_start(&poll_, UV_READABLE | UV_WRITABLE, OnPoll);
        }
        break;
      }
      // A datagram the kernel refuses (unreachable, too big): skip it, keep the rest.
      ++counters_.send_errors;
      ++done;
      continue;
    }
    ++counters_.send_batches;
    for (int i = 0; i < n; ++i) counters_.bytes_sent += tx_msg_[done + static_cast<size_t>(i)].msg_len;
    counters_.packets_sent += static_cast<uint64_t>(n);
    done += static_cast<size_t>(n);
  }
  if (done == 0) return;
  // Keep what is left at the front of the queue.
  size_t left = tx_count_ - done;
  for (size_t i = 0; i < left; ++i) {
    std::memcpy(tx_buf_[i].data(), tx_buf_[done + i].data(), tx_iov_[done + i].iov_len);
    tx_iov_[i] = {tx_buf_[i].data(), tx_iov_[done + i].iov_len};
    tx_addr_[i] = tx_addr_[done + i];
    tx_msg_[i].msg_hdr.msg_namelen = tx_msg_[done + i].msg_hdr.msg_namelen;
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
