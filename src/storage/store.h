// Store: one node's tables, items and change log on RocksDB.
//
// Layout (column families):
//   items     ItemKey(table id, hash, range) -> EncodeRecord(meta, item|tombstone)
//   changelog big-endian sequence number     -> EncodeChange(...)
//   meta      "table/<name>" -> TableMeta JSON, "next_table_id", "stats/<id>"
//             (merged deltas of item count and bytes), "health/canary",
//             "cursor/in/<region>", "cursor/out/<region>" (replication),
//             "tomb/<seq>" (tombstone index for collection, store_format.h),
//             "digest/<id><range>" (merged range digests, digest.h)
// Every mutation writes the item version, its change-log record, the stats
// delta and its range-digest delta in one atomic WriteBatch, synced to the WAL before Mutate()
// (or MutateMany()) returns; concurrent writers share one sync (RocksDB's
// group commit). Under a DeferSync the sync comes later, from a background
// thread, and the caller acknowledges the write then (AfterSync).
//
// A background thread (Options::maintenance_interval) collects tombstones and
// trims the change log once peers no longer need them (store_gc.cc).
//
// Thread-safety: all methods are safe to call concurrently. Mutations of the
// same item are serialized by a striped lock, so a read-check-write in a
// Decider sees no interleaving writer. MutateMany takes its stripes in
// ascending index order, so it cannot deadlock with itself or with Mutate. Table metadata is
// published as immutable snapshots: readers never block on catalog changes.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "storage/digest.h"
#include "storage/hlc.h"
#include "storage/item_codec.h"
#include "storage/table_meta.h"
#include "storage/wal_syncer.h"
#include "types/value.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class Iterator;
}  // namespace rocksdb

namespace tandem::storage {

// A stable 32-bit id for a region name: the tie-breaker of last-writer-wins,
// identical on every node.
uint32_t RegionId(std::string_view region);

// One committed change, as the change log keeps it for replication.
struct ChangeRecord {
  uint64_t seq = 0;
  std::string table;
  Item key;                   // the key attributes only
  VersionMeta meta;           // HLC timestamp, origin region, tombstone bit
  std::optional<Item> image;  // the new item; nullopt for a delete
  // Re-sent by anti-entropy (AnnounceKeys): shipped to every replica, its
  // origin too (which otherwise never gets its own writes back).
  bool resend = false;
};

struct TableStats {
  int64_t item_count = 0;
  int64_t size_bytes = 0;
};

class Store {
 public:
  struct Options {
    std::string dir;     // the node's data directory; the DB lives in dir/db
    std::string region;  // this node's region (origin of local writes)
    const Clock* clock = SystemClock::Default();
    bool sync = true;  // sync the WAL before acknowledging (false only in unit tests)
    // How often the background thread runs RunMaintenance(); zero runs no
    // thread (tests call RunMaintenance() themselves).
    std::chrono::milliseconds maintenance_interval{1000};
  };

  // Opens (creating if needed) the store. Fails with FailedPrecondition and a
  // clear message when another process holds the directory.
  static StatusOr<std::unique_ptr<Store>> Open(const Options& options);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const std::string& region() const { return region_; }
  uint32_t region_id() const { return region_id_; }

  // ---- Catalog ----
  // The current snapshot of a table's metadata, or null.
  std::shared_ptr<const TableMeta> FindTable(std::string_view name) const;
  // Every table, ordered by name.
  std::vector<std::shared_ptr<const TableMeta>> ListTables() const;
  // Creates a table; assigns meta.id. AlreadyExists if the name is taken.
  StatusOr<std::shared_ptr<const TableMeta>> CreateTable(TableMeta meta);
  // Replaces the metadata of an existing table (same id and name).
  Status UpdateTable(const TableMeta& meta);
  // Removes a table and all its items. NotFound if absent.
  Status DeleteTable(std::string_view name);
  TableStats Stats(uint32_t table_id) const;

  // ---- Items ----
  // The live item under the key, or nullopt (absent or deleted).
  StatusOr<std::optional<Item>> GetItem(const TableMeta& table, const Item& key) const;

  struct Mutation {
    enum class Kind { kNone, kPut, kDelete };
    Kind kind = Kind::kNone;
    Item item;  // the new item for kPut
  };
  // Decides a write from the current item (nullopt when absent); runs under
  // the item's lock. A non-OK status from the decider aborts with it.
  using Decider = std::function<StatusOr<Mutation>(const std::optional<Item>& current)>;
  // Applies the decided mutation atomically and durably.
  Status Mutate(const TableMeta& table, const Item& key, const Decider& decide);

  // One write of MutateMany. The pointed-to table and key must outlive the call.
  struct Write {
    const TableMeta* table = nullptr;
    const Item* key = nullptr;  // the key attributes, validated against the table
    Decider decide;
  };
  // Runs every decider, in order, with the locks of all the writes' items
  // held, then commits every resulting version, its change-log record (its
  // own HLC timestamp and sequence number) and the stats deltas in ONE
  // WriteBatch with one sync. A key may appear more than once: a later
  // decider sees the item as the earlier writes of this call left it.
  //
  // Returns one status per write, in order: a decider's error skips that
  // write only (the others still commit). A non-OK result means a read or
  // the commit itself failed, and nothing was written.
  StatusOr<std::vector<Status>> MutateMany(const std::vector<Write>& writes);

  // Deferred durability, for callers that must not block on the disk (the
  // node's I/O threads). While a DeferSync lives on a thread, that thread's
  // Mutate() and MutateMany() calls on this store write without syncing the
  // WAL and return once the batch is written; pending() then says a write
  // was made, and the caller acknowledges it only from AfterSync(). The
  // change log keeps such records from peers until they are synced
  // (wal_syncer.h). Scopes nest; without Options::sync they change nothing.
  class DeferSync {
   public:
    explicit DeferSync(Store* store);
    ~DeferSync();
    DeferSync(const DeferSync&) = delete;
    DeferSync& operator=(const DeferSync&) = delete;
    bool pending() const { return pending_; }

   private:
    friend class Store;
    Store* store_;
    DeferSync* outer_;
    bool pending_ = false;
  };
  // Calls `done` on a background thread once every write made so far is
  // durable, with the sync's status (OK at once when the store does not
  // sync). `done` must not block.
  void AfterSync(std::function<void(Status)> done);
  // Whether a DeferSync for this store on the calling thread holds a write
  // that waits for its sync.
  bool DeferPending() const;

  // Iterates live items of a table in key order within [lower, upper) (raw
  // item keys, see key_codec.h), forward or backward. Tombstones are skipped.
  class Cursor {
   public:
    virtual ~Cursor() = default;
    virtual bool Valid() const = 0;
    virtual void Next() = 0;
    virtual std::string_view key() const = 0;
    virtual StatusOr<Item> item() const = 0;
    // Size of the stored record (for DynamoDB's 1 MB page accounting).
    virtual size_t record_size() const = 0;
    virtual Status status() const = 0;
  };
  std::unique_ptr<Cursor> NewCursor(std::string lower, std::string upper, bool reverse) const;

  // ---- Change log ----
  // Committed records with sequence > after, in order, at most `limit`.
  StatusOr<std::vector<ChangeRecord>> ReadChanges(uint64_t after, size_t limit) const;
  // Every record up to this sequence is committed (no gaps below it).
  uint64_t CommittedSeq() const;

  // Blocks until CommittedSeq() > after, the timeout passes, or
  // NotifyWaiters() is called. Returns whether CommittedSeq() > after.
  bool WaitForCommit(uint64_t after, std::chrono::milliseconds timeout) const;
  void NotifyWaiters() const;

  // ---- Replication ----
  struct ApplyStats {
    size_t applied = 0;    // newer than the stored version: written and logged
    size_t discarded = 0;  // not newer (last writer wins)
    size_t duplicate = 0;  // at or below the source's receive cursor (replayed)
    size_t no_table = 0;   // for a table that does not exist here: skipped
  };
  // Applies records shipped by `source` (covering its change log up to
  // `last_seq`) by last-writer-wins on (HLC timestamp, origin region): a
  // record newer than the stored version replaces it (tombstones too) and
  // enters this node's change log with its original timestamp and origin, so
  // it is forwarded to other peers. The source's receive cursor advances to
  // `last_seq` in the same synced batch; records at or below the old cursor
  // are ignored. A record for a table missing here is skipped (no_table).
  StatusOr<ApplyStats> ApplyReplicated(std::string_view source, uint64_t last_seq,
                                       const std::vector<ChangeRecord>& records);
  // Appends a change-log record for every stored version of `table`
  // (tombstones too), unchanged, so the replicas a table just gained receive
  // what it already holds. Runs in chunks while the table keeps serving; a
  // version overwritten meanwhile has its own, later record. Returns the
  // sequence of the last record appended (CommittedSeq() when none).
  StatusOr<uint64_t> AnnounceTable(std::string_view table);
  // Appends a change-log record for the stored version (tombstone included)
  // of each of these keys of `table`, given as key suffixes (RangeEntry), so
  // they ship to every replica again: anti-entropy's repair. A key with no
  // stored version is skipped. Returns how many records were appended.
  StatusOr<size_t> AnnounceKeys(const TableMeta& table, const std::vector<std::string>& suffixes);
  // Makes the next change-log sequence greater than `seq` (durably), for a
  // node whose peers have received more of its log than it holds (restored
  // from a backup): new records must not reuse numbers they already have.
  Status AdvanceSequence(uint64_t seq);
  // The last sequence of `source`'s change log applied here.
  uint64_t ReceiveCursor(std::string_view source) const;
  // The last sequence of this node's change log that `peer` acknowledged.
  uint64_t ShipCursor(std::string_view peer) const;
  // Persists it (not synced: after a crash the peer is sent a few records
  // again, which it discards as duplicates).
  Status SetShipCursor(std::string_view peer, uint64_t seq);

  // ---- Range digests (digest.h) ----
  // The digest of every range of `table`, indexed by range (kDigestRanges).
  StatusOr<std::vector<RangeDigest>> TableDigests(const TableMeta& table) const;
  struct RangeEntry {
    std::string key_suffix;  // the item key without its table id (same on every replica)
    VersionMeta meta;
    RangeDigest hash;  // VersionHash of a live version; zero for a tombstone
  };
  // The stored versions of one range of `table`, tombstones included, in key
  // order, after the key suffix `after` (empty: from the start), at most
  // `limit` of them.
  StatusOr<std::vector<RangeEntry>> RangeVersions(const TableMeta& table, uint32_t range,
                                                  std::string_view after, size_t limit) const;
  // Recomputes every range digest from the items. Open runs it once for a
  // database written before digests existed. Precondition: no write runs
  // concurrently (the sums would miss it).
  Status RecomputeDigests();

  // ---- Garbage collection: tombstones and the change log ----
  // Deletes leave tombstones (so an older version arriving late loses to
  // them) and every write leaves a change-log record (so peers can be sent
  // it). Both are kept until every peer that needs them has them; the store
  // learns what peers have from the replicator through the two calls below.
  //
  // The regions this node ships its change log to. Until this is called the
  // change log is never trimmed; once called, records below the smallest
  // ShipCursor of these peers are (a peer that never acknowledged anything
  // keeps the whole log).
  void SetReplicationPeers(std::vector<std::string> peers);
  // `peer`'s tombstone horizon: the peer has every change-log record of this
  // node up to `seq`, and nothing it wrote before it had them can still
  // arrive here (the replicator checks both, see replicator.h). Never moves
  // back.
  void SetPeerHorizon(std::string_view peer, uint64_t seq);

  struct MaintenanceStats {
    size_t tombstones_collected = 0;
    uint64_t changelog_trimmed_below = 0;  // records below this sequence are gone
  };
  // One bounded round: CollectTombstones with the peers' horizons, then
  // TrimChangeLog. Run by the background thread every maintenance_interval.
  StatusOr<MaintenanceStats> RunMaintenance();
  // Looks at up to `limit` tombstones, oldest first, and deletes each whose
  // change-log record every replica peer of its table has, by `horizons`
  // (peer region -> horizon as SetPeerHorizon; a replica missing from the
  // map holds everything back); a tombstone of a regional table goes at once.
  // A tombstone is deleted only if it is still the stored version. Returns
  // how many were deleted.
  StatusOr<size_t> CollectTombstones(const std::map<std::string, uint64_t>& horizons, size_t limit);
  // Deletes change-log records below min ShipCursor over the peers given to
  // SetReplicationPeers (nothing before that call), always keeping the
  // newest record, whose sequence number a restart continues from. Returns
  // the first sequence that may remain.
  StatusOr<uint64_t> TrimChangeLog();
  // What TrimChangeLog last returned since the store opened (0: nothing yet).
  uint64_t ChangeLogTrimmedBelow() const;
  // Tombstones deleted by collection since the store opened.
  uint64_t TombstonesCollected() const { return tombstones_collected_.load(); }

  // ---- Health and metrics ----
  // Writes and reads back a canary record, synced; the deep health check.
  Status Canary();
  // Approximate bytes on disk (SST files plus WAL) and in memtables.
  uint64_t DiskBytes() const;

 private:
  Store() = default;
  struct Staged;  // a decided write, not yet committed (store.cc)

  Status LoadCatalog();
  // Reserves `n` consecutive sequence numbers and returns the first.
  uint64_t ReserveSeqs(size_t n);
  void FinishSeqs(uint64_t first, size_t n);
  size_t StripeOf(std::string_view item_key) const;
  // The live item stored under `item_key`, or nullopt (absent or a
  // tombstone); when live and `live_hash` is non-null, its VersionHash there.
  // A non-null `live_hash` marks the write path: the hybrid clock then
  // observes the stored version's timestamp, so the write stamps above it.
  StatusOr<std::optional<Item>> ReadCurrent(const std::string& item_key,
                                            RangeDigest* live_hash = nullptr) const;
  // Runs `decide` on `current` (whose VersionHash is `current_hash`, zero when
  // absent) and, if it writes, appends to `staged`. The caller holds the
  // item's lock.
  Status Decide(const TableMeta& table, const Item& key, std::string item_key,
                const std::optional<Item>& current, const RangeDigest& current_hash,
                const Decider& decide, std::vector<Staged>* staged);
  // Whether the database's range digests are kept by its writes (false for
  // one written before digests existed).
  bool DigestsMaintained() const;
  // Completes a staged write from its meta and item: the stats deltas against
  // the live item it replaces (nullopt: none), the record bytes, and the old
  // (`replaced_hash`) and new range-digest hashes.
  static void Prepare(Staged* w, const std::optional<Item>& replaced,
                      const RangeDigest& replaced_hash);
  // Appends change-log records for stored versions, unchanged (AnnounceTable,
  // AnnounceKeys): `versions` holds (item key, stored record) pairs.
  StatusOr<uint64_t> LogVersions(const TableMeta& table,
                                 const std::vector<std::pair<std::string, std::string>>& versions,
                                 bool resend = false);

  // Writes the staged versions, change-log records and stats, plus any
  // `meta_puts`, in one synced batch.
  Status Commit(std::vector<Staged>* staged,
                const std::vector<std::pair<std::string, std::string>>& meta_puts = {});
  // The stored version under `item_key` (tombstones included), or nullopt;
  // `live_hash` as ReadCurrent.
  StatusOr<std::optional<std::pair<VersionMeta, std::optional<Item>>>> ReadVersion(
      const std::string& item_key, RangeDigest* live_hash = nullptr) const;
  uint64_t ReadCursor(const std::string& key) const;
  // The innermost DeferSync for this store on the calling thread, or null.
  DeferSync* CurrentDefer() const;
  void Publish(std::shared_ptr<const std::map<std::string, std::shared_ptr<const TableMeta>>>);
  void MaintenanceLoop(std::chrono::milliseconds interval);

  std::string dir_;
  std::string region_;
  uint32_t region_id_ = 0;
  bool sync_ = true;
  const Clock* clock_ = nullptr;
  std::unique_ptr<HybridClock> hlc_;

  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::ColumnFamilyHandle* items_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* changelog_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* meta_cf_ = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;

  // Catalog snapshot; replaced whole under catalog_mu_, read lock-free.
  std::atomic<std::shared_ptr<const std::map<std::string, std::shared_ptr<const TableMeta>>>>
      catalog_;
  std::mutex catalog_mu_;
  uint32_t next_table_id_ = 1;

  // Sequence numbers handed out but not yet committed.
  mutable std::mutex seq_mu_;
  uint64_t last_seq_ = 0;
  std::set<uint64_t> in_flight_;
  mutable std::condition_variable commit_cv_;
  std::unique_ptr<WalSyncer> syncer_;  // with sync_: completes DeferSync writes
  std::mutex apply_mu_;                // serializes ApplyReplicated (receive cursors)

  // Garbage collection (store_gc.cc).
  mutable std::mutex gc_mu_;
  std::optional<std::vector<std::string>> replication_peers_;
  std::map<std::string, uint64_t> peer_horizons_;
  uint64_t trimmed_below_ = 0;
  std::atomic<uint64_t> tombstones_collected_{0};
  std::mutex maintenance_mu_;
  std::condition_variable maintenance_cv_;
  bool closing_ = false;
  std::thread maintenance_;

  static constexpr size_t kLockStripes = 4096;
  mutable std::array<std::mutex, kLockStripes> item_locks_;
};

}  // namespace tandem::storage
