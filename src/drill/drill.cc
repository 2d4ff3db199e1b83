#include "drill/drill.h"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <filesystem>

#include "drill/report.h"
#include "drill/sandbox.h"
#include "drill/scenario.h"

namespace tandem::drill {
namespace {

using Steady = std::chrono::steady_clock;

std::string UtcNow() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// One line per step on stdout, so a log shows the drill's course; on a
// terminal the line also carries the time spent in the scenario so far.
class ProgressLine {
 public:
  ProgressLine() : began_(Steady::now()) {}
  void Say(const std::string& scenario, const std::string& what) {
    const double s = std::chrono::duration<double>(Steady::now() - began_).count();
    std::fprintf(stdout, "tandem drill: [%6.1f s] %s: %s\n", s, scenario.c_str(), what.c_str());
    std::fflush(stdout);
  }

 private:
  Steady::time_point began_;
};

}  // namespace

int RunDrill(const DrillOptions& options) {
  auto selected = SelectScenarios(options.scenarios);
  if (!selected.ok()) {
    std::fprintf(stderr, "tandem drill: %s\n", selected.status().message().c_str());
    return 2;
  }
  if (options.regions < 2 || options.regions > 3) {
    std::fprintf(stderr, "tandem drill: --regions must be 2 or 3\n");
    return 2;
  }
  // The namespace first, while this is the only thread.
  DrillReport report;
  report.started = UtcNow();
  report.quick = options.quick;
  report.regions = options.regions;
  std::unique_ptr<Firewall> firewall;
  std::string why_not;
  if (!options.sandbox) {
    why_not = "--no-sandbox was given";
  } else if (Status st = EnterNetworkNamespace(); !st.ok()) {
    why_not = st.message();
  } else {
    firewall = std::make_unique<Firewall>();
    if (Status fw = firewall->Probe(); !fw.ok()) {
      why_not = "nftables does not work here: " + fw.message();
      firewall.reset();
    }
  }
  const double rtt_ms = 2.0 * static_cast<double>(options.relay_delay.count()) / 1000.0;
  char rtt[64];
  std::snprintf(rtt, sizeof(rtt), "%g ms RTT between regions (delaying relays)", rtt_ms);
  report.environment = firewall
                           ? std::string("network namespace of its own, nftables faults, ") + rtt
                           : "plain loopback (" + why_not + "), " + rtt;
  ::signal(SIGPIPE, SIG_IGN);

  std::error_code ec;
  std::filesystem::create_directories(options.report_dir, ec);
  if (ec) {
    std::fprintf(stderr, "tandem drill: cannot create %s: %s\n", options.report_dir.c_str(),
                 ec.message().c_str());
    return 2;
  }
  ProgressLine progress;
  progress.Say("drill", std::to_string(selected->size()) + " scenarios" +
                            (options.quick ? " (quick)" : "") + ", " +
                            std::to_string(options.regions) + " regions, " + report.environment);
  for (const ScenarioSpec& spec : *selected) {
    ScenarioContext ctx;
    ctx.program = options.program;
    ctx.dir = (std::filesystem::path(options.report_dir) / "work" / spec.name).string();
    std::filesystem::remove_all(ctx.dir, ec);
    ctx.regions = options.regions;
    ctx.quick = options.quick;
    ctx.timings = TimingsFor(options.quick);
    ctx.relay_delay = options.relay_delay;
    ctx.firewall = firewall.get();
    ctx.progress = [&](const std::string& s, const std::string& what) { progress.Say(s, what); };
    ScenarioResult r = RunScenario(spec, ctx);
    progress.Say(spec.name, std::string(r.passed ? "PASSED" : "FAILED") +
                                (r.error.empty() ? "" : ": " + r.error));
    if (r.passed && !options.keep_data) {
      std::filesystem::remove_all(std::filesystem::path(ctx.dir) / "data", ec);
    }
    report.scenarios.push_back(std::move(r));
    // The report is rewritten after every scenario: an interrupted drill
    // still leaves what it measured.
    (void)WriteReport(report, options.report_dir);
  }
  const Status written = WriteReport(report, options.report_dir);
  std::fputs(SummaryTable(report).c_str(), stdout);
  if (!written.ok()) {
    std::fprintf(stderr, "tandem drill: %s\n", written.message().c_str());
    return 2;
  }
  std::fprintf(stdout, "tandem drill: report: %s/report.html (and report.json)\n",
               options.report_dir.c_str());
  return report.passed() ? 0 : 1;
}

}  // namespace tandem::drill
