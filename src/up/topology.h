// Topology: a whole Tandem deployment on one machine, as data — which
// processes run where, and the files that describe them (the deployment
// TOML, the zone file). `tandem up` renders it on loopback addresses;
// `tandem drill` renders it on other addresses (network namespaces) with
// faster intervals, which is why every address, port and interval is a
// parameter here.
//
// Per region i (0-based) on regions[i].address:
//   node   DynamoDB API on node_port; data in data/REGION; every other region
//          a replication peer (reached at its peer_url when set); the shared
//          secret and credentials files
//   probe  `tandem probe` /health on probe_port + i, checking the local node
//          through health_table (ports differ so that the probes' canary
//          items, named after the port, differ in the global table)
//   dns    `tandem dns` server "ns<i+1>" on dns_port (UDP and TCP), admin API
//          on dns_admin_port, probing from its own address
// DNS: zone `zone` with the records
//   www   failover: PRIMARY regions[0], SECONDARY regions[1]
//   all   multivalue: every region (up to 8 healthy)
// each gated by the health check named after its region (HTTP_STR_MATCH
// "ok" on that region's probe /health). Answer sets are named after regions,
// so `tandem route out REGION` takes a region out of both records.
// Controller: one `tandem control` (in no region; it binds nothing) with
//   [[alarm]]     "<region>-unhealthy" on each region's health check
//   [[failover]]  regions[0] -> regions[1] (two regions or more), its
//                 failback gated on regions[0]'s node URL (never its peer_url:
//                 the gate asks the node itself whether it has caught up)
//   [[hook]]      "log": appends every event, one JSON line, to hooks.log
//   audit log     control-audit.jsonl, state in control-state.json
//
// Stages: nodes (0), probes (1), DNS servers (2), the controller (3). A
// process is started once every process of the earlier stages is ready.
//
// Plain values and functions; thread-compatible. Processes() reads the size
// of the audit log (the controller's readiness counts only new lines).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "up/readiness.h"
#include "up/supervisor.h"

namespace tandem::up {

struct RegionSpec {
  std::string name;     // "us-east-1"
  std::string address;  // every process of the region binds it, e.g. "127.0.0.1"
  // How the other regions' nodes reach this one ([[node]] url), e.g. through
  // a relay that delays or cuts replication in a drill. Empty: the node
  // itself (http://address:node_port).
  std::string peer_url;
};

struct TopologyOptions {
  std::string dir;  // absolute; the files below are written under it
  std::vector<RegionSpec> regions;
  uint16_t node_port = 8000;
  uint16_t probe_port = 8081;  // region i: probe_port + i
  uint16_t dns_port = 5353;
  uint16_t dns_admin_port = 9053;
  std::string zone = "shop.example.";  // absolute
  std::string failover_label = "www";
  std::string multivalue_label = "all";
  uint32_t ttl = 1;
  std::chrono::milliseconds check_interval{200};
  std::chrono::milliseconds check_timeout{150};
  int failure_threshold = 3;
  // One whole probe check; below check_timeout so that a slow database gives
  // a 503 rather than a checker-side timeout.
  std::chrono::milliseconds probe_timeout{120};
  std::string health_table = "tandem_health";

  // The controller ([control], [[alarm]], [[failover]]). Polling twice per
  // alarm period gives every period a datapoint despite the poll's jitter.
  std::chrono::milliseconds control_poll{100};              // >= 100 ms
  std::chrono::milliseconds control_request_timeout{1000};  // each dns admin / node call
  std::chrono::milliseconds alarm_period{200};              // >= control_poll
  int alarm_evaluation_periods = 3;                         // N, 1..100
  int alarm_datapoints = 3;                                 // M, 1..N
  std::chrono::milliseconds hold_down{10000};               // failback after this much health
};

// The regions `tandem up --regions n` runs: us-east-1 on 127.0.0.1,
// eu-west-1 on 127.0.0.2, ap-southeast-1 on 127.0.0.3. n is 1..3.
std::vector<RegionSpec> LoopbackRegions(int n);

// InvalidArgument when the options cannot describe a deployment: no region
// or more than 8, a repeated region name or address, a peer_url that is not
// http(s)://, ports that collide or overflow, a relative dir, a zone that is
// not absolute, a check timeout not below its interval, controller settings
// that `tandem control` would refuse (poll under 100 ms, an alarm period
// under the poll, M not within 1..N).
Status Validate(const TopologyOptions& o);

// Where everything lives under o.dir.
struct Layout {
  std::string config;       // tandem.toml
  std::string secret;       // secret: the cluster secret
  std::string credentials;  // credentials: AWS shared-credentials file
  std::string zone_file;    // <zone>zone, e.g. shop.example.zone
  std::string logs;         // logs/
  std::string data;         // data/ (data/REGION per node)
  std::string audit_log;    // control-audit.jsonl: the controller's decisions
  std::string state_file;   // control-state.json: what it announced
  std::string hooks_log;    // hooks.log: the events its "log" hook received
};
Layout LayoutOf(const TopologyOptions& o);

// The deployment TOML (every section: [cluster], [[node]], [[dns.server]],
// [[dns.zone]], [[health_check]], [[record]], [control], [[alarm]],
// [[failover]], [[hook]]), with paths relative to o.dir.
std::string RenderConfig(const TopologyOptions& o);
// The zone's static records (SOA and NS are generated by tandem dns).
std::string RenderZoneFile(const TopologyOptions& o);

enum class Role { kNode, kProbe, kDns, kControl };
const char* RoleName(Role role);  // "node", "probe", "dns", "control"

// One process of the topology.
struct ProcessSpec {
  Role role;
  std::string region;  // "" for the controller
  int stage = 0;
  ChildSpec child;  // name "<role>-<region>" ("control"), log logs/<name>.log
  ReadyCheck ready;
  // Addresses it binds, checked free before anything starts.
  std::vector<Endpoint> binds;
};

// Every process, in start order. `program` is the tandem binary (argv[0] is
// `program_name`).
std::vector<ProcessSpec> Processes(const TopologyOptions& o, const std::string& program,
                                   const std::string& program_name = "tandem");

// "http://127.0.0.1:8000": region i's node, directly.
std::string NodeUrl(const TopologyOptions& o, size_t i);
// Region i's peer_url, or NodeUrl when it has none: how other nodes reach it.
std::string PeerUrl(const TopologyOptions& o, size_t i);
// "us-east-1-unhealthy": the alarm on region i's health check.
std::string AlarmName(const TopologyOptions& o, size_t i);
// "www.shop.example.".
std::string FailoverName(const TopologyOptions& o);
std::string MultivalueName(const TopologyOptions& o);
// "ns1".
std::string DnsServerName(size_t i);

}  // namespace tandem::up
