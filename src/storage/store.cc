#include "storage/store.h"

#include <openssl/rand.h>
#include <openssl/sha.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/merge_operator.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/options_util.h>
#include <rocksdb/write_batch.h>
#include <rocksdb/write_buffer_manager.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdarg>
#include <cstring>
#include <filesystem>
#include <map>

#include "storage/key_codec.h"
#include "storage/store_format.h"
#include "types/item_size.h"

namespace tandem::storage {
namespace {

// RocksDB's own log goes to the node's log rather than to a LOG file in the
// data directory: on a full disk, Debian's librocksdb (built with assertions)
// aborts the process on a second failed write to that file.
class SpdLogger : public rocksdb::Logger {
 public:
  using rocksdb::Logger::Logv;
  explicit SpdLogger(rocksdb::InfoLogLevel level) : rocksdb::Logger(level) {}
  void Logv(const char* format, va_list ap) override {
    Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap);
  }
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    if (level < GetInfoLogLevel()) return;
    char buf[1024];
    std::vsnprintf(buf, sizeof(buf), format, ap);
    spdlog::warn("rocksdb: {}", buf);
  }
};

constexpr char kTablePrefix[] = "table/";
constexpr char kStatsPrefix[] = "stats/";
constexpr char kNextTableId[] = "next_table_id";
constexpr char kCanaryKey[] = "health/canary";

using internal::DecodeChange;
using internal::EncodeChange;
using internal::FromRocks;
using internal::GetFixed64;
using internal::KeyOf;
using internal::PutFixed64;
using internal::SeqKey;

std::string StatsKey(uint32_t id) { return kStatsPrefix + std::to_string(id); }

std::string StatsDelta(int64_t count, int64_t bytes) {
  std::string v;
  PutFixed64(&v, static_cast<uint64_t>(count));
  PutFixed64(&v, static_cast<uint64_t>(bytes));
  return v;
}

// Adds pairs of 64-bit lanes, modulo 2^64: the table statistics (count,
// bytes) and the range digests (digest.h) are merged deltas, so each write
// updates them in its own batch without a read.
class StatsMergeOperator : public rocksdb::AssociativeMergeOperator {
 public:
  bool Merge(const rocksdb::Slice& key, const rocksdb::Slice* existing, const rocksdb::Slice& value,
             std::string* new_value, rocksdb::Logger* logger) const override {
    uint64_t first = 0;
    uint64_t second = 0;
    if (existing != nullptr && existing->size() == 16) {
      first = GetFixed64(std::string_view(existing->data(), 8));
      second = GetFixed64(std::string_view(existing->data() + 8, 8));
    }
    if (value.size() == 16) {
      first += GetFixed64(std::string_view(value.data(), 8));
      second += GetFixed64(std::string_view(value.data() + 8, 8));
    }
    new_value->clear();
    PutFixed64(new_value, first);
    PutFixed64(new_value, second);
    return true;
  }
  const char* Name() const override { return "tandem.StatsAdd"; }
};

class RocksCursor : public Store::Cursor {
 public:
  RocksCursor(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, std::string lower,
              std::string upper, bool reverse)
      : lower_(std::move(lower)), upper_(std::move(upper)), reverse_(reverse) {
    lower_slice_ = rocksdb::Slice(lower_);
    upper_slice_ = rocksdb::Slice(upper_);
    rocksdb::ReadOptions ro;
    ro.iterate_lower_bound = &lower_slice_;
    ro.iterate_upper_bound = &upper_slice_;
    it_.reset(db->NewIterator(ro, cf));
    if (reverse_) {
      it_->SeekToLast();
    } else {
      it_->SeekToFirst();
    }
    SkipTombstones();
  }
  bool Valid() const override { return it_->Valid(); }
  void Next() override {
    Step();
    SkipTombstones();
  }
  std::string_view key() const override { return {it_->key().data(), it_->key().size()}; }
  StatusOr<Item> item() const override {
    return DecodeRecordItem(std::string_view(it_->value().data(), it_->value().size()));
  }
  size_t record_size() const override { return it_->key().size() + it_->value().size(); }
  Status status() const override { return FromRocks(it_->status()); }

 private:
  void Step() {
    if (reverse_) {
      it_->Prev();
    } else {
      it_->Next();
    }
  }
  void SkipTombstones() {
    while (it_->Valid()) {
      auto meta = DecodeRecordMeta(std::string_view(it_->value().data(), it_->value().size()));
      if (meta.ok() && !meta->tombstone) return;
      Step();
    }
  }
  std::string lower_;
  std::string upper_;
  rocksdb::Slice lower_slice_;
  rocksdb::Slice upper_slice_;
  bool reverse_;
  std::unique_ptr<rocksdb::Iterator> it_;
};

}  // namespace

uint32_t RegionId(std::string_view region) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(region.data()), region.size(), digest);
  return (uint32_t{digest[0]} << 24) | (uint32_t{digest[1]} << 16) | (uint32_t{digest[2]} << 8) |
         uint32_t{digest[3]};
}

StatusOr<std::unique_ptr<Store>> Store::Open(const Options& options) {
  std::unique_ptr<Store> store(new Store());
  store->dir_ = options.dir;
  store->region_ = options.region;
  store->region_id_ = RegionId(options.region);
  store->sync_ = options.sync;
  store->clock_ = options.clock;
  store->hlc_ = std::make_unique<HybridClock>(options.clock);

  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec) {
    return Status::IOError("cannot create data directory " + options.dir + ": " + ec.message());
  }

  rocksdb::Options db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.max_background_jobs = 2;
  db_options.bytes_per_sync = 1 << 20;
  db_options.enable_pipelined_write = false;
  db_options.keep_log_file_num = 4;
  db_options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  db_options.info_log = std::make_shared<SpdLogger>(rocksdb::InfoLogLevel::WARN_LEVEL);

  // One memory budget for reads and writes. The memtables of every column
  // family are charged to the block cache (WriteBufferManager with a cache),
  // so blocks plus memtables stay near kCacheBytes instead of a 64 MB cache
  // plus up to 96 MB of memtables on top (334 MB RSS at 1 M items, against a
  // 300 MB target). 16 shards rather than the default 64: a shard of a 64 MB
  // cache was 1 MB, smaller than the index block of a big SST, which then
  // never stayed cached (the 532 GetItem/s cliff in docs/BENCHMARKS.md).
  constexpr size_t kCacheBytes = 96 << 20;
  constexpr size_t kMemtableBytes = 48 << 20;  // flushes start before the cache is all memtable
  std::shared_ptr<rocksdb::Cache> cache = rocksdb::NewLRUCache(kCacheBytes, /*num_shard_bits=*/4);
  db_options.write_buffer_manager =
      std::make_shared<rocksdb::WriteBufferManager>(kMemtableBytes, cache);

  rocksdb::BlockBasedTableOptions table_options;
  table_options.block_cache = cache;
  // Partitioned index and filters: a lookup loads one ~4 KB index partition
  // and one filter partition instead of a whole multi-MB index and filter, so
  // no single cache entry is large and only the top level has to stay
  // resident. The top levels and L0's metadata (hit by every read) are
  // pinned; the rest competes for the cache with high priority.
  table_options.index_type = rocksdb::BlockBasedTableOptions::kTwoLevelIndexSearch;
  table_options.partition_filters = true;
  table_options.metadata_block_size = 4096;
  table_options.cache_index_and_filter_blocks = true;
  table_options.cache_index_and_filter_blocks_with_high_priority = true;
  table_options.pin_top_level_index_and_filter = true;
  table_options.pin_l0_filter_and_index_blocks_in_cache = true;
  // 4 KB data blocks: a GetItem of a ~1 KB item reads, checksums and caches
  // 4 KB. 8 KB measured ~15-25 % fewer GetItem/s over 1 M items (twice the
  // bytes per cache miss); the larger index is what partitioning is for.
  table_options.block_size = 4 << 10;
  // format_version 5: the faster, cache-local Bloom filter and smaller index
  // blocks; readable by any RocksDB since 6.6.
  table_options.format_version = 5;
  // Filters sized to their allocation, not rounded up: less cache per filter.
  table_options.optimize_filters_for_memory = true;
  // Whole-key Bloom filter, ~1 % false positives: a GetItem or the
  // read-before-write of a new key skips the SSTs that do not hold it.
  table_options.whole_key_filtering = true;
  table_options.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));

  rocksdb::ColumnFamilyOptions items_options;
  items_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table_options));
  // Three 16 MB memtables: a full one can flush while writes continue into
  // the next; the WriteBufferManager caps the total across families.
  items_options.write_buffer_size = 16 << 20;
  items_options.max_write_buffer_number = 3;
  items_options.compression = rocksdb::kLZ4Compression;

  // The change log is appended in key order and only scanned (replication,
  // the last record at open), never looked up by key: no filter, and small
  // memtables, since flushed files do not overlap and move down without
  // rewriting. Its blocks share the one cache.
  rocksdb::BlockBasedTableOptions log_table_options = table_options;
  log_table_options.filter_policy.reset();
  log_table_options.block_size = 16 << 10;
  rocksdb::ColumnFamilyOptions log_options;
  log_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(log_table_options));
  log_options.write_buffer_size = 8 << 20;
  log_options.max_write_buffer_number = 2;
  log_options.compression = rocksdb::kLZ4Compression;

  // Meta takes a stats Merge per write: a small memtable flushes (and lets
  // compaction fold the deltas) often, instead of holding up to 64 MB of
  // unmerged deltas and pinning old WAL files.
  rocksdb::ColumnFamilyOptions meta_options;
  meta_options.merge_operator = std::make_shared<StatsMergeOperator>();
  meta_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table_options));
  meta_options.write_buffer_size = 4 << 20;
  meta_options.max_write_buffer_number = 2;

  rocksdb::ColumnFamilyOptions default_options;  // unused; kept small
  default_options.write_buffer_size = 1 << 20;

  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, default_options},
      {"items", items_options},
      {"changelog", log_options},
      {"meta", meta_options},
  };
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s =
      rocksdb::DB::Open(db_options, options.dir + "/db", families, &store->handles_, &raw);
  if (!s.ok()) {
    if (s.ToString().find("lock") != std::string::npos ||
        s.ToString().find("Resource temporarily unavailable") != std::string::npos) {
      return Status::FailedPrecondition("data directory " + options.dir +
                                        " is in use by another tandem node (" + s.ToString() + ")");
    }
    return Status::IOError("cannot open the store in " + options.dir + ": " + s.ToString());
  }
  store->db_.reset(raw);
  store->items_cf_ = store->handles_[1];
  store->changelog_cf_ = store->handles_[2];
  store->meta_cf_ = store->handles_[3];

  // The last change-log record gives the next sequence number and a floor
  // for the hybrid clock, so timestamps never go back across restarts.
  std::unique_ptr<rocksdb::Iterator> it(
      store->db_->NewIterator(rocksdb::ReadOptions(), store->changelog_cf_));
  it->SeekToLast();
  if (it->Valid()) {
    store->last_seq_ = GetFixed64(std::string_view(it->key().data(), it->key().size()));
    auto rec =
        DecodeChange(store->last_seq_, std::string_view(it->value().data(), it->value().size()));
    if (rec.ok()) store->hlc_->Observe(rec->meta.hlc);
  }
  store->last_seq_ =
      std::max(store->last_seq_, store->ReadCursor(std::string(internal::kSeqFloorKey)));
  TANDEM_RETURN_IF_ERROR(store->LoadCatalog());
  if (store->sync_) {
    Store* raw_store = store.get();
    store->syncer_ = std::make_unique<WalSyncer>(
        [raw_store] { return FromRocks(raw_store->db_->SyncWAL()); },
        [raw_store](uint64_t first, size_t n) { raw_store->FinishSeqs(first, n); });
  }
  if (!store->DigestsMaintained()) TANDEM_RETURN_IF_ERROR(store->RecomputeDigests());
  if (options.maintenance_interval.count() > 0) {
    Store* raw_store = store.get();
    const auto interval = options.maintenance_interval;
    store->maintenance_ =
        std::thread([raw_store, interval] { raw_store->MaintenanceLoop(interval); });
  }
  return store;
}

Store::~Store() {
  {
    std::lock_guard<std::mutex> lock(maintenance_mu_);
    closing_ = true;
  }
  maintenance_cv_.notify_all();
  if (maintenance_.joinable()) maintenance_.join();
  syncer_.reset();  // a last sync for deferred writes, before the DB closes
  if (db_) {
    db_->FlushWAL(true);
    for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
    db_->Close();
  }
}

Status Store::LoadCatalog() {
  auto catalog = std::make_shared<std::map<std::string, std::shared_ptr<const TableMeta>>>();
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), meta_cf_));
  for (it->Seek(kTablePrefix); it->Valid() && it->key().starts_with(kTablePrefix); it->Next()) {
    TANDEM_ASSIGN_OR_RETURN(TableMeta meta, TableMeta::FromJson(std::string_view(
                                                it->value().data(), it->value().size())));
    std::string name = meta.name;
    catalog->emplace(std::move(name), std::make_shared<const TableMeta>(std::move(meta)));
  }
  std::string next;
  if (db_->Get(rocksdb::ReadOptions(), meta_cf_, kNextTableId, &next).ok()) {
    next_table_id_ = static_cast<uint32_t>(std::stoul(next));
  }
  Publish(std::move(catalog));
  return Status::OK();
}

void Store::Publish(
    std::shared_ptr<const std::map<std::string, std::shared_ptr<const TableMeta>>> catalog) {
  catalog_.store(std::move(catalog));
}

std::shared_ptr<const TableMeta> Store::FindTable(std::string_view name) const {
  auto catalog = catalog_.load();
  auto it = catalog->find(std::string(name));
  if (it == catalog->end()) return nullptr;
  return it->second;
}

std::vector<std::shared_ptr<const TableMeta>> Store::ListTables() const {
  auto catalog = catalog_.load();
  std::vector<std::shared_ptr<const TableMeta>> out;
  out.reserve(catalog->size());
  for (const auto& [name, meta] : *catalog) out.push_back(meta);
  return out;
}

StatusOr<std::shared_ptr<const TableMeta>> Store::CreateTable(TableMeta meta) {
  std::lock_guard<std::mutex> lock(catalog_mu_);
  auto current = catalog_.load();
  if (current->count(meta.name) != 0) {
    return Status::AlreadyExists("Table already exists: " + meta.name);
  }
  meta.id = next_table_id_;
  rocksdb::WriteBatch batch;
  batch.Put(meta_cf_, kTablePrefix + meta.name, meta.ToJson());
  batch.Put(meta_cf_, kNextTableId, std::to_string(next_table_id_ + 1));
  rocksdb::WriteOptions wo;
  wo.sync = sync_;
  TANDEM_RETURN_IF_ERROR(FromRocks(db_->Write(wo, &batch)));
  ++next_table_id_;
  auto next = std::make_shared<std::map<std::string, std::shared_ptr<const TableMeta>>>(*current);
  auto published = std::make_shared<const TableMeta>(std::move(meta));
  (*next)[published->name] = published;
  Publish(std::move(next));
  return published;
}

Status Store::UpdateTable(const TableMeta& meta) {
  std::lock_guard<std::mutex> lock(catalog_mu_);
  auto current = catalog_.load();
  auto it = current->find(meta.name);
  if (it == current->end() || it->second->id != meta.id) {
    return Status::NotFound("Requested resource not found");
  }
  rocksdb::WriteOptions wo;
  wo.sync = sync_;
  TANDEM_RETURN_IF_ERROR(
      FromRocks(db_->Put(wo, meta_cf_, kTablePrefix + meta.name, meta.ToJson())));
  auto next = std::make_shared<std::map<std::string, std::shared_ptr<const TableMeta>>>(*current);
  (*next)[meta.name] = std::make_shared<const TableMeta>(meta);
  Publish(std::move(next));
  return Status::OK();
}

Status Store::DeleteTable(std::string_view name) {
  std::lock_guard<std::mutex> lock(catalog_mu_);
  auto current = catalog_.load();
  auto it = current->find(std::string(name));
  if (it == current->end()) return Status::NotFound("Requested resource not found");
  const uint32_t id = it->second->id;
  rocksdb::WriteBatch batch;
  batch.Delete(meta_cf_, kTablePrefix + std::string(name));
  batch.Delete(meta_cf_, StatsKey(id));
  batch.DeleteRange(meta_cf_, internal::DigestTablePrefix(id), internal::DigestTablePrefix(id + 1));
  batch.DeleteRange(items_cf_, ItemKeyPrefix(id), ItemKeyPrefix(id + 1));
  rocksdb::WriteOptions wo;
  wo.sync = sync_;
  TANDEM_RETURN_IF_ERROR(FromRocks(db_->Write(wo, &batch)));
  auto next = std::make_shared<std::map<std::string, std::shared_ptr<const TableMeta>>>(*current);
  next->erase(std::string(name));
  Publish(std::move(next));
  return Status::OK();
}

TableStats Store::Stats(uint32_t table_id) const {
  std::string v;
  TableStats stats;
  if (db_->Get(rocksdb::ReadOptions(), meta_cf_, StatsKey(table_id), &v).ok() && v.size() == 16) {
    stats.item_count = static_cast<int64_t>(GetFixed64(std::string_view(v.data(), 8)));
    stats.size_bytes = static_cast<int64_t>(GetFixed64(std::string_view(v.data() + 8, 8)));
  }
  return stats;
}

StatusOr<std::optional<Item>> Store::GetItem(const TableMeta& table, const Item& key) const {
  return ReadCurrent(KeyOf(table, key));
}

void Store::Prepare(Staged* w, const std::optional<Item>& replaced,
                    const RangeDigest& replaced_hash) {
  if (replaced) {
    w->count_delta -= 1;
    w->bytes_delta -= static_cast<int64_t>(ItemSize(*replaced));
  }
  const Item* image = w->meta.tombstone ? nullptr : &w->mutation.item;
  if (image != nullptr) {
    w->count_delta += 1;
    w->bytes_delta += static_cast<int64_t>(ItemSize(*image));
  }
  w->old_hash = replaced_hash;
  w->record = EncodeRecord(w->meta, image);
  if (image != nullptr) {
    w->new_hash = VersionHash(std::string_view(w->item_key).substr(4), w->record);
  }
}

size_t Store::StripeOf(std::string_view item_key) const {
  return std::hash<std::string_view>()(item_key) % kLockStripes;
}

uint64_t Store::ReserveSeqs(size_t n) {
  std::lock_guard<std::mutex> lock(seq_mu_);
  const uint64_t first = last_seq_ + 1;
  for (size_t i = 0; i < n; ++i) in_flight_.insert(++last_seq_);
  return first;
}

void Store::FinishSeqs(uint64_t first, size_t n) {
  std::lock_guard<std::mutex> lock(seq_mu_);
  for (size_t i = 0; i < n; ++i) in_flight_.erase(first + i);
  commit_cv_.notify_all();
}

uint64_t Store::CommittedSeq() const {
  std::lock_guard<std::mutex> lock(seq_mu_);
  return in_flight_.empty() ? last_seq_ : *in_flight_.begin() - 1;
}

StatusOr<std::optional<Item>> Store::ReadCurrent(const std::string& item_key,
                                                 RangeDigest* live_hash) const {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), items_cf_, item_key, &value);
  if (s.IsNotFound()) return std::optional<Item>();
  TANDEM_RETURN_IF_ERROR(FromRocks(s));
  TANDEM_ASSIGN_OR_RETURN(VersionMeta meta, DecodeRecordMeta(value));
  // On the write path (live_hash given) the new version must be newer than
  // the one it replaces, even one that arrived from a region whose clock is
  // ahead and was stored before a restart.
  if (live_hash != nullptr) hlc_->Observe(meta.hlc);
  if (meta.tombstone) return std::optional<Item>();
  TANDEM_ASSIGN_OR_RETURN(Item item, DecodeRecordItem(value));
  if (live_hash != nullptr) *live_hash = VersionHash(std::string_view(item_key).substr(4), value);
  return std::optional<Item>(std::move(item));
}

Status Store::Decide(const TableMeta& table, const Item& key, std::string item_key,
                     const std::optional<Item>& current, const RangeDigest& current_hash,
                     const Decider& decide, std::vector<Staged>* staged) {
  TANDEM_ASSIGN_OR_RETURN(Mutation mutation, decide(current));
  if (mutation.kind == Mutation::Kind::kNone) return Status::OK();
  if (mutation.kind == Mutation::Kind::kDelete && !current) {
    return Status::OK();  // deleting nothing writes nothing
  }
  Staged w{&table, &key, std::move(item_key), {}, std::move(mutation)};
  w.meta.hlc = hlc_->Now();
  w.meta.origin = region_id_;
  w.meta.tombstone = w.mutation.kind == Mutation::Kind::kDelete;
  Prepare(&w, current, current_hash);
  staged->push_back(std::move(w));
  return Status::OK();
}

Status Store::Commit(std::vector<Staged>* staged,
                     const std::vector<std::pair<std::string, std::string>>& meta_puts) {
  if (staged->empty() && meta_puts.empty()) return Status::OK();
  // Sequence numbers are taken only now, after every decider has run, so a
  // refused write leaves no hole in the log; CommittedSeq() stays below them
  // until the batch is durable.
  const uint64_t first = ReserveSeqs(staged->size());
  rocksdb::WriteBatch batch;
  std::map<uint32_t, std::pair<int64_t, int64_t>> stats;         // table id -> (count, bytes)
  std::map<std::pair<uint32_t, uint32_t>, RangeDigest> digests;  // (table id, range) -> delta
  uint64_t seq = first;
  for (const Staged& w : *staged) {
    const Item* image = w.meta.tombstone ? nullptr : &w.mutation.item;
    batch.Put(items_cf_, w.item_key, w.record);
    if (w.new_hash != w.old_hash) {
      RangeDigest& d = digests[{w.table->id, DigestRangeOf(w.item_key)}];
      d += w.new_hash;
      d -= w.old_hash;
    }
    // A tombstone is indexed by its sequence, for collection once every
    // peer has it (store_gc.cc).
    if (w.meta.tombstone) {
      batch.Put(meta_cf_, internal::TombstoneKey(seq),
                internal::TombstoneValue(w.meta, w.table->id, w.item_key));
    }
    batch.Put(changelog_cf_, SeqKey(seq++), EncodeChange(w.table->name, *w.key, w.meta, image));
    auto& [count, bytes] = stats[w.table->id];
    count += w.count_delta;
    bytes += w.bytes_delta;
  }
  for (const auto& [id, delta] : stats) {
    batch.Merge(meta_cf_, StatsKey(id), StatsDelta(delta.first, delta.second));
  }
  for (const auto& [where, delta] : digests) {
    if (!delta.empty()) {
      batch.Merge(meta_cf_, internal::DigestKey(where.first, where.second),
                  internal::DigestValue(delta));
    }
  }
  for (const auto& [key, value] : meta_puts) batch.Put(meta_cf_, key, value);
  DeferSync* defer = CurrentDefer();
  rocksdb::WriteOptions wo;
  wo.sync = sync_ && defer == nullptr;
  Status st = FromRocks(db_->Write(wo, &batch));
  if (st.ok() && defer != nullptr && syncer_ != nullptr) {
    // Durable, and released to the change log's readers, after the syncer's
    // next round; the caller acknowledges from AfterSync().
    defer->pending_ = true;
    syncer_->Wrote(first, staged->size());
    return st;
  }
  FinishSeqs(first, staged->size());
  return st;
}

namespace {
thread_local Store::DeferSync* tls_defer = nullptr;
}  // namespace

Store::DeferSync::DeferSync(Store* store) : store_(store), outer_(tls_defer) { tls_defer = this; }

Store::DeferSync::~DeferSync() {
  tls_defer = outer_;
  if (outer_ != nullptr && pending_) outer_->pending_ = true;
}

Store::DeferSync* Store::CurrentDefer() const {
  for (DeferSync* d = tls_defer; d != nullptr; d = d->outer_) {
    if (d->store_ == this) return d;
  }
  return nullptr;
}

bool Store::DeferPending() const {
  const DeferSync* defer = CurrentDefer();
  return defer != nullptr && defer->pending_;
}

void Store::AfterSync(std::function<void(Status)> done) {
  if (syncer_ == nullptr) {
    done(Status::OK());
    return;
  }
  syncer_->Then(std::move(done));
}

Status Store::Mutate(const TableMeta& table, const Item& key, const Decider& decide) {
  std::string item_key = KeyOf(table, key);
  std::lock_guard<std::mutex> lock(item_locks_[StripeOf(item_key)]);
  RangeDigest current_hash;
  TANDEM_ASSIGN_OR_RETURN(std::optional<Item> current, ReadCurrent(item_key, &current_hash));
  std::vector<Staged> staged;
  TANDEM_RETURN_IF_ERROR(
      Decide(table, key, std::move(item_key), current, current_hash, decide, &staged));
  return Commit(&staged);
}

StatusOr<std::vector<Status>> Store::MutateMany(const std::vector<Write>& writes) {
  std::vector<std::string> item_keys;
  std::vector<size_t> stripes;
  item_keys.reserve(writes.size());
  stripes.reserve(writes.size());
  for (const Write& w : writes) {
    item_keys.push_back(KeyOf(*w.table, *w.key));
    stripes.push_back(StripeOf(item_keys.back()));
  }
  // Ascending, each stripe once (two keys may share one): the global order
  // that keeps concurrent MutateMany calls from deadlocking.
  std::sort(stripes.begin(), stripes.end());
  stripes.erase(std::unique(stripes.begin(), stripes.end()), stripes.end());
  std::vector<std::unique_lock<std::mutex>> locks;
  locks.reserve(stripes.size());
  for (size_t stripe : stripes) locks.emplace_back(item_locks_[stripe]);

  std::vector<Status> results(writes.size());
  std::vector<Staged> staged;
  staged.reserve(writes.size());
  // The latest write of each key staged so far in this call (index into
  // `staged`): a later write of the same key decides on that state.
  std::map<std::string_view, size_t> written;
  for (size_t i = 0; i < writes.size(); ++i) {
    std::optional<Item> current;
    RangeDigest current_hash;
    auto prior = written.find(item_keys[i]);
    if (prior != written.end()) {
      const Staged& p = staged[prior->second];
      if (!p.meta.tombstone) current = p.mutation.item;
      current_hash = p.new_hash;
    } else {
      TANDEM_ASSIGN_OR_RETURN(current, ReadCurrent(item_keys[i], &current_hash));
    }
    const size_t before = staged.size();
    results[i] = Decide(*writes[i].table, *writes[i].key, item_keys[i], current, current_hash,
                        writes[i].decide, &staged);
    if (staged.size() > before) written[item_keys[i]] = before;
  }
  TANDEM_RETURN_IF_ERROR(Commit(&staged));
  return results;
}

std::unique_ptr<Store::Cursor> Store::NewCursor(std::string lower, std::string upper,
                                                bool reverse) const {
  return std::make_unique<RocksCursor>(db_.get(), items_cf_, std::move(lower), std::move(upper),
                                       reverse);
}

StatusOr<std::vector<ChangeRecord>> Store::ReadChanges(uint64_t after, size_t limit) const {
  const uint64_t committed = CommittedSeq();
  std::vector<ChangeRecord> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), changelog_cf_));
  for (it->Seek(SeqKey(after + 1)); it->Valid() && out.size() < limit; it->Next()) {
    const uint64_t seq = GetFixed64(std::string_view(it->key().data(), it->key().size()));
    if (seq > committed) break;
    TANDEM_ASSIGN_OR_RETURN(
        ChangeRecord rec,
        DecodeChange(seq, std::string_view(it->value().data(), it->value().size())));
    out.push_back(std::move(rec));
  }
  TANDEM_RETURN_IF_ERROR(FromRocks(it->status()));
  return out;
}

Status Store::Canary() {
  unsigned char nonce[8];
  RAND_bytes(nonce, sizeof(nonce));
  const std::string expected(reinterpret_cast<char*>(nonce), sizeof(nonce));
  rocksdb::WriteOptions wo;
  wo.sync = sync_;
  TANDEM_RETURN_IF_ERROR(FromRocks(db_->Put(wo, meta_cf_, kCanaryKey, expected)));
  std::string got;
  TANDEM_RETURN_IF_ERROR(FromRocks(db_->Get(rocksdb::ReadOptions(), meta_cf_, kCanaryKey, &got)));
  if (got != expected) return Status::Internal("canary read back a different value");
  return Status::OK();
}

uint64_t Store::DiskBytes() const {
  uint64_t total = 0;
  for (auto* cf : {items_cf_, changelog_cf_, meta_cf_}) {
    uint64_t v = 0;
    if (db_->GetIntProperty(cf, rocksdb::DB::Properties::kTotalSstFilesSize, &v)) total += v;
    if (db_->GetIntProperty(cf, rocksdb::DB::Properties::kCurSizeAllMemTables, &v)) total += v;
  }
  return total;
}

}  // namespace tandem::storage
