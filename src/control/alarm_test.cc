#include "control/alarm.h"

#include <gtest/gtest.h>

namespace tandem::control {
namespace {

using config::MissingData;
constexpr int64_t kSecond = 1'000'000;
constexpr int64_t kT0 = 1'700'000'000 * kSecond;  // a multiple of every period below

std::vector<Datapoint> W(std::string_view symbols) {
  std::vector<Datapoint> out;
  for (char c : symbols) {
    out.push_back(c == 'X'   ? Datapoint::kBreaching
                  : c == '0' ? Datapoint::kNotBreaching
                             : Datapoint::kMissing);
  }
  return out;
}

constexpr AlarmState kOk = AlarmState::kOk;
constexpr AlarmState kAlarm = AlarmState::kAlarm;
constexpr AlarmState kInsufficient = AlarmState::kInsufficientData;

// The evaluation rules, window by window (oldest first), for each way of
// treating missing data, from each current state where it matters.
TEST(AlarmEvaluateTest, MOfNWithEachMissingDataMode) {
  const struct {
    const char* window;
    int m;
    AlarmState current;
    AlarmState missing, ignore, breaching, not_breaching;
  } cases[] = {
      // 3 of 3.
      {"XXX", 3, kOk, kAlarm, kAlarm, kAlarm, kAlarm},
      {"0XX", 3, kAlarm, kOk, kOk, kOk, kOk},
      {"---", 3, kOk, kInsufficient, kOk, kAlarm, kOk},
      {"---", 3, kAlarm, kInsufficient, kAlarm, kAlarm, kOk},
      {"0--", 3, kAlarm, kOk, kOk, kOk, kOk},  // even two breaching would not make 3
      {"-XX", 3, kOk, kOk, kOk, kAlarm, kOk},  // too little data: stays where it was
      {"-XX", 3, kInsufficient, kInsufficient, kInsufficient, kAlarm, kOk},
      {"X--", 3, kAlarm, kAlarm, kAlarm, kAlarm, kOk},
      // 2 of 3.
      {"X0X", 2, kOk, kAlarm, kAlarm, kAlarm, kAlarm},
      {"X00", 2, kAlarm, kOk, kOk, kOk, kOk},
      {"-X-", 2, kOk, kOk, kOk, kAlarm, kOk},
      {"-X-", 2, kAlarm, kAlarm, kAlarm, kAlarm, kOk},
      {"00-", 2, kInsufficient, kOk, kOk, kOk, kOk},
      {"0--", 2, kInsufficient, kInsufficient, kInsufficient, kAlarm, kOk},
      // 1 of 1.
      {"-", 1, kOk, kInsufficient, kOk, kAlarm, kOk},
      {"X", 1, kOk, kAlarm, kAlarm, kAlarm, kAlarm},
  };
  for (const auto& c : cases) {
    const auto w = W(c.window);
    SCOPED_TRACE(std::string(c.window) + " M=" + std::to_string(c.m) + " from " +
                 AlarmStateName(c.current));
    EXPECT_EQ(Evaluate(w, c.m, MissingData::kMissing, c.current), c.missing);
    EXPECT_EQ(Evaluate(w, c.m, MissingData::kIgnore, c.current), c.ignore);
    EXPECT_EQ(Evaluate(w, c.m, MissingData::kBreaching, c.current), c.breaching);
    EXPECT_EQ(Evaluate(w, c.m, MissingData::kNotBreaching, c.current), c.not_breaching);
  }
}

config::AlarmConfig Alarm(int m, int n, MissingData missing, int period_s = 10) {
  config::AlarmConfig a;
  a.name = "east-down";
  a.health_check = "east";
  a.period = std::chrono::seconds(period_s);
  a.evaluation_periods = n;
  a.datapoints_to_alarm = m;
  a.missing = missing;
  return a;
}

// Feeds one period: samples (true = breaching) spread over it, then closes
// it. Returns the transitions.
std::vector<AlarmTransition> Period(AlarmEvaluator* a, int64_t* t, std::vector<bool> samples,
                                    int64_t period = 10 * kSecond) {
  for (size_t i = 0; i < samples.size(); ++i) {
    a->Observe(*t + static_cast<int64_t>(i + 1) * period / (samples.size() + 1), samples[i]);
  }
  *t += period;
  return a->Advance(*t);
}

TEST(AlarmEvaluatorTest, TwoOfThreeThroughItsStates) {
  AlarmEvaluator a(Alarm(2, 3, MissingData::kMissing), kT0);
  int64_t t = kT0;
  EXPECT_EQ(a.state(), kInsufficient);                  // as CloudWatch: a new alarm has no data
  EXPECT_TRUE(Period(&a, &t, {false, false}).empty());  // "--0": too little to say OK
  auto moved = Period(&a, &t, {false});                 // "-00"
  ASSERT_EQ(moved.size(), 1u);
  EXPECT_EQ(moved[0].from, kInsufficient);
  EXPECT_EQ(moved[0].to, kOk);
  EXPECT_EQ(moved[0].period_end_micros, kT0 + 20 * kSecond);
  EXPECT_TRUE(Period(&a, &t, {true, false}).empty());  // "00X": one breaching period
  EXPECT_EQ(a.WindowText(), "00X");                    // the worst sample of a period decides it
  moved = Period(&a, &t, {true});                      // "0XX"
  ASSERT_EQ(moved.size(), 1u);
  EXPECT_EQ(moved[0].to, kAlarm);
  EXPECT_EQ(moved[0].reason,
            "2 of the last 3 datapoints breaching, 0 missing (0XX, oldest first; M = 2, missing "
            "data: missing)");
  EXPECT_TRUE(Period(&a, &t, {}).empty());  // "XX-": still 2 breaching
  EXPECT_TRUE(Period(&a, &t, {}).empty());  // "X--": could still be 2: stays ALARM
  moved = Period(&a, &t, {});               // "---": no data at all
  ASSERT_EQ(moved.size(), 1u);
  EXPECT_EQ(moved[0].to, kInsufficient);
  Period(&a, &t, {false});
  moved = Period(&a, &t, {false});  // "-00"
  ASSERT_EQ(moved.size(), 1u);
  EXPECT_EQ(moved[0].to, kOk);
}

TEST(AlarmEvaluatorTest, IgnoreKeepsTheStateThroughSilence) {
  AlarmEvaluator a(Alarm(1, 2, MissingData::kIgnore), kT0);
  int64_t t = kT0;
  Period(&a, &t, {true});
  EXPECT_EQ(a.state(), kAlarm);
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(Period(&a, &t, {}).empty());
  }
  EXPECT_EQ(a.state(), kAlarm);
  Period(&a, &t, {false});
  EXPECT_EQ(a.state(), kAlarm);  // "-0" with M=1: the missing one might breach
  Period(&a, &t, {false});
  EXPECT_EQ(a.state(), kOk);
}

TEST(AlarmEvaluatorTest, BreachingTurnsSilenceIntoAnAlarm) {
  AlarmEvaluator a(Alarm(2, 3, MissingData::kBreaching), kT0);
  int64_t t = kT0;
  Period(&a, &t, {false});
  Period(&a, &t, {false});
  Period(&a, &t, {false});
  EXPECT_EQ(a.state(), kOk);
  EXPECT_TRUE(Period(&a, &t, {}).empty());  // "00-" = "00X"
  auto moved = Period(&a, &t, {});          // "0--" = "0XX"
  ASSERT_EQ(moved.size(), 1u);
  EXPECT_EQ(moved[0].to, kAlarm);
}

TEST(AlarmEvaluatorTest, NotBreachingTurnsSilenceIntoOk) {
  AlarmEvaluator a(Alarm(1, 1, MissingData::kNotBreaching), kT0);
  int64_t t = kT0;
  Period(&a, &t, {true});
  EXPECT_EQ(a.state(), kAlarm);
  auto moved = Period(&a, &t, {});
  ASSERT_EQ(moved.size(), 1u);
  EXPECT_EQ(moved[0].to, kOk);
}

// A pause of the controller (or a clock jump) closes the periods it missed,
// as missing datapoints, without walking through thousands of them.
TEST(AlarmEvaluatorTest, ALongGapIsMissingData) {
  AlarmEvaluator a(Alarm(2, 3, MissingData::kMissing), kT0);
  int64_t t = kT0;
  Period(&a, &t, {true});
  Period(&a, &t, {true});
  EXPECT_EQ(a.state(), kAlarm);
  a.Observe(t + kSecond, true);  // a sample, then silence for a day
  auto moved = a.Advance(t + 86'400 * kSecond);
  ASSERT_EQ(moved.size(), 1u);
  EXPECT_EQ(moved[0].to, kInsufficient);
  EXPECT_EQ(a.WindowText(), "---");
}

// Periods are cut on the epoch: controllers started at different moments
// close the same periods at the same instants.
TEST(AlarmEvaluatorTest, PeriodsAreAlignedOnTheEpoch) {
  AlarmEvaluator early(Alarm(1, 1, MissingData::kMissing), kT0 + 1 * kSecond);
  AlarmEvaluator late(Alarm(1, 1, MissingData::kMissing), kT0 + 9 * kSecond);
  early.Observe(kT0 + 2 * kSecond, true);
  late.Observe(kT0 + 9'500'000, true);
  auto a = early.Advance(kT0 + 10 * kSecond);
  auto b = late.Advance(kT0 + 10 * kSecond);
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(a[0].period_end_micros, b[0].period_end_micros);
}

TEST(AlarmEvaluatorTest, SamplesOfAClosedPeriodAreIgnored) {
  AlarmEvaluator a(Alarm(1, 1, MissingData::kNotBreaching), kT0);
  a.Advance(kT0 + 10 * kSecond);
  a.Observe(kT0 + 5 * kSecond, true);  // late: its period is closed
  a.Advance(kT0 + 20 * kSecond);
  EXPECT_EQ(a.state(), kOk);
  // A sample of a later period closes the open one first.
  a.Observe(kT0 + 35 * kSecond, true);
  EXPECT_EQ(a.WindowText(), "-");  // [20 s, 30 s) had nothing
  a.Advance(kT0 + 40 * kSecond);
  EXPECT_EQ(a.WindowText(), "X");
  EXPECT_EQ(a.state(), kAlarm);
}

TEST(AlarmStateTest, NamesRoundTrip) {
  for (AlarmState s : {kOk, kAlarm, kInsufficient}) {
    AlarmState back = kOk;
    ASSERT_TRUE(ParseAlarmState(AlarmStateName(s), &back));
    EXPECT_EQ(back, s);
  }
  AlarmState x = kOk;
  EXPECT_FALSE(ParseAlarmState("UNKNOWN", &x));
  EXPECT_STREQ(AlarmStateName(kInsufficient), "INSUFFICIENT_DATA");
}

}  // namespace
}  // namespace tandem::control
