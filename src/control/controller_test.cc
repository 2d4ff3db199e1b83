#include "control/controller.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>

#include "control/controller_testing.h"

namespace tandem::control {
namespace {

using namespace std::chrono_literals;
using testing::FakeActions;
using testing::FakeHealth;
using testing::FakeNodes;
using testing::FakeRouting;

constexpr int64_t kT0 = 1'700'000'000'000'000;  // on a 10 s boundary

// A coordinator the test moves: leading or not, with a state to hand over.
class FakeCoordinator : public Coordinator {
 public:
  Status Start() override { return Status::OK(); }
  void Stop() override {}
  bool Leading() const override { return leading; }
  uint64_t term() const override { return term_; }
  std::string Leader() const override { return leading ? "control-test" : "other"; }
  StatusOr<std::string> LoadState() override { return state; }
  StatusOr<Claim> ClaimEvent(const std::string& id, const std::string&,
                             const std::string& next) override {
    if (!leading) {
      return Status::FailedPrecondition("not the leader");
    }
    if (!claimed.insert(id).second) {
      return Claim::kAlreadyClaimed;
    }
    state = next;
    return Claim::kClaimed;
  }
  bool leading = true;
  uint64_t term_ = 1;
  std::string state;
  std::set<std::string> claimed;
};

class ControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("control-controller-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    auto log = AuditLog::Open((dir_ / "audit.jsonl").string(), "control-test", &clock_);
    ASSERT_TRUE(log.ok());
    audit_ = std::move(log).value();
    health_.Set("east", true);
    health_.Set("west", true);
    nodes_.readiness["http://east"] = NodeReadiness::kReady;
    nodes_.pending["http://east"] = 5;
  }
  void TearDown() override {
    controller_.reset();
    std::filesystem::remove_all(dir_);
  }

  void Make(Coordinator* coordinator) {
    ControllerDeps deps;
    deps.health = &health_;
    deps.nodes = &nodes_;
    deps.routing = &routing_;
    deps.coordinator = coordinator;
    deps.actions = &actions_;
    deps.audit = audit_.get();
    deps.clock = &clock_;
    controller_ = std::make_unique<Controller>(config_, deps);
  }
  // Ticks once a second for `seconds`.
  void Run(int seconds) {
    for (int i = 0; i < seconds; ++i) {
      clock_.Advance(1'000'000);
      controller_->Tick();
    }
  }
  std::vector<std::string> Ids() { return actions_.Ids(); }
  std::vector<boost::json::object> Audit(const std::string& event) {
    std::ifstream in(dir_ / "audit.jsonl");
    std::vector<boost::json::object> out;
    std::string line;
    while (std::getline(in, line)) {
      auto o = boost::json::parse(line).as_object();
      if (o.at("event").as_string() == event) {
        out.push_back(std::move(o));
      }
    }
    return out;
  }

  std::filesystem::path dir_;
  config::ControlConfig config_ = testing::TwoRegions();
  ManualClock clock_{kT0};
  FakeHealth health_;
  FakeNodes nodes_;
  FakeRouting routing_;
  FakeActions actions_;
  FakeCoordinator coordinator_;
  std::unique_ptr<AuditLog> audit_;
  std::unique_ptr<Controller> controller_;
};

using Route = std::pair<std::string, RouteControl>;

// The whole story: the primary fails, traffic leaves it; it recovers but its
// node is still catching up; it is ready, relapses once, and only after a
// full hold-down does it get its traffic back.
TEST_F(ControllerTest, FailsOverAndBackThroughTheGate) {
  Make(&coordinator_);
  Run(30);
  EXPECT_EQ(controller_->alarm_state("east-down"), AlarmState::kOk);
  EXPECT_TRUE(Ids().empty());  // alarms settling into OK announce nothing

  health_.Set("east", false);
  Run(30);  // two breaching periods of three
  EXPECT_EQ(Ids(), (std::vector<std::string>{"region_unhealthy:east-down:1", "failover:east:1"}));
  EXPECT_EQ(routing_.applied, (std::vector<Route>{{"east", RouteControl::kOut}}));
  const Event& failover = actions_.events[1];
  EXPECT_EQ(failover.type, EventType::kFailover);
  EXPECT_EQ(failover.inputs.at("primary_alarm").at("state").as_string(), "ALARM");
  EXPECT_EQ(failover.inputs.at("secondary_alarm").at("state").as_string(), "OK");
  EXPECT_EQ(failover.inputs.at("routing").at("result").as_string(), "applied");

  health_.Set("east", true);
  nodes_.readiness["http://east"] = NodeReadiness::kCatchingUp;
  Run(60);
  EXPECT_EQ(Ids().back(), "region_recovered:east-down:2");
  EXPECT_EQ(controller_->pair_state("east").phase, PairState::Phase::kFailedOver);

  nodes_.readiness["http://east"] = NodeReadiness::kReady;
  Run(30);
  nodes_.readiness["http://east"] = NodeReadiness::kCatchingUp;  // relapse
  Run(1);
  nodes_.readiness["http://east"] = NodeReadiness::kReady;
  Run(59);
  EXPECT_EQ(controller_->pair_state("east").phase, PairState::Phase::kFailedOver);
  EXPECT_EQ(routing_.applied.size(), 1u);
  Run(2);
  EXPECT_EQ(Ids().back(), "failback:east:2");
  EXPECT_EQ(routing_.applied.back(), (Route{"east", RouteControl::kAuto}));
  EXPECT_EQ(routing_.applied.size(), 2u);

  // The audit log has the decisions with their inputs, and the gate's steps.
  const auto failovers = Audit("failover");
  ASSERT_EQ(failovers.size(), 1u);
  EXPECT_EQ(failovers[0].at("event_id").as_string(), "failover:east:1");
  EXPECT_EQ(failovers[0].at("inputs").at("primary_node").at("readiness").as_string(), "ready");
  EXPECT_EQ(failovers[0].at("actions").as_array().size(), 1u);
  EXPECT_EQ(Audit("failback").size(), 1u);
  EXPECT_GE(Audit("failback_gate").size(), 3u);  // hold-down start, relapse, start
  EXPECT_GE(Audit("alarm").size(), 4u);
}

TEST_F(ControllerTest, NoFailoverWhileTheSecondaryIsUnhealthy) {
  Make(&coordinator_);
  Run(30);
  health_.Set("east", false);
  health_.Set("west", false);
  Run(30);
  EXPECT_EQ(Ids(),
            (std::vector<std::string>{"region_unhealthy:west-down:1",
                                      "region_unhealthy:east-down:1", "failover_aborted:east:1"}));
  EXPECT_TRUE(routing_.attempts.empty());
  Run(20);  // said once
  EXPECT_EQ(Ids().size(), 3u);
  health_.Set("west", true);
  Run(20);  // [80 s, 90 s) still had the breaching sample taken at 80 s
  EXPECT_EQ(Ids(),
            (std::vector<std::string>{"region_unhealthy:west-down:1",
                                      "region_unhealthy:east-down:1", "failover_aborted:east:1",
                                      "region_recovered:west-down:2", "failover:east:2"}));
  EXPECT_EQ(routing_.applied, (std::vector<Route>{{"east", RouteControl::kOut}}));
}

TEST_F(ControllerTest, ARoutingFailureIsRetriedEveryPoll) {
  Make(&coordinator_);
  Run(30);
  routing_.result = Status::Unavailable("no dns server answered");
  health_.Set("east", false);
  Run(30);
  ASSERT_EQ(Ids().back(), "failover:east:1");
  EXPECT_EQ(actions_.events.back().inputs.at("routing").at("result").as_string(),
            "no dns server answered");
  const size_t tried = routing_.attempts.size();
  Run(3);
  EXPECT_EQ(routing_.attempts.size(), tried + 3);
  routing_.result = Status::OK();
  Run(3);
  EXPECT_EQ(routing_.applied, (std::vector<Route>{{"east", RouteControl::kOut}}));
  EXPECT_EQ(Audit("routing").size(), 1u);
  EXPECT_EQ(Ids().size(), 2u);  // no event twice
}

// When the dns servers cannot be read, datapoints are missing: the alarms go
// to INSUFFICIENT_DATA and nothing is failed over on a guess.
TEST_F(ControllerTest, NoDataIsInsufficientDataAndNoAction) {
  Make(&coordinator_);
  Run(30);
  health_.down = true;
  Run(40);
  EXPECT_EQ(controller_->alarm_state("east-down"), AlarmState::kInsufficientData);
  EXPECT_EQ(controller_->alarm_state("west-down"), AlarmState::kInsufficientData);
  EXPECT_TRUE(Ids().empty());
  EXPECT_TRUE(routing_.attempts.empty());
  const auto status = boost::json::parse(controller_->StatusJson()).as_object();
  EXPECT_EQ(status.at("alarms").as_array()[0].at("state").as_string(), "INSUFFICIENT_DATA");
  EXPECT_EQ(status.at("failovers").as_array()[0].at("phase").as_string(), "normal");
  const auto alarms = Audit("alarm");
  EXPECT_EQ(alarms.back().at("inputs").at("health_source_error").as_string(),
            "ns1: connection refused");
}

TEST_F(ControllerTest, ReplicationLagAlarms) {
  Make(&coordinator_);
  Run(20);
  nodes_.pending["http://east"] = 500;
  Run(10);
  ASSERT_EQ(Ids(), std::vector<std::string>{"replication_lag_high:east-lag:1"});
  EXPECT_EQ(actions_.events[0].inputs.at("alarm").at("value").as_double(), 500);
  nodes_.pending.erase("http://east");  // unreadable: `ignore` keeps the state
  Run(30);
  EXPECT_EQ(controller_->alarm_state("east-lag"), AlarmState::kAlarm);
  nodes_.pending["http://east"] = 5;
  Run(10);
  EXPECT_EQ(Ids().back(), "replication_lag_recovered:east-lag:2");
}

// A controller that does not lead evaluates but does nothing; when it takes
// over, it starts from its predecessor's state and repeats nothing.
TEST_F(ControllerTest, AFollowerTakesOverWithoutRepeatingEvents) {
  coordinator_.leading = false;
  Make(&coordinator_);
  Run(30);
  health_.Set("east", false);
  Run(30);
  EXPECT_EQ(controller_->alarm_state("east-down"), AlarmState::kAlarm);
  EXPECT_TRUE(Ids().empty());
  EXPECT_TRUE(routing_.attempts.empty());
  // The leader had announced the alarm and failed over, then died.
  ControllerState before;
  before.alarms["east-down"] = {AlarmState::kAlarm, 1};
  before.alarms["west-down"] = {AlarmState::kOk, 0};
  before.pairs["east"].phase = PairState::Phase::kFailedOver;
  before.pairs["east"].events = 1;
  coordinator_.state = before.ToJson();
  coordinator_.claimed = {"region_unhealthy:east-down:1", "failover:east:1"};
  coordinator_.leading = true;
  coordinator_.term_ = 2;
  Run(5);
  EXPECT_TRUE(Ids().empty());
  // It makes sure the primary is out (the predecessor may have died first).
  EXPECT_EQ(routing_.applied, (std::vector<Route>{{"east", RouteControl::kOut}}));
  EXPECT_EQ(Audit("leadership").size(), 2u);
  // And carries on with the next ids.
  health_.Set("east", true);
  Run(30);
  EXPECT_EQ(Ids(), std::vector<std::string>{"region_recovered:east-down:2"});
  Run(61);
  EXPECT_EQ(Ids().back(), "failback:east:2");
}

// An id already claimed elsewhere is skipped, and the state reloaded.
TEST_F(ControllerTest, AnEventClaimedElsewhereIsSkipped) {
  Make(&coordinator_);
  Run(30);
  coordinator_.claimed = {"region_unhealthy:east-down:1"};
  health_.Set("east", false);
  Run(20);
  EXPECT_TRUE(Ids().empty() || Ids().front() != "region_unhealthy:east-down:1");
  EXPECT_GE(Audit("skipped").size(), 1u);
}

// Alone, the state file carries what was announced across a restart.
TEST_F(ControllerTest, AloneTheStateSurvivesARestart) {
  const std::string file = (dir_ / "state.json").string();
  {
    LocalCoordinator local("control-test", file);
    ASSERT_TRUE(local.Start().ok());
    Make(&local);
    Run(30);
    health_.Set("east", false);
    Run(30);
    ASSERT_EQ(Ids().back(), "failover:east:1");
    controller_.reset();
  }
  LocalCoordinator local("control-test", file);
  ASSERT_TRUE(local.Start().ok());
  Make(&local);
  Run(40);
  EXPECT_EQ(Ids().size(), 2u);  // nothing announced again
  EXPECT_EQ(controller_->pair_state("east").phase, PairState::Phase::kFailedOver);
  EXPECT_EQ(routing_.applied.back(), (Route{"east", RouteControl::kOut}));
  auto again = local.ClaimEvent("failover:east:1", "{}", "{}");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, Coordinator::Claim::kAlreadyClaimed);
}

TEST(ControllerStateTest, RoundTrips) {
  ControllerState s;
  s.alarms["a"] = {AlarmState::kAlarm, 3};
  s.pairs["east"] = {PairState::Phase::kFailedOver, 4, true, std::nullopt};
  auto back = ControllerState::FromJson(s.ToJson());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->alarms.at("a").state, AlarmState::kAlarm);
  EXPECT_EQ(back->alarms.at("a").events, 3u);
  EXPECT_EQ(back->pairs.at("east"), s.pairs.at("east"));
  EXPECT_TRUE(ControllerState::FromJson("").ok());
  EXPECT_FALSE(ControllerState::FromJson("[]").ok());
}

}  // namespace
}  // namespace tandem::control
