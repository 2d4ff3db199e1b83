// Scenario: one drill of the seed's "Testing and Validation" — a fresh
// deployment, the shop's workload, one fault, its repair, and the numbers.
//
//   region-outage      SIGKILL every process of the primary region; later
//                      start them again
//   db-outage          SIGKILL only the primary's node (its probe must catch
//                      it); later start it again
//   partition          drop the replication traffic between the regions
//                      while both serve (conflicting writes on both sides);
//                      then heal
//   flapping           pause the primary's probe for a moment, over and
//                      over, so its checks alternate: traffic must not move
//   checker-partition  cut one checker off from the primary: traffic must
//                      not move
//   failback           a region outage long enough to leave a backlog; the
//                      primary returns, catches up and gets traffic back only
//                      through the controller's gate, exactly once
//
// Thread-safety: RunScenario drives one scenario from the calling thread.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "common/status.h"
#include "drill/result.h"
#include "drill/sandbox.h"

namespace tandem::drill {

enum class FaultKind {
  kRegionOutage,
  kDbOutage,
  kPartition,
  kFlapping,
  kCheckerPartition,
  kFailback
};

struct ScenarioSpec {
  std::string name;
  FaultKind fault;
  std::string description;
};

// Every scenario, in the order `all` runs them.
const std::vector<ScenarioSpec>& AllScenarios();
// The scenarios named (each once, in the order given; "all" adds every one).
// InvalidArgument naming an unknown scenario and listing the known ones.
StatusOr<std::vector<ScenarioSpec>> SelectScenarios(const std::vector<std::string>& names);

// How long each phase lasts: a full drill, or `--quick` for CI.
struct Timings {
  std::chrono::milliseconds warmup;        // workload before the fault
  std::chrono::milliseconds outage;        // the primary stays down after the flip
  std::chrono::milliseconds fault_window;  // partition, flapping, checker-partition
  std::chrono::milliseconds settle;        // workload after the repair
  std::chrono::milliseconds hold_down;     // the controller's failback hold-down
  std::chrono::milliseconds flip_deadline{10000};
  std::chrono::milliseconds failback_deadline{60000};
  std::chrono::milliseconds converge_deadline{60000};
  std::chrono::milliseconds start_deadline{60000};
};
Timings TimingsFor(bool quick);

// Where and how the scenario runs.
struct ScenarioContext {
  std::string program;  // the tandem binary
  std::string dir;      // this scenario's workspace (absolute)
  int regions = 2;
  bool quick = false;
  Timings timings;
  std::chrono::microseconds relay_delay{10000};  // each way between regions
  Firewall* firewall = nullptr;                  // null: no nftables (plain loopback)
  // Progress: "waiting for the DNS flip".
  std::function<void(const std::string& scenario, const std::string& what)> progress;
};

ScenarioResult RunScenario(const ScenarioSpec& spec, const ScenarioContext& ctx);

}  // namespace tandem::drill
