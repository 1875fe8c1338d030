#include "transport/net/udp_socket.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

namespace sfu {
namespace {

struct Collect : UdpSocket::Listener {
  std::vector<std::vector<uint8_t>> packets;
  std::vector<SocketAddress> from;
  void OnUdpPacket(std::span<uint8_t> d, const SocketAddress& f, Timestamp) override {
    packets.emplace_back(d.begin(), d.end());
    from.push_back(f);
  }
};

class UdpSocketTest : public ::testing::Test {
 protected:
  void SetUp() override { uv_loop_init(&loop_); }
  void TearDown() override {
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop_), 0);
  }
  // Runs the loop until `done` or 2 s.
  template <typename F>
  void RunUntil(F done) {
    uint64_t start = uv_hrtime();
    while (!done() && uv_hrtime() - start < 2'000'000'000ull) uv_run(&loop_, UV_RUN_NOWAIT);
  }
  void Close(UdpSocket& s) {
    s.Close();
    RunUntil([&] { return s.closed(); });
  }
  uv_loop_t loop_{};
};

TEST_F(UdpSocketTest, BatchedRoundTripOnLoopback) {
  Collect a_events, b_events;
  auto a = UdpSocket::Bind(&loop_, *SocketAddress::FromIp("127.0.0.1", 0), a_events);
  auto b = UdpSocket::Bind(&loop_, *SocketAddress::FromIp("127.0.0.1", 0), b_events);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE((*b)->local_address().port(), 0);
  constexpr int kCount = 300;  // More than one send queue and several receive batches.
  for (int i = 0; i < kCount; ++i) {
    std::vector<uint8_t> d(100 + static_cast<size_t>(i), static_cast<uint8_t>(i));
    (*a)->Send(d, (*b)->local_address());
  }
  RunUntil([&] { return b_events.packets.size() == kCount; });
  ASSERT_EQ(b_events.packets.size(), static_cast<size_t>(kCount));
  for (int i = 0; i < kCount; ++i) {
    EXPECT_EQ(b_events.packets[static_cast<size_t>(i)].size(), 100u + static_cast<size_t>(i));
  }
  EXPECT_EQ(b_events.from[0], (*a)->local_address());
  EXPECT_EQ((*a)->counters().packets_sent, static_cast<uint64_t>(kCount));
  EXPECT_LT((*a)->counters().send_batches, static_cast<uint64_t>(kCount) / 10);  // Batched.
  EXPECT_LT((*b)->counters().receive_batches, static_cast<uint64_t>(kCount));
  Close(**a);
  Close(**b);
}

// Forwards every packet it receives to `to` through `socket`, and notes how many packets
// the socket had sent when each one arrived.
struct Forward : UdpSocket::Listener {
  UdpSocket* socket = nullptr;
  SocketAddress to;
  std::vector<uint64_t> sent_at_arrival;
  void OnUdpPacket(std::span<uint8_t> d, const SocketAddress&, Timestamp) override {
    sent_at_arrival.push_back(socket->counters().packets_sent);
    socket->Send(d, to);
  }
};

TEST_F(UdpSocketTest, WhatABatchQueuesIsSentBeforeTheNextBatchIsHandled) {
  Forward b_events;
  Collect c_events;
  auto b = UdpSocket::Bind(&loop_, *SocketAddress::FromIp("127.0.0.1", 0), b_events);
  auto c = UdpSocket::Bind(&loop_, *SocketAddress::FromIp("127.0.0.1", 0), c_events);
  ASSERT_TRUE(b.ok() && c.ok());
  b_events.socket = b->get();
  b_events.to = (*c)->local_address();
  // Two full receive batches wait in b's buffer before its loop first polls.
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(fd, 0);
  constexpr size_t kCount = 2 * UdpSocket::kBatch;
  for (size_t i = 0; i < kCount; ++i) {
    uint8_t d[64] = {static_cast<uint8_t>(i)};
    ASSERT_EQ(::sendto(fd, d, sizeof(d), 0, (*b)->local_address().sockaddr_ptr(),
                       (*b)->local_address().sockaddr_len()),
              static_cast<ssize_t>(sizeof(d)));
  }
  ::close(fd);
  RunUntil([&] { return c_events.packets.size() == kCount; });
  ASSERT_EQ(c_events.packets.size(), kCount);
  ASSERT_EQ(b_events.sent_at_arrival.size(), kCount);
  EXPECT_EQ(b_events.sent_at_arrival[0], 0u);
  // The first batch's forwards left before the second batch was handed out.
  EXPECT_EQ(b_events.sent_at_arrival[UdpSocket::kBatch], UdpSocket::kBatch);
  EXPECT_EQ((*b)->counters().receive_batches, 2u);
  Close(**b);
  Close(**c);
}

// One datagram of `size` bytes whose bytes name its destination and index.
std::vector<uint8_t> Datagram(size_t size, uint8_t dest, uint8_t index) {
  std::vector<uint8_t> d(size, index);
  d[0] = dest;
  return d;
}

TEST_F(UdpSocketTest, GsoSendsRunsToOneDestinationAsOneMessageInOrder) {
  Collect a_events, b_events, c_events;
  auto a = UdpSocket::Bind(&loop_, *SocketAddress::FromIp("127.0.0.1", 0), a_events);
  auto b = UdpSocket::Bind(&loop_, *SocketAddress::FromIp("127.0.0.1", 0), b_events);
  auto c = UdpSocket::Bind(&loop_, *SocketAddress::FromIp("127.0.0.1", 0), c_events);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  if (!(*a)->gso()) {
    Close(**a);
    Close(**b);
    Close(**c);
    GTEST_SKIP() << "no UDP GSO in this kernel";
  }
  // As a consumer fan-out queues them: packet k to b, then to c, and so on. b's run has a
  // short packet (ends a message), then one too large to join any (alone, and nothing
  // after it may pass it), then more.
  std::vector<size_t> b_sizes = {1200, 1200, 1200, 300, 1200, 1200, 1500, 1200, 1200, 90};
  for (size_t k = 0; k < b_sizes.size(); ++k) {
    (*a)->Send(Datagram(b_sizes[k], 'b', static_cast<uint8_t>(k)), (*b)->local_address());
    (*a)->Send(Datagram(1000, 'c', static_cast<uint8_t>(k)), (*c)->local_address());
  }
  (*a)->Flush();
  RunUntil([&] { return b_events.packets.size() == b_sizes.size() && c_events.packets.size() == b_sizes.size(); });
  ASSERT_EQ(b_events.packets.size(), b_sizes.size());
  ASSERT_EQ(c_events.packets.size(), b_sizes.size());
  for (size_t k = 0; k < b_sizes.size(); ++k) {
    EXPECT_EQ(b_events.packets[k], Datagram(b_sizes[k], 'b', static_cast<uint8_t>(k))) << k;
    EXPECT_EQ(c_events.packets[k], Datagram(1000, 'c', static_cast<uint8_t>(k))) << k;
    EXPECT_EQ(b_events.from[k], (*a)->local_address());
  }
  const auto& counters = (*a)->counters();
  EXPECT_EQ(counters.packets_sent, 2 * b_sizes.size());
  // b: [1200 x3, 300], [1200 x2], 1500 alone, [1200 x2, 90]; c: all ten in one.
  EXPECT_EQ(counters.gso_messages, 4u);
  EXPECT_EQ(counters.gso_packets, 4u + 2 + 3 + 10);
  EXPECT_EQ(counters.send_batches, 1u);
  Close(**a);
  Close(**b);
  Close(**c);
}

TEST_F(UdpSocketTest, GsoRespectsTheSegmentLimitAndCanBeTurnedOff) {
  Collect events, b_events;
  auto b = UdpSocket::Bind(&loop_, *SocketAddress::FromIp("127.0.0.1", 0), b_events);
  ASSERT_TRUE(b.ok());
  for (bool gso : {true, false}) {
    auto a = UdpSocket::Bind(&loop_, *SocketAddress::FromIp("127.0.0.1", 0), events, 1 << 20, gso);
    ASSERT_TRUE(a.ok());
    b_events.packets.clear();
    constexpr size_t kCount = UdpSocket::kGsoMaxSegments + 6;
    for (size_t k = 0; k < kCount; ++k) {
      (*a)->Send(Datagram(200, 'b', static_cast<uint8_t>(k)), (*b)->local_address());
    }
    (*a)->Flush();
    RunUntil([&] { return b_events.packets.size() == kCount; });
    ASSERT_EQ(b_events.packets.size(), kCount);
    for (size_t k = 0; k < kCount; ++k) {
      EXPECT_EQ(b_events.packets[k], Datagram(200, 'b', static_cast<uint8_t>(k)));
    }
    if (gso && (*a)->gso()) {
      EXPECT_EQ((*a)->counters().gso_messages, 2u);
      EXPECT_EQ((*a)->counters().gso_packets, kCount);
    } else {
      EXPECT_FALSE((*a)->gso());
      EXPECT_EQ((*a)->counters().gso_messages, 0u);
    }
    EXPECT_EQ((*a)->counters().packets_sent, kCount);
    Close(**a);
  }
  Close(**b);
}

TEST_F(UdpSocketTest, OversizedAndInvalidSendsAreDroppedAndCounted) {
  Collect events;
  auto a = UdpSocket::Bind(&loop_, *SocketAddress::FromIp("127.0.0.1", 0), events);
  ASSERT_TRUE(a.ok());
  std::vector<uint8_t> big(UdpSocket::kMaxDatagram + 1);
  (*a)->Send(big, (*a)->local_address());
  (*a)->Send(std::span(big).first(10), SocketAddress());
  EXPECT_EQ((*a)->counters().send_dropped, 2u);
  Close(**a);
}

TEST_F(UdpSocketTest, BindFailureIsAClearError) {
  Collect events;
  auto a = UdpSocket::Bind(&loop_, *SocketAddress::FromIp("127.0.0.1", 0), events);
  ASSERT_TRUE(a.ok());
  auto b = UdpSocket::Bind(&loop_, (*a)->local_address(), events);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(std::string(b.status().message()).find("cannot bind UDP 127.0.0.1:"), std::string::npos);
  Close(**a);
}

TEST_F(UdpSocketTest, Ipv6) {
  Collect a_events, b_events;
  auto a = UdpSocket::Bind(&loop_, *SocketAddress::FromIp("::1", 0), a_events);
  auto b = UdpSocket::Bind(&loop_, *SocketAddress::FromIp("::1", 0), b_events);
  if (!a.ok() || !b.ok()) {
    if (a.ok()) Close(**a);
    if (b.ok()) Close(**b);
    GTEST_SKIP() << "no IPv6 loopback here";
  }
  const uint8_t d[] = {1, 2, 3};
  (*a)->Send(d, (*b)->local_address());
  RunUntil([&] { return !b_events.packets.empty(); });
  ASSERT_EQ(b_events.packets.size(), 1u);
  EXPECT_TRUE(b_events.from[0].is_v6());
  Close(**a);
  Close(**b);
}

}  // namespace
}  // namespace sfu
