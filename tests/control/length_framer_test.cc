#include "control/length_framer.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace sfu::control {
namespace {

struct Collector {
  std::vector<std::string> messages;
  std::vector<size_t> oversized;
  void Feed(LengthPrefixDecoder& d, std::string_view bytes) {
    d.Feed({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()},
           [this](std::string_view m) { messages.emplace_back(m); },
           [this](size_t n) { oversized.push_back(n); });
  }
};

TEST(LengthFramerTest, EncodeWritesBigEndianLength) {
  std::string frame = EncodeLengthPrefixed("abc");
  ASSERT_EQ(frame.size(), 7u);
  EXPECT_EQ(frame.substr(0, 4), std::string("\0\0\0\3", 4));
  EXPECT_EQ(frame.substr(4), "abc");
}

TEST(LengthFramerTest, SeveralFramesInOneRead) {
  LengthPrefixDecoder d(1024);
  Collector c;
  c.Feed(d, EncodeLengthPrefixed("one") + EncodeLengthPrefixed("") + EncodeLengthPrefixed("three"));
  EXPECT_EQ(c.messages, (std::vector<std::string>{"one", "", "three"}));
  EXPECT_EQ(d.buffered(), 0u);
}

TEST(LengthFramerTest, FramesSplitAtEveryByte) {
  std::string stream = EncodeLengthPrefixed("hello") + EncodeLengthPrefixed("world!");
  LengthPrefixDecoder d(1024);
  Collector c;
  for (char ch : stream) c.Feed(d, std::string_view(&ch, 1));
  EXPECT_EQ(c.messages, (std::vector<std::string>{"hello", "world!"}));
}

TEST(LengthFramerTest, RandomSplitsGiveTheSameMessages) {
  std::vector<std::string> sent;
  std::string stream;
  std::mt19937 rng(7);
  for (int i = 0; i < 200; ++i) {
    std::string m(rng() % 300, static_cast<char>('a' + i % 26));
    sent.push_back(m);
    stream += EncodeLengthPrefixed(m);
  }
  LengthPrefixDecoder d(1024);
  Collector c;
  size_t pos = 0;
  while (pos < stream.size()) {
    size_t n = std::min<size_t>(rng() % 700 + 1, stream.size() - pos);
    c.Feed(d, std::string_view(stream).substr(pos, n));
    pos += n;
  }
  EXPECT_EQ(c.messages, sent);
}

TEST(LengthFramerTest, OversizedFrameIsReportedSkippedAndTheStreamStaysInSync) {
  LengthPrefixDecoder d(10);
  Collector c;
  std::string big(5000, 'x');
  std::string stream = EncodeLengthPrefixed("ok") + EncodeLengthPrefixed(big) +
                       EncodeLengthPrefixed("after");
  // Deliver in small pieces so the skip spans many reads.
  for (size_t i = 0; i < stream.size(); i += 333) c.Feed(d, std::string_view(stream).substr(i, 333));
  EXPECT_EQ(c.oversized, std::vector<size_t>{5000});
  EXPECT_EQ(c.messages, (std::vector<std::string>{"ok", "after"}));
}

TEST(LengthFramerTest, HugeDeclaredLengthDoesNotAllocate) {
  LengthPrefixDecoder d(1 << 20);
  Collector c;
  c.Feed(d, std::string("\xff\xff\xff\xff", 4));
  EXPECT_EQ(c.oversized, std::vector<size_t>{0xffffffffu});
  EXPECT_EQ(d.buffered(), 0u);
}

TEST(LengthFramerTest, GarbageIsFramedAsWhateverItDeclares) {
  // Garbage bytes are read as a length and a payload; the payload then fails JSON parsing
  // upstream. Here: "\0\0\0\2" + "{x" then a partial header.
  LengthPrefixDecoder d(1024);
  Collector c;
  c.Feed(d, std::string("\0\0\0\2{x\0\0", 8));
  EXPECT_EQ(c.messages, std::vector<std::string>{"{x"});
  EXPECT_EQ(d.buffered(), 2u);
}

}  // namespace
}  // namespace sfu::control
