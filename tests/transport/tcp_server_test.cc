#include "transport/net/tcp_server.h"

#include <gtest/gtest.h>

#include <vector>

namespace sfu {
namespace {

TEST(Rfc4571DecoderTest, FramesAcrossArbitrarySplits) {
  std::vector<uint8_t> stream = {0, 3, 'a', 'b', 'c', 0, 0, 0, 1, 'z', 0x01, 0x00};
  stream.resize(stream.size() + 256, 'x');  // A 256-byte frame.
  for (size_t split = 0; split <= stream.size(); ++split) {
    Rfc4571Decoder d;
    std::vector<std::string> frames;
    auto sink = [&](std::span<uint8_t> f) { frames.emplace_back(f.begin(), f.end()); };
    d.Feed(std::span(stream).first(split), sink);
    d.Feed(std::span(stream).subspan(split), sink);
    ASSERT_EQ(frames.size(), 3u) << split;  // The empty frame is skipped.
    EXPECT_EQ(frames[0], "abc");
    EXPECT_EQ(frames[1], "z");
    EXPECT_EQ(frames[2].size(), 256u);
  }
}

struct Sink : TcpServer::Listener {
  std::vector<std::vector<uint8_t>> frames;
  std::vector<uint64_t> closed;
  uint64_t last_connection = 0;
  void OnTcpFrame(uint64_t c, const SocketAddress&, std::span<uint8_t> f, Timestamp) override {
    last_connection = c;
    frames.emplace_back(f.begin(), f.end());
  }
  void OnTcpClosed(uint64_t c) override { closed.push_back(c); }
};

TEST(TcpServerTest, AcceptsFramesAndEchoesThemBack) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  Sink sink;
  auto server = TcpServer::Listen(&loop, *SocketAddress::FromIp("127.0.0.1", 0), sink);
  ASSERT_TRUE(server.ok()) << server.status();
  // A client on the same loop.
  uv_tcp_t client;
  uv_tcp_init(&loop, &client);
  uv_connect_t connect;
  struct State {
    bool connected = false;
    std::string received;
  } state;
  client.data = &state;
  connect.data = &state;
  uv_tcp_connect(&connect, &client, (*server)->local_address().sockaddr_ptr(),
                 [](uv_connect_t* req, int status) { static_cast<State*>(req->data)->connected = status == 0; });
  auto run_until = [&](auto done) {
    uint64_t start = uv_hrtime();
    while (!done() && uv_hrtime() - start < 2'000'000'000ull) uv_run(&loop, UV_RUN_NOWAIT);
  };
  run_until([&] { return state.connected; });
  ASSERT_TRUE(state.connected);
  char frame[] = {0, 4, 'p', 'i', 'n', 'g'};
  uv_buf_t buf = uv_buf_init(frame, sizeof(frame));
  uv_try_write(reinterpret_cast<uv_stream_t*>(&client), &buf, 1);
  run_until([&] { return !sink.frames.empty(); });
  ASSERT_EQ(sink.frames.size(), 1u);
  EXPECT_EQ(std::string(sink.frames[0].begin(), sink.frames[0].end()), "ping");
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(&client),
      [](uv_handle_t*, size_t size, uv_buf_t* b) { *b = uv_buf_init(new char[size], static_cast<unsigned>(size)); },
      [](uv_stream_t* s, ssize_t n, const uv_buf_t* b) {
        if (n > 0) static_cast<State*>(s->data)->received.append(b->base, static_cast<size_t>(n));
        delete[] b->base;
      });
  const uint8_t pong[] = {'p', 'o', 'n', 'g'};
  (*server)->Send(sink.last_connection, pong);
  run_until([&] { return state.received.size() == 6; });
  EXPECT_EQ(state.received, std::string("\0\4pong", 6));
  EXPECT_EQ((*server)->connection_count(), 1u);
  uv_close(reinterpret_cast<uv_handle_t*>(&client), nullptr);
  run_until([&] { return !sink.closed.empty(); });
  EXPECT_EQ(sink.closed.size(), 1u);
  (*server)->Close();
  run_until([&] { return (*server)->closed(); });
  EXPECT_TRUE((*server)->closed());
  uv_run(&loop, UV_RUN_DEFAULT);
  EXPECT_EQ(uv_loop_close(&loop), 0);
}

TEST(TcpServerTest, ListenFailureIsAClearError) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  Sink sink;
  auto a = TcpServer::Listen(&loop, *SocketAddress::FromIp("127.0.0.1", 0), sink);
  ASSERT_TRUE(a.ok());
  auto b = TcpServer::Listen(&loop, (*a)->local_address(), sink);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(std::string(b.status().message()).find("cannot listen on TCP"), std::string::npos);
  (*a)->Close();
  uv_run(&loop, UV_RUN_DEFAULT);
  EXPECT_EQ(uv_loop_close(&loop), 0);
}

}  // namespace
}  // namespace sfu
