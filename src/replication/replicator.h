// Replicator: active-active replication of global tables between regions.
//
// Shipping: one thread per peer reads this node's change log from the peer's
// persisted cursor, keeps the records of tables that replicate to that peer
// (and not the peer's own writes coming back), sends them as a batch
// (wire.h) signed with the cluster secret (peer_auth.h), and advances the
// cursor when the peer acknowledges. It wakes on every commit, so changes
// ship continuously; a down or slow peer gets retries with capped
// exponential backoff while its backlog stays on disk in the change log, and
// local writes never wait for it.
//
// Receiving: HandleApply() checks the signature, decodes the batch and has the
// store apply it by last-writer-wins with (HLC timestamp, origin region),
// together with the source's receive cursor, in one synced batch. Applied
// records enter this node's own change log, so they are forwarded to the
// other peers: a write that reached any survivor reaches all of them.
//
// Thread-safety: Start/Stop from the owner; HandleApply and the observers
// from any thread.
#pragma once

#include <atomic>
#include <functional>
#include <map>

#include <boost/json/object.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "auth/canonical.h"
#include "common/clock.h"
#include "replication/peer_auth.h"
#include "storage/store.h"

namespace tandem::replication {

inline constexpr char kApplyPath[] = "/_tandem/replicate";
inline constexpr char kControlPath[] = "/_tandem/control";

struct Peer {
  std::string region;
  std::string url;  // http(s)://host:port of the peer's API
};

struct ReplicatorOptions {
  size_t batch_records = 1000;
  size_t batch_bytes = 4 << 20;
  std::chrono::milliseconds request_timeout{5000};
  std::chrono::milliseconds min_backoff{50};
  std::chrono::milliseconds max_backoff{5000};
  std::string ca_file;  // verifies https peers
};

class Replicator {
 public:
  Replicator(storage::Store* store, std::shared_ptr<PeerAuth> auth, std::vector<Peer> peers,
             ReplicatorOptions options, const Clock* clock);
  ~Replicator();

  void Start();
  void Stop();

  struct Answer {
    int status = 200;
    std::string body;  // JSON
  };
  // Handles POST kApplyPath from a peer.
  Answer HandleApply(std::span<const auth::Header> headers, std::string_view body);

  // Control calls between nodes (global-table membership and the like): a
  // signed JSON request to a peer's kControlPath, answered by the peer's
  // control handler. Unavailable when the peer cannot be reached.
  using ControlHandler = std::function<StatusOr<boost::json::object>(
      const std::string& from_region, const boost::json::object& request)>;
  void set_control_handler(ControlHandler handler) { control_handler_ = std::move(handler); }
  StatusOr<boost::json::object> CallPeer(const std::string& region,
                                         const boost::json::object& request);
  Answer HandleControl(std::span<const auth::Header> headers, std::string_view body);
  bool HasPeer(std::string_view region) const;

  struct PeerState {
    std::string region;
    std::string url;
    uint64_t acked_seq = 0;  // last change-log sequence the peer acknowledged
    uint64_t pending = 0;    // change-log records after it (upper bound)
    bool reachable = false;  // the last attempt succeeded
    std::string last_error;
  };
  std::vector<PeerState> Peers() const;
  const std::vector<Peer>& peer_list() const { return peers_; }

  // Prometheus text for the replication metrics.
  std::string RenderMetrics() const;

 private:
  struct Shipper;
  void Ship(Shipper* shipper);

  storage::Store* store_;
  std::shared_ptr<PeerAuth> auth_;
  std::vector<Peer> peers_;
  ReplicatorOptions options_;
  const Clock* clock_;
  std::atomic<bool> stopping_{false};
  std::vector<std::unique_ptr<Shipper>> shippers_;

  // Receiver-side metrics.
  static constexpr int kLatencyBuckets = 12;
  struct SourceStats {
    std::string region;
    std::array<std::atomic<uint64_t>, kLatencyBuckets + 1> latency{};  // ms buckets
    std::atomic<uint64_t> latency_sum_ms{0};
    std::atomic<uint64_t> applied{0};
    std::atomic<uint64_t> discarded{0};
    std::atomic<uint64_t> bytes{0};
  };
  SourceStats* StatsFor(std::string_view region);
  mutable std::mutex stats_mu_;
  std::vector<std::unique_ptr<SourceStats>> sources_;
  std::atomic<uint64_t> refused_{0};
  ControlHandler control_handler_;
  std::mutex control_mu_;  // one control client per peer, used under this lock
  std::map<std::string, std::unique_ptr<class PeerClient>> control_clients_;
};

}  // namespace tandem::replication
