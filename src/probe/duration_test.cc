#include "probe/duration.h"

#include <gtest/gtest.h>

namespace tandem::probe {
namespace {
using std::chrono::milliseconds;

TEST(ParseDuration, SecondsAndMilliseconds) {
  EXPECT_EQ(*ParseDuration("2"), milliseconds(2000));
  EXPECT_EQ(*ParseDuration("2s"), milliseconds(2000));
  EXPECT_EQ(*ParseDuration("0.5"), milliseconds(500));
  EXPECT_EQ(*ParseDuration("1.25s"), milliseconds(1250));
  EXPECT_EQ(*ParseDuration("500ms"), milliseconds(500));
  EXPECT_EQ(*ParseDuration("3600"), milliseconds(3'600'000));
}

TEST(ParseDuration, Refusals) {
  for (const char* bad : {"", "s", "ms", "0", "0s", "-1", "1e3", "2m", "abc", "0.0001", "1.2.3",
                          "3601", "0.5ms", " 2"}) {
    EXPECT_FALSE(ParseDuration(bad).ok()) << bad;
  }
}

TEST(FormatDuration, ShortestExact) {
  EXPECT_EQ(FormatDuration(milliseconds(2000)), "2s");
  EXPECT_EQ(FormatDuration(milliseconds(500)), "0.5s");
  EXPECT_EQ(FormatDuration(milliseconds(1250)), "1.25s");
  EXPECT_EQ(FormatDuration(milliseconds(1)), "0.001s");
  EXPECT_EQ(FormatDuration(milliseconds(61'010)), "61.01s");
}

}  // namespace
}  // namespace tandem::probe
