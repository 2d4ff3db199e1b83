#include "control/failover_gate.h"

#include <gtest/gtest.h>

#include <random>

namespace tandem::control {
namespace {

constexpr int64_t kSecond = 1'000'000;
constexpr auto kHold = std::chrono::seconds(60);
constexpr AlarmState kOk = AlarmState::kOk;
constexpr AlarmState kAlarm = AlarmState::kAlarm;
constexpr AlarmState kNoData = AlarmState::kInsufficientData;
constexpr NodeReadiness kReady = NodeReadiness::kReady;
constexpr NodeReadiness kCatchingUp = NodeReadiness::kCatchingUp;
constexpr NodeReadiness kDown = NodeReadiness::kDown;

struct Gate {
  PairState state;
  int64_t now = 1'700'000'000 * kSecond;

  GateStep Step(AlarmState primary, AlarmState secondary, NodeReadiness node,
                int64_t advance_s = 1) {
    now += advance_s * kSecond;
    return StepGate({now, primary, secondary, node}, kHold, &state);
  }
};

TEST(FailoverGateTest, FailsOverOnlyWhenTheSecondaryIsConfirmedHealthy) {
  Gate g;
  EXPECT_EQ(g.Step(kOk, kOk, kReady).decision, GateDecision::kNone);
  EXPECT_EQ(g.Step(kNoData, kOk, kDown).decision, GateDecision::kNone);  // no data: no move
  // The Lambda: primary ALARM but secondary not OK: refused, said once.
  GateStep s = g.Step(kAlarm, kAlarm, kDown);
  EXPECT_EQ(s.decision, GateDecision::kFailoverAborted);
  EXPECT_EQ(s.primary_control, RouteControl::kAuto);
  EXPECT_EQ(s.reason, "primary alarm is ALARM but secondary alarm is ALARM: cannot fail over");
  EXPECT_EQ(g.Step(kAlarm, kNoData, kDown).decision, GateDecision::kNone);
  EXPECT_EQ(g.state.events, 1u);
  // Once the secondary is confirmed OK, the failover is taken.
  s = g.Step(kAlarm, kOk, kDown);
  EXPECT_EQ(s.decision, GateDecision::kFailover);
  EXPECT_EQ(s.primary_control, RouteControl::kOut);
  EXPECT_EQ(g.state.phase, PairState::Phase::kFailedOver);
  EXPECT_EQ(g.state.events, 2u);
}

TEST(FailoverGateTest, AnAbortIsAnnouncedOncePerEpisode) {
  Gate g;
  EXPECT_EQ(g.Step(kAlarm, kAlarm, kDown).decision, GateDecision::kFailoverAborted);
  EXPECT_EQ(g.Step(kAlarm, kAlarm, kDown).decision, GateDecision::kNone);
  EXPECT_EQ(g.Step(kOk, kAlarm, kReady).decision, GateDecision::kNone);  // episode over
  EXPECT_EQ(g.Step(kAlarm, kAlarm, kDown).decision, GateDecision::kFailoverAborted);
  EXPECT_EQ(g.state.events, 2u);
}

TEST(FailoverGateTest, FailsBackOnlyAfterHealthReadinessAndTheHoldDown) {
  Gate g;
  ASSERT_EQ(g.Step(kAlarm, kOk, kDown).decision, GateDecision::kFailover);
  // (a) healthy again, but (b) the node is still catching up: wait.
  GateStep s = g.Step(kOk, kOk, kCatchingUp, 30);
  EXPECT_EQ(s.decision, GateDecision::kNone);
  EXPECT_EQ(s.primary_control, RouteControl::kOut);
  EXPECT_FALSE(g.state.ready_since.has_value());
  // Both hold: (c) the hold-down starts.
  g.Step(kOk, kOk, kReady);
  ASSERT_TRUE(g.state.ready_since.has_value());
  EXPECT_EQ(g.Step(kOk, kOk, kReady, 30).decision, GateDecision::kNone);
  s = g.Step(kOk, kOk, kReady, 29);
  EXPECT_EQ(s.decision, GateDecision::kNone);
  EXPECT_EQ(s.reason, "failed over; primary healthy and ready for 59.0 s of the 60.0 s hold-down");
  s = g.Step(kOk, kOk, kReady, 1);
  EXPECT_EQ(s.decision, GateDecision::kFailback);
  EXPECT_EQ(s.primary_control, RouteControl::kAuto);
  EXPECT_EQ(g.state.phase, PairState::Phase::kNormal);
  EXPECT_EQ(g.state.events, 2u);
}

TEST(FailoverGateTest, AnyRelapseRestartsTheHoldDown) {
  Gate g;
  ASSERT_EQ(g.Step(kAlarm, kOk, kDown).decision, GateDecision::kFailover);
  g.Step(kOk, kOk, kReady);
  g.Step(kOk, kOk, kReady, 50);
  // The node falls behind again for one poll: the 50 s held count for nothing.
  GateStep s = g.Step(kOk, kOk, kCatchingUp);
  EXPECT_EQ(s.reason,
            "failed over; waiting for the primary: alarm OK, node catching_up (relapse: hold-down "
            "restarts)");
  g.Step(kOk, kOk, kReady);
  EXPECT_EQ(g.Step(kOk, kOk, kReady, 59).decision, GateDecision::kNone);
  // The alarm relapses (or loses its data): restart again.
  g.Step(kNoData, kOk, kReady);
  g.Step(kOk, kOk, kReady);
  EXPECT_EQ(g.Step(kOk, kOk, kReady, 59).decision, GateDecision::kNone);
  EXPECT_EQ(g.Step(kOk, kOk, kReady, 1).decision, GateDecision::kFailback);
}

// A primary flapping faster than the hold-down never gets traffic back, and
// the routing moves exactly once.
TEST(FailoverGateTest, AFlappingPrimaryNeverOscillates) {
  Gate g;
  int changes = 0;
  RouteControl control = RouteControl::kAuto;
  for (int i = 0; i < 1000; ++i) {
    const AlarmState primary = i % 20 < 10 ? kAlarm : kOk;  // 10 s down, 10 s up
    const GateStep s = g.Step(primary, kOk, primary == kOk ? kReady : kDown);
    if (s.primary_control != control) {
      ++changes;
      control = s.primary_control;
    }
    EXPECT_NE(s.decision, GateDecision::kFailback) << "at step " << i;
  }
  EXPECT_EQ(changes, 1);
  EXPECT_EQ(g.state.phase, PairState::Phase::kFailedOver);
}

// Random inputs: every failover has the primary ALARM and the secondary OK;
// every failback comes after hold_down of uninterrupted health and
// readiness, so a failover and the failback after it are never closer than
// the hold-down.
TEST(FailoverGateTest, RandomInputsKeepTheRules) {
  std::mt19937 rng(42);
  const AlarmState states[] = {kOk, kAlarm, kNoData};
  const NodeReadiness nodes[] = {kReady, kCatchingUp, kDown, NodeReadiness::kUnknown};
  int failbacks = 0;
  for (int run = 0; run < 50; ++run) {
    Gate g;
    AlarmState primary = kOk, secondary = kOk;
    NodeReadiness node = kReady;
    int64_t good_since = -1;  // the start of the current run of (OK, ready)
    int64_t failed_over_at = -1;
    for (int i = 0; i < 2000; ++i) {
      // Sticky inputs, so that long healthy stretches happen.
      if (rng() % 8 == 0) primary = states[rng() % 3];
      if (rng() % 8 == 0) secondary = states[rng() % 3];
      if (rng() % 8 == 0) node = nodes[rng() % 4];
      const GateStep s = g.Step(primary, secondary, node, 1 + static_cast<int64_t>(rng() % 10));
      const bool good = primary == kOk && node == kReady;
      if (!good) {
        good_since = -1;
      } else if (good_since < 0) {
        good_since = g.now;
      }
      if (s.decision == GateDecision::kFailover) {
        EXPECT_EQ(primary, kAlarm);
        EXPECT_EQ(secondary, kOk);
        failed_over_at = g.now;
      }
      if (s.decision == GateDecision::kFailback) {
        ++failbacks;
        ASSERT_GE(good_since, 0);
        EXPECT_GE(g.now - good_since, 60 * kSecond);
        EXPECT_GE(g.now - failed_over_at, 60 * kSecond);
      }
    }
  }
  EXPECT_GT(failbacks, 0);  // the inputs did exercise the gate
}

TEST(FailoverGateTest, Names) {
  EXPECT_STREQ(NodeReadinessName(kCatchingUp), "catching_up");
  EXPECT_STREQ(RouteControlName(RouteControl::kOut), "out");
  EXPECT_STREQ(PhaseName(PairState::Phase::kFailedOver), "failed_over");
}

}  // namespace
}  // namespace tandem::control
