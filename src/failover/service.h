// DnsService: one `tandem dns` instance — the authoritative DNS server whose
// answers follow health checks (DESIGN.md, "Failover DNS and health checks").
//
// It probes every endpoint itself (health::Checker), shares its observations
// with the other [[dns.server]] instances over their admin APIs (signed with
// the cluster secret, pushed on every transition and every heartbeat), and
// decides with the observations that are fresh (failover/agreement.h). The
// answers of every [[record]] follow from that agreed health and the routing
// controls (failover/routing.h); they and the zones' static records are
// built into an immutable dns::ZoneSet, published for the DNS threads on
// every change. The first round of checks completes before the DNS sockets
// open.
//
// Admin API (JSON over HTTP on `admin`; every call but GET /metrics must be
// signed with the cluster secret, replication/peer_auth.h):
//   POST /v1/observations  a checker's observations and controls in, ours out
//   GET  /v1/status        checks with every checker's observation, records
//                          with their current answers, routing controls
//   POST /v1/route         {"set","control":"out|in|auto","force","by","to",
//                          "at" (the operator's time, µs; default the
//                          signed date),"dry_run"}: 400 when dated over
//                          kMaxControlSkew ahead, 409 when refused
//   GET  /metrics          Prometheus text
//
// Reload() (SIGHUP) reads the configuration and zone files again and swaps
// them in whole, or keeps the old ones and logs why.
//
// Thread-safety: Start/Stop/Reload from the owner; the rest is internal.
#pragma once

#include <memory>
#include <string>

#include "common/clock.h"
#include "common/status.h"

namespace tandem::failover {

struct DnsServiceOptions {
  std::string config_path;
  std::string server;  // the [[dns.server]] this process is; may be empty if there is one
  const Clock* clock = SystemClock::Default();
};

class DnsService {
 public:
  // Reads and checks everything (configuration, secret, zone files, record
  // values, controls file); nothing is started. InvalidArgument "file:line:
  // problem" for a bad file.
  static StatusOr<std::unique_ptr<DnsService>> Create(DnsServiceOptions options);
  ~DnsService();

  // First round of checks, first answers, then the DNS and admin sockets and
  // the exchange with the other checkers. Unavailable when a socket cannot
  // be bound.
  Status Start();
  void Stop();
  // Applies a changed configuration; on error keeps the running one.
  Status Reload();

 private:
  struct Impl;
  explicit DnsService(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tandem::failover
