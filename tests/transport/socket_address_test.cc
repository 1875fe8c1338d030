#include "transport/socket_address.h"

#include <gtest/gtest.h>

#include "absl/container/flat_hash_set.h"

namespace sfu {
namespace {

TEST(SocketAddressTest, ParsesAndFormats) {
  auto v4 = SocketAddress::FromIp("192.0.2.1", 3478);
  ASSERT_TRUE(v4.has_value());
  EXPECT_TRUE(v4->is_v4());
  EXPECT_EQ(v4->ToString(), "192.0.2.1:3478");
  EXPECT_EQ(v4->ip_bytes().size(), 4u);
  auto v6 = SocketAddress::FromIp("2001:db8::1", 443);
  ASSERT_TRUE(v6.has_value());
  EXPECT_EQ(v6->ToString(), "[2001:db8::1]:443");
  EXPECT_FALSE(SocketAddress::FromIp("example.com", 1).has_value());
  EXPECT_FALSE(SocketAddress::FromIp("[::1]", 1).has_value());
  EXPECT_FALSE(SocketAddress().valid());
  EXPECT_EQ(SocketAddress().ToString(), "invalid:0");
}

TEST(SocketAddressTest, EqualityHashAndSockaddrRoundTrip) {
  auto a = *SocketAddress::FromIp("127.0.0.1", 5000);
  auto b = *SocketAddress::FromSockaddr(a.sockaddr_ptr(), a.sockaddr_len());
  EXPECT_EQ(a, b);
  EXPECT_FALSE(a == *SocketAddress::FromIp("127.0.0.1", 5001));
  EXPECT_FALSE(a == *SocketAddress::FromIp("::ffff:127.0.0.1", 5000));
  absl::flat_hash_set<SocketAddress> set = {a, b, *SocketAddress::FromIp("::1", 5000)};
  EXPECT_EQ(set.size(), 2u);
  const uint8_t ip[] = {10, 0, 0, 1};
  EXPECT_EQ(SocketAddress::FromBytes(ip, 1)->ToString(), "10.0.0.1:1");
  EXPECT_FALSE(SocketAddress::FromBytes(std::span(ip).first(3), 1).has_value());
  EXPECT_FALSE(SocketAddress::FromSockaddr(nullptr, 0).has_value());
}

}  // namespace
}  // namespace sfu
