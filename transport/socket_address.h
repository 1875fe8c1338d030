#pragma once
// An IPv4 or IPv6 address and port, held as a sockaddr_storage so sockets use it as is.
// No I/O: parsing and formatting only.

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace sfu {

class SocketAddress {
 public:
  SocketAddress() = default;
  // "192.0.2.1" or "2001:db8::1" (no brackets), and a port.
  static std::optional<SocketAddress> FromIp(std::string_view ip, uint16_t port);
  // 4 bytes for IPv4, 16 for IPv6, in network order.
  static std::optional<SocketAddress> FromBytes(std::span<const uint8_t> ip, uint16_t port);
  static std::optional<SocketAddress> FromSockaddr(const sockaddr* sa, socklen_t len);

  bool valid() const { return storage_.ss_family == AF_INET || storage_.ss_family == AF_INET6; }
  bool is_v4() const { return storage_.ss_family == AF_INET; }
  bool is_v6() const { return storage_.ss_family == AF_INET6; }
  int family() const { return storage_.ss_family; }
  uint16_t port() const;
  // The address bytes in network order (4 or 16; empty when invalid).
  std::span<const uint8_t> ip_bytes() const;
  std::string IpString() const;
  std::string ToString() const;  // "192.0.2.1:3478", "[2001:db8::1]:3478"

  const sockaddr* sockaddr_ptr() const { return reinterpret_cast<const sockaddr*>(&storage_); }
  socklen_t sockaddr_len() const;

  bool operator==(const SocketAddress& o) const;

  template <typename H>
  friend H AbslHashValue(H h, const SocketAddress& a) {
    auto ip = a.ip_bytes();
    return H::combine(H::combine_contiguous(std::move(h), ip.data(), ip.size()), a.family(),
                      a.port());
  }

 private:
  sockaddr_storage storage_{};
};

}  // namespace sfu
