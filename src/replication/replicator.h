// Replicator: active-active replication of global tables between regions.
//
// Shipping: one thread per peer reads this node's change log from the peer's
// persisted cursor, keeps the records of tables that replicate to that peer
// (and not the peer's own writes coming back), and posts them as batches
// (wire.h) signed with the cluster secret (peer_auth.h). It wakes on every
// commit, so changes ship continuously, and it does not wait for an answer
// before sending the next batch: up to max_in_flight batches are pipelined on
// one connection (pipelined_client.h), so lag stays near half the round trip
// on a distant link. The cursor advances as the peer acknowledges, in order.
// The peer refuses (409) a batch that does not start where its receive
// cursor ends, so nothing is skipped when an earlier batch failed; the
// shipper then backs off and ships again from its cursor (or from the
// peer's, when the peer has less, e.g. restored from a backup). A down or
// slow peer gets retries with capped exponential backoff while its backlog
// stays on disk in the change log, and local writes never wait for it.
//
// Receiving: HandleApply() checks the signature, decodes the batch and has the
// store apply it by last-writer-wins with (HLC timestamp, origin region),
// together with the source's receive cursor, in one synced batch. Applied
// records enter this node's own change log, so they are forwarded to the
// other peers: a write that reached any survivor reaches all of them.
//
// Readiness: a node that restarts holds stale data until its peers have
// shipped it what it missed. A watcher thread asks every peer, with a signed
// POST to kStatusPath, for its committed change-log sequence and how far it
// has shipped to this node; the difference is what that peer still has to
// ship here. Ready() stays false until every reachable peer's backlog is
// below ReplicatorOptions::ready_lag, then true for good (it does not flap
// with later lag). A peer that cannot be reached (or does not replicate to
// this node) holds nothing back: a region must be able to come up alone.
//
// Garbage collection: the same thread gives the store each peer's tombstone
// horizon (Store::SetPeerHorizon): the highest sequence H such that the peer
// has this node's log up to H (ShipCursor, read before asking) AND this node
// has received the peer's log up to the peer's committed sequence as it
// answered afterwards. Only then can no version older than a tombstone at or
// below H still arrive from that peer (a peer that stored the tombstone
// discards older versions; what it logged before is already here), so the
// tombstone can go without an older put resurrecting the item.
//
// Thread-safety: Start/Stop from the owner; HandleApply, HandleStatus, Ready
// and the observers from any thread.
#pragma once

#include <array>
#include <atomic>
#include <boost/json/object.hpp>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "auth/canonical.h"
#include "common/clock.h"
#include "replication/peer_auth.h"
#include "replication/peer_client.h"
#include "storage/store.h"

namespace tandem::replication {

class PeerClient;

inline constexpr char kApplyPath[] = "/_tandem/replicate";
inline constexpr char kControlPath[] = "/_tandem/control";
inline constexpr char kStatusPath[] = "/_tandem/status";

struct Peer {
  std::string region;
  std::string url;  // http(s)://host:port of the peer's API
};

struct ReplicatorOptions {
  size_t batch_records = 1000;
  size_t batch_bytes = 4 << 20;
  // Batches sent and not yet answered (pipelined on one connection): enough
  // to cover a round trip of small batches; the byte cap bounds memory.
  size_t max_in_flight = 64;
  size_t max_in_flight_bytes = 16 << 20;
  // With batches in flight, fewer than linger_records new records wait up to
  // `linger` for more before they are sent (with none in flight, no wait).
  std::chrono::milliseconds linger{5};
  uint64_t linger_records = 256;
  std::chrono::milliseconds request_timeout{5000};
  std::chrono::milliseconds min_backoff{50};
  // Capped low: a peer that comes back is found within a second.
  std::chrono::milliseconds max_backoff{1000};
  std::string ca_file;  // verifies https peers
  // Ready() once every reachable peer has fewer than this many records left
  // to ship here.
  uint64_t ready_lag = 100;
  std::chrono::milliseconds status_interval{250};        // peer status polls until ready
  std::chrono::milliseconds idle_status_interval{2000};  // and after (horizons)
  std::chrono::milliseconds status_timeout{1000};
  // Anti-entropy (anti_entropy.cc): how often each global table is compared
  // with each peer (zero: never), how old a version must be before it counts
  // as divergent rather than in flight, and how many differing key ranges one
  // comparison reads (the rest wait for the next round).
  std::chrono::milliseconds anti_entropy_interval{30000};
  std::chrono::milliseconds anti_entropy_grace{5000};
  size_t anti_entropy_max_ranges = 64;
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
  // Handles POST kStatusPath from a peer: {"region", "committed_seq" (this
  // node's CommittedSeq), "shipped_seq" (the last sequence the caller
  // acknowledged), "ships_to_you" (whether the caller is a peer of this node)}.
  Answer HandleStatus(std::span<const auth::Header> headers, std::string_view body);

  // Whether this node has caught up with its reachable peers (see above);
  // when not, `reason` (if non-null) says on what.
  bool Ready(std::string* reason) const;

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
    // Records the peer still had to ship here at its last status answer;
    // -1 when it did not answer.
    int64_t incoming_backlog = -1;
  };
  std::vector<PeerState> Peers() const;
  const std::vector<Peer>& peer_list() const { return peers_; }

  // Prometheus text for the replication metrics.
  std::string RenderMetrics() const;

  // One anti-entropy round with every caught-up peer (see anti_entropy.cc);
  // the background thread runs it every anti_entropy_interval. Returns how
  // many keys were shipped again.
  size_t RunAntiEntropy();

 private:
  struct Shipper;
  void Ship(Shipper* shipper);
  void OnAnswer(Shipper* shipper, uint64_t generation, StatusOr<HttpResponse> answer);
  // `region` has this node's change log only up to `received`, less than it
  // acknowledged (restored from a backup): its shipper starts over there.
  void Rewind(const std::string& region, uint64_t received);
  // The end of the last batch `region` acknowledged since this start (0:
  // none): its receive cursor for this node is at least this.
  uint64_t ConfirmedSeq(const std::string& region) const;
  struct Watched {
    Peer peer;
    std::unique_ptr<PeerClient> client;  // used by the watcher thread only
    // A horizon candidate (see the top of this file): this node's ShipCursor to the peer,
    // read before a status call, and the peer's committed sequence answered.
    // It becomes the peer's horizon once the peer has shipped here up to that
    // committed sequence.
    bool pending = false;
    uint64_t pending_shipped = 0;
    uint64_t pending_committed = 0;
    // Readiness inputs, under ready_mu_: records the peer still has to ship
    // here (-1: unknown, the peer did not answer or does not ship here).
    int64_t backlog = -1;
  };
  void Watch();
  // Asks one peer for its status; updates readiness inputs and its horizon.
  void Probe(Watched* w);
  void UpdateReadiness();

  // Anti-entropy (anti_entropy.cc).
  void AntiEntropyLoop();
  // Compares `table` with its replica in `peer`, re-ships the keys where this
  // node's version should have won there, and adds the differing ranges to
  // `*differing`. Returns how many keys were re-shipped.
  StatusOr<size_t> CompareAndRepair(const storage::TableMeta& table, const std::string& peer,
                                    size_t* differing);
  struct AntiEntropyStats {
    std::string peer;
    std::atomic<uint64_t> rounds{0};
    std::atomic<uint64_t> repairs{0};
    std::atomic<uint64_t> differing_ranges{0};  // at the last round
  };
  AntiEntropyStats* AntiEntropyFor(const std::string& peer);

  storage::Store* store_;
  std::shared_ptr<PeerAuth> auth_;
  std::vector<Peer> peers_;
  ReplicatorOptions options_;
  const Clock* clock_;
  std::atomic<bool> stopping_{false};
  std::vector<std::unique_ptr<Shipper>> shippers_;

  // The watcher (readiness and horizons).
  std::thread watcher_;
  std::vector<std::unique_ptr<Watched>> watched_;
  std::mutex watch_mu_;  // guards the wait for stop
  std::condition_variable watch_cv_;
  std::atomic<bool> ready_{false};
  mutable std::mutex ready_mu_;
  std::string not_ready_reason_ = "checking how far behind the peers this node is";

  // Receiver-side metrics.
  static constexpr int kLatencyBuckets = 24;
  struct SourceStats {
    std::string region;
    std::array<std::atomic<uint64_t>, kLatencyBuckets + 1> latency{};  // ms buckets
    std::atomic<uint64_t> latency_sum_ms{0};
    std::atomic<uint64_t> applied{0};
    std::atomic<uint64_t> discarded{0};
    std::atomic<uint64_t> bytes{0};
    std::atomic<uint64_t> no_table{0};
  };
  SourceStats* StatsFor(std::string_view region);
  mutable std::mutex stats_mu_;
  std::vector<std::unique_ptr<SourceStats>> sources_;
  std::vector<std::unique_ptr<AntiEntropyStats>> anti_entropy_;  // under stats_mu_
  std::thread anti_entropy_thread_;
  std::atomic<uint64_t> refused_{0};
  ControlHandler control_handler_;
  std::mutex control_mu_;  // one control client per peer, used under this lock
  std::map<std::string, std::unique_ptr<class PeerClient>> control_clients_;
};

}  // namespace tandem::replication
