// Store: the change log's other half, replication. Waiting for commits,
// re-logging stored versions, cursors, and applying what peers ship by
// last-writer-wins. See store.h.
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <map>

#include "storage/key_codec.h"
#include "storage/store.h"
#include "storage/store_format.h"
#include "types/item_size.h"

namespace tandem::storage {
namespace internal {

// Change-log value: table name, key item, version record (meta + image). The
// top bit of the table name's length marks a record re-sent by anti-entropy
// (ChangeRecord::resend).
constexpr uint64_t kResendBit = uint64_t{1} << 63;

std::string EncodeChange(std::string_view table, const Item& key, const VersionMeta& meta,
                         const Item* image, bool resend) {
  std::string out;
  std::string key_bytes = EncodeItem(key);
  PutFixed64(&out, table.size() | (resend ? kResendBit : 0));
  out.append(table);
  PutFixed64(&out, key_bytes.size());
  out.append(key_bytes);
  out.append(EncodeRecord(meta, image));
  return out;
}

StatusOr<ChangeRecord> DecodeChange(uint64_t seq, std::string_view in) {
  ChangeRecord rec;
  rec.seq = seq;
  auto take = [&in, &rec](std::string_view* out) {
    if (in.size() < 8) return false;
    uint64_t n = GetFixed64(in);
    if (n & kResendBit) {
      rec.resend = true;
      n &= ~kResendBit;
    }
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

}  // namespace internal
namespace {

using internal::EncodeChange;
using internal::FromRocks;
using internal::GetFixed64;
using internal::KeyOf;
using internal::kSeqFloorKey;
using internal::PutFixed64;
using internal::SeqKey;

constexpr char kReceiveCursorPrefix[] = "cursor/in/";
constexpr char kShipCursorPrefix[] = "cursor/out/";

std::string EncodeU64(uint64_t v) {
  std::string out;
  PutFixed64(&out, v);
  return out;
}

}  // namespace

bool Store::WaitForCommit(uint64_t after, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(seq_mu_);
  auto committed = [&] { return in_flight_.empty() ? last_seq_ : *in_flight_.begin() - 1; };
  if (committed() > after) return true;
  commit_cv_.wait_for(lock, timeout);
  return committed() > after;
}

void Store::NotifyWaiters() const { commit_cv_.notify_all(); }

uint64_t Store::ReadCursor(const std::string& key) const {
  std::string v;
  if (db_->Get(rocksdb::ReadOptions(), meta_cf_, key, &v).ok() && v.size() == 8) {
    return GetFixed64(v);
  }
  return 0;
}

StatusOr<uint64_t> Store::LogVersions(
    const TableMeta& table, const std::vector<std::pair<std::string, std::string>>& versions,
    bool resend) {
  if (versions.empty()) return CommittedSeq();
  const std::optional<ValueType> range_type =
      table.range_key ? std::optional<ValueType>(table.range_key->type) : std::nullopt;
  std::vector<std::string> changes;
  changes.reserve(versions.size());
  for (const auto& [item_key, record] : versions) {
    TANDEM_ASSIGN_OR_RETURN(VersionMeta meta, DecodeRecordMeta(record));
    TANDEM_ASSIGN_OR_RETURN(DecodedKey key,
                            DecodeItemKey(item_key, table.hash_key.type, range_type));
    std::optional<Item> image;
    if (!meta.tombstone) {
      TANDEM_ASSIGN_OR_RETURN(Item item, DecodeRecordItem(record));
      image = std::move(item);
    }
    Item key_item{{table.hash_key.name, key.hash_key}};
    if (table.range_key) key_item[table.range_key->name] = *key.range_key;
    changes.push_back(EncodeChange(table.name, key_item, meta, image ? &*image : nullptr, resend));
  }
  const uint64_t first = ReserveSeqs(changes.size());
  rocksdb::WriteBatch batch;
  for (size_t i = 0; i < changes.size(); ++i) {
    batch.Put(changelog_cf_, SeqKey(first + i), changes[i]);
  }
  rocksdb::WriteOptions wo;
  wo.sync = sync_;
  Status st = FromRocks(db_->Write(wo, &batch));
  FinishSeqs(first, changes.size());
  TANDEM_RETURN_IF_ERROR(st);
  return first + changes.size() - 1;
}

Status Store::AdvanceSequence(uint64_t seq) {
  std::lock_guard<std::mutex> lock(seq_mu_);
  if (last_seq_ >= seq) return Status::OK();
  rocksdb::WriteOptions wo;
  wo.sync = sync_;
  TANDEM_RETURN_IF_ERROR(FromRocks(db_->Put(wo, meta_cf_, kSeqFloorKey, EncodeU64(seq))));
  last_seq_ = seq;
  commit_cv_.notify_all();
  return Status::OK();
}

uint64_t Store::ReceiveCursor(std::string_view source) const {
  return ReadCursor(kReceiveCursorPrefix + std::string(source));
}

uint64_t Store::ShipCursor(std::string_view peer) const {
  return ReadCursor(kShipCursorPrefix + std::string(peer));
}

Status Store::SetShipCursor(std::string_view peer, uint64_t seq) {
  return FromRocks(db_->Put(rocksdb::WriteOptions(), meta_cf_,
                            kShipCursorPrefix + std::string(peer), EncodeU64(seq)));
}

StatusOr<std::optional<std::pair<VersionMeta, std::optional<Item>>>> Store::ReadVersion(
    const std::string& item_key, RangeDigest* live_hash) const {
  using Result = std::optional<std::pair<VersionMeta, std::optional<Item>>>;
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), items_cf_, item_key, &value);
  if (s.IsNotFound()) return Result();
  TANDEM_RETURN_IF_ERROR(FromRocks(s));
  TANDEM_ASSIGN_OR_RETURN(VersionMeta meta, DecodeRecordMeta(value));
  std::optional<Item> item;
  if (!meta.tombstone) {
    TANDEM_ASSIGN_OR_RETURN(Item decoded, DecodeRecordItem(value));
    item = std::move(decoded);
    if (live_hash != nullptr) {
      *live_hash = VersionHash(std::string_view(item_key).substr(4), value);
    }
  }
  return Result(std::make_pair(meta, std::move(item)));
}

namespace {

// A replicated record must fit this replica's schema: exactly the key
// attributes with the key types, and an image (when not a delete) holding the
// same key. Anything else would store an item its own key cannot reach.
Status CheckReplicatedKey(const TableMeta& table, const ChangeRecord& r) {
  const Status bad =
      Status::InvalidArgument("a record for " + r.table + " does not match its key schema here");
  auto matches = [&](const KeyElement& k) {
    auto it = r.key.find(k.name);
    return it != r.key.end() && it->second.type == k.type;
  };
  if (!matches(table.hash_key) || (table.range_key && !matches(*table.range_key)) ||
      r.key.size() != (table.range_key ? 2u : 1u)) {
    return bad;
  }
  if (r.image) {
    for (const auto& [name, value] : r.key) {
      auto it = r.image->find(name);
      if (it == r.image->end() || !(it->second == value)) return bad;
    }
  }
  return Status::OK();
}

}  // namespace

StatusOr<Store::ApplyStats> Store::ApplyReplicated(std::string_view source, uint64_t last_seq,
                                                   const std::vector<ChangeRecord>& records) {
  ApplyStats stats;
  const std::string cursor_key = kReceiveCursorPrefix + std::string(source);
  // Resolve tables and keys first. A record whose table is missing here (its
  // replica was deleted in this region) is skipped and counted: refusing it
  // would stall everything else the source ships. Tables are created here
  // before a source is told to replicate them, so no record arrives early.
  std::vector<std::shared_ptr<const TableMeta>> tables;
  std::vector<std::string> item_keys;
  for (const auto& r : records) {
    auto table = FindTable(r.table);
    if (!table) {
      tables.push_back(nullptr);
      item_keys.emplace_back();
      continue;
    }
    TANDEM_RETURN_IF_ERROR(CheckReplicatedKey(*table, r));
    item_keys.push_back(KeyOf(*table, r.key));
    tables.push_back(std::move(table));
  }
  std::vector<size_t> stripes;
  for (size_t i = 0; i < item_keys.size(); ++i) {
    if (tables[i]) stripes.push_back(StripeOf(item_keys[i]));
  }
  std::sort(stripes.begin(), stripes.end());
  stripes.erase(std::unique(stripes.begin(), stripes.end()), stripes.end());
  std::vector<std::unique_lock<std::mutex>> locks;
  for (size_t s : stripes) locks.emplace_back(item_locks_[s]);
  // One receiver per source at a time: the cursor check and advance below
  // must not interleave with another batch from the same source.
  std::lock_guard<std::mutex> cursor_lock(apply_mu_);
  const uint64_t cursor = ReadCursor(cursor_key);

  std::vector<Staged> staged;
  staged.reserve(records.size());
  // The newest version staged so far per key, for repeated keys in a batch.
  std::map<std::string, size_t> latest;
  for (size_t i = 0; i < records.size(); ++i) {
    const ChangeRecord& r = records[i];
    if (r.seq <= cursor) {
      ++stats.duplicate;
      continue;
    }
    if (!tables[i]) {
      ++stats.no_table;
      continue;
    }
    hlc_->Observe(r.meta.hlc);
    std::optional<VersionMeta> current_meta;
    std::optional<Item> current_item;
    RangeDigest current_hash;
    if (auto it = latest.find(item_keys[i]); it != latest.end()) {
      const Staged& prev = staged[it->second];
      current_meta = prev.meta;
      if (!prev.meta.tombstone) current_item = prev.mutation.item;
      current_hash = prev.new_hash;
    } else {
      TANDEM_ASSIGN_OR_RETURN(auto stored, ReadVersion(item_keys[i], &current_hash));
      if (stored) {
        current_meta = stored->first;
        current_item = std::move(stored->second);
      }
    }
    if (current_meta && !NewerVersion(r.meta, *current_meta)) {
      ++stats.discarded;
      continue;
    }
    Staged w{tables[i].get(), &r.key, item_keys[i], r.meta, {}};
    w.mutation.kind = r.meta.tombstone ? Mutation::Kind::kDelete : Mutation::Kind::kPut;
    if (!r.meta.tombstone) w.mutation.item = r.image.value_or(Item{});
    Prepare(&w, current_item, current_hash);
    latest[item_keys[i]] = staged.size();
    staged.push_back(std::move(w));
    ++stats.applied;
  }
  std::vector<std::pair<std::string, std::string>> meta_puts;
  if (last_seq > cursor) meta_puts.emplace_back(cursor_key, EncodeU64(last_seq));
  TANDEM_RETURN_IF_ERROR(Commit(&staged, meta_puts));
  return stats;
}

}  // namespace tandem::storage
