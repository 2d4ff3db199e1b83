// EtcdCoordinator: leader election among controllers through an etcd lease,
// and event claims that only the leader can make (control/coordinator.h).
//
// Keys, under `prefix`:
//   leader        the leader's name, attached to its lease
//   state         the controller state saved with the last claim
//   events/<id>   every claimed event (JSON), kept
//
// Each controller holds a lease of `ttl`, kept alive every ttl/3. It
// campaigns every min(ttl/4, 1 s) with a transaction that puts `leader` only
// if the key does not exist (create_revision 0). The leader's key goes with
// its lease: on a clean Stop the lease is revoked and another controller
// takes over at its next campaign; if the leader dies, the lease expires
// `ttl` after its last keepalive and another takes over within a campaign
// interval of that. A controller counts itself leader only until `ttl` after
// the moment it sent its last successful keepalive, so it stops acting
// before etcd could give the key to another. A claim is a transaction that
// compares the leader key's lease with the claimant's, so a controller that
// lost the lead without noticing cannot claim: events/<id> is put only if it
// does not exist, together with the state.
//
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "control/coordinator.h"
#include "control/etcd_client.h"

namespace tandem::control {

struct EtcdCoordinatorOptions {
  std::vector<std::string> endpoints;  // "http://host:port"
  std::string prefix = "/tandem/control/";
  std::string name;  // this controller
  std::chrono::seconds ttl{10};
  std::chrono::milliseconds request_timeout{2000};
};

class EtcdCoordinator : public Coordinator {
 public:
  EtcdCoordinator(EtcdCoordinatorOptions options, HttpTransport* transport);
  ~EtcdCoordinator() override;

  // Starts campaigning in the background (etcd may be down: it keeps trying).
  Status Start() override;
  // Stops campaigning and revokes the lease.
  void Stop() override;
  // Stops campaigning without revoking: what a crash looks like to the
  // others (tests and drills).
  void Abandon();

  bool Leading() const override;
  uint64_t term() const override { return term_.load(); }
  std::string Leader() const override;
  StatusOr<std::string> LoadState() override;
  StatusOr<Claim> ClaimEvent(const std::string& id, const std::string& record,
                             const std::string& state) override;

 private:
  using SteadyClock = std::chrono::steady_clock;
  void Loop();
  void Round();  // one keepalive/campaign round
  void Halt(bool revoke);

  const EtcdCoordinatorOptions options_;
  EtcdClient client_;
  const std::string leader_key_;
  const std::string state_key_;
  const std::string events_prefix_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  int64_t lease_ = 0;
  SteadyClock::time_point last_keepalive_{};
  SteadyClock::time_point lease_valid_until_{};  // leading only before this
  bool holds_key_ = false;                       // the leader key is ours
  std::string leader_name_;
  std::atomic<uint64_t> term_{0};
  std::thread thread_;
};

}  // namespace tandem::control
