// Result: what one drill scenario measured — the numbers of report.json,
// the expectations of the summary table, and the timeline report.html plots.
//
// Times are seconds; a measure that does not apply to a scenario (no DNS
// flip in `partition`, no failback in `flapping`) or that could not be
// measured (the DNS never flipped) is std::nullopt, written as JSON null and
// shown as "-".
//
// Plain values; thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tandem::drill {

// One expectation and whether it held: "dns_flip_s <= 1.0" with the value
// seen ("0.74") and held = true.
struct Expectation {
  std::string name;      // "dns flip", "client outage", "orders lost after recovery"
  std::string expected;  // "<= 1.0 s", "0", "true"
  std::string actual;    // "0.74 s", "3", "false", "not measured"
  bool held = false;
};

// One 100 ms step of the timeline (t_s is its start, from the scenario's
// start).
struct TimelineStep {
  double t_s = 0;
  std::string answer;         // the failover name's answer served then ("127.0.0.2", "" if none)
  std::string answer_region;  // the region that address belongs to ("" if none)
  uint32_t client_ok = 0;     // client operations that succeeded in the step
  uint32_t client_errors = 0;
  std::optional<double> replication_pending;  // the largest backlog of any live node
};

// Something that happened, placed on the timeline: a fault, its repair, a
// detection, an answer change, a controller decision.
struct TimelineEvent {
  double t_s = 0;
  std::string kind;  // "fault", "repair", "detected", "dns", "control", "note"
  std::string text;  // "SIGKILL node-us-east-1, probe-us-east-1, dns-us-east-1"
};

struct ScenarioResult {
  std::string name;         // "region-outage"
  std::string description;  // one sentence: what was done
  bool passed = false;      // every expectation held and nothing failed to run
  std::string error;        // why the scenario could not run to the end ("" if it did)

  std::optional<double> detection_s;            // fault → checkers agree the primary is unhealthy
  std::optional<double> dns_flip_s;             // fault → DNS answers with another region
  std::optional<double> client_outage_s;        // last success before → first success after
  uint64_t acked_writes = 0;                    // orders the client got a 200 for
  uint64_t failed_writes = 0;                   // attempts that got an error or no answer
  std::optional<uint64_t> lost_during_outage;   // acked, missing from the serving region
  std::optional<uint64_t> lost_after_recovery;  // acked, missing from some region at the end
  std::optional<double> failback_s;             // repair → DNS answers with the primary again
  std::optional<bool> consistent;               // `tandem verify` found no difference
  int traffic_moves = 0;                        // changes of the answer region during the scenario
  std::string verify_output;                    // `tandem verify`'s summary line(s)

  // Faults that could not be made real in this environment (no network
  // namespace, no nftables) and what was done instead.
  std::vector<std::string> not_real;
  std::vector<Expectation> expectations;
  std::vector<TimelineStep> timeline;
  std::vector<TimelineEvent> events;
  double duration_s = 0;
};

struct DrillReport {
  std::string started;      // "2026-11-26T10:05:00Z"
  std::string environment;  // "network namespace, nftables, 20 ms relays" or "plain loopback"
  int regions = 2;
  bool quick = false;
  // The settings the targets depend on.
  double check_interval_s = 0.2;
  int failure_threshold = 3;
  uint32_t ttl_s = 1;
  std::vector<ScenarioResult> scenarios;

  bool passed() const {
    if (scenarios.empty()) return false;
    for (const auto& s : scenarios) {
      if (!s.passed) return false;
    }
    return true;
  }
};

}  // namespace tandem::drill
