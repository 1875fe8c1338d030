// NackGenerator, PacketStore and KeyFrameRequester, driven with a fake clock (plain
// Timestamp values).

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "base/seq_num.h"
#include "base/units.h"
#include "router/keyframe_requester.h"
#include "router/nack_generator.h"
#include "router/packet_store.h"

namespace sfu {
namespace {

using SeqList = NackGenerator::SeqList;

constexpr Timestamp kStart = Timestamp::Millis(10'000);

std::vector<uint16_t> Collect(NackGenerator& nack, Timestamp now, TimeDelta rtt = TimeDelta::Millis(100)) {
  SeqList out;
  nack.Collect(now, rtt, out);
  return {out.begin(), out.end()};
}

std::vector<uint16_t> Seqs(std::initializer_list<int> s) {
  std::vector<uint16_t> out;
  for (int v : s) out.push_back(static_cast<uint16_t>(v));
  return out;
}

// ---------------------------------------------------------------------------------------
// NackGenerator

TEST(NackGeneratorTest, InOrderPacketsMissNothing) {
  NackGenerator nack;
  for (int64_t s = 100; s < 200; ++s) EXPECT_FALSE(nack.OnPacket(s, kStart));
  EXPECT_EQ(nack.missing(), 0u);
  EXPECT_TRUE(Collect(nack, kStart + TimeDelta::Seconds(1)).empty());
  EXPECT_EQ(nack.requested(), 0u);
  EXPECT_FALSE(nack.TakeKeyFrameNeeded());
}

TEST(NackGeneratorTest, DetectsGapsAndRequestsOnlyAfterReorderDelay) {
  NackGenerator nack;  // reorder_delay 5 ms.
  nack.OnPacket(10, kStart);
  nack.OnPacket(11, kStart);
  nack.OnPacket(14, kStart);  // 12 and 13 missing.
  nack.OnPacket(15, kStart + TimeDelta::Millis(1));
  nack.OnPacket(17, kStart + TimeDelta::Millis(2));  // 16 missing, detected 2 ms later.
  EXPECT_EQ(nack.missing(), 3u);

  EXPECT_TRUE(Collect(nack, kStart).empty());
  EXPECT_TRUE(Collect(nack, kStart + TimeDelta::Millis(4)).empty());
  EXPECT_EQ(nack.requested(), 0u);
  // 12 and 13 are due at +5 ms, 16 not yet (detected at +2 ms).
  EXPECT_EQ(Collect(nack, kStart + TimeDelta::Millis(5)), Seqs({12, 13}));
  EXPECT_TRUE(Collect(nack, kStart + TimeDelta::Millis(6)).empty());
  EXPECT_EQ(Collect(nack, kStart + TimeDelta::Millis(7)), Seqs({16}));
  EXPECT_EQ(nack.requested(), 3u);
  EXPECT_EQ(nack.missing(), 3u);  // Still missing until they arrive.
}

TEST(NackGeneratorTest, LatePacketBeforeTheDelayIsNeverRequested) {
  NackGenerator nack;
  nack.OnPacket(1, kStart);
  nack.OnPacket(3, kStart);  // 2 missing.
  EXPECT_TRUE(Collect(nack, kStart + TimeDelta::Millis(3)).empty());
  EXPECT_TRUE(nack.OnPacket(2, kStart + TimeDelta::Millis(4)));  // Reordered, not lost.
  EXPECT_EQ(nack.missing(), 0u);
  EXPECT_EQ(nack.recovered(), 1u);
  for (int ms = 5; ms < 3000; ms += 10) EXPECT_TRUE(Collect(nack, kStart + TimeDelta::Millis(ms)).empty());
  EXPECT_EQ(nack.requested(), 0u);
  EXPECT_EQ(nack.abandoned(), 0u);
}

TEST(NackGeneratorTest, RetransmissionArrivingEndsRequests) {
  NackGenerator nack;
  nack.OnPacket(1, kStart);
  nack.OnPacket(3, kStart);
  EXPECT_EQ(Collect(nack, kStart + TimeDelta::Millis(5)), Seqs({2}));
  EXPECT_TRUE(nack.OnPacket(2, kStart + TimeDelta::Millis(50)));
  EXPECT_FALSE(nack.OnPacket(2, kStart + TimeDelta::Millis(51)));  // A duplicate: not missing.
  EXPECT_TRUE(Collect(nack, kStart + TimeDelta::Millis(500)).empty());
  EXPECT_EQ(nack.requested(), 1u);
  EXPECT_EQ(nack.recovered(), 1u);
  // Old packets that were never missing are not "recovered".
  EXPECT_FALSE(nack.OnPacket(1, kStart + TimeDelta::Millis(501)));
  EXPECT_EQ(nack.recovered(), 1u);
}

TEST(NackGeneratorTest, RetriesAreSpacedByRtt) {
  NackGenerator nack;  // min_retry_interval 20 ms.
  nack.OnPacket(1, kStart);
  nack.OnPacket(3, kStart);
  const TimeDelta rtt = TimeDelta::Millis(50);
  Timestamp first = kStart + TimeDelta::Millis(5);
  EXPECT_EQ(Collect(nack, first, rtt), Seqs({2}));
  EXPECT_TRUE(Collect(nack, first + TimeDelta::Millis(20), rtt).empty());
  EXPECT_TRUE(Collect(nack, first + TimeDelta::Millis(49), rtt).empty());
  EXPECT_EQ(Collect(nack, first + TimeDelta::Millis(50), rtt), Seqs({2}));
  EXPECT_TRUE(Collect(nack, first + TimeDelta::Millis(99), rtt).empty());
  EXPECT_EQ(Collect(nack, first + TimeDelta::Millis(100), rtt), Seqs({2}));
  EXPECT_EQ(nack.requested(), 3u);
}

TEST(NackGeneratorTest, RetriesAreSpacedByMinIntervalWhenRttIsSmall) {
  NackGenerator nack;  // min_retry_interval 20 ms.
  nack.OnPacket(1, kStart);
  nack.OnPacket(3, kStart);
  const TimeDelta rtt = TimeDelta::Millis(2);
  Timestamp first = kStart + TimeDelta::Millis(5);
  EXPECT_EQ(Collect(nack, first, rtt), Seqs({2}));
  EXPECT_TRUE(Collect(nack, first + TimeDelta::Millis(2), rtt).empty());
  EXPECT_TRUE(Collect(nack, first + TimeDelta::Millis(19), rtt).empty());
  EXPECT_EQ(Collect(nack, first + TimeDelta::Millis(20), rtt), Seqs({2}));
  EXPECT_TRUE(Collect(nack, first + TimeDelta::Millis(39), rtt).empty());
  EXPECT_EQ(Collect(nack, first + TimeDelta::Millis(40), rtt), Seqs({2}));
}

TEST(NackGeneratorTest, AtMostMaxRetries) {
  NackGenerator::Options options;
  options.max_retries = 3;
  options.max_age = TimeDelta::Seconds(100);
  NackGenerator nack(options);
  nack.OnPacket(1, kStart);
  nack.OnPacket(3, kStart);
  int sent = 0;
  for (int ms = 0; ms < 2000; ++ms) {
    auto seqs = Collect(nack, kStart + TimeDelta::Millis(ms), TimeDelta::Millis(10));
    if (!seqs.empty()) {
      EXPECT_EQ(seqs, Seqs({2}));
      ++sent;
    }
  }
  EXPECT_EQ(sent, 3);
  EXPECT_EQ(nack.requested(), 3u);
  EXPECT_EQ(nack.missing(), 0u);
  EXPECT_EQ(nack.abandoned(), 1u);
  // Once abandoned, the packet arriving is not a recovery.
  EXPECT_FALSE(nack.OnPacket(2, kStart + TimeDelta::Millis(2001)));
  EXPECT_EQ(nack.recovered(), 0u);
}

TEST(NackGeneratorTest, AbandonedAfterMaxAge) {
  NackGenerator::Options options;
  options.max_retries = 1000;
  options.max_age = TimeDelta::Millis(100);
  NackGenerator nack(options);
  nack.OnPacket(1, kStart);
  nack.OnPacket(3, kStart);
  const TimeDelta rtt = TimeDelta::Millis(30);
  EXPECT_EQ(Collect(nack, kStart + TimeDelta::Millis(5), rtt), Seqs({2}));
  EXPECT_EQ(Collect(nack, kStart + TimeDelta::Millis(35), rtt), Seqs({2}));
  EXPECT_EQ(Collect(nack, kStart + TimeDelta::Millis(65), rtt), Seqs({2}));
  EXPECT_EQ(Collect(nack, kStart + TimeDelta::Millis(95), rtt), Seqs({2}));
  EXPECT_EQ(nack.missing(), 1u);
  // Due again at +125 ms, but older than max_age by then.
  EXPECT_TRUE(Collect(nack, kStart + TimeDelta::Millis(125), rtt).empty());
  EXPECT_EQ(nack.missing(), 0u);
  EXPECT_EQ(nack.abandoned(), 1u);
  EXPECT_EQ(nack.requested(), 4u);
}

TEST(NackGeneratorTest, NeverRequestedPacketOlderThanMaxAgeIsAbandoned) {
  NackGenerator::Options options;
  options.max_age = TimeDelta::Millis(100);
  NackGenerator nack(options);
  nack.OnPacket(1, kStart);
  nack.OnPacket(3, kStart);
  EXPECT_TRUE(Collect(nack, kStart + TimeDelta::Millis(101)).empty());
  EXPECT_EQ(nack.abandoned(), 1u);
  EXPECT_EQ(nack.requested(), 0u);
}

TEST(NackGeneratorTest, GapLargerThanListClearsItAndAsksForKeyFrameOnce) {
  NackGenerator::Options options;
  options.max_list = 10;
  NackGenerator nack(options);
  nack.OnPacket(100, kStart);
  nack.OnPacket(103, kStart);  // 101, 102 missing.
  EXPECT_EQ(nack.missing(), 2u);
  EXPECT_FALSE(nack.TakeKeyFrameNeeded());
  nack.OnPacket(103 + 12, kStart);  // A gap of 11 > 10.
  EXPECT_EQ(nack.missing(), 0u);
  EXPECT_EQ(nack.abandoned(), 2u + 11u);
  EXPECT_TRUE(nack.TakeKeyFrameNeeded());
  EXPECT_FALSE(nack.TakeKeyFrameNeeded());
  EXPECT_TRUE(Collect(nack, kStart + TimeDelta::Seconds(1)).empty());
  // Loss detection carries on from the new highest.
  nack.OnPacket(117, kStart + TimeDelta::Seconds(1));
  EXPECT_EQ(Collect(nack, kStart + TimeDelta::Seconds(2)), Seqs({116}));
}

TEST(NackGeneratorTest, GapExactlyTheListSizeIsKept) {
  NackGenerator::Options options;
  options.max_list = 10;
  NackGenerator nack(options);
  nack.OnPacket(0, kStart);
  nack.OnPacket(11, kStart);  // A gap of 10.
  EXPECT_EQ(nack.missing(), 10u);
  EXPECT_FALSE(nack.TakeKeyFrameNeeded());
  EXPECT_EQ(Collect(nack, kStart + TimeDelta::Millis(5)).size(), 10u);
}

TEST(NackGeneratorTest, FullListDropsTheOldestAndAsksForKeyFrame) {
  NackGenerator::Options options;
  options.max_list = 4;
  NackGenerator nack(options);
  nack.OnPacket(0, kStart);
  nack.OnPacket(4, kStart);  // 1, 2, 3 missing.
  nack.OnPacket(7, kStart);  // 5, 6 missing: 1 gives way.
  EXPECT_EQ(nack.missing(), 4u);
  EXPECT_EQ(nack.abandoned(), 1u);
  EXPECT_TRUE(nack.TakeKeyFrameNeeded());
  EXPECT_FALSE(nack.TakeKeyFrameNeeded());
  EXPECT_EQ(Collect(nack, kStart + TimeDelta::Millis(5)), Seqs({2, 3, 5, 6}));
}

TEST(NackGeneratorTest, SequenceNumberWrap) {
  SeqNumUnwrapper<uint16_t> unwrapper;
  NackGenerator nack;
  for (uint16_t s : {uint16_t{65533}, uint16_t{65534}}) nack.OnPacket(unwrapper.Unwrap(s), kStart);
  nack.OnPacket(unwrapper.Unwrap(2), kStart);  // 65535, 0 and 1 missing across the wrap.
  EXPECT_EQ(nack.missing(), 3u);
  EXPECT_EQ(Collect(nack, kStart + TimeDelta::Millis(5)), Seqs({65535, 0, 1}));
  EXPECT_TRUE(nack.OnPacket(unwrapper.Unwrap(0), kStart + TimeDelta::Millis(6)));
  EXPECT_TRUE(nack.OnPacket(unwrapper.Unwrap(65535), kStart + TimeDelta::Millis(7)));
  EXPECT_EQ(Collect(nack, kStart + TimeDelta::Millis(200)), Seqs({1}));
  EXPECT_EQ(nack.recovered(), 2u);
}

// ---------------------------------------------------------------------------------------
// PacketStore

std::vector<uint8_t> Bytes(size_t n, uint8_t fill) { return std::vector<uint8_t>(n, fill); }

std::vector<uint8_t> Copy(std::span<const uint8_t> s) { return {s.begin(), s.end()}; }

TEST(PacketStoreTest, FindsWhatWasInserted) {
  PacketStore store(8, TimeDelta::Seconds(2));
  EXPECT_EQ(store.capacity(), 8u);
  store.Insert(5, Bytes(30, 0x55), kStart);
  store.Insert(6, Bytes(40, 0x66), kStart);
  auto p = store.Find(5, kStart);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(Copy(*p), Bytes(30, 0x55));
  p = store.Find(6, kStart);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(Copy(*p), Bytes(40, 0x66));
  EXPECT_FALSE(store.Find(7, kStart));
  EXPECT_FALSE(store.Find(-1, kStart));
  EXPECT_FALSE(store.Find(5 + 8, kStart));  // Same slot, other packet.
}

TEST(PacketStoreTest, CapacityLimitOverwritesOldEntries) {
  PacketStore store(4, TimeDelta::Seconds(2));
  for (int64_t s = 0; s < 6; ++s) store.Insert(s, Bytes(10, static_cast<uint8_t>(s)), kStart);
  EXPECT_FALSE(store.Find(0, kStart));
  EXPECT_FALSE(store.Find(1, kStart));
  for (int64_t s = 2; s < 6; ++s) {
    auto p = store.Find(s, kStart);
    ASSERT_TRUE(p.has_value()) << s;
    EXPECT_EQ(Copy(*p), Bytes(10, static_cast<uint8_t>(s)));
  }
}

TEST(PacketStoreTest, EntriesExpireAfterMaxAge) {
  PacketStore store(16, TimeDelta::Millis(500));
  store.Insert(1, Bytes(10, 1), kStart);
  store.Insert(2, Bytes(10, 2), kStart + TimeDelta::Millis(300));
  EXPECT_TRUE(store.Find(1, kStart + TimeDelta::Millis(500)));
  EXPECT_FALSE(store.Find(1, kStart + TimeDelta::Millis(501)));
  EXPECT_TRUE(store.Find(2, kStart + TimeDelta::Millis(501)));
  EXPECT_TRUE(store.Find(2, kStart + TimeDelta::Millis(800)));
  EXPECT_FALSE(store.Find(2, kStart + TimeDelta::Millis(801)));
}

TEST(PacketStoreTest, LateInsertDoesNotEvictNewer) {
  PacketStore store(4, TimeDelta::Seconds(2));
  store.Insert(9, Bytes(10, 9), kStart);
  store.Insert(5, Bytes(10, 5), kStart);  // Same slot as 9, older.
  EXPECT_FALSE(store.Find(5, kStart));
  auto p = store.Find(9, kStart);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(Copy(*p), Bytes(10, 9));
  // A late packet whose slot is free (or holds an older one) is stored.
  store.Insert(7, Bytes(10, 7), kStart);
  EXPECT_TRUE(store.Find(7, kStart));
  store.Insert(4, Bytes(10, 4), kStart);
  store.Insert(8, Bytes(10, 8), kStart);  // Newer than 4 in the same slot.
  EXPECT_TRUE(store.Find(8, kStart));
  EXPECT_FALSE(store.Find(4, kStart));
  EXPECT_TRUE(store.Find(9, kStart));
}

TEST(PacketStoreTest, ReinsertReplacesContentAndTime) {
  PacketStore store(4, TimeDelta::Millis(100));
  store.Insert(3, Bytes(10, 1), kStart);
  store.Insert(3, Bytes(12, 2), kStart + TimeDelta::Millis(90));
  auto p = store.Find(3, kStart + TimeDelta::Millis(150));
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(Copy(*p), Bytes(12, 2));
}

TEST(PacketStoreTest, OversizedPacketIsIgnored) {
  PacketStore store(4, TimeDelta::Seconds(2));
  store.Insert(1, Bytes(PacketStore::kMaxPacket, 7), kStart);
  auto p = store.Find(1, kStart);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->size(), PacketStore::kMaxPacket);
  store.Insert(2, Bytes(PacketStore::kMaxPacket + 1, 8), kStart);
  EXPECT_FALSE(store.Find(2, kStart));
  store.Insert(-1, Bytes(10, 1), kStart);
  EXPECT_FALSE(store.Find(-1, kStart));
}

TEST(PacketStoreTest, ZeroCapacityStillHoldsOne) {
  PacketStore store(0, TimeDelta::Seconds(2));
  EXPECT_EQ(store.capacity(), 1u);
  store.Insert(1, Bytes(10, 1), kStart);
  store.Insert(2, Bytes(10, 2), kStart);
  EXPECT_FALSE(store.Find(1, kStart));
  EXPECT_TRUE(store.Find(2, kStart));
}

// ---------------------------------------------------------------------------------------
// KeyFrameRequester

TEST(KeyFrameRequesterTest, FirstRequestIsImmediate) {
  KeyFrameRequester r(TimeDelta::Seconds(1));
  EXPECT_FALSE(r.OnTimer(kStart));
  EXPECT_TRUE(r.Request(kStart));
  EXPECT_FALSE(r.pending());
  EXPECT_FALSE(r.OnTimer(kStart + TimeDelta::Seconds(5)));
}

TEST(KeyFrameRequesterTest, SecondWithinDelayIsPendingThenSentByTimer) {
  KeyFrameRequester r(TimeDelta::Seconds(1));
  EXPECT_TRUE(r.Request(kStart));
  EXPECT_FALSE(r.Request(kStart + TimeDelta::Millis(300)));
  EXPECT_TRUE(r.pending());
  EXPECT_FALSE(r.Request(kStart + TimeDelta::Millis(400)));  // Merged into the pending one.
  EXPECT_FALSE(r.OnTimer(kStart + TimeDelta::Millis(999)));
  EXPECT_TRUE(r.pending());
  EXPECT_TRUE(r.OnTimer(kStart + TimeDelta::Seconds(1)));
  EXPECT_FALSE(r.pending());
  EXPECT_FALSE(r.OnTimer(kStart + TimeDelta::Seconds(3)));
  // The timer's request counts as sent: the next one within the delay waits.
  EXPECT_FALSE(r.Request(kStart + TimeDelta::Millis(1500)));
  EXPECT_FALSE(r.OnTimer(kStart + TimeDelta::Millis(1999)));
  EXPECT_TRUE(r.OnTimer(kStart + TimeDelta::Seconds(2)));
}

TEST(KeyFrameRequesterTest, KeyFrameClearsPending) {
  KeyFrameRequester r(TimeDelta::Seconds(1));
  EXPECT_TRUE(r.Request(kStart));
  EXPECT_FALSE(r.Request(kStart + TimeDelta::Millis(100)));
  EXPECT_TRUE(r.pending());
  r.OnKeyFrame();
  EXPECT_FALSE(r.pending());
  EXPECT_FALSE(r.OnTimer(kStart + TimeDelta::Seconds(2)));
}

TEST(KeyFrameRequesterTest, RequestAfterTheDelayIsImmediate) {
  KeyFrameRequester r(TimeDelta::Seconds(1));
  EXPECT_TRUE(r.Request(kStart));
  EXPECT_TRUE(r.Request(kStart + TimeDelta::Seconds(1)));
  EXPECT_FALSE(r.pending());
  EXPECT_TRUE(r.Request(kStart + TimeDelta::Millis(2500)));
  EXPECT_FALSE(r.Request(kStart + TimeDelta::Millis(2600)));
  // A request after the delay goes out at once and takes the pending one with it.
  EXPECT_TRUE(r.Request(kStart + TimeDelta::Millis(3600)));
  EXPECT_FALSE(r.pending());
  EXPECT_FALSE(r.OnTimer(kStart + TimeDelta::Seconds(10)));
}

}  // namespace
}  // namespace sfu
