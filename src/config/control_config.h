// ControlConfig: the sections of the deployment file that `tandem control`
// reads — alarms on health checks and replication lag, failover pairs with
// their failback gate, hooks, and optional HA through etcd (DESIGN.md,
// "tandem control"). examples/control.toml is the pinned example; it sits
// beside the `tandem dns` sections (src/config/dns_config.h), whose health
// checks, answer sets and admin servers it names.
//
//   [control]                         # optional as a whole
//   name = "control-1"                # this controller (audit log, etcd, the
//                                     #   `by` of its routing controls)
//   poll = "1s"                       # how often health and nodes are sampled
//   request_timeout = "2s"            # each call to a dns admin API, node, etcd
//   audit_log = "control-audit.jsonl" # JSON lines (default: beside the file)
//   state_file = "control-state.json" # alone: what was announced survives a
//                                     #   restart (default: beside the file)
//   etcd = ["http://127.0.0.1:2379"]  # optional: elect one leader among several
//   etcd_prefix = "/tandem/control/"
//   lease_ttl = "10s"                 # 2s .. 5m: a new leader within this
//
//   [[alarm]]                         # CloudWatch's metric alarm
//   name = "us-east-1-unhealthy"
//   health_check = "us-east-1"        # a [[health_check]]: breaching when the
//                                     #   dns checkers agree it is unhealthy
//   # or: metric = "replication_pending"  node = "us-east-1"  threshold = 1000
//   #   (the node's largest tandem_replication_pending; breaching when above;
//   #   node is a [[node]] region or a URL)
//   period = "10s"  evaluation_periods = 3  datapoints_to_alarm = 2
//   treat_missing_data = "missing"    # missing | breaching | notBreaching | ignore
//
//   [[failover]]                      # the seed's Lambda, and failback gating
//   primary = "us-east-1"             # answer sets of the [[record]]s
//   secondary = "eu-west-1"
//   primary_alarm = "us-east-1-unhealthy"      # health_check alarms
//   secondary_alarm = "eu-west-1-unhealthy"
//   primary_node = "us-east-1"        # [[node]] region or URL (default: the
//                                     #   [[node]] whose region is `primary`)
//   hold_down = "5m"                  # ready this long before failing back
//
//   [[hook]]
//   name = "runbook"
//   on = ["failover", "failback"]     # event types (default: every one)
//   command = ["python3", "hooks/failover.py"]  # JSON event on stdin
//   # or: url = "https://ops.example/tandem"  secret_file = "webhook-secret"
//   timeout = "30s"  retries = 2  backoff = "1s"
//   max_output = 65536                # bytes of stdout/stderr kept (command)
//   kill_grace = "2s"                 # SIGTERM .. SIGKILL (command)
//
// Durations are strings with a unit ("100ms", "1s", "2m"). Relative paths
// resolve against the file's directory, and commands run there (a bare
// program name is looked up in PATH). Every error names file:line and the problem;
// an invalid file is refused whole. Plain values; thread-compatible.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "config/dns_config.h"

namespace tandem::config {

// The event types a hook may subscribe to (control/event.h defines them).
inline constexpr const char* kControlEventTypes[] = {
    "region_unhealthy",     "region_recovered",          "failover", "failover_aborted", "failback",
    "replication_lag_high", "replication_lag_recovered",
};

struct ControlSection {
  std::string name = "control";
  std::chrono::milliseconds poll{1000};             // >= 100 ms
  std::chrono::milliseconds request_timeout{2000};  // > 0, <= 60 s
  std::string audit_log;                            // absolute
  std::string state_file;                           // absolute
  std::vector<std::string> etcd;                    // "http://host:port"; empty: alone
  std::string etcd_prefix = "/tandem/control/";     // ends with '/'
  std::chrono::milliseconds lease_ttl{10000};       // 2 s .. 5 min, whole seconds
};

enum class MissingData { kMissing, kBreaching, kNotBreaching, kIgnore };
const char* MissingDataName(MissingData m);  // "missing", "notBreaching", ...

struct AlarmConfig {
  std::string name;
  enum class Source { kHealthCheck, kReplicationPending } source = Source::kHealthCheck;
  std::string health_check;                 // kHealthCheck
  std::string node_url;                     // kReplicationPending: the node's base URL
  double threshold = 0;                     // kReplicationPending: breaching when above
  std::chrono::milliseconds period{10000};  // >= 100 ms, >= [control] poll
  int evaluation_periods = 1;               // N, 1..100
  int datapoints_to_alarm = 1;              // M, 1..N
  MissingData missing = MissingData::kMissing;
  int line = 0;
};

struct FailoverConfig {
  std::string primary;    // answer set
  std::string secondary;  // answer set
  std::string primary_alarm;
  std::string secondary_alarm;
  std::string primary_node_url;  // base URL: GET /health
  std::chrono::milliseconds hold_down{300000};
  int line = 0;
};

struct HookConfig {
  std::string name;
  std::vector<std::string> on;       // event types; empty: all
  std::vector<std::string> command;  // argv; or empty with `url`
  std::string dir;                   // the command's working directory: the file's
  std::string url;                   // webhook: http:// or https://
  std::string secret_file;           // webhook: HMAC key, absolute
  std::chrono::milliseconds timeout{30000};
  int retries = 2;                          // 0..10
  std::chrono::milliseconds backoff{1000};  // doubles after every failed attempt
  size_t max_output = 64 * 1024;
  std::chrono::milliseconds kill_grace{2000};
  int line = 0;

  bool Wants(std::string_view event_type) const;
};

struct ControlConfig {
  DnsConfig deployment;  // [cluster], [[dns.server]], [[health_check]], [[record]]
  std::string ca_file;   // [cluster] ca_file: verifies https nodes and webhooks
  ControlSection control;
  std::vector<AlarmConfig> alarms;
  std::vector<FailoverConfig> failovers;
  std::vector<HookConfig> hooks;

  const AlarmConfig* FindAlarm(std::string_view name) const;
};

// Parses `text` as the contents of `path` (the dns sections with
// ParseDnsConfig first). InvalidArgument "path:line: problem" for unknown
// keys, wrong types or ranges, duplicate names, an alarm naming an unknown
// health check or node, datapoints_to_alarm above evaluation_periods, a
// period shorter than the poll, a failover whose sets are not answer sets of
// the [[record]]s or whose alarms are unknown or not on health checks, a hook
// with both or neither of command and url, a webhook without secret_file, an
// unknown event type, and a malformed etcd endpoint.
StatusOr<ControlConfig> ParseControlConfig(std::string_view text, const std::string& path);
StatusOr<ControlConfig> LoadControlConfig(const std::string& path);

}  // namespace tandem::config
