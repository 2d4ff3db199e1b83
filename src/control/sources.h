// Sources: what the controller samples every poll.
//
//  - HealthSource: the agreed health of every [[health_check]], as the
//    `tandem dns` checkers decided it from their shared observations,
//    read from GET /v1/status on any dns server's admin API (signed with the
//    cluster secret). A check counts only while fresh: the server must have
//    decided it ("healthy" present) and, for probed checks, hold an
//    observation marked fresh and no older than its StaleAfter(). Anything
//    else — no server answering, a malformed answer, a stale check — is no
//    sample, which becomes a missing datapoint.
//  - NodeSource: a node's readiness from its /health (200 "ok": ready;
//    503 "catching_up": its replication backlog is not drained; anything
//    else or no answer: down), and its replication backlog from /metrics
//    (the largest tandem_replication_pending series).
//
// The parsers are pure functions, tested on their own.
// Thread-safety: Fetch/Health/Pending may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "config/dns_config.h"
#include "control/failover_gate.h"
#include "control/http_transport.h"
#include "replication/peer_auth.h"

namespace tandem::control {

struct HealthSnapshot {
  std::string server;  // the dns server that answered; empty when none did
  std::string error;   // why none did
  // Every check the answer decided, fresh: healthy or not. Checks absent
  // here have no sample this poll.
  std::map<std::string, bool> healthy;
  std::map<std::string, std::string> why;  // the server's reason per check
};

// How old a check's newest fresh observation may be: three intervals and a
// second (observations are dated at the probe).
std::chrono::milliseconds StaleAfter(const config::HealthCheckConfig& check);

// Parses a GET /v1/status body (failover/service.h). `stale_after` holds the
// probed checks; the others (CALCULATED) need only "healthy".
// InvalidArgument for a body that is not the status object.
StatusOr<HealthSnapshot> ParseDnsStatus(std::string_view body,
                                        const std::map<std::string, double>& stale_after_s);

class HealthSource {
 public:
  virtual ~HealthSource() = default;
  virtual HealthSnapshot Fetch() = 0;
};

// Asks the [[dns.server]]s in turn, starting with the last that answered.
class DnsStatusSource : public HealthSource {
 public:
  DnsStatusSource(std::vector<config::DnsServerConfig> servers,
                  std::vector<config::HealthCheckConfig> checks,
                  std::shared_ptr<replication::PeerAuth> auth, HttpTransport* transport,
                  std::chrono::milliseconds timeout);
  HealthSnapshot Fetch() override;

 private:
  const std::vector<config::DnsServerConfig> servers_;
  std::map<std::string, double> stale_after_s_;
  const std::shared_ptr<replication::PeerAuth> auth_;
  HttpTransport* const transport_;
  const std::chrono::milliseconds timeout_;
  std::atomic<size_t> preferred_{0};
};

struct NodeHealth {
  NodeReadiness readiness = NodeReadiness::kUnknown;
  std::string why;  // "ok", "catching_up: ...", "HTTP 500", "cannot connect ..."
};

// A /health answer: 200 with "status" "ok" is ready, "catching_up" (any
// status) is catching up, anything else is down.
NodeHealth ParseNodeHealth(int http_status, std::string_view body);
// The largest value of tandem_replication_pending in Prometheus text;
// nullopt when there is no such series (a node without peers).
std::optional<double> ParsePendingGauge(std::string_view metrics_text);

class NodeSource {
 public:
  virtual ~NodeSource() = default;
  // `base_url` as configured ("http://127.0.0.1:8000").
  virtual NodeHealth Health(const std::string& base_url) = 0;
  // Unavailable when the node cannot be read or has no such series.
  virtual StatusOr<double> Pending(const std::string& base_url) = 0;
};

class HttpNodeSource : public NodeSource {
 public:
  HttpNodeSource(HttpTransport* transport, std::chrono::milliseconds timeout);
  NodeHealth Health(const std::string& base_url) override;
  StatusOr<double> Pending(const std::string& base_url) override;

 private:
  HttpTransport* const transport_;
  const std::chrono::milliseconds timeout_;
};

}  // namespace tandem::control
