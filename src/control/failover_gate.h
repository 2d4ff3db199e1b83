// FailoverGate: the decisions of one [[failover]] pair as a pure state
// machine — the seed's Lambda (fail over only after confirming the secondary
// is healthy) and failback gating (return only to a primary that is healthy,
// caught up, and has stayed so for the hold-down).
//
//   normal ── primary ALARM, secondary OK ──────────────► failed over
//     │        (decision kFailover; primary routed `out`)     │
//     │                                                       │ primary OK and its node
//     └─ primary ALARM, secondary not OK: kFailoverAborted    │ ready, both held without
//        once per episode; retried every step                 │ a break for hold_down
//   normal ◄──────────── kFailback (primary routed `auto`) ───┘
//
// "Ready" is the node's /health: 200 and not "catching_up" (its replication
// backlog drained). Any step where the primary's alarm is not OK or its node
// is not ready restarts the hold-down. Nothing else moves the pair, so it
// never oscillates: a failback needs hold_down of continuous health, and the
// next failover needs the primary's alarm to reach ALARM again, which takes
// M breaching periods after the OK that allowed the failback. An alarm in
// INSUFFICIENT_DATA moves nothing (as the Lambda acted on ALARM only).
//
// Pure functions over plain values; thread-compatible.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "control/alarm.h"

namespace tandem::control {

enum class NodeReadiness { kUnknown, kReady, kCatchingUp, kDown };
const char* NodeReadinessName(NodeReadiness r);  // "unknown", "ready", "catching_up", "down"

// A routing control for an answer set, as `tandem route` sets it.
enum class RouteControl { kAuto, kOut, kIn };
const char* RouteControlName(RouteControl c);  // "auto", "out", "in"

struct PairInputs {
  int64_t now_micros = 0;
  AlarmState primary = AlarmState::kInsufficientData;
  AlarmState secondary = AlarmState::kInsufficientData;
  NodeReadiness primary_node = NodeReadiness::kUnknown;
};

// What survives between steps (and, but for ready_since, a change of leader).
struct PairState {
  enum class Phase { kNormal, kFailedOver } phase = Phase::kNormal;
  uint64_t events = 0;                 // how many events the pair has announced (event ids)
  bool aborted = false;                // this ALARM episode's kFailoverAborted was announced
  std::optional<int64_t> ready_since;  // failed over: start of the current hold-down

  bool operator==(const PairState&) const = default;
};
const char* PhaseName(PairState::Phase p);  // "normal", "failed_over"

enum class GateDecision { kNone, kFailover, kFailoverAborted, kFailback };

struct GateStep {
  GateDecision decision = GateDecision::kNone;
  // The primary's routing control this state calls for: kOut failed over,
  // kAuto otherwise. The caller applies it when a decision changes it.
  RouteControl primary_control = RouteControl::kAuto;
  std::string reason;  // why (also for kNone: what is being waited for)
};

// One step: moves `state` and returns the decision. Call it every poll with
// the latest inputs; `now_micros` never goes backwards.
GateStep StepGate(const PairInputs& in, std::chrono::milliseconds hold_down, PairState* state);

}  // namespace tandem::control
