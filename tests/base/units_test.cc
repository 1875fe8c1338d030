#include "base/units.h"

#include <gtest/gtest.h>

namespace sfu {
namespace {

TEST(UnitsTest, TimeArithmetic) {
  Timestamp t = Timestamp::Millis(10);
  TimeDelta d = TimeDelta::Micros(2500);
  EXPECT_EQ((t + d).us(), 12500);
  EXPECT_EQ(((t + d) - t), d);
  EXPECT_EQ((t - d).ms(), 7);
  EXPECT_LT(TimeDelta::Millis(1), TimeDelta::Seconds(1));
  EXPECT_EQ(TimeDelta::Seconds(2).ms(), 2000);
  EXPECT_DOUBLE_EQ(TimeDelta::Millis(1500).seconds(), 1.5);
  EXPECT_TRUE(TimeDelta::PlusInfinity().IsInfinite());
  EXPECT_TRUE(TimeDelta::Zero().IsZero());
  EXPECT_EQ((TimeDelta::Millis(3) * 2 / 3).ms(), 2);
}

TEST(UnitsTest, DataRate) {
  EXPECT_EQ(DataRate::KilobitsPerSec(300).bps(), 300000);
  EXPECT_EQ(DataRate::FromBytes(1250, TimeDelta::Millis(10)).bps(), 1000000);
  EXPECT_EQ(DataRate::FromBytes(1250, TimeDelta::Zero()).bps(), 0);
  EXPECT_EQ(DataRate::BitsPerSec(8000).BytesOver(TimeDelta::Seconds(1)), 1000);
  EXPECT_GT(DataRate::KilobitsPerSec(2), DataRate::KilobitsPerSec(1));
}

}  // namespace
}  // namespace sfu
