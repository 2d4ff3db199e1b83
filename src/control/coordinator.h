// Coordinator: who among the running controllers acts, and the record of
// what was acted on.
//
// Every controller samples and evaluates its alarms; only the leader
// announces events, changes routing and runs hooks. Before acting on an
// event the leader claims its id: ClaimEvent records the id and, in the same
// step, the controller state after the event (ControllerState: what each
// alarm last announced, each failover pair's phase and event counters). A
// new leader starts from the state its predecessor saved with its last
// claim, so it gives the next event the next id and never announces again
// what was announced; and an id claimed once is never claimed again, so no
// event's hooks run twice, whichever controller decided it.
//
// LocalCoordinator is the single controller: always the leader, its state
// kept in a file (written aside, synced, renamed) so a restart does not
// announce again. EtcdCoordinator (control/etcd_coordinator.h) elects one
// leader among several through an etcd lease.
//
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <set>
#include <string>

#include "common/status.h"

namespace tandem::control {

class Coordinator {
 public:
  virtual ~Coordinator() = default;
  virtual Status Start() = 0;
  // Gives up leadership (etcd: revokes the lease, so another controller
  // takes over at once).
  virtual void Stop() = 0;

  // Whether this controller may act now.
  virtual bool Leading() const = 0;
  // Counts the times this controller became leader: when it moved, the
  // caller reloads the state.
  virtual uint64_t term() const = 0;
  // The current leader's name, as far as known ("" when none).
  virtual std::string Leader() const = 0;

  // The state saved with the last claim; "" when none.
  virtual StatusOr<std::string> LoadState() = 0;

  enum class Claim { kClaimed, kAlreadyClaimed };
  // Atomically, while this controller leads and `id` was never claimed:
  // records `record` (the event) under `id` and `state` as the controller
  // state, and answers kClaimed — the caller then acts. kAlreadyClaimed when
  // the id was claimed before (nothing saved: the caller reloads the state
  // and skips the event). FailedPrecondition when not leading, Unavailable
  // when the record cannot be reached (nothing saved either way).
  virtual StatusOr<Claim> ClaimEvent(const std::string& id, const std::string& record,
                                     const std::string& state) = 0;
};

class LocalCoordinator : public Coordinator {
 public:
  // `state_file` may be empty: nothing survives a restart.
  LocalCoordinator(std::string name, std::string state_file);

  // Reads the state file (IOError/InvalidArgument when it exists but cannot
  // be read or parsed).
  Status Start() override;
  void Stop() override {}
  bool Leading() const override { return true; }
  uint64_t term() const override { return 1; }
  std::string Leader() const override { return name_; }
  StatusOr<std::string> LoadState() override;
  StatusOr<Claim> ClaimEvent(const std::string& id, const std::string& record,
                             const std::string& state) override;

 private:
  Status Save() const;  // with mu_ held

  const std::string name_;
  const std::string state_file_;
  mutable std::mutex mu_;
  std::string state_;
  std::set<std::string> claimed_;
  std::deque<std::string> claimed_order_;  // the newest kClaimedKept ids are kept
};

}  // namespace tandem::control
