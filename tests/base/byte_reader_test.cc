#include "base/byte_reader.h"

#include <gtest/gtest.h>

#include <array>

#include "base/byte_writer.h"

namespace sfu {
namespace {

TEST(ByteReaderTest, ReadsBigEndianIntegers) {
  const std::array<uint8_t, 18> data = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09,
                                        0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12};
  ByteReader r(data);
  EXPECT_EQ(r.ReadU8(), 0x01);
  EXPECT_EQ(r.ReadU16(), 0x0203);
  EXPECT_EQ(r.ReadU24(), 0x040506u);
  EXPECT_EQ(r.ReadU32(), 0x0708090au);
  EXPECT_EQ(r.ReadU64(), 0x0b0c0d0e0f101112u);
  EXPECT_TRUE(r.empty());
}

TEST(ByteReaderTest, FailedReadDoesNotMoveTheCursor) {
  const std::array<uint8_t, 3> data = {0xaa, 0xbb, 0xcc};
  ByteReader r(data);
  EXPECT_FALSE(r.ReadU32().has_value());
  EXPECT_EQ(r.position(), 0u);
  EXPECT_FALSE(r.ReadBytes(4).has_value());
  EXPECT_FALSE(r.Skip(4));
  EXPECT_EQ(r.remaining(), 3u);
  EXPECT_EQ(r.ReadU24(), 0xaabbccu);
  EXPECT_FALSE(r.ReadU8().has_value());
  EXPECT_FALSE(r.PeekU8().has_value());
}

TEST(ByteReaderTest, ReadBytesIsAViewAndSkipAdvances) {
  const std::array<uint8_t, 5> data = {1, 2, 3, 4, 5};
  ByteReader r(data);
  EXPECT_EQ(r.PeekU8(), 1);
  ASSERT_TRUE(r.Skip(1));
  auto bytes = r.ReadBytes(3);
  ASSERT_TRUE(bytes.has_value());
  EXPECT_EQ(bytes->data(), data.data() + 1);
  EXPECT_EQ(bytes->size(), 3u);
  EXPECT_EQ(r.Rest().size(), 1u);
  EXPECT_EQ(r.ReadBytes(0)->size(), 0u);
}

TEST(ByteReaderTest, EmptyInput) {
  ByteReader r(std::string_view{});
  EXPECT_TRUE(r.empty());
  EXPECT_FALSE(r.ReadU8().has_value());
  EXPECT_TRUE(r.Skip(0));
}

TEST(ByteWriterTest, WritesBigEndianAndRoundTrips) {
  std::array<uint8_t, 32> buf{};
  ByteWriter w(buf);
  ASSERT_TRUE(w.WriteU8(0x11));
  ASSERT_TRUE(w.WriteU16(0x2233));
  ASSERT_TRUE(w.WriteU24(0x445566));
  ASSERT_TRUE(w.WriteU32(0x778899aa));
  ASSERT_TRUE(w.WriteU64(0x0102030405060708));
  ASSERT_TRUE(w.WriteString("hi"));
  ASSERT_TRUE(w.Fill(0xee, 2));
  EXPECT_TRUE(w.ok());
  ByteReader r(w.Written());
  EXPECT_EQ(r.ReadU8(), 0x11);
  EXPECT_EQ(r.ReadU16(), 0x2233);
  EXPECT_EQ(r.ReadU24(), 0x445566u);
  EXPECT_EQ(r.ReadU32(), 0x778899aau);
  EXPECT_EQ(r.ReadU64(), 0x0102030405060708u);
  EXPECT_EQ(r.ReadU8(), 'h');
  EXPECT_EQ(r.ReadU8(), 'i');
  EXPECT_EQ(r.ReadU16(), 0xeeee);
  EXPECT_TRUE(r.empty());
}

TEST(ByteWriterTest, OverflowFailsWithoutWritingAndIsSticky) {
  std::array<uint8_t, 3> buf{};
  ByteWriter w(buf);
  ASSERT_TRUE(w.WriteU16(0xabcd));
  EXPECT_FALSE(w.WriteU16(0x1234));
  EXPECT_FALSE(w.ok());
  EXPECT_EQ(w.size(), 2u);
  EXPECT_EQ(buf[2], 0);
  EXPECT_TRUE(w.WriteU8(0x01));  // Still fits; the overflow stays recorded.
  EXPECT_FALSE(w.ok());
  EXPECT_FALSE(w.Fill(0, 1));
  const uint8_t more[] = {1};
  EXPECT_FALSE(w.WriteBytes(more));
}

TEST(ByteWriterTest, StoreU32BigEndian) {
  uint8_t out[4];
  StoreU32BigEndian(0xdeadbeef, out);
  EXPECT_EQ(out[0], 0xde);
  EXPECT_EQ(out[3], 0xef);
}

}  // namespace
}  // namespace sfu
