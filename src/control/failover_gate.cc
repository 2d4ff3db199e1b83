#include "control/failover_gate.h"

#include <fmt/format.h>

namespace tandem::control {

const char* NodeReadinessName(NodeReadiness r) {
  switch (r) {
    case NodeReadiness::kUnknown:
      return "unknown";
    case NodeReadiness::kReady:
      return "ready";
    case NodeReadiness::kCatchingUp:
      return "catching_up";
    case NodeReadiness::kDown:
      return "down";
  }
  return "?";
}

const char* RouteControlName(RouteControl c) {
  switch (c) {
    case RouteControl::kAuto:
      return "auto";
    case RouteControl::kOut:
      return "out";
    case RouteControl::kIn:
      return "in";
  }
  return "?";
}

const char* PhaseName(PairState::Phase p) {
  return p == PairState::Phase::kNormal ? "normal" : "failed_over";
}

GateStep StepGate(const PairInputs& in, std::chrono::milliseconds hold_down, PairState* s) {
  GateStep step;
  if (s->phase == PairState::Phase::kNormal) {
    step.primary_control = RouteControl::kAuto;
    if (in.primary != AlarmState::kAlarm) {
      s->aborted = false;  // the episode is over; a new ALARM may abort again
      step.reason = fmt::format("primary alarm is {}", AlarmStateName(in.primary));
      return step;
    }
    if (in.secondary == AlarmState::kOk) {
      s->phase = PairState::Phase::kFailedOver;
      s->aborted = false;
      s->ready_since.reset();
      ++s->events;
      step.decision = GateDecision::kFailover;
      step.primary_control = RouteControl::kOut;
      step.reason = "primary alarm is ALARM and secondary alarm is OK: fail over";
      return step;
    }
    step.reason = fmt::format("primary alarm is ALARM but secondary alarm is {}: cannot fail over",
                              AlarmStateName(in.secondary));
    if (!s->aborted) {
      s->aborted = true;
      ++s->events;
      step.decision = GateDecision::kFailoverAborted;
    }
    return step;
  }

  step.primary_control = RouteControl::kOut;
  const bool healthy = in.primary == AlarmState::kOk;
  const bool ready = in.primary_node == NodeReadiness::kReady;
  if (!healthy || !ready) {
    const bool relapse = s->ready_since.has_value();
    s->ready_since.reset();
    step.reason = fmt::format("failed over; waiting for the primary: alarm {}, node {}{}",
                              AlarmStateName(in.primary), NodeReadinessName(in.primary_node),
                              relapse ? " (relapse: hold-down restarts)" : "");
    return step;
  }
  if (!s->ready_since) {
    s->ready_since = in.now_micros;
  }
  const int64_t held = in.now_micros - *s->ready_since;
  const int64_t needed = std::chrono::duration_cast<std::chrono::microseconds>(hold_down).count();
  if (held < needed) {
    step.reason =
        fmt::format("failed over; primary healthy and ready for {:.1f} s of the {:.1f} s hold-down",
                    static_cast<double>(held) / 1e6, static_cast<double>(needed) / 1e6);
    return step;
  }
  s->phase = PairState::Phase::kNormal;
  s->ready_since.reset();
  ++s->events;
  step.decision = GateDecision::kFailback;
  step.primary_control = RouteControl::kAuto;
  step.reason =
      fmt::format("primary alarm OK and node ready for {:.1f} s (hold-down {:.1f} s): fail back",
                  static_cast<double>(held) / 1e6, static_cast<double>(needed) / 1e6);
  return step;
}

}  // namespace tandem::control
