// Checker: this process's own health checks of the endpoints in the
// deployment file, with Route 53's semantics (faster): HTTP/HTTPS healthy on
// a 2xx/3xx status within the timeout, *_STR_MATCH also needing the search
// string in the first 5,120 bytes of the body, TCP healthy on connect.
// HTTPS does not validate certificates (as Route 53); SNI only when asked.
//
// Each check is probed every `interval`. Its state moves only after
// `failure_threshold` consecutive results the other way (both directions),
// so an endpoint that flaps every interval does not move; `inverted` flips
// the result, `disabled` counts as healthy (then `inverted` applies). The
// very first probe sets the initial state directly. Every transition is
// logged with its reason ("HTTP 503", "timeout after 500 ms", "connection
// refused", "search string \"ok\" not in the first 5120 bytes", ...).
// CALCULATED checks are not probed here (they combine other checks' agreed
// states; see failover/agreement.h).
//
// Thread-safety: Start/Stop/Reconfigure from the owner; States, the callback
// registration and RenderMetrics from any thread. The callback runs on the
// checker's thread and must not block.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "config/dns_config.h"
#include "health/probe.h"  // ProbeResult
#include "health/resolver.h"

namespace tandem::health {

struct CheckState {
  std::string name;
  bool healthy = false;      // after threshold, inverted and disabled
  int streak = 0;            // consecutive raw results disagreeing with the state
  ProbeResult last;          // the latest probe (reason "disabled" when disabled)
  int64_t since_micros = 0;  // the last transition (or the first probe)
  uint64_t transitions = 0;
  std::string transition_reason;  // the probe result that caused the last one
};

class Checker {
 public:
  // Called on every transition of a check's state (not on every probe, and
  // not for the initial state, which Start/Reconfigure have set by the time
  // they return).
  using OnTransition = std::function<void(const CheckState&)>;

  // `checks` may include CALCULATED ones; they are ignored here.
  Checker(std::vector<config::HealthCheckConfig> checks, const Clock* clock,
          OnTransition on_transition);
  ~Checker();

  // Probes every check once, concurrently, sets the initial states, then
  // keeps probing in the background. Returns once that first round is done
  // (at most the longest timeout).
  // Disabled checks are not probed: their state is set at once.
  void Start();
  // Probes connect from this local address (before Start; empty: any), so
  // firewalls and faults can tell this checker's probes apart.
  void set_probe_source(std::string address);
  // Finds the addresses of checks without `ip` (before Start; default
  // SystemResolver()). Must outlive the checker.
  void set_resolver(Resolver* resolver);
  // Cancels the timers and the probes in flight and joins the thread; the
  // states stay readable. Start may be called again. Idempotent.
  void Stop();
  // Replaces the set of checks (SIGHUP). A check whose configuration is
  // unchanged keeps its state and schedule; a new or changed one is probed
  // at once and this returns after that first probe.
  void Reconfigure(std::vector<config::HealthCheckConfig> checks);

  // One entry per check that has a state (probed at least once, or
  // disabled), sorted by name.
  std::vector<CheckState> States() const;
  // tandem_health_check_healthy{check}, tandem_health_check_latency_ms
  // histogram{check}, tandem_health_check_transitions_total{check},
  // tandem_health_check_probes_total{check,result}.
  std::string RenderMetrics() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// The state machine, exposed for tests: applies one probe result of
// `check` to `state` (inversion, disabled, then `failure_threshold`
// consecutive disagreeing results to flip). The `first` result of a check
// sets its state directly and is not a transition. Returns true on a
// transition.
bool ApplyProbeResult(const config::HealthCheckConfig& check, const ProbeResult& result, bool first,
                      CheckState* state);

// A label value for the Prometheus text format: backslash, double quote and
// newline escaped.
std::string PrometheusLabelValue(std::string_view value);

}  // namespace tandem::health
