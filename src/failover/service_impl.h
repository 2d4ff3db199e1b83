// DnsService internals shared by service.cc (lifecycle, decisions, the
// exchange with other checkers) and service_admin.cc (the admin API).
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/snapshot.h"
#include "config/dns_config.h"
#include "dns/server.h"
#include "dns/zone.h"
#include "failover/admin_server.h"
#include "failover/agreement.h"
#include "failover/controls.h"
#include "failover/routing.h"
#include "failover/service.h"
#include "health/checker.h"
#include "replication/peer_auth.h"
#include "replication/peer_client.h"

namespace tandem::failover {

inline constexpr char kObservationsPath[] = "/v1/observations";
inline constexpr char kStatusPath[] = "/v1/status";
inline constexpr char kRoutePath[] = "/v1/route";

// Everything read from the files, checked, ready to build answers from.
struct Loaded {
  std::shared_ptr<const config::DnsConfig> config;
  const config::DnsServerConfig* self = nullptr;
  std::vector<std::vector<dns::ZoneRecord>> static_records;  // per config->zones
  // Per record, per answer: the value as RDATA; and the zone index it is in.
  std::vector<std::vector<std::string>> rdata;
  std::vector<size_t> record_zone;
  std::vector<std::vector<dns::NameServer>> zone_name_servers;  // per zone: generated NS
};

// Reads configuration, zone files and record values; InvalidArgument with
// file:line for anything wrong.
StatusOr<Loaded> LoadAll(const std::string& config_path, const std::string& server);

struct PeerLink {
  config::DnsServerConfig server;
  std::unique_ptr<replication::PeerClient> client;
  std::thread thread;
  // Under Impl::mu_:
  std::optional<CheckerView> view;
  std::chrono::steady_clock::time_point received;
  bool reachable = false;
};

// What the last decision was, for /v1/status and for logging changes.
struct Decision {
  std::map<std::string, Agreed> health;
  std::vector<Choice> choices;  // per record
  std::vector<std::string> fresh_peers;
};

struct DnsService::Impl {
  DnsServiceOptions options;
  std::string self_name;  // this [[dns.server]]'s name (fixed for the process)
  const Clock* clock = nullptr;
  Loaded loaded;  // under mu (swapped by Reload)
  std::string secret;
  std::unique_ptr<replication::PeerAuth> auth;
  std::unique_ptr<ControlStore> controls;
  std::unique_ptr<health::Checker> checker;
  SnapshotCell<dns::ZoneSet> zones;
  std::unique_ptr<dns::DnsServer> dns;
  std::unique_ptr<AdminServer> admin;

  mutable std::mutex mu;
  std::condition_variable cv;  // wakes the peer threads (push)
  uint64_t push_generation = 0;
  bool stopping = false;  // the peer threads end
  // Events for the ticker thread (a check's transition), under event_mu:
  // never held while calling into the checker, so its callback cannot
  // deadlock with a decision in progress.
  std::mutex event_mu;
  std::condition_variable event_cv;
  bool event_pending = false;
  bool ticker_stopping = false;
  std::vector<std::unique_ptr<PeerLink>> peers;
  std::thread ticker;
  Decision decision;
  bool republish = true;  // under mu: the next decision publishes zones
  std::atomic<uint64_t> answer_changes{0};

  std::chrono::milliseconds heartbeat() const;  // under mu
  std::chrono::milliseconds stale_after() const {
    return heartbeat() * 3 + std::chrono::milliseconds(500);
  }

  // Decides again and publishes new zones when anything changed (under mu).
  void RecomputeLocked();
  // From the checker: decide again and push, on the ticker thread.
  void OnTransition();
  void TickerLoop();
  void StartPeers();  // under mu
  void StopPeers();   // not under mu
  void PeerLoop(PeerLink* peer);

  // Our observations and controls, as sent to peers.
  std::string ObservationsJson(const std::string& to) const;
  // A peer's observations (as its reply or its push): stored, controls
  // merged. Returns whether anything changed.
  bool Absorb(const std::string& server, std::string_view body);

  // service_admin.cc
  AdminReply HandleAdmin(const AdminRequest& request);
  // A request whose signature verified, from `who`.
  AdminReply HandleSigned(const std::string& who, const AdminRequest& request,
                          std::string_view path);
  AdminReply StatusReply() const;
  // POST /v1/route: {"set", "control", "at" (µs, the operator's time),
  // "force", "by", "to", "dry_run" (check only)}.
  AdminReply Route(const std::string& who, const AdminRequest& request);
  // Whether a signed body's "to" names this server (no replay to another).
  bool AddressedHere(std::string_view body) const;
  AdminReply Metrics() const;
};

}  // namespace tandem::failover
