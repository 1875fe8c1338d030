#include "transport/socket_address.h"

#include <arpa/inet.h>

#include <cstring>

#include "base/str_cat.h"

namespace sfu {

std::optional<SocketAddress> SocketAddress::FromIp(std::string_view ip, uint16_t port) {
  std::string text(ip);
  SocketAddress a;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&a.storage_);
  if (inet_pton(AF_INET, text.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    return a;
  }
  a = SocketAddress();
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.storage_);
  if (inet_pton(AF_INET6, text.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    return a;
  }
  return std::nullopt;
}

std::optional<SocketAddress> SocketAddress::FromBytes(std::span<const uint8_t> ip, uint16_t port) {
  SocketAddress a;
  if (ip.size() == 4) {
    auto* v4 = reinterpret_cast<sockaddr_in*>(&a.storage_);
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    std::memcpy(&v4->sin_addr, ip.data(), 4);
    return a;
  }
  if (ip.size() == 16) {
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.storage_);
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    std::memcpy(&v6->sin6_addr, ip.data(), 16);
    return a;
  }
  return std::nullopt;
}

std::optional<SocketAddress> SocketAddress::FromSockaddr(const sockaddr* sa, socklen_t len) {
  if (!sa) return std::nullopt;
  SocketAddress a;
  if (sa->sa_family == AF_INET && len >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
    std::memcpy(&a.storage_, sa, sizeof(sockaddr_in));
    return a;
  }
  if (sa->sa_family == AF_INET6 && len >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
    std::memcpy(&a.storage_, sa, sizeof(sockaddr_in6));
    return a;
  }
  return std::nullopt;
}

uint16_t SocketAddress::port() const {
  if (is_v4()) return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
  if (is_v6()) return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
  return 0;
}

std::span<const uint8_t> SocketAddress::ip_bytes() const {
  if (is_v4()) {
    return {reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr), 4};
  }
  if (is_v6()) {
    return {reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr), 16};
  }
  return {};
}

socklen_t SocketAddress::sockaddr_len() const {
  if (is_v4()) return sizeof(sockaddr_in);
  if (is_v6()) return sizeof(sockaddr_in6);
  return 0;
}

std::string SocketAddress::IpString() const {
  char buf[INET6_ADDRSTRLEN] = "";
  auto ip = ip_bytes();
  if (ip.empty() || !inet_ntop(family(), ip.data(), buf, sizeof(buf))) return "invalid";
  return buf;
}

std::string SocketAddress::ToString() const {
  if (is_v6()) return StrCat("[", IpString(), "]:", port());
  return StrCat(IpString(), ":", port());
}

bool SocketAddress::operator==(const SocketAddress& o) const {
  if (family() != o.family() || port() != o.port()) return false;
  auto a = ip_bytes();
  auto b = o.ip_bytes();
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace sfu
