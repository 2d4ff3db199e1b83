#include "up/up.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <map>
#include <set>

#include "common/clock.h"
#include "config/control_config.h"
#include "config/deployment.h"
#include "config/dns_config.h"
#include "probe/credentials.h"
#include "probe/dynamo_client.h"
#include "up/health_table.h"
#include "up/instructions.h"
#include "up/readiness.h"
#include "up/supervisor.h"
#include "up/workspace.h"

namespace tandem::up {
namespace {

using Steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kCheckTimeout{500};  // one readiness check
constexpr milliseconds kPollInterval{100};  // between rounds of checks
constexpr milliseconds kCallTimeout{5000};  // one round of health-table calls
constexpr milliseconds kRetryInterval{200};
constexpr milliseconds kWatchInterval{1000};
constexpr size_t kTailLines = 20;

void Say(const std::string& s) {
  std::fprintf(stdout, "tandem up: %s\n", s.c_str());
  std::fflush(stdout);
}

void Warn(const std::string& s) {
  std::fprintf(stderr, "tandem up: %s\n", s.c_str());
  std::fflush(stderr);
}

std::string Seconds(milliseconds d) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g s", static_cast<double>(d.count()) / 1000.0);
  return buf;
}

// "2026-11-26 07:30:41" local time.
std::string Now() {
  const std::time_t t = std::time(nullptr);
  std::tm local{};
  localtime_r(&t, &local);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &local);
  return buf;
}

std::string SignalName(int sig) {
  switch (sig) {
    case SIGINT:
      return "SIGINT";
    case SIGTERM:
      return "SIGTERM";
    case SIGHUP:
      return "SIGHUP";
  }
  return "signal " + std::to_string(sig);
}

std::string LogTail(const std::string& path) {
  std::string tail = TailLines(path, kTailLines, "    ");
  return "  last lines of " + path + ":\n" + (tail.empty() ? "    (empty)\n" : tail);
}

class Runner {
 public:
  explicit Runner(const UpOptions& o) : o_(o), layout_(LayoutOf(o.topology)) {
    sigemptyset(&signals_);
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGCHLD}) sigaddset(&signals_, sig);
  }

  int Run() {
    pthread_sigmask(SIG_BLOCK, &signals_, nullptr);
    ::signal(SIGPIPE, SIG_IGN);
    if (Status st = Prepare(); !st.ok()) {
      Warn(st.message());
      return 2;
    }
    processes_ = Processes(o_.topology, o_.program, o_.display_program);
    if (Status st = CheckPorts(); !st.ok()) {
      Warn(st.message());
      return 1;
    }
    Say("starting " + std::to_string(o_.topology.regions.size()) + " regions in " +
        o_.topology.dir + " (logs in " + layout_.logs + ")");
    switch (StartAll()) {
      case Outcome::kFailed:
        Shutdown();
        return 1;
      case Outcome::kStopSignal:
        Say("received " + SignalName(stop_signal_) + " while starting");
        Shutdown();
        return 0;
      case Outcome::kReady:
        break;
    }
    std::fputs(ReadyText(o_.topology, o_.display_program).c_str(), stdout);
    Say("ready: " + std::to_string(supervisor_.running()) + " processes in " +
        std::to_string(o_.topology.regions.size()) + " regions; Ctrl-C stops them");
    while (!StopRequested(kWatchInterval)) ReportExits(/*starting=*/false);
    Say("received " + SignalName(stop_signal_));
    Shutdown();
    return 0;
  }

 private:
  enum class Outcome { kReady, kStopSignal, kFailed };

  Status Prepare() {
    const TopologyOptions& t = o_.topology;
    TANDEM_RETURN_IF_ERROR(Validate(t));
    TANDEM_ASSIGN_OR_RETURN(workspace_, Workspace::Open(t.dir));
    TANDEM_RETURN_IF_ERROR(CheckEarlierRegions());
    TANDEM_ASSIGN_OR_RETURN(bool new_secret, EnsureSecret(layout_.secret));
    TANDEM_ASSIGN_OR_RETURN(bool new_credentials, EnsureCredentials(layout_.credentials));
    if (new_secret) Say("made a fresh cluster secret: " + layout_.secret);
    if (new_credentials) Say("made a fresh AWS key pair: " + layout_.credentials);
    const std::string config = RenderConfig(t);
    // The readers every process uses must accept it; anything else is a bug here.
    auto deployment = config::ParseDeployment(config, layout_.config);
    if (!deployment.ok()) return deployment.status().WithPrefix("internal error: ");
    auto dns = config::ParseDnsConfig(config, layout_.config);
    if (!dns.ok()) return dns.status().WithPrefix("internal error: ");
    auto control = config::ParseControlConfig(config, layout_.config);
    if (!control.ok()) return control.status().WithPrefix("internal error: ");
    TANDEM_RETURN_IF_ERROR(WriteFileAtomically(layout_.zone_file, RenderZoneFile(t)));
    TANDEM_RETURN_IF_ERROR(WriteFileAtomically(layout_.config, config));
    std::error_code ec;
    for (const auto& d : {layout_.logs, layout_.data}) {
      std::filesystem::create_directories(d, ec);
      if (ec) return Status::IOError("cannot create " + d + ": " + ec.message());
    }
    return Status::OK();
  }

  // A region's data left by an earlier run with more regions would be left
  // out of replication silently: refuse instead.
  Status CheckEarlierRegions() {
    std::set<std::string> now;
    for (const auto& r : o_.topology.regions) now.insert(r.name);
    std::error_code ec;
    std::string extra;
    for (const auto& entry : std::filesystem::directory_iterator(layout_.data, ec)) {
      const std::string name = entry.path().filename().string();
      if (entry.is_directory() && !now.count(name)) extra += (extra.empty() ? "" : ", ") + name;
    }
    if (extra.empty()) return Status::OK();
    return Status::FailedPrecondition(
        o_.topology.dir + " holds data of regions this start leaves out (" + extra +
        "): start it with as many regions as before " + "(--regions), or give another --dir");
  }

  Status CheckPorts() {
    for (const auto& p : processes_) {
      for (const auto& b : p.binds) {
        Status st = CheckFree(b);
        if (st.ok()) continue;
        if (st.code() != Status::Code::kFailedPrecondition) {
          return st.WithPrefix("cannot start " + p.child.name + ": ");
        }
        return Status::FailedPrecondition("cannot start " + p.child.name + ": " + st.message() +
                                          "; is another tandem up, node or DNS server running? "
                                          "(ss -lntup | grep :" +
                                          std::to_string(b.port) + ")");
      }
    }
    return Status::OK();
  }

  Outcome StartAll() {
    const auto deadline = Steady::now() + o_.start_timeout;
    int last_stage = 0;
    for (const auto& p : processes_) last_stage = std::max(last_stage, p.stage);
    for (int stage = 0; stage <= last_stage; ++stage) {
      std::vector<const ProcessSpec*> members;
      bool has_probe = false;
      for (const auto& p : processes_) {
        if (p.stage != stage) continue;
        members.push_back(&p);
        has_probe = has_probe || p.role == Role::kProbe;
      }
      if (has_probe) {
        // The probes check through this table: it must exist before them.
        if (Outcome out = MakeHealthTable(deadline); out != Outcome::kReady) return out;
      }
      for (const ProcessSpec* p : members) {
        ChildSpec child = p->child;
        child.log_banner = "---- " + Now() + " tandem up (pid " + std::to_string(::getpid()) +
                           ") starts: " + Command(p->child.name) + " ----";
        auto pid = supervisor_.Start(child);
        if (!pid.ok()) {
          Warn(pid.status().message());
          return Outcome::kFailed;
        }
      }
      if (Outcome out = WaitReady(members, deadline); out != Outcome::kReady) return out;
    }
    return Outcome::kReady;
  }

  Outcome WaitReady(const std::vector<const ProcessSpec*>& members, Steady::time_point deadline) {
    std::set<const ProcessSpec*> ready;
    std::map<const ProcessSpec*, std::string> why;
    for (;;) {
      for (const ProcessSpec* p : members) {
        if (ready.count(p)) continue;
        const auto left = std::chrono::duration_cast<milliseconds>(deadline - Steady::now());
        Status st = CheckReady(p->ready, std::clamp(left, milliseconds(50), kCheckTimeout));
        if (st.ok()) {
          ready.insert(p);
          Say("  " + p->child.name + " ready (pid " +
              std::to_string(supervisor_.Pid(p->child.name).value_or(0)) +
              "): " + p->ready.Describe());
        } else {
          why[p] = st.message();
        }
      }
      if (ready.size() == members.size()) return Outcome::kReady;
      if (StopRequested(kPollInterval)) return Outcome::kStopSignal;
      if (ReportExits(/*starting=*/true)) return Outcome::kFailed;
      if (Steady::now() >= deadline) {
        for (const ProcessSpec* p : members) {
          if (ready.count(p)) continue;
          Warn(p->child.name + " is not ready after " + Seconds(o_.start_timeout) + " (" +
               p->ready.Describe() + ": " + why[p] + ")\n" + LogTail(p->child.log_path));
        }
        return Outcome::kFailed;
      }
    }
  }

  Outcome MakeHealthTable(Steady::time_point deadline) {
    const TopologyOptions& t = o_.topology;
    auto credentials = probe::LoadSigningCredentials(layout_.credentials, std::getenv);
    if (!credentials.ok()) {
      Warn(credentials.status().message());
      return Outcome::kFailed;
    }
    probe::Network network(nullptr, false);
    std::vector<std::unique_ptr<probe::DynamoClient>> clients;
    std::vector<RegionApi> apis;
    for (size_t i = 0; i < t.regions.size(); ++i) {
      auto url = probe::ParseUrl(NodeUrl(t, i));
      if (!url.ok()) {
        Warn(url.status().message());
        return Outcome::kFailed;
      }
      clients.push_back(std::make_unique<probe::DynamoClient>(
          &network, *url, *credentials, t.regions[i].name, SystemClock::Default()));
      apis.push_back({t.regions[i].name, clients.back().get()});
    }
    for (;;) {
      Status st =
          EnsureHealthTable(t.health_table, apis, std::min(deadline, Steady::now() + kCallTimeout));
      if (st.ok()) {
        std::string regions;
        for (const auto& r : t.regions) regions += (regions.empty() ? "" : ", ") + r.name;
        Say("  table " + t.health_table + " (the probes' canary) is global in " + regions);
        return Outcome::kReady;
      }
      if (StopRequested(kRetryInterval)) return Outcome::kStopSignal;
      if (ReportExits(/*starting=*/true)) return Outcome::kFailed;
      if (Steady::now() >= deadline) {
        Warn("cannot make the probes' table " + t.health_table + ": " + st.message() +
             " (the nodes' logs are in " + layout_.logs + ")");
        return Outcome::kFailed;
      }
    }
  }

  // Waits up to `timeout` for a signal; true when one asks to stop.
  bool StopRequested(milliseconds timeout) {
    timespec ts{static_cast<time_t>(timeout.count() / 1000),
                static_cast<long>((timeout.count() % 1000) * 1'000'000)};
    siginfo_t info;
    const int sig = sigtimedwait(&signals_, &info, &ts);
    if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP) {
      stop_signal_ = sig;
      return true;
    }
    return false;  // SIGCHLD (reaped by the caller), the timeout, or EINTR
  }

  // Reports every process that exited; returns whether any did.
  bool ReportExits(bool starting) {
    const auto exits = supervisor_.Reap();
    for (const ChildExit& e : exits) {
      const std::string head = e.name + " (pid " + std::to_string(e.pid) + ") " + e.Describe();
      if (starting) {
        Warn(head + " before everything was ready\n" + LogTail(e.log_path));
        continue;
      }
      Warn("!!! " + head + " unexpectedly; the other processes keep running (Ctrl-C stops them)\n" +
           LogTail(e.log_path) + "  to run it again by hand: " + Command(e.name));
    }
    return !exits.empty();
  }

  std::string Command(const std::string& name) const {
    for (const auto& p : processes_) {
      if (p.child.name != name) continue;
      std::string out = ShellQuote(o_.display_program);
      for (size_t i = 1; i < p.child.argv.size(); ++i) out += " " + ShellQuote(p.child.argv[i]);
      return out;
    }
    return "?";
  }

  void Shutdown() {
    if (supervisor_.running() == 0) {
      Say("stopped");
      return;
    }
    const size_t n = supervisor_.running();
    Say("stopping " + std::to_string(n) + (n == 1 ? " process" : " processes") +
        " (SIGTERM, SIGKILL after " + Seconds(o_.stop_grace) + ")");
    for (const ChildExit& e : supervisor_.Stop(o_.stop_grace)) {
      if (!e.stopped_as_asked()) Warn("  " + e.name + " " + e.Describe());
    }
    Say("stopped");
  }

  const UpOptions& o_;
  const Layout layout_;
  std::unique_ptr<Workspace> workspace_;
  std::vector<ProcessSpec> processes_;
  Supervisor supervisor_;
  sigset_t signals_;
  int stop_signal_ = 0;
};

}  // namespace

int RunUp(const UpOptions& options) { return Runner(options).Run(); }

}  // namespace tandem::up
