#include "drill/scenario.h"

#include <signal.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "config/dns_config.h"
#include "control/http_transport.h"
#include "drill/cluster.h"
#include "drill/ledger.h"
#include "drill/measures.h"
#include "drill/observer.h"
#include "drill/resolver.h"
#include "drill/shop.h"
#include "relay/relay.h"
#include "replication/peer_auth.h"
#include "up/topology.h"

namespace tandem::drill {
namespace {

using Steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr const char* kOrdersTable = "orders";
constexpr double kFlipLimitS = 1.0;  // the targets
constexpr double kOutageLimitS = 3.0;
constexpr milliseconds kTimelineStep{100};
// The primary's probe pauses long enough that every pause fails a check
// (a check fails when it starts in the first pause − timeout of the pause:
// 400 − 150 ms ≥ one 200 ms interval), and never three in a row (250 ms
// holds at most two starts, and a pause would have to overrun by 150 ms to
// hold three); the time between lets checks succeed again.
constexpr milliseconds kFlapDown{400};
constexpr milliseconds kFlapUp{600};
constexpr uint64_t kWarmupOrders = 20;

const std::set<up::Role> kWholeRegion = {up::Role::kNode, up::Role::kProbe, up::Role::kDns};

std::string RegionAddress(bool sandboxed, size_t i) {
  return (sandboxed ? "127.0.0." : "127.0.10.") + std::to_string(i + 1);
}
std::string RelayAddress(bool sandboxed, size_t i) {
  return (sandboxed ? "127.0.1." : "127.0.11.") + std::to_string(i + 1);
}

// Runs one scenario; every step records into result_.
class Run {
 public:
  Run(const ScenarioSpec& spec, const ScenarioContext& ctx) : spec_(spec), ctx_(ctx) {
    result_.name = spec.name;
    result_.description = spec.description;
    sandboxed_ = ctx.firewall != nullptr;
  }

  ScenarioResult Go() {
    const auto began = Steady::now();
    Status st = Execute();
    if (!st.ok()) result_.error = st.message();
    Teardown();
    result_.duration_s = SecondsBetween(began, Steady::now());
    result_.passed = result_.error.empty();
    for (const auto& e : result_.expectations) result_.passed = result_.passed && e.held;
    return result_;
  }

 private:
  void Progress(const std::string& what) {
    if (ctx_.progress) ctx_.progress(spec_.name, what);
  }
  void Event(const std::string& kind, const std::string& text, SteadyTime at = Steady::now()) {
    result_.events.push_back({SecondsBetween(t0_, at), kind, text});
  }
  std::string Primary() const { return topology_.regions[0].address; }
  std::string Secondary() const { return topology_.regions[1].address; }

  Status Execute() {
    TANDEM_RETURN_IF_ERROR(BuildTopology());
    TANDEM_RETURN_IF_ERROR(StartRelays());
    Progress("starting " + std::to_string(ctx_.regions) + " regions");
    cluster_ = std::make_unique<Cluster>(topology_, ctx_.program, kOrdersTable);
    TANDEM_RETURN_IF_ERROR(cluster_->Start(ctx_.timings.start_deadline));
    TANDEM_RETURN_IF_ERROR(StartWatching());
    Progress("placing orders before the fault");
    TANDEM_RETURN_IF_ERROR(Warmup());
    switch (spec_.fault) {
      case FaultKind::kRegionOutage:
      case FaultKind::kDbOutage:
      case FaultKind::kFailback:
        TANDEM_RETURN_IF_ERROR(Outage());
        break;
      case FaultKind::kPartition:
        TANDEM_RETURN_IF_ERROR(Partition());
        break;
      case FaultKind::kFlapping:
        TANDEM_RETURN_IF_ERROR(Flapping());
        break;
      case FaultKind::kCheckerPartition:
        TANDEM_RETURN_IF_ERROR(CheckerPartition());
        break;
    }
    Progress("placing orders after the repair");
    WaitFor(ctx_.timings.settle);
    shop_->Stop();
    Event("note", "workload stopped");
    TANDEM_RETURN_IF_ERROR(Converge());
    Verify();
    Finish();
    return Status::OK();
  }

  Status BuildTopology() {
    topology_.dir = ctx_.dir;
    for (int i = 0; i < ctx_.regions; ++i) {
      up::RegionSpec r = up::LoopbackRegions(3)[static_cast<size_t>(i)];
      r.address = RegionAddress(sandboxed_, static_cast<size_t>(i));
      r.peer_url = "http://" + RelayAddress(sandboxed_, static_cast<size_t>(i)) + ":" +
                   std::to_string(topology_.node_port);
      topology_.regions.push_back(r);
    }
    topology_.hold_down = ctx_.timings.hold_down;
    return up::Validate(topology_);
  }

  Status StartRelays() {
    relays_.clear();
    for (size_t i = 0; i < topology_.regions.size(); ++i) {
      relay::RelayOptions o;
      o.listen = {RelayAddress(sandboxed_, i), topology_.node_port};
      o.target = {topology_.regions[i].address, topology_.node_port};
      o.delay = ctx_.relay_delay;
      TANDEM_ASSIGN_OR_RETURN(auto relay, relay::Relay::Start(o));
      relays_.push_back(std::move(relay));
    }
    return Status::OK();
  }

  Status StartWatching() {
    ObserverOptions o;
    o.name = up::FailoverName(topology_);
    TANDEM_ASSIGN_OR_RETURN(o.dns, config::LoadDnsConfig(cluster_->layout().config));
    TANDEM_ASSIGN_OR_RETURN(o.secret, replication::LoadSecretFile(cluster_->layout().secret));
    for (size_t i = 0; i < topology_.regions.size(); ++i) {
      const auto& r = topology_.regions[i];
      o.regions.push_back(
          {r.name, r.address, r.address, topology_.dns_port, up::NodeUrl(topology_, i)});
    }
    regions_ = o.regions;
    TANDEM_ASSIGN_OR_RETURN(observer_, Observer::Create(std::move(o)));
    std::vector<DnsServerAddress> servers;
    for (const auto& r : regions_) servers.push_back({r.dns_host, r.dns_port});
    upstream_ = std::make_unique<Resolver>(servers, milliseconds(300));
    resolver_ = std::make_unique<CachingResolver>(upstream_.get());
    ShopOptions s;
    s.name = up::FailoverName(topology_);
    s.table = kOrdersTable;
    s.port = topology_.node_port;
    s.credentials = cluster_->credentials();
    s.signing_region = topology_.regions[0].name;
    s.order_prefix = spec_.name + "-";
    // The shop runs in every region, each copy signing for its own region
    // (a node takes only requests scoped to it): the address DNS gives picks
    // the region. The factory is called on the shop's thread only.
    shop_network_ = std::make_unique<probe::Network>(nullptr, false);
    auto factory = [this](const std::string& address) -> std::unique_ptr<probe::DynamoApi> {
      for (size_t i = 0; i < topology_.regions.size(); ++i) {
        if (topology_.regions[i].address == address) return cluster_->Api(i, shop_network_.get());
      }
      return nullptr;
    };
    shop_ = std::make_unique<ShopClient>(s, resolver_.get(), factory);
    t0_ = Steady::now();
    wall0_ = std::chrono::system_clock::now();
    observer_->Start();
    shop_->Start();
    Event("note", "workload started: an order every 50 ms through " + s.name);
    return Status::OK();
  }

  // Workload for the warm-up time, and at least a few acknowledged orders.
  Status Warmup() {
    const auto until = Steady::now() + ctx_.timings.warmup;
    const auto deadline = until + ctx_.timings.start_deadline;
    while (Steady::now() < until || shop_->Ledger().size() < kWarmupOrders) {
      if (Steady::now() > deadline) {
        return Status::Unavailable(
            "the shop client placed " + std::to_string(shop_->Ledger().size()) +
            " orders before the fault; expected at least " + std::to_string(kWarmupOrders));
      }
      TANDEM_RETURN_IF_ERROR(CheckProcesses());
      std::this_thread::sleep_for(milliseconds(50));
    }
    return Status::OK();
  }

  // ---- faults --------------------------------------------------------------

  Status Outage() {
    const bool whole = spec_.fault != FaultKind::kDbOutage;
    const auto& roles = whole ? kWholeRegion : std::set<up::Role>{up::Role::kNode};
    fault_ = Steady::now();
    if (whole) observer_->SetDnsDown(0, true);
    observer_->SetNodeDown(0, true);
    const auto killed = cluster_->Signal(0, roles, SIGKILL);
    std::string names;
    for (const auto& n : killed) names += (names.empty() ? "" : ", ") + n;
    Event("fault", "SIGKILL " + names, *fault_);
    Progress("waiting for the DNS flip");
    if (!observer_->WaitForAnswerNot(Primary(), *fault_, *fault_ + ctx_.timings.flip_deadline)) {
      Event("note", "DNS did not move within the deadline");
    }
    Progress("primary down: orders go to the secondary");
    // The failback drill leaves the primary down longer, so that it returns
    // with a backlog to catch up on before it may have traffic again.
    WaitFor(spec_.fault == FaultKind::kFailback ? ctx_.timings.outage * 2 : ctx_.timings.outage);
    // RPO: acknowledged before the fault, and not at the region now serving.
    lost_during_ = MissingAt(1, AckedBefore(*fault_));
    repair_ = Steady::now();
    observer_->SetDnsDown(0, false);
    observer_->SetNodeDown(0, false);
    TANDEM_RETURN_IF_ERROR(cluster_->Restart(0, roles));
    Event("repair", "started " + names + " again", *repair_);
    Progress("waiting for the failback");
    const auto deadline = *repair_ + ctx_.timings.failback_deadline;
    while (Steady::now() < deadline) {
      if (FlipHome(observer_->Dns(), Primary(), *repair_)) break;
      TANDEM_RETURN_IF_ERROR(CheckProcesses());
      std::this_thread::sleep_for(milliseconds(100));
    }
    return Status::OK();
  }

  Status Partition() {
    // The backlog of normal operation: writes in flight on the delayed
    // links, the probes' canaries.
    usual_backlog_ = std::max(1.0, MaxBacklogBetween(t0_, Steady::now()).value_or(0));
    fault_ = Steady::now();
    std::string how;
    if (ctx_.firewall) {
      const std::string net = sandboxed_ ? "127.0.1.0/24" : "127.0.11.0/24";
      TANDEM_RETURN_IF_ERROR(ctx_.firewall->Add(
          "partition",
          "ip daddr " + net + " tcp dport " + std::to_string(topology_.node_port) + " drop"));
      how = "nftables drops replication traffic between the regions";
    } else {
      for (auto& r : relays_) r->Stop();
      how = "relays between the regions stopped";
      result_.not_real.push_back(
          "partition: no network namespace here, so the relays between the regions were "
          "stopped (connections refused) instead of packets dropped");
    }
    Event("fault", how, *fault_);
    Progress("partitioned: both regions serve");
    ConflictingWrites();
    WaitFor(ctx_.timings.fault_window);
    partition_backlog_ = MaxBacklogBetween(*fault_, Steady::now());
    repair_ = Steady::now();
    if (ctx_.firewall) {
      TANDEM_RETURN_IF_ERROR(ctx_.firewall->Remove("partition"));
    } else {
      TANDEM_RETURN_IF_ERROR(StartRelays());
    }
    Event("repair", "partition healed", *repair_);
    const double usual = usual_backlog_;
    Progress("waiting for the backlog to drain");
    if (observer_->WaitForBacklogAtMost(usual, *repair_,
                                        *repair_ + ctx_.timings.converge_deadline)) {
      catchup_s_ = SecondsBetween(*repair_, Steady::now());
      Event("note", "backlog drained to " + std::to_string(static_cast<int>(usual)) +
                        " (as before the partition)");
    }
    return Status::OK();
  }

  // The same item written in two regions while they cannot talk: after the
  // heal every region must hold the one that wins (last writer wins).
  void ConflictingWrites() {
    probe::Network network(nullptr, false);
    for (size_t i = 0; i < 2; ++i) {
      auto api = cluster_->Api(i, &network);
      boost::json::object req = {
          {"TableName", kOrdersTable},
          {"Item",
           {{"id", {{"S", "stock-1"}}}, {"written_in", {{"S", topology_.regions[i].name}}}}}};
      auto r = api->Call("PutItem", req, Steady::now() + milliseconds(2000));
      Event("note", "stock-1 written in " + topology_.regions[i].name +
                        (r.ok() ? "" : ": " + r.status().message()));
      conflict_written_ = conflict_written_ && r.ok();
      std::this_thread::sleep_for(milliseconds(20));
    }
  }

  Status Flapping() {
    fault_ = Steady::now();
    Event("fault",
          "probe-" + topology_.regions[0].name + " paused " + std::to_string(kFlapDown.count()) +
              " ms in every " + std::to_string((kFlapDown + kFlapUp).count()) + " ms",
          *fault_);
    Progress("flapping the primary's health");
    const auto failed_before = FailedChecks(0);
    const auto until = Steady::now() + ctx_.timings.fault_window;
    int flaps = 0;
    while (Steady::now() < until) {
      cluster_->Signal(0, {up::Role::kProbe}, SIGSTOP);
      std::this_thread::sleep_for(kFlapDown);
      cluster_->Signal(0, {up::Role::kProbe}, SIGCONT);
      ++flaps;
      std::this_thread::sleep_for(kFlapUp);
    }
    repair_ = Steady::now();
    Event("repair", "flapping stopped after " + std::to_string(flaps) + " pauses", *repair_);
    fault_failed_checks_ = Delta(failed_before, FailedChecks(0));
    return Status::OK();
  }

  Status CheckerPartition() {
    if (!ctx_.firewall) {
      result_.not_real.push_back(
          "checker-partition: no network namespace and nftables here, so no checker could "
          "be cut off; the scenario ran without its fault");
    }
    const size_t cut = topology_.regions.size() - 1;  // the last region's checker
    const std::string rule = "ip saddr " + topology_.regions[cut].address + " ip daddr " +
                             Primary() + " tcp dport " + std::to_string(topology_.probe_port) +
                             " drop";
    const auto failed_before = FailedChecks(cut);
    fault_ = Steady::now();
    if (ctx_.firewall) TANDEM_RETURN_IF_ERROR(ctx_.firewall->Add("checker", rule));
    Event("fault", "checker ns" + std::to_string(cut + 1) + " cut off from the primary's probe",
          *fault_);
    Progress("one checker cut off from the primary");
    WaitFor(ctx_.timings.fault_window);
    repair_ = Steady::now();
    if (ctx_.firewall) TANDEM_RETURN_IF_ERROR(ctx_.firewall->Remove("checker"));
    Event("repair", "checker reconnected", *repair_);
    fault_failed_checks_ = Delta(failed_before, FailedChecks(cut));
    return Status::OK();
  }

  // ---- after the fault -----------------------------------------------------

  Status Converge() {
    Progress("waiting for every region to hold every acknowledged order");
    std::vector<std::string> ids;
    for (const auto& o : shop_->Ledger()) ids.push_back(o.id);
    const auto deadline = Steady::now() + ctx_.timings.converge_deadline;
    uint64_t missing = 0;
    for (;;) {
      missing = 0;
      std::set<std::string> union_missing;
      for (size_t i = 0; i < topology_.regions.size(); ++i) {
        auto m = MissingAt(i, ids);
        if (!m) {
          union_missing.insert("?");
          continue;
        }
        for (const auto& id : *m) union_missing.insert(id);
      }
      missing = union_missing.size();
      if (missing == 0 || Steady::now() >= deadline) break;
      std::this_thread::sleep_for(milliseconds(200));
    }
    lost_after_ = missing;
    Event("note", "convergence checked: " + std::to_string(missing) + " orders missing somewhere");
    if (spec_.fault == FaultKind::kPartition) CheckConflict();
    return Status::OK();
  }

  void CheckConflict() {
    probe::Network network(nullptr, false);
    std::set<std::string> seen;
    bool all_read = true;
    const auto deadline = Steady::now() + ctx_.timings.converge_deadline;
    for (;;) {
      seen.clear();
      all_read = true;
      for (size_t i = 0; i < topology_.regions.size(); ++i) {
        auto api = cluster_->Api(i, &network);
        boost::json::object req = {{"TableName", kOrdersTable},
                                   {"Key", {{"id", {{"S", "stock-1"}}}}},
                                   {"ConsistentRead", true}};
        auto r = api->Call("GetItem", req, Steady::now() + milliseconds(2000));
        if (!r.ok() || !r->contains("Item")) {
          all_read = false;
          continue;
        }
        seen.insert(boost::json::serialize(r->at("Item")));
      }
      if ((all_read && seen.size() == 1) || Steady::now() >= deadline) break;
      std::this_thread::sleep_for(milliseconds(200));
    }
    conflict_converged_ = conflict_written_ && all_read && seen.size() == 1;
  }

  void Verify() {
    Progress("tandem verify");
    auto out = RunProgram({ctx_.program, "verify", "--config", cluster_->layout().config, "--table",
                           kOrdersTable, "--timeout", "30"},
                          "");
    consistent_ = out.ok();
    std::string text = out.ok() ? *out : out.status().message();
    while (!text.empty() && text.back() == '\n') text.pop_back();
    result_.verify_output = text;
    Event("note", std::string("tandem verify: ") + (out.ok() ? "consistent" : "differences"));
  }

  // ---- helpers -------------------------------------------------------------

  std::vector<std::string> AckedBefore(SteadyTime t) const {
    std::vector<std::string> ids;
    for (const auto& o : shop_->Ledger()) {
      if (o.acked <= t) ids.push_back(o.id);
    }
    return ids;
  }

  std::optional<std::vector<std::string>> MissingAt(size_t region,
                                                    const std::vector<std::string>& ids) {
    probe::Network network(nullptr, false);
    auto api = cluster_->Api(region, &network);
    auto m = MissingOrders(api.get(), kOrdersTable, ids, Steady::now() + milliseconds(5000));
    if (!m.ok()) return std::nullopt;
    return *m;
  }

  // How many of the primary's checks failed so far at dns server i, from
  // tandem_health_check_probes_total on its admin /metrics (open, read-only).
  std::optional<uint64_t> FailedChecks(size_t server) {
    if (!transport_) {
      auto t = control::NewHttpTransport("");
      if (!t.ok()) return std::nullopt;
      transport_ = std::move(*t);
    }
    control::HttpCall call;
    call.url = "http://" + topology_.regions[server].address + ":" +
               std::to_string(topology_.dns_admin_port) + "/metrics";
    call.timeout = milliseconds(1000);
    auto reply = transport_->Do(call);
    if (!reply.ok() || reply->status != 200) return std::nullopt;
    const std::string key = "tandem_health_check_probes_total{check=\"" +
                            topology_.regions[0].name + "\",result=\"unhealthy\"} ";
    const size_t at = reply->body.find(key);
    if (at == std::string::npos) return std::nullopt;
    return std::strtoull(reply->body.c_str() + at + key.size(), nullptr, 10);
  }
  static std::optional<uint64_t> Delta(std::optional<uint64_t> before,
                                       std::optional<uint64_t> after) {
    if (!before || !after || *after < *before) return std::nullopt;
    return *after - *before;
  }

  std::optional<double> MaxBacklogBetween(SteadyTime from, SteadyTime to) const {
    std::optional<double> most;
    for (const auto& l : observer_->Lag()) {
      if (l.at >= from && l.at <= to && l.pending) most = std::max(most.value_or(0), *l.pending);
    }
    return most;
  }

  void WaitFor(milliseconds d) {
    const auto until = Steady::now() + d;
    while (Steady::now() < until) {
      if (Status st = CheckProcesses(); !st.ok()) {
        if (result_.error.empty()) result_.error = st.message();
        return;
      }
      const auto left = std::chrono::duration_cast<milliseconds>(until - Steady::now());
      std::this_thread::sleep_for(std::min(milliseconds(100), left + milliseconds(1)));
    }
  }

  // A process that died without the drill killing it fails the scenario.
  Status CheckProcesses() {
    auto exits = cluster_->UnexpectedExits();
    if (exits.empty()) return Status::OK();
    return Status::Internal(exits.front());
  }

  // Reads the controller's audit log: its failover and failback decisions.
  void ReadAudit() {
    std::ifstream in(cluster_->layout().audit_log);
    std::string line;
    while (std::getline(in, line)) {
      boost::system::error_code ec;
      auto v = boost::json::parse(line, ec);
      if (ec || !v.is_object()) continue;
      const auto& o = v.as_object();
      const auto* ev = o.if_contains("event");
      const auto* us = o.if_contains("time_us");
      if (!ev || !ev->is_string() || !us || !us->is_int64()) continue;
      const std::string event(ev->as_string());
      if (event != "failover" && event != "failback" && event != "region_unhealthy" &&
          event != "region_recovered" && event != "failover_aborted") {
        continue;
      }
      const double t = static_cast<double>(us->as_int64()) / 1e6 -
                       std::chrono::duration<double>(wall0_.time_since_epoch()).count();
      const auto* d = o.if_contains("decision");
      result_.events.push_back(
          {t, "control",
           event + (d && d->is_string() ? ": " + std::string(d->as_string()) : std::string())});
      if (event == "failover") ++control_failovers_;
      if (event == "failback") ++control_failbacks_;
    }
    // The events the controller's "log" hook received: each must run once.
    std::ifstream hooks(cluster_->layout().hooks_log);
    while (std::getline(hooks, line)) {
      boost::system::error_code ec;
      auto v = boost::json::parse(line, ec);
      if (ec || !v.is_object()) continue;
      const auto* type = v.as_object().if_contains("type");
      if (type && type->is_string() && type->as_string() == "failover") ++hook_failovers_;
    }
  }

  void Finish() {
    const auto end = Steady::now();
    const auto dns = observer_->Dns();
    const auto attempts = shop_->Attempts();
    result_.acked_writes = shop_->Ledger().size();
    for (const auto& a : attempts) {
      if (a.kind == Attempt::Kind::kOrder && !a.ok) ++result_.failed_writes;
    }
    result_.traffic_moves = TrafficMoves(dns);
    // What the client's errors were, the first time each kind was seen.
    std::map<std::string, int> errors;
    for (const auto& a : attempts) {
      if (a.ok || a.error.empty()) continue;
      if (errors[a.error]++ == 0 && errors.size() <= 8) {
        Event("client", "client error (" + a.address + "): " + a.error, a.end);
      }
    }
    if (fault_) {
      if (auto d = Detection(observer_->Health(), *fault_)) {
        result_.detection_s = SecondsBetween(*fault_, *d);
        Event("detected", "checkers agree the primary is unhealthy", *d);
      }
      if (auto f = FlipAway(dns, Primary(), *fault_)) {
        result_.dns_flip_s = SecondsBetween(*fault_, *f);
        Event("dns", "DNS answers " + Secondary(), *f);
      }
      result_.client_outage_s = ClientOutage(attempts, *fault_);
    }
    if (repair_ && result_.dns_flip_s) {
      if (auto h = FlipHome(dns, Primary(), *repair_)) {
        result_.failback_s = SecondsBetween(*repair_, *h);
        Event("dns", "DNS answers " + Primary() + " again", *h);
      }
    }
    if (lost_during_) result_.lost_during_outage = lost_during_->size();
    result_.lost_after_recovery = lost_after_;
    result_.consistent = consistent_;
    ReadAudit();
    std::stable_sort(result_.events.begin(), result_.events.end(),
                     [](const auto& a, const auto& b) { return a.t_s < b.t_s; });
    result_.timeline =
        BuildTimeline(dns, attempts, observer_->Lag(), t0_, end, kTimelineStep, regions_);
    Expect();
  }

  void Expect() {
    auto& e = result_.expectations;
    const bool outage = spec_.fault == FaultKind::kRegionOutage ||
                        spec_.fault == FaultKind::kDbOutage || spec_.fault == FaultKind::kFailback;
    if (outage) {
      e.push_back(AtMost("DNS flip after the fault", result_.dns_flip_s, kFlipLimitS));
      e.push_back(AtMost("client-visible outage", result_.client_outage_s, kOutageLimitS));
      e.push_back(CountIs("controller failovers", control_failovers_, 1));
      e.push_back(CountIs("failover hook runs", hook_failovers_, 1));
    } else {
      e.push_back(CountIs("traffic moves", static_cast<uint64_t>(result_.traffic_moves), 0));
      e.push_back(
          AtMost("client-visible outage", result_.client_outage_s.value_or(0), kOutageLimitS));
    }
    if (spec_.fault == FaultKind::kFailback || spec_.fault == FaultKind::kRegionOutage ||
        spec_.fault == FaultKind::kDbOutage) {
      const double limit = std::chrono::duration<double>(ctx_.timings.hold_down).count() + 15.0;
      e.push_back(AtMost("failback after the repair", result_.failback_s, limit));
      e.push_back(CountIs("traffic moves (away and home)",
                          static_cast<uint64_t>(result_.traffic_moves), 2));
      e.push_back(CountIs("controller failbacks", control_failbacks_, 1));
    }
    if ((spec_.fault == FaultKind::kFlapping || spec_.fault == FaultKind::kCheckerPartition) &&
        result_.not_real.empty()) {
      // The fault was real: the checker it aimed at saw failed checks.
      e.push_back(IsTrue("the primary's checks failed during the fault",
                         fault_failed_checks_.has_value()
                             ? std::optional<bool>(*fault_failed_checks_ > 0)
                             : std::nullopt));
      e.back().actual += fault_failed_checks_
                             ? " (" + std::to_string(*fault_failed_checks_) + " failed checks)"
                             : "";
      e.push_back(IsTrue("the checkers never agreed the primary was down",
                         !result_.detection_s.has_value()));
    }
    if (spec_.fault == FaultKind::kPartition) {
      e.push_back(IsTrue("backlog built up during the partition",
                         partition_backlog_.has_value() && *partition_backlog_ > usual_backlog_));
      e.push_back(AtMost("backlog drained after the heal", catchup_s_,
                         std::chrono::duration<double>(ctx_.timings.converge_deadline).count()));
      e.push_back(IsTrue("conflicting writes converged", conflict_converged_));
    }
    e.push_back(CountIs("acknowledged orders lost after recovery", result_.lost_after_recovery, 0));
    e.push_back(IsTrue("replicas consistent (tandem verify)", result_.consistent));
  }

  void Teardown() {
    if (shop_) shop_->Stop();
    if (observer_) observer_->Stop();
    if (ctx_.firewall) (void)ctx_.firewall->Clear();
    if (cluster_) cluster_->Stop();
    for (auto& r : relays_) r->Stop();
  }

  const ScenarioSpec& spec_;
  const ScenarioContext& ctx_;
  bool sandboxed_ = false;
  ScenarioResult result_;
  up::TopologyOptions topology_;
  std::vector<ObservedRegion> regions_;
  std::vector<std::unique_ptr<relay::Relay>> relays_;
  std::unique_ptr<Cluster> cluster_;
  std::unique_ptr<Observer> observer_;
  std::unique_ptr<Resolver> upstream_;
  std::unique_ptr<CachingResolver> resolver_;
  std::unique_ptr<probe::Network> shop_network_;
  std::unique_ptr<ShopClient> shop_;
  SteadyTime t0_;
  std::chrono::system_clock::time_point wall0_;
  std::optional<SteadyTime> fault_, repair_;
  std::optional<std::vector<std::string>> lost_during_;
  std::optional<uint64_t> lost_after_;
  std::optional<bool> consistent_;
  std::optional<double> partition_backlog_, catchup_s_;
  double usual_backlog_ = 1;
  std::optional<uint64_t> fault_failed_checks_;
  std::unique_ptr<control::HttpTransport> transport_;
  bool conflict_written_ = true;
  bool conflict_converged_ = false;
  uint64_t control_failovers_ = 0, control_failbacks_ = 0, hook_failovers_ = 0;
};

}  // namespace

const std::vector<ScenarioSpec>& AllScenarios() {
  static const std::vector<ScenarioSpec> kAll = {
      {"region-outage", FaultKind::kRegionOutage,
       "Every process of the primary region is killed (SIGKILL), then started again."},
      {"db-outage", FaultKind::kDbOutage,
       "Only the primary's node is killed; its probe must catch it. Then it is started again."},
      {"partition", FaultKind::kPartition,
       "Replication between the regions is cut while both serve, with a conflicting write on "
       "each side; then healed."},
      {"flapping", FaultKind::kFlapping,
       "The primary's probe is paused for a moment, over and over, so its checks alternate; "
       "traffic must stay."},
      {"checker-partition", FaultKind::kCheckerPartition,
       "One checker is cut off from the primary's probe; the others still see it; traffic must "
       "stay."},
      {"failback", FaultKind::kFailback,
       "The primary region is down long enough to miss orders; it returns, catches up, and gets "
       "traffic back once, through the controller's hold-down."},
  };
  return kAll;
}

StatusOr<std::vector<ScenarioSpec>> SelectScenarios(const std::vector<std::string>& names) {
  std::vector<ScenarioSpec> out;
  std::set<std::string> taken;
  auto add = [&](const ScenarioSpec& s) {
    if (taken.insert(s.name).second) out.push_back(s);
  };
  for (const auto& n : names) {
    if (n == "all") {
      for (const auto& s : AllScenarios()) add(s);
      continue;
    }
    bool found = false;
    for (const auto& s : AllScenarios()) {
      if (s.name == n) {
        add(s);
        found = true;
      }
    }
    if (!found) {
      std::string known;
      for (const auto& s : AllScenarios()) known += (known.empty() ? "" : ", ") + s.name;
      return Status::InvalidArgument("unknown scenario '" + n + "'; known: " + known + ", all");
    }
  }
  if (out.empty()) return AllScenarios();
  return out;
}

Timings TimingsFor(bool quick) {
  Timings t;
  if (quick) {
    t.warmup = milliseconds(2000);
    t.outage = milliseconds(3000);
    t.fault_window = milliseconds(4000);
    t.settle = milliseconds(1500);
    t.hold_down = milliseconds(2000);
  } else {
    t.warmup = milliseconds(5000);
    t.outage = milliseconds(8000);
    t.fault_window = milliseconds(10000);
    t.settle = milliseconds(3000);
    t.hold_down = milliseconds(5000);
  }
  return t;
}

ScenarioResult RunScenario(const ScenarioSpec& spec, const ScenarioContext& ctx) {
  return Run(spec, ctx).Go();
}

}  // namespace tandem::drill
