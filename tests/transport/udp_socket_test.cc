#include "transport/net/udp_socket.h"

#include <gtest/gtest.h>

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
