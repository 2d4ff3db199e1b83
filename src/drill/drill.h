// RunDrill: `tandem drill` — the seed's "Testing and Validation", automated
// (docs/DRILL.md).
//
// For each scenario (scenario.h): a fresh local deployment in
// REPORT/work/SCENARIO, the shop's workload, the fault, the repair, the
// measures; then REPORT/report.json, REPORT/report.html and a summary table
// with every expectation and whether it held.
//
// As root the drill first moves into a network namespace of its own
// (sandbox.h), where nftables rules make partitions real and its processes
// cannot collide with anything else on the machine. Elsewhere it runs on the
// machine's loopback (127.0.10.x) and the report says which faults could not
// be made real.
//
// Must be called while the process has a single thread (the namespace is
// entered first). Returns the exit code: 0 when every scenario passed, 1 when
// one failed, 2 for bad options or a report directory that cannot be used.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace tandem::drill {

struct DrillOptions {
  std::vector<std::string> scenarios;  // empty: all
  std::string report_dir;              // absolute
  bool quick = false;
  int regions = 2;
  std::string program = "/proc/self/exe";
  bool sandbox = true;                           // try the network namespace (as root)
  bool keep_data = false;                        // keep each scenario's data directories
  std::chrono::microseconds relay_delay{10000};  // one way; RTT is twice this
};

int RunDrill(const DrillOptions& options);

}  // namespace tandem::drill
