#include "cli/drill_command.h"

#include <filesystem>

#include "drill/drill.h"

namespace tandem::cli {

void AddDrillFlags(CLI::App* app, DrillFlags* flags) {
  app->add_option("scenario", flags->scenarios,
                  "region-outage, db-outage, partition, flapping, checker-partition, failback, "
                  "or all (the default)");
  app->add_option("--report", flags->report,
                  "Directory for report.json, report.html and each scenario's files (default "
                  "./drill-report)");
  app->add_flag("--quick", flags->quick, "Shorter phases (about 20 s a scenario), as CI runs it");
  app->add_option("--regions", flags->regions, "2 or 3 regions")->check(CLI::Range(2, 3));
  app->add_option("--rtt-ms", flags->rtt_ms,
                  "Round-trip time added between regions by delaying relays (default 20)")
      ->check(CLI::Range(0.0, 1000.0));
  app->add_flag("--no-sandbox", flags->no_sandbox,
                "Run on the machine's loopback even as root (no network namespace, no nftables)");
  app->add_flag("--keep-data", flags->keep_data,
                "Keep the data directories of scenarios that passed (failed ones are always kept)");
}

int RunDrill(const DrillFlags& flags) {
  drill::DrillOptions o;
  o.scenarios = flags.scenarios;
  o.report_dir = std::filesystem::absolute(flags.report).lexically_normal().string();
  if (o.report_dir.size() > 1 && o.report_dir.back() == '/') o.report_dir.pop_back();
  o.quick = flags.quick;
  o.regions = flags.regions;
  o.sandbox = !flags.no_sandbox;
  o.keep_data = flags.keep_data;
  o.relay_delay = std::chrono::microseconds(static_cast<int64_t>(flags.rtt_ms * 500.0));
  return drill::RunDrill(o);
}

}  // namespace tandem::cli
