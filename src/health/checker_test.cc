#include "health/checker.h"

#include <gtest/gtest.h>

#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "health/test_server.h"

namespace tandem::health {
namespace {

using config::CheckType;
using config::HealthCheckConfig;
using std::chrono::milliseconds;
using testing::RefusingPort;
using testing::TestServer;
using Mode = TestServer::Mode;
using SteadyClock = std::chrono::steady_clock;

HealthCheckConfig Check(std::string name, uint16_t port, int threshold = 3,
                        milliseconds interval = milliseconds(20)) {
  HealthCheckConfig check;
  check.name = std::move(name);
  check.type = CheckType::kHttp;
  check.ip = "127.0.0.1";
  check.port = port;
  check.path = "/health";
  check.interval = interval;
  check.timeout = milliseconds(1000);
  check.failure_threshold = threshold;
  return check;
}

// Polls `done` until it holds or `limit` passes (generous: tests may share
// the machine with other work).
template <class F>
bool WaitFor(F done, milliseconds limit = milliseconds(10000)) {
  const auto deadline = SteadyClock::now() + limit;
  while (!done()) {
    if (SteadyClock::now() > deadline) {
      return false;
    }
    std::this_thread::sleep_for(milliseconds(2));
  }
  return true;
}

std::optional<CheckState> Find(const Checker& checker, const std::string& name) {
  for (auto& state : checker.States()) {
    if (state.name == name) {
      return state;
    }
  }
  return std::nullopt;
}

// Collects the transitions the checker reports.
struct Transitions {
  std::mutex mu;
  std::vector<CheckState> seen;
  Checker::OnTransition Callback() {
    return [this](const CheckState& state) {
      std::lock_guard lock(mu);
      seen.push_back(state);
    };
  }
  size_t size() {
    std::lock_guard lock(mu);
    return seen.size();
  }
};

ProbeResult Raw(bool healthy, int64_t at = 1) { return ProbeResult{healthy, "r", {}, at}; }

// --- the state machine ------------------------------------------------------

TEST(ApplyProbeResultTest, FirstResultSetsTheState) {
  HealthCheckConfig check = Check("a", 1);
  CheckState state;
  EXPECT_FALSE(ApplyProbeResult(check, Raw(false, 7), /*first=*/true, &state));
  EXPECT_FALSE(state.healthy);
  EXPECT_EQ(state.since_micros, 7);
  EXPECT_EQ(state.transitions, 0u);
  EXPECT_EQ(state.name, "a");
}

TEST(ApplyProbeResultTest, ThresholdInBothDirections) {
  HealthCheckConfig check = Check("a", 1, /*threshold=*/3);
  CheckState state;
  ApplyProbeResult(check, Raw(true), true, &state);
  EXPECT_FALSE(ApplyProbeResult(check, Raw(false), false, &state));
  EXPECT_FALSE(ApplyProbeResult(check, Raw(false), false, &state));
  EXPECT_EQ(state.streak, 2);
  EXPECT_TRUE(state.healthy);
  EXPECT_TRUE(ApplyProbeResult(check, Raw(false, 9), false, &state));
  EXPECT_FALSE(state.healthy);
  EXPECT_EQ(state.streak, 0);
  EXPECT_EQ(state.since_micros, 9);
  EXPECT_EQ(state.transitions, 1u);
  EXPECT_FALSE(ApplyProbeResult(check, Raw(true), false, &state));
  EXPECT_FALSE(ApplyProbeResult(check, Raw(true), false, &state));
  EXPECT_TRUE(ApplyProbeResult(check, Raw(true), false, &state));
  EXPECT_TRUE(state.healthy);
  EXPECT_EQ(state.transitions, 2u);
}

TEST(ApplyProbeResultTest, AnAgreeingResultResetsTheStreak) {
  HealthCheckConfig check = Check("a", 1, /*threshold=*/3);
  CheckState state;
  ApplyProbeResult(check, Raw(true), true, &state);
  for (int i = 0; i < 50; ++i) {  // flapping: never three in a row
    EXPECT_FALSE(ApplyProbeResult(check, Raw(i % 2 == 1), false, &state));
  }
  EXPECT_TRUE(state.healthy);
  EXPECT_EQ(state.transitions, 0u);
}

TEST(ApplyProbeResultTest, ThresholdOneFlipsAtOnce) {
  HealthCheckConfig check = Check("a", 1, /*threshold=*/1);
  CheckState state;
  ApplyProbeResult(check, Raw(true), true, &state);
  EXPECT_TRUE(ApplyProbeResult(check, Raw(false), false, &state));
  EXPECT_TRUE(ApplyProbeResult(check, Raw(true), false, &state));
}

TEST(ApplyProbeResultTest, InvertedAndDisabled) {
  HealthCheckConfig check = Check("a", 1, /*threshold=*/1);
  CheckState state;
  check.inverted = true;
  ApplyProbeResult(check, Raw(true), true, &state);
  EXPECT_FALSE(state.healthy);
  EXPECT_TRUE(ApplyProbeResult(check, Raw(false), false, &state));
  EXPECT_TRUE(state.healthy);

  check.inverted = false;
  check.disabled = true;
  ApplyProbeResult(check, Raw(false), true, &state);
  EXPECT_TRUE(state.healthy);
  check.inverted = true;  // disabled, then inverted applies
  ApplyProbeResult(check, Raw(true), true, &state);
  EXPECT_FALSE(state.healthy);
}

// --- the checker against real endpoints ---------------------------------------

TEST(CheckerTest, FirstRoundIsDoneWhenStartReturns) {
  TestServer up;
  TestServer bad;
  bad.Set(Mode::kRespond, 503);
  TestServer hung;
  hung.Set(Mode::kHang);
  RefusingPort refused;
  HealthCheckConfig slow = Check("slow", hung.port(), 3, milliseconds(10000));
  slow.timeout = milliseconds(300);
  HealthCheckConfig calculated;
  calculated.name = "calc";
  calculated.type = CheckType::kCalculated;
  Checker checker({Check("up", up.port(), 3, milliseconds(10000)),
                   Check("bad", bad.port(), 3, milliseconds(10000)),
                   Check("refused", refused.port(), 3, milliseconds(10000)), slow, calculated},
                  SystemClock::Default(), nullptr);
  const auto start = SteadyClock::now();
  checker.Start();
  EXPECT_GE(SteadyClock::now() - start, milliseconds(300));
  const auto states = checker.States();
  ASSERT_EQ(states.size(), 4u);  // CALCULATED is not probed here
  EXPECT_TRUE(Find(checker, "up")->healthy);
  EXPECT_EQ(Find(checker, "up")->last.reason, "HTTP 200");
  EXPECT_FALSE(Find(checker, "bad")->healthy);
  EXPECT_EQ(Find(checker, "bad")->transition_reason, "HTTP 503");
  EXPECT_FALSE(Find(checker, "refused")->healthy);
  EXPECT_EQ(Find(checker, "refused")->last.reason, "connection refused");
  EXPECT_FALSE(Find(checker, "slow")->healthy);
  EXPECT_EQ(Find(checker, "slow")->last.reason, "timeout after 300 ms");
  for (const auto& state : states) {
    EXPECT_EQ(state.transitions, 0u);
  }
}

TEST(CheckerTest, ThresholdMovesTheStateBothWays) {
  TestServer server;
  Transitions transitions;
  Checker checker({Check("a", server.port(), 3)}, SystemClock::Default(), transitions.Callback());
  checker.Start();
  ASSERT_TRUE(Find(checker, "a")->healthy);

  server.Set(Mode::kRespond, 503);
  const int before = server.requests();
  ASSERT_TRUE(WaitFor([&] { return !Find(checker, "a")->healthy; }));
  EXPECT_GE(server.requests() - before, 3);  // three failures in a row, at least
  CheckState state = *Find(checker, "a");
  EXPECT_EQ(state.transitions, 1u);
  EXPECT_EQ(state.transition_reason, "HTTP 503");

  server.Set(Mode::kRespond, 200);
  ASSERT_TRUE(WaitFor([&] { return Find(checker, "a")->healthy; }));
  EXPECT_EQ(Find(checker, "a")->transitions, 2u);
  EXPECT_EQ(Find(checker, "a")->transition_reason, "HTTP 200");
  checker.Stop();
  ASSERT_EQ(transitions.size(), 2u);
  EXPECT_FALSE(transitions.seen[0].healthy);
  EXPECT_TRUE(transitions.seen[1].healthy);
}

TEST(CheckerTest, FlappingEndpointNeverFlips) {
  TestServer server;
  server.Set(Mode::kFlap);  // 200, 503, 200, ... one per request
  Transitions transitions;
  Checker checker({Check("a", server.port(), 3)}, SystemClock::Default(), transitions.Callback());
  checker.Start();
  EXPECT_TRUE(Find(checker, "a")->healthy);
  ASSERT_TRUE(WaitFor([&] { return server.requests() >= 30; }));
  checker.Stop();
  EXPECT_TRUE(Find(checker, "a")->healthy);
  EXPECT_EQ(Find(checker, "a")->transitions, 0u);
  EXPECT_EQ(transitions.size(), 0u);
}

TEST(CheckerTest, InvertedAndDisabled) {
  TestServer server;
  RefusingPort refused;
  HealthCheckConfig inverted = Check("inverted", server.port());
  inverted.inverted = true;
  HealthCheckConfig disabled = Check("disabled", refused.port());
  disabled.disabled = true;
  HealthCheckConfig both = Check("both", server.port());
  both.disabled = true;
  both.inverted = true;
  Checker checker({inverted, disabled, both}, SystemClock::Default(), nullptr);
  checker.Start();
  EXPECT_FALSE(Find(checker, "inverted")->healthy);
  EXPECT_EQ(Find(checker, "inverted")->last.reason, "HTTP 200");
  EXPECT_TRUE(Find(checker, "inverted")->last.healthy);  // raw result
  EXPECT_TRUE(Find(checker, "disabled")->healthy);
  EXPECT_EQ(Find(checker, "disabled")->last.reason, "disabled");
  EXPECT_FALSE(Find(checker, "both")->healthy);
  // Only the inverted check probed the server.
  const int requests = server.requests();
  ASSERT_TRUE(WaitFor([&] { return server.requests() >= requests + 3; }));
  checker.Stop();
  EXPECT_FALSE(Find(checker, "inverted")->healthy);
  EXPECT_TRUE(Find(checker, "disabled")->healthy);
}

TEST(CheckerTest, TimestampsComeFromTheInjectedClock) {
  TestServer server;
  ManualClock clock(1'234'000'000);
  Checker checker({Check("a", server.port(), 3, milliseconds(10000))}, &clock, nullptr);
  checker.Start();
  EXPECT_EQ(Find(checker, "a")->since_micros, 1'234'000'000);
  EXPECT_EQ(Find(checker, "a")->last.at_micros, 1'234'000'000);
}

TEST(CheckerTest, ReconfigureKeepsUnchangedChecks) {
  TestServer server_a;
  TestServer server_b;
  RefusingPort refused;
  const HealthCheckConfig a = Check("a", server_a.port(), /*threshold=*/1);
  HealthCheckConfig b = Check("b", server_b.port(), 1, milliseconds(10000));
  const HealthCheckConfig gone = Check("gone", server_b.port(), 1, milliseconds(10000));
  ManualClock clock;
  Checker checker({a, b, gone}, &clock, nullptr);
  checker.Start();
  server_a.Set(Mode::kRespond, 503);
  ASSERT_TRUE(WaitFor([&] { return !Find(checker, "a")->healthy; }));
  const CheckState a_before = *Find(checker, "a");
  ASSERT_EQ(a_before.transitions, 1u);

  clock.Advance(1'000'000);
  b.path = "/other";  // changed: starts over
  const int b_requests = server_b.requests();
  checker.Reconfigure({a, b, Check("new", refused.port(), 1, milliseconds(10000))});
  // The changed and the new check were probed before Reconfigure returned.
  EXPECT_EQ(server_b.requests(), b_requests + 1);
  ASSERT_TRUE(Find(checker, "new").has_value());
  EXPECT_EQ(Find(checker, "new")->last.reason, "connection refused");
  EXPECT_EQ(Find(checker, "b")->since_micros, clock.NowMicros());
  EXPECT_FALSE(Find(checker, "gone").has_value());
  // The unchanged check kept its state and goes on being probed.
  const CheckState a_after = *Find(checker, "a");
  EXPECT_FALSE(a_after.healthy);
  EXPECT_EQ(a_after.transitions, 1u);
  EXPECT_EQ(a_after.since_micros, a_before.since_micros);
  const int a_requests = server_a.requests();
  EXPECT_TRUE(WaitFor([&] { return server_a.requests() >= a_requests + 2; }));
}

TEST(CheckerTest, StopIsPromptWithAProbeInFlight) {
  TestServer server;
  HealthCheckConfig check = Check("a", server.port());
  check.timeout = milliseconds(5000);
  Checker checker({check}, SystemClock::Default(), nullptr);
  checker.Start();
  server.Set(Mode::kHang);
  ASSERT_TRUE(WaitFor([&] { return server.held() >= 1; }));
  const auto start = SteadyClock::now();
  checker.Stop();
  EXPECT_LT(SteadyClock::now() - start, milliseconds(500));
  EXPECT_EQ(checker.States().size(), 1u);  // still readable
  checker.Stop();                          // idempotent
}

TEST(CheckerTest, StopIsPromptBetweenProbes) {
  TestServer server;
  Checker checker({Check("a", server.port(), 3, milliseconds(60000))}, SystemClock::Default(),
                  nullptr);
  checker.Start();
  const auto start = SteadyClock::now();
  checker.Stop();
  EXPECT_LT(SteadyClock::now() - start, milliseconds(500));
  // It can be started again and keeps the state.
  server.Set(Mode::kRespond, 503);
  checker.Start();
  EXPECT_TRUE(Find(checker, "a")->healthy);  // one failure, threshold 3
  EXPECT_EQ(Find(checker, "a")->streak, 1);
}

TEST(CheckerTest, ASlowNameStallsOnlyItsOwnCheck) {
  testing::FakeNames names;
  auto resolver = NewThreadedResolver(names.Function());
  TestServer server;
  HealthCheckConfig slow = Check("slow", server.port(), 1, milliseconds(400));
  slow.ip.clear();
  slow.host = "slow.test";
  slow.timeout = milliseconds(300);
  HealthCheckConfig fast = Check("fast", server.port(), 1, milliseconds(50));
  fast.ip.clear();
  fast.host = "fast.test";
  Checker checker({slow, fast}, SystemClock::Default(), nullptr);
  checker.set_resolver(resolver.get());
  const auto start = SteadyClock::now();
  checker.Start();
  // The first round ends with the slow probe's timeout, not its lookup's.
  EXPECT_LT(SteadyClock::now() - start, milliseconds(3000));
  EXPECT_FALSE(Find(checker, "slow")->healthy);
  EXPECT_EQ(Find(checker, "slow")->last.reason, "resolve timeout after 300 ms");
  EXPECT_TRUE(Find(checker, "fast")->healthy);
  // While that lookup hangs, the other check goes on being probed, every
  // 50 ms; the slow one's later probes wait on the same lookup.
  const int before = server.requests();
  ASSERT_TRUE(WaitFor([&] { return server.requests() >= before + 10; }));
  EXPECT_EQ(names.lookups("slow.test"), 1);
  EXPECT_GE(names.lookups("fast.test"), 11);
  checker.Stop();
}

TEST(CheckerTest, RendersMetrics) {
  TestServer server;
  RefusingPort refused;
  Checker checker({Check("up", server.port(), 3, milliseconds(10000)),
                   Check("down", refused.port(), 3, milliseconds(10000))},
                  SystemClock::Default(), nullptr);
  checker.Start();
  const std::string text = checker.RenderMetrics();
  EXPECT_NE(text.find("tandem_health_check_healthy{check=\"up\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("tandem_health_check_healthy{check=\"down\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE tandem_health_check_latency_ms histogram\n"), std::string::npos);
  EXPECT_NE(text.find("tandem_health_check_latency_ms_bucket{check=\"up\",le=\"5000\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("tandem_health_check_latency_ms_bucket{check=\"up\",le=\"+Inf\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("tandem_health_check_latency_ms_count{check=\"up\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("tandem_health_check_transitions_total{check=\"up\"} 0\n"),
            std::string::npos);
  EXPECT_NE(text.find("tandem_health_check_probes_total{check=\"up\",result=\"healthy\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("tandem_health_check_probes_total{check=\"down\",result=\"unhealthy\"} 1\n"),
            std::string::npos);
}

TEST(CheckerTest, EscapesLabelValues) {
  EXPECT_EQ(PrometheusLabelValue("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
}

}  // namespace
}  // namespace tandem::health
