// Controller: `tandem control`'s decisions — the seed's CloudWatch alarm and
// Lambda, self-hosted.
//
// Every poll (Tick) it samples the sources (control/sources.h): the agreed
// health of the checks from any `tandem dns` admin API, the primaries' node
// readiness, the nodes' replication backlog; feeds its alarms
// (control/alarm.h); and, when it leads (control/coordinator.h), turns what
// changed into events:
//
//   region_unhealthy / region_recovered           health_check alarm ALARM / back to OK
//   replication_lag_high / replication_lag_recovered   replication_pending alarm
//   failover / failover_aborted / failback        each [[failover]]'s gate
//                                                 (control/failover_gate.h)
//
// Each event is claimed first (its id with the resulting state, atomically),
// then its routing change is made (failover: the primary's answer set
// `out`; failback: `auto`) through the RoutingActuator, retried every poll
// until a dns server takes it, then its hooks are dispatched. Every
// alarm transition, leadership change, decision and routing result is
// written to the audit log with its inputs. Controllers that do not lead
// still sample and evaluate, so a new leader has the alarms' history; it
// takes the announced states and pair phases from the state its predecessor
// saved, so it neither repeats nor skips an event. The hold-down of a pair
// that is failed over restarts with a new leader.
//
// Thread-safety: Tick is called by the owner's thread (or Start's);
// StatusJson from any thread (it may wait for a Tick in progress).
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "config/control_config.h"
#include "control/actions.h"
#include "control/alarm.h"
#include "control/audit_log.h"
#include "control/coordinator.h"
#include "control/failover_gate.h"
#include "control/routing_actuator.h"
#include "control/sources.h"

namespace tandem::control {

struct ControllerDeps {
  HealthSource* health = nullptr;
  NodeSource* nodes = nullptr;
  RoutingActuator* routing = nullptr;
  Coordinator* coordinator = nullptr;
  ActionSink* actions = nullptr;
  AuditLog* audit = nullptr;  // may be null
  const Clock* clock = SystemClock::Default();
};

// What a leader hands to the next (JSON in the coordinator).
struct ControllerState {
  struct Announced {
    AlarmState state = AlarmState::kInsufficientData;
    uint64_t events = 0;
  };
  std::map<std::string, Announced> alarms;  // absent: nothing announced yet
  std::map<std::string, PairState> pairs;   // by primary; ready_since not kept

  std::string ToJson() const;
  // InvalidArgument for malformed text; "" is the empty state.
  static StatusOr<ControllerState> FromJson(std::string_view text);
};

class Controller {
 public:
  Controller(config::ControlConfig config, ControllerDeps deps);
  ~Controller();

  // One poll: sample, evaluate, and if leading decide and act.
  void Tick();
  // Ticks every [control] poll on a thread of its own until Stop.
  void Start();
  void Stop();

  // {"controller", "leading", "leader", "alarms": [...], "failovers": [...]}.
  std::string StatusJson() const;
  AlarmState alarm_state(const std::string& alarm) const;
  PairState pair_state(const std::string& primary) const;

 private:
  struct Samples;
  Samples Sample();
  void Evaluate(const Samples& samples, int64_t now);
  bool FollowLeadership(int64_t now);
  void AnnounceAlarms(const Samples& samples, int64_t now);
  void StepPairs(const Samples& samples, int64_t now);
  void ApplyPendingRoutes(int64_t now);
  // Claims `event` with `next` as the state; true when ours to act on.
  bool Claim(const Event& event, const ControllerState& next);
  boost::json::object AlarmJson(const AlarmEvaluator& alarm) const;
  Event MakeEvent(EventType type, const std::string& id, int64_t now, std::string decision,
                  boost::json::object inputs) const;
  void Audit(AuditEntry entry) const;
  const AlarmEvaluator* FindAlarm(const std::string& name) const;

  const config::ControlConfig config_;
  const ControllerDeps deps_;

  mutable std::mutex mu_;
  std::vector<AlarmEvaluator> alarms_;
  std::map<std::string, double> last_value_;            // metric alarms: the last sample
  ControllerState state_;                               // announced and pairs (with ready_since)
  std::map<std::string, RouteControl> pending_routes_;  // set -> control not yet applied
  bool leading_ = false;
  uint64_t term_ = 0;  // the coordinator term whose state was loaded

  std::mutex run_mu_;
  std::condition_variable run_cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace tandem::control
