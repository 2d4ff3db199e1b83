// Store: garbage collection of tombstones and of the change log, and the
// background thread that runs it (store.h, "Garbage collection").
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <algorithm>

#include "storage/store.h"
#include "storage/store_format.h"

namespace tandem::storage {
namespace {

using internal::FromRocks;
using internal::GetFixed64;
using internal::kTombstonePrefix;
using internal::SeqKey;

// Index entries looked at per round: bounds the work (and the item locks
// held) of one round; the rest wait for the next.
constexpr size_t kTombstonesPerRound = 10000;

}  // namespace

void Store::SetReplicationPeers(std::vector<std::string> peers) {
  std::lock_guard<std::mutex> lock(gc_mu_);
  replication_peers_ = std::move(peers);
}

void Store::SetPeerHorizon(std::string_view peer, uint64_t seq) {
  std::lock_guard<std::mutex> lock(gc_mu_);
  uint64_t& horizon = peer_horizons_[std::string(peer)];
  horizon = std::max(horizon, seq);
}

StatusOr<Store::MaintenanceStats> Store::RunMaintenance() {
  std::map<std::string, uint64_t> horizons;
  {
    std::lock_guard<std::mutex> lock(gc_mu_);
    horizons = peer_horizons_;
  }
  MaintenanceStats stats;
  TANDEM_ASSIGN_OR_RETURN(stats.tombstones_collected,
                          CollectTombstones(horizons, kTombstonesPerRound));
  TANDEM_ASSIGN_OR_RETURN(stats.changelog_trimmed_below, TrimChangeLog());
  return stats;
}

void Store::MaintenanceLoop(std::chrono::milliseconds interval) {
  std::unique_lock<std::mutex> lock(maintenance_mu_);
  while (!maintenance_cv_.wait_for(lock, interval, [this] { return closing_; })) {
    lock.unlock();
    (void)RunMaintenance();  // a failed round changes nothing; the next one retries
    lock.lock();
  }
}

StatusOr<size_t> Store::CollectTombstones(const std::map<std::string, uint64_t>& horizons,
                                          size_t limit) {
  // Per table: the highest tombstone sequence every replica peer has. A
  // regional table has no peers to wait for.
  std::map<uint32_t, uint64_t> table_horizon;
  for (const auto& table : ListTables()) {
    uint64_t horizon = UINT64_MAX;
    for (const auto& [region, status] : table->replicas) {
      if (region == region_) continue;
      auto it = horizons.find(region);
      horizon = std::min<uint64_t>(horizon, it == horizons.end() ? 0 : it->second);
    }
    table_horizon[table->id] = horizon;
  }

  struct Candidate {
    std::string index_key;
    std::string item_key;  // empty: only the index entry goes (its table is gone)
    uint64_t hlc = 0;
    uint32_t origin = 0;
  };
  std::vector<Candidate> candidates;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), meta_cf_));
  const rocksdb::Slice prefix(kTombstonePrefix.data(), kTombstonePrefix.size());
  size_t scanned = 0;
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix) && scanned < limit;
       it->Next(), ++scanned) {
    const std::string_view key(it->key().data(), it->key().size());
    const std::string_view value(it->value().data(), it->value().size());
    Candidate c;
    c.index_key = std::string(key);
    if (key.size() != kTombstonePrefix.size() + 8 || value.size() < 24) {
      candidates.push_back(std::move(c));  // not an entry this code wrote: drop it
      continue;
    }
    const uint64_t seq = GetFixed64(key.substr(kTombstonePrefix.size()));
    auto table = table_horizon.find(static_cast<uint32_t>(GetFixed64(value.substr(16))));
    if (table != table_horizon.end()) {
      if (seq > table->second) continue;  // some replica peer may still need it
      c.hlc = GetFixed64(value);
      c.origin = static_cast<uint32_t>(GetFixed64(value.substr(8)));
      c.item_key = std::string(value.substr(24));
    }
    candidates.push_back(std::move(c));
  }
  TANDEM_RETURN_IF_ERROR(FromRocks(it->status()));
  if (candidates.empty()) return size_t{0};

  // Under the items' locks, a tombstone still stored is the one indexed (same
  // timestamp and origin) or a later version that replaced it.
  std::vector<size_t> stripes;
  for (const auto& c : candidates) {
    if (!c.item_key.empty()) stripes.push_back(StripeOf(c.item_key));
  }
  std::sort(stripes.begin(), stripes.end());
  stripes.erase(std::unique(stripes.begin(), stripes.end()), stripes.end());
  std::vector<std::unique_lock<std::mutex>> locks;
  locks.reserve(stripes.size());
  for (size_t stripe : stripes) locks.emplace_back(item_locks_[stripe]);
  rocksdb::WriteBatch batch;
  size_t collected = 0;
  for (const auto& c : candidates) {
    TANDEM_RETURN_IF_ERROR(FromRocks(batch.Delete(meta_cf_, c.index_key)));
    if (c.item_key.empty()) continue;
    std::string stored;
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), items_cf_, c.item_key, &stored);
    if (s.IsNotFound()) continue;
    TANDEM_RETURN_IF_ERROR(FromRocks(s));
    auto meta = DecodeRecordMeta(stored);
    if (!meta.ok() || !meta->tombstone || meta->hlc != c.hlc || meta->origin != c.origin) continue;
    TANDEM_RETURN_IF_ERROR(FromRocks(batch.Delete(items_cf_, c.item_key)));
    ++collected;
  }
  // Not synced: after a crash a collected tombstone may be back, with its
  // index entry, and is collected again.
  TANDEM_RETURN_IF_ERROR(FromRocks(db_->Write(rocksdb::WriteOptions(), &batch)));
  tombstones_collected_.fetch_add(collected);
  return collected;
}

StatusOr<uint64_t> Store::TrimChangeLog() {
  std::optional<std::vector<std::string>> peers;
  uint64_t trimmed_below = 0;
  {
    std::lock_guard<std::mutex> lock(gc_mu_);
    peers = replication_peers_;
    trimmed_below = trimmed_below_;
  }
  if (!peers) return trimmed_below;
  // Records below every peer's cursor have shipped everywhere. The record at
  // the horizon stays: the newest record must survive a restart, which
  // continues the sequence from it (and the hybrid clock past it).
  uint64_t horizon = CommittedSeq();
  for (const auto& peer : *peers) horizon = std::min(horizon, ShipCursor(peer));
  if (horizon <= trimmed_below) return trimmed_below;
  rocksdb::WriteBatch batch;
  TANDEM_RETURN_IF_ERROR(
      FromRocks(batch.DeleteRange(changelog_cf_, SeqKey(trimmed_below), SeqKey(horizon))));
  TANDEM_RETURN_IF_ERROR(FromRocks(db_->Write(rocksdb::WriteOptions(), &batch)));
  std::lock_guard<std::mutex> lock(gc_mu_);
  trimmed_below_ = std::max(trimmed_below_, horizon);
  return trimmed_below_;
}

uint64_t Store::ChangeLogTrimmedBelow() const {
  std::lock_guard<std::mutex> lock(gc_mu_);
  return trimmed_below_;
}

}  // namespace tandem::storage
