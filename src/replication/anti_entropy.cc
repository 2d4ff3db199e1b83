// Replicator: anti-entropy. Replication ships every change once; what it
// cannot see (a batch lost to a bug, a replica restored from a backup, a
// record skipped because its table was missing) would stay divergent forever.
// So every anti_entropy_interval this node compares each global table with
// each peer that holds a replica (range digests first, then only the ranges
// that differ, digest_sync.h) and re-ships the keys where its own version
// should have won there: the peer lacks the key, or holds an older version.
// Keys where the peer's version is newer are left to the peer's own round.
//
// A comparison is only meaningful once replication to the peer has caught up
// (its shipper has nothing pending), and a version younger than
// anti_entropy_grace may still be in flight, so neither is repaired.
#include <spdlog/spdlog.h>

#include "replication/digest_sync.h"
#include "replication/replicator.h"
#include "storage/hlc.h"

namespace tandem::replication {

void Replicator::AntiEntropyLoop() {
  while (!stopping_.load()) {
    {
      std::unique_lock<std::mutex> lock(watch_mu_);
      watch_cv_.wait_for(lock, options_.anti_entropy_interval, [this] { return stopping_.load(); });
    }
    if (stopping_.load()) return;
    RunAntiEntropy();
  }
}

size_t Replicator::RunAntiEntropy() {
  size_t repaired = 0;
  for (const auto& peer : Peers()) {
    if (stopping_.load()) break;
    if (peer.pending > 0) continue;  // not caught up: differences are still in flight
    AntiEntropyStats* stats = AntiEntropyFor(peer.region);
    size_t differing = 0;
    for (const auto& table : store_->ListTables()) {
      if (!table->ReplicatesTo(peer.region)) continue;
      auto result = CompareAndRepair(*table, peer.region, &differing);
      if (!result.ok()) {
        spdlog::debug("anti-entropy with {} on {}: {}", peer.region, table->name,
                      result.status().message());
        continue;
      }
      repaired += *result;
      stats->repairs.fetch_add(*result);
    }
    stats->rounds.fetch_add(1);
    stats->differing_ranges.store(differing);
  }
  return repaired;
}

StatusOr<size_t> Replicator::CompareAndRepair(const storage::TableMeta& table,
                                              const std::string& peer, size_t* differing) {
  const ControlCall remote = [this, &peer](const boost::json::object& request) {
    return CallPeer(peer, request);
  };
  const ControlCall local = [this](const boost::json::object& request) {
    const auto* op = request.if_contains("op");
    if (op != nullptr && op->is_string() && op->as_string() == kOpTableDigests) {
      return AnswerTableDigests(*store_, request);
    }
    return AnswerRangeVersions(*store_, request);
  };
  TANDEM_ASSIGN_OR_RETURN(TableDigests theirs, FetchTableDigests(remote, table.name));
  TANDEM_ASSIGN_OR_RETURN(TableDigests ours, FetchTableDigests(local, table.name));
  if (theirs.hash_key.name != table.hash_key.name || theirs.hash_key.type != table.hash_key.type ||
      theirs.range_key.has_value() != table.range_key.has_value()) {
    return Status::FailedPrecondition("the replica in " + peer + " has another key schema");
  }
  const uint64_t now_ms = static_cast<uint64_t>(clock_->NowMicros() / 1000);
  const uint64_t grace_ms = static_cast<uint64_t>(options_.anti_entropy_grace.count());
  size_t compared = 0;
  std::vector<std::string> repair;
  for (uint32_t range = 0; range < storage::kDigestRanges; ++range) {
    if (theirs.ranges[range] == ours.ranges[range]) continue;
    ++*differing;
    if (compared++ >= options_.anti_entropy_max_ranges) continue;  // the next round goes on
    TANDEM_ASSIGN_OR_RETURN(auto their_versions, FetchRange(remote, table.name, range));
    TANDEM_ASSIGN_OR_RETURN(auto our_versions, FetchRange(local, table.name, range));
    for (const auto& d : CompareRange({our_versions, their_versions})) {
      const auto& mine = d.versions[0];
      const auto& other = d.versions[1];
      if (!mine) continue;                           // theirs only: their round
      if (mine->meta.tombstone && !other) continue;  // nothing vs tombstone: equal
      if (other && !storage::NewerVersion(mine->meta, other->meta)) continue;  // theirs wins
      const uint64_t written_ms = storage::HybridClock::PhysicalMillis(mine->meta.hlc);
      if (written_ms + grace_ms > now_ms) continue;  // may still be in flight
      repair.push_back(d.key_suffix);
    }
  }
  if (repair.empty()) return size_t{0};
  TANDEM_ASSIGN_OR_RETURN(size_t announced, store_->AnnounceKeys(table, repair));
  spdlog::warn("anti-entropy: {} keys of {} were missing or older in {}; shipping them again",
               announced, table.name, peer);
  return announced;
}

Replicator::AntiEntropyStats* Replicator::AntiEntropyFor(const std::string& peer) {
  std::lock_guard<std::mutex> lock(stats_mu_);
  for (auto& s : anti_entropy_) {
    if (s->peer == peer) return s.get();
  }
  anti_entropy_.push_back(std::make_unique<AntiEntropyStats>());
  anti_entropy_.back()->peer = peer;
  return anti_entropy_.back().get();
}

}  // namespace tandem::replication
