// `tandem drill`: disaster-recovery drills on a local topology — faults
// injected, RTO and RPO measured, consistency verified, a report written
// (drill/drill.h; docs/DRILL.md).
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace tandem::cli {

struct DrillFlags {
  std::vector<std::string> scenarios;
  std::string report = "drill-report";
  bool quick = false;
  int regions = 2;
  bool no_sandbox = false;
  bool keep_data = false;
  double rtt_ms = 20;
};

void AddDrillFlags(CLI::App* app, DrillFlags* flags);

// Exit 0 when every scenario passed, 1 when one failed, 2 for bad options.
int RunDrill(const DrillFlags& flags);

}  // namespace tandem::cli
