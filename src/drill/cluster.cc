#include "drill/cluster.h"

#include <csignal>
#include <filesystem>
#include <map>
#include <thread>

#include "common/clock.h"
#include "probe/credentials.h"
#include "up/health_table.h"
#include "up/readiness.h"
#include "up/workspace.h"

namespace tandem::drill {
namespace {

using Steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kCheckTimeout{300};
constexpr milliseconds kPollInterval{50};
constexpr milliseconds kStopGrace{5000};

std::string Tail(const std::string& path) {
  std::string tail = up::TailLines(path, 15, "    ");
  return "\n  last lines of " + path + ":\n" + (tail.empty() ? "    (empty)\n" : tail);
}

}  // namespace

Cluster::Cluster(up::TopologyOptions topology, std::string program, std::string orders_table)
    : topology_(std::move(topology)),
      program_(std::move(program)),
      orders_table_(std::move(orders_table)),
      layout_(up::LayoutOf(topology_)) {}

Cluster::~Cluster() { Stop(); }

Status Cluster::Prepare() {
  TANDEM_RETURN_IF_ERROR(up::Validate(topology_));
  std::error_code ec;
  for (const auto& d : {topology_.dir, layout_.logs, layout_.data}) {
    std::filesystem::create_directories(d, ec);
    if (ec) return Status::IOError("cannot create " + d + ": " + ec.message());
  }
  TANDEM_RETURN_IF_ERROR(up::EnsureSecret(layout_.secret).status());
  TANDEM_RETURN_IF_ERROR(up::EnsureCredentials(layout_.credentials).status());
  TANDEM_ASSIGN_OR_RETURN(credentials_,
                          probe::LoadSigningCredentials(layout_.credentials, [](const char*) {
                            return static_cast<const char*>(nullptr);
                          }));
  TANDEM_RETURN_IF_ERROR(up::WriteFileAtomically(layout_.zone_file, up::RenderZoneFile(topology_)));
  TANDEM_RETURN_IF_ERROR(up::WriteFileAtomically(layout_.config, up::RenderConfig(topology_)));
  processes_ = up::Processes(topology_, program_, "tandem");
  for (const auto& p : processes_) {
    for (const auto& b : p.binds) {
      if (Status st = up::CheckFree(b); !st.ok()) {
        return st.WithPrefix("cannot start " + p.child.name + ": ");
      }
    }
  }
  return Status::OK();
}

Status Cluster::Start(milliseconds timeout) {
  const auto deadline = Steady::now() + timeout;
  TANDEM_RETURN_IF_ERROR(Prepare());
  int last_stage = 0;
  for (const auto& p : processes_) last_stage = std::max(last_stage, p.stage);
  for (int stage = 0; stage <= last_stage; ++stage) {
    std::vector<const up::ProcessSpec*> members;
    bool has_probe = false;
    for (const auto& p : processes_) {
      if (p.stage != stage) continue;
      members.push_back(&p);
      has_probe = has_probe || p.role == up::Role::kProbe;
    }
    if (has_probe) TANDEM_RETURN_IF_ERROR(MakeTables(deadline));
    for (const up::ProcessSpec* p : members) TANDEM_RETURN_IF_ERROR(StartProcess(*p));
    TANDEM_RETURN_IF_ERROR(WaitReady(members, deadline));
  }
  return Status::OK();
}

Status Cluster::StartProcess(const up::ProcessSpec& p) {
  up::ChildSpec child = p.child;
  child.log_banner = "---- tandem drill starts " + child.name + " ----";
  auto pid = supervisor_.Start(child);
  if (!pid.ok()) return pid.status();
  expected_exits_.erase(child.name);
  return Status::OK();
}

Status Cluster::WaitReady(const std::vector<const up::ProcessSpec*>& members,
                          Steady::time_point deadline) {
  std::map<const up::ProcessSpec*, std::string> pending;
  for (const auto* p : members) pending[p] = "not checked yet";
  while (!pending.empty()) {
    for (auto it = pending.begin(); it != pending.end();) {
      Status st = up::CheckReady(it->first->ready, kCheckTimeout);
      if (st.ok()) {
        it = pending.erase(it);
      } else {
        it->second = st.message();
        ++it;
      }
    }
    if (pending.empty()) break;
    if (auto exits = Collect(); !exits.empty()) {
      return Status::Unavailable(exits.front() + " while starting");
    }
    if (Steady::now() >= deadline) {
      const auto& [p, why] = *pending.begin();
      return Status::Unavailable(p->child.name + " is not ready (" + p->ready.Describe() + ": " +
                                 why + ")" + Tail(p->child.log_path));
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  return Status::OK();
}

Status Cluster::MakeTables(Steady::time_point deadline) {
  probe::Network network(nullptr, false);
  std::vector<std::unique_ptr<probe::DynamoApi>> clients;
  std::vector<up::RegionApi> apis;
  for (size_t i = 0; i < topology_.regions.size(); ++i) {
    clients.push_back(Api(i, &network));
    apis.push_back({topology_.regions[i].name, clients.back().get()});
  }
  Status last;
  while (Steady::now() < deadline) {
    last = up::EnsureHealthTable(topology_.health_table, apis, deadline);
    if (last.ok()) last = up::EnsureHealthTable(orders_table_, apis, deadline);
    if (last.ok()) return Status::OK();
    std::this_thread::sleep_for(kPollInterval);
  }
  return last.WithPrefix("cannot make the global tables: ");
}

std::unique_ptr<probe::DynamoApi> Cluster::Api(size_t region, probe::Network* network) const {
  auto url = probe::ParseUrl(up::NodeUrl(topology_, region));
  return std::make_unique<probe::DynamoClient>(
      network, *url, credentials_, topology_.regions[region].name, SystemClock::Default());
}

std::vector<std::string> Cluster::Signal(size_t region, const std::set<up::Role>& roles,
                                         int signal) {
  std::vector<std::string> names;
  for (const auto& p : processes_) {
    if (p.region != topology_.regions[region].name || !roles.count(p.role)) continue;
    if (signal == SIGKILL || signal == SIGTERM) expected_exits_.insert(p.child.name);
    if (supervisor_.Signal(p.child.name, signal).ok()) names.push_back(p.child.name);
  }
  return names;
}

Status Cluster::Restart(size_t region, const std::set<up::Role>& roles) {
  (void)Collect();
  for (const auto& p : processes_) {
    if (p.region != topology_.regions[region].name || !roles.count(p.role)) continue;
    // A killed child is reaped by Collect only once the kernel is done with
    // it; wait for that so the name is free.
    const auto deadline = Steady::now() + kStopGrace;
    while (supervisor_.Pid(p.child.name).has_value() && Steady::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      (void)Collect();
    }
    TANDEM_RETURN_IF_ERROR(StartProcess(p));
  }
  return Status::OK();
}

std::vector<std::string> Cluster::Collect() {
  std::vector<std::string> out;
  for (const up::ChildExit& e : supervisor_.Reap()) {
    if (expected_exits_.count(e.name)) continue;
    out.push_back(e.name + " (pid " + std::to_string(e.pid) + ") " + e.Describe() +
                  Tail(e.log_path));
  }
  unexpected_.insert(unexpected_.end(), out.begin(), out.end());
  return out;
}

std::vector<std::string> Cluster::UnexpectedExits() {
  (void)Collect();
  std::vector<std::string> out;
  out.swap(unexpected_);
  return out;
}

void Cluster::Stop() {
  if (supervisor_.running() == 0) return;
  for (const auto& p : processes_) expected_exits_.insert(p.child.name);
  (void)supervisor_.Stop(kStopGrace);
}

}  // namespace tandem::drill
