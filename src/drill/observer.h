// Observer: what the drill watches while a scenario runs, sampled on a
// thread of its own, independent of the shop client:
//
//  - every 50 ms, the answer each live `tandem dns` server gives for the
//    failover name (the "answers served" of the timeline, and DNS flip time);
//  - every 100 ms, the checkers' agreed health of the primary's check, from
//    the dns admin API's GET /v1/status (detection time);
//  - every 200 ms, the largest replication backlog of every live node, from
//    its /metrics.
//
// Processes the drill killed are marked down (SetDown) so that the observer
// does not wait on them.
//
// Thread-safety: every public method may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "config/dns_config.h"
#include "control/http_transport.h"
#include "control/sources.h"
#include "replication/peer_auth.h"

namespace tandem::drill {

using SteadyTime = std::chrono::steady_clock::time_point;

struct ObservedRegion {
  std::string name;
  std::string address;   // what the failover record answers for it
  std::string dns_host;  // its tandem dns server
  uint16_t dns_port = 0;
  std::string node_url;  // direct, not through a relay
};

struct ObserverOptions {
  std::vector<ObservedRegion> regions;  // regions[0] is the primary
  std::string name;                     // "www.shop.example."
  config::DnsConfig dns;                // servers and checks, as rendered
  std::string secret;                   // the cluster secret (signs /v1/status)
};

struct DnsSample {
  SteadyTime at;
  size_t server = 0;   // region index of the server asked
  std::string answer;  // first A record, "" when no answer
};

struct HealthSample {
  SteadyTime at;
  bool primary_healthy = true;
};

struct LagSample {
  SteadyTime at;
  std::optional<double> pending;  // the largest backlog of the live nodes
};

class Observer {
 public:
  static StatusOr<std::unique_ptr<Observer>> Create(ObserverOptions options);
  ~Observer();  // stops

  void Start();
  void Stop();

  // Region i's dns server / node is down (killed) or back.
  void SetDnsDown(size_t region, bool down);
  void SetNodeDown(size_t region, bool down);

  std::vector<DnsSample> Dns() const;
  std::vector<HealthSample> Health() const;
  std::vector<LagSample> Lag() const;

  // Waits until a live server has answered `address` at or after `since`
  // (true), or `deadline` passed (false).
  bool WaitForAnswer(const std::string& address, SteadyTime since, SteadyTime deadline) const;
  // Waits until a live server has answered something other than `address`.
  bool WaitForAnswerNot(const std::string& address, SteadyTime since, SteadyTime deadline) const;
  // Waits until a lag sample after `since` shows a backlog of at most
  // `limit` on every live node.
  bool WaitForBacklogAtMost(double limit, SteadyTime since, SteadyTime deadline) const;

 private:
  explicit Observer(ObserverOptions options);
  void Loop();
  void SampleDns();
  void SampleHealth();
  void SampleLag();
  template <typename Pred>
  bool WaitFor(SteadyTime deadline, Pred pred) const;

  const ObserverOptions options_;
  std::unique_ptr<control::HttpTransport> transport_;
  std::unique_ptr<control::DnsStatusSource> health_source_;
  std::unique_ptr<control::HttpNodeSource> node_source_;
  std::vector<std::atomic<bool>> dns_down_;
  std::vector<std::atomic<bool>> node_down_;

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  bool stopping_ = false;
  std::vector<DnsSample> dns_;
  std::vector<HealthSample> health_;
  std::vector<LagSample> lag_;
  std::thread thread_;
};

}  // namespace tandem::drill
