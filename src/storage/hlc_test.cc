#include "storage/hlc.h"

#include <gtest/gtest.h>

namespace tandem::storage {
namespace {

TEST(HybridClockTest, MonotonicWhenWallClockStandsStillOrGoesBack) {
  ManualClock wall;
  HybridClock hlc(&wall);
  uint64_t a = hlc.Now();
  uint64_t b = hlc.Now();
  EXPECT_LT(a, b);
  wall.Advance(-5'000'000);  // the wall clock steps back five seconds
  uint64_t c = hlc.Now();
  EXPECT_LT(b, c);
  EXPECT_EQ(HybridClock::PhysicalMillis(c), HybridClock::PhysicalMillis(a));
}

TEST(HybridClockTest, OrdersAfterObservedRemoteTimestamps) {
  ManualClock wall;
  HybridClock hlc(&wall);
  const uint64_t remote = (static_cast<uint64_t>(wall.NowMicros() / 1000 + 60'000) << 16) | 7;
  hlc.Observe(remote);
  EXPECT_GT(hlc.Now(), remote);
  wall.Advance(120'000'000);  // the wall clock passes the remote one
  uint64_t later = hlc.Now();
  EXPECT_EQ(later & 0xffff, 0u);
}

}  // namespace
}  // namespace tandem::storage
