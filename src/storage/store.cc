#include "storage/store.h"

#include <openssl/rand.h>
#include <openssl/sha.h>
#include <rocksdb/db.h>
#include <rocksdb/merge_operator.h>
#include <rocksdb/table.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/utilities/options_util.h>
#include <rocksdb/write_batch.h>

#include <cstring>
#include <filesystem>

#include "storage/key_codec.h"
#include "types/item_size.h"

namespace tandem::storage {
namespace {

constexpr char kTablePrefix[] = "table/";
constexpr char kStatsPrefix[] = "stats/";
constexpr char kNextTableId[] = "next_table_id";
constexpr char kCanaryKey[] = "health/canary";

void PutFixed64(std::string* out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>((v >> (i * 8)) & 0xff));
}

uint64_t GetFixed64(std::string_view in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(in[i]);
  return v;
}

std::string SeqKey(uint64_t seq) {
  std::string k;
  PutFixed64(&k, seq);
  return k;
}

std::string StatsKey(uint32_t id) { return kStatsPrefix + std::to_string(id); }

std::string StatsDelta(int64_t count, int64_t bytes) {
  std::string v;
  PutFixed64(&v, static_cast<uint64_t>(count));
  PutFixed64(&v, static_cast<uint64_t>(bytes));
  return v;
}

// Adds (count, bytes) pairs: the table statistics are merged deltas, so each
// write updates them in its own batch without a read.
class StatsMergeOperator : public rocksdb::AssociativeMergeOperator {
 public:
  bool Merge(const rocksdb::Slice& key, const rocksdb::Slice* existing,
             const rocksdb::Slice& value, std::string* new_value,
             rocksdb::Logger* logger) const override {
    int64_t count = 0;
    int64_t bytes = 0;
    if (existing != nullptr && existing->size() == 16) {
      count = static_cast<int64_t>(GetFixed64(std::string_view(existing->data(), 8)));
      bytes = static_cast<int64_t>(GetFixed64(std::string_view(existing->data() + 8, 8)));
    }
    if (value.size() == 16) {
      count += static_cast<int64_t>(GetFixed64(std::string_view(value.data(), 8)));
      bytes += static_cast<int64_t>(GetFixed64(std::string_view(value.data() + 8, 8)));
    }
    *new_value = StatsDelta(count, bytes);
    return true;
  }
  const char* Name() const override { return "tandem.StatsAdd"; }
};

Status FromRocks(const rocksdb::Status& s) {
  if (s.ok()) return Status::OK();
  if (s.IsNotFound()) return Status::NotFound(s.ToString());
  return Status::IOError(s.ToString());
}

// Change-log value: table name, key item, version record (meta + image).
std::string EncodeChange(std::string_view table, const Item& key, const VersionMeta& meta,
                         const Item* image) {
  std::string out;
  std::string key_bytes = EncodeItem(key);
  PutFixed64(&out, table.size());
  out.append(table);
  PutFixed64(&out, key_bytes.size());
  out.append(key_bytes);
  out.append(EncodeRecord(meta, image));
  return out;
}

StatusOr<ChangeRecord> DecodeChange(uint64_t seq, std::string_view in) {
  ChangeRecord rec;
  rec.seq = seq;
  auto take = [&in](std::string_view* out) {
    if (in.size() < 8) return false;
    uint64_t n = GetFixed64(in);
    in.remove_prefix(8);
    if (in.size() < n) return false;
    *out = in.substr(0, n);
    in.remove_prefix(n);
    return true;
  };
  std::string_view table;
  std::string_view key;
  if (!take(&table) || !take(&key)) return Status::Internal("corrupt change-log record");
  rec.table = std::string(table);
  TANDEM_ASSIGN_OR_RETURN(rec.key, DecodeItem(key));
  TANDEM_ASSIGN_OR_RETURN(rec.meta, DecodeRecordMeta(in));
  if (!rec.meta.tombstone) {
    TANDEM_ASSIGN_OR_RETURN(Item image, DecodeRecordItem(in));
    rec.image = std::move(image);
  }
  return rec;
}

// The item key of `key` in `table`; the key attributes were validated by the
// caller against the schema.
std::string KeyOf(const TableMeta& table, const Item& key) {
  const Value& hash = key.at(table.hash_key.name);
  const Value* range = nullptr;
  if (table.range_key) range = &key.at(table.range_key->name);
  return ItemKey(table.id, hash, range);
}

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

  rocksdb::BlockBasedTableOptions table_options;
  table_options.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table_options.block_cache = rocksdb::NewLRUCache(64 << 20);
  table_options.cache_index_and_filter_blocks = true;
  rocksdb::ColumnFamilyOptions items_options;
  items_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table_options));
  items_options.write_buffer_size = 32 << 20;
  items_options.compression = rocksdb::kLZ4Compression;
  rocksdb::ColumnFamilyOptions log_options;
  log_options.write_buffer_size = 16 << 20;
  log_options.compression = rocksdb::kLZ4Compression;
  rocksdb::ColumnFamilyOptions meta_options;
  meta_options.merge_operator = std::make_shared<StatsMergeOperator>();

  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions()},
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
                                        " is in use by another tandem node (" + s.ToString() +
                                        ")");
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
    auto rec = DecodeChange(store->last_seq_,
                            std::string_view(it->value().data(), it->value().size()));
    if (rec.ok()) store->hlc_->Observe(rec->meta.hlc);
  }
  TANDEM_RETURN_IF_ERROR(store->LoadCatalog());
  return store;
}

Store::~Store() {
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
  TANDEM_RETURN_IF_ERROR(FromRocks(db_->Put(wo, meta_cf_, kTablePrefix + meta.name, meta.ToJson())));
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
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), items_cf_, KeyOf(table, key), &value);
  if (s.IsNotFound()) return std::optional<Item>();
  TANDEM_RETURN_IF_ERROR(FromRocks(s));
  TANDEM_ASSIGN_OR_RETURN(VersionMeta meta, DecodeRecordMeta(value));
  if (meta.tombstone) return std::optional<Item>();
  TANDEM_ASSIGN_OR_RETURN(Item item, DecodeRecordItem(value));
  return std::optional<Item>(std::move(item));
}

std::mutex& Store::LockFor(std::string_view item_key) const {
  return item_locks_[std::hash<std::string_view>()(item_key) % kLockStripes];
}

uint64_t Store::ReserveSeq() {
  std::lock_guard<std::mutex> lock(seq_mu_);
  const uint64_t seq = ++last_seq_;
  in_flight_.insert(seq);
  return seq;
}

void Store::FinishSeq(uint64_t seq) {
  std::lock_guard<std::mutex> lock(seq_mu_);
  in_flight_.erase(seq);
}

uint64_t Store::CommittedSeq() const {
  std::lock_guard<std::mutex> lock(seq_mu_);
  return in_flight_.empty() ? last_seq_ : *in_flight_.begin() - 1;
}

Status Store::Mutate(const TableMeta& table, const Item& key, const Decider& decide) {
  const std::string item_key = KeyOf(table, key);
  std::lock_guard<std::mutex> lock(LockFor(item_key));

  std::string old_value;
  std::optional<Item> current;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), items_cf_, item_key, &old_value);
  if (!s.ok() && !s.IsNotFound()) return FromRocks(s);
  if (s.ok()) {
    TANDEM_ASSIGN_OR_RETURN(VersionMeta old_meta, DecodeRecordMeta(old_value));
    if (!old_meta.tombstone) {
      TANDEM_ASSIGN_OR_RETURN(Item old_item, DecodeRecordItem(old_value));
      current = std::move(old_item);
    }
  }
  TANDEM_ASSIGN_OR_RETURN(Mutation mutation, decide(current));
  if (mutation.kind == Mutation::Kind::kNone) return Status::OK();
  if (mutation.kind == Mutation::Kind::kDelete && !current) {
    return Status::OK();  // deleting nothing writes nothing
  }

  VersionMeta meta;
  meta.hlc = hlc_->Now();
  meta.origin = region_id_;
  meta.tombstone = mutation.kind == Mutation::Kind::kDelete;
  const Item* image = meta.tombstone ? nullptr : &mutation.item;

  int64_t count_delta = 0;
  int64_t bytes_delta = 0;
  if (current) {
    count_delta -= 1;
    bytes_delta -= static_cast<int64_t>(ItemSize(*current));
  }
  if (image != nullptr) {
    count_delta += 1;
    bytes_delta += static_cast<int64_t>(ItemSize(*image));
  }

  const uint64_t seq = ReserveSeq();
  rocksdb::WriteBatch batch;
  batch.Put(items_cf_, item_key, EncodeRecord(meta, image));
  batch.Put(changelog_cf_, SeqKey(seq), EncodeChange(table.name, key, meta, image));
  batch.Merge(meta_cf_, StatsKey(table.id), StatsDelta(count_delta, bytes_delta));
  rocksdb::WriteOptions wo;
  wo.sync = sync_;
  Status st = FromRocks(db_->Write(wo, &batch));
  FinishSeq(seq);
  return st;
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
    TANDEM_ASSIGN_OR_RETURN(ChangeRecord rec,
                            DecodeChange(seq, std::string_view(it->value().data(),
                                                               it->value().size())));
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
