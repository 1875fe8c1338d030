#include "base/seq_num.h"

#include <gtest/gtest.h>

namespace sfu {
namespace {

TEST(SeqNumTest, IsNewerAcrossWrap) {
  EXPECT_TRUE(IsNewer<uint16_t>(1, 0));
  EXPECT_FALSE(IsNewer<uint16_t>(0, 1));
  EXPECT_FALSE(IsNewer<uint16_t>(5, 5));
  EXPECT_TRUE(IsNewer<uint16_t>(0, 65535));
  EXPECT_TRUE(IsNewer<uint16_t>(100, 65000));
  EXPECT_FALSE(IsNewer<uint16_t>(65000, 100));
  EXPECT_TRUE(IsNewer<uint32_t>(10, 0xfffffff0u));
}

TEST(SeqNumTest, HalfwayIsAntisymmetric) {
  EXPECT_NE(IsNewer<uint16_t>(0x8000, 0), IsNewer<uint16_t>(0, 0x8000));
  EXPECT_NE(IsNewer<uint8_t>(200, 72), IsNewer<uint8_t>(72, 200));
}

TEST(SeqNumTest, ForwardDiff) {
  EXPECT_EQ(ForwardDiff<uint16_t>(65535, 1), 2);
  EXPECT_EQ(ForwardDiff<uint16_t>(1, 65535), 65534);
}

TEST(SeqNumTest, UnwrapperIsMonotonicAcrossWraps) {
  SeqNumUnwrapper<uint16_t> u;
  EXPECT_EQ(u.Unwrap(65534), 65534);
  EXPECT_EQ(u.Unwrap(65535), 65535);
  EXPECT_EQ(u.Unwrap(0), 65536);
  EXPECT_EQ(u.Unwrap(1), 65537);
  // Three full cycles forward in steps.
  int64_t last = 65537;
  uint16_t v = 1;
  for (int i = 0; i < 3 * 65536 / 1000; ++i) {
    v = static_cast<uint16_t>(v + 1000);
    int64_t x = u.Unwrap(v);
    EXPECT_EQ(x, last + 1000);
    last = x;
  }
}

TEST(SeqNumTest, UnwrapperPlacesLatePacketsBehind) {
  SeqNumUnwrapper<uint16_t> u;
  EXPECT_EQ(u.Unwrap(2), 2);
  EXPECT_EQ(u.Unwrap(65535), -1);  // Late, from before the wrap.
  EXPECT_EQ(u.Unwrap(3), 3);       // The late one did not move the state back.
  EXPECT_EQ(u.PeekUnwrap(1), 1);
  EXPECT_EQ(u.Unwrap(4), 4);
  u.Reset();
  EXPECT_EQ(u.Unwrap(9), 9);
}

TEST(SeqNumTest, UnwrapperFor32Bits) {
  SeqNumUnwrapper<uint32_t> u;
  EXPECT_EQ(u.Unwrap(0xffffff00u), 0xffffff00);
  EXPECT_EQ(u.Unwrap(0x10u), 0x100000010);
}

}  // namespace
}  // namespace sfu
