// Store: range digests (digest.h) and re-announcing stored versions, the
// pieces of replica comparison and repair.
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <map>

#include "storage/key_codec.h"
#include "storage/store.h"
#include "storage/store_format.h"

namespace tandem::storage {
namespace {

using internal::FromRocks;

// Set once every table's digests are maintained (RebuildDigests).
constexpr char kDigestFormatKey[] = "digest_format";

// Iterates the item keys in [lower, upper).
std::unique_ptr<rocksdb::Iterator> RangeIterator(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
                                                 const std::string& lower, const std::string& upper,
                                                 rocksdb::Slice* lower_slice,
                                                 rocksdb::Slice* upper_slice) {
  *lower_slice = rocksdb::Slice(lower);
  *upper_slice = rocksdb::Slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_lower_bound = lower_slice;
  ro.iterate_upper_bound = upper_slice;
  return std::unique_ptr<rocksdb::Iterator>(db->NewIterator(ro, cf));
}

std::string_view View(const rocksdb::Slice& s) { return std::string_view(s.data(), s.size()); }

}  // namespace

StatusOr<uint64_t> Store::AnnounceTable(std::string_view name) {
  auto table = FindTable(name);
  if (!table) return Status::NotFound("table " + std::string(name) + " does not exist");
  constexpr size_t kChunk = 1000;
  const std::string lower = ItemKeyPrefix(table->id);
  const std::string upper = ItemKeyPrefix(table->id + 1);
  rocksdb::Slice lower_slice;
  rocksdb::Slice upper_slice;
  auto it = RangeIterator(db_.get(), items_cf_, lower, upper, &lower_slice, &upper_slice);
  uint64_t last = CommittedSeq();
  it->SeekToFirst();
  while (it->Valid()) {
    std::vector<std::pair<std::string, std::string>> versions;
    for (; it->Valid() && versions.size() < kChunk; it->Next()) {
      versions.emplace_back(it->key().ToString(), it->value().ToString());
    }
    TANDEM_RETURN_IF_ERROR(FromRocks(it->status()));
    TANDEM_ASSIGN_OR_RETURN(last, LogVersions(*table, versions));
  }
  TANDEM_RETURN_IF_ERROR(FromRocks(it->status()));
  return last;
}

StatusOr<size_t> Store::AnnounceKeys(const TableMeta& table,
                                     const std::vector<std::string>& suffixes) {
  std::vector<std::pair<std::string, std::string>> versions;
  for (const auto& suffix : suffixes) {
    std::string item_key = ItemKeyPrefix(table.id) + suffix;
    std::string value;
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), items_cf_, item_key, &value);
    if (s.IsNotFound()) continue;
    TANDEM_RETURN_IF_ERROR(FromRocks(s));
    versions.emplace_back(std::move(item_key), std::move(value));
  }
  TANDEM_RETURN_IF_ERROR(LogVersions(table, versions, /*resend=*/true).status());
  return versions.size();
}

StatusOr<std::vector<RangeDigest>> Store::TableDigests(const TableMeta& table) const {
  std::vector<RangeDigest> out(kDigestRanges);
  const std::string lower = internal::DigestTablePrefix(table.id);
  const std::string upper = internal::DigestTablePrefix(table.id + 1);
  rocksdb::Slice lower_slice;
  rocksdb::Slice upper_slice;
  auto it = RangeIterator(db_.get(), meta_cf_, lower, upper, &lower_slice, &upper_slice);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string_view key = View(it->key());
    const std::string_view value = View(it->value());
    if (key.size() != lower.size() + 4 || value.size() != 16) {
      return Status::Internal("malformed range digest record");
    }
    uint32_t range = 0;
    for (char c : key.substr(lower.size())) range = (range << 8) | static_cast<uint8_t>(c);
    if (range >= kDigestRanges) return Status::Internal("range digest out of bounds");
    out[range] = RangeDigest{internal::GetFixed64(value), internal::GetFixed64(value.substr(8))};
  }
  TANDEM_RETURN_IF_ERROR(FromRocks(it->status()));
  return out;
}

StatusOr<std::vector<Store::RangeEntry>> Store::RangeVersions(const TableMeta& table,
                                                              uint32_t range,
                                                              std::string_view after,
                                                              size_t limit) const {
  if (range >= kDigestRanges) return Status::InvalidArgument("no such key range");
  const std::string prefix = ItemKeyPrefix(table.id);
  const std::string lower = DigestRangeLower(table.id, range);
  const std::string upper = DigestRangeUpper(table.id, range);
  rocksdb::Slice lower_slice;
  rocksdb::Slice upper_slice;
  auto it = RangeIterator(db_.get(), items_cf_, lower, upper, &lower_slice, &upper_slice);
  if (after.empty()) {
    it->SeekToFirst();
  } else {
    const std::string start = prefix + std::string(after);
    it->Seek(start);
    if (it->Valid() && View(it->key()) == start) it->Next();
  }
  std::vector<RangeEntry> out;
  for (; it->Valid() && out.size() < limit; it->Next()) {
    RangeEntry e;
    e.key_suffix = std::string(View(it->key()).substr(prefix.size()));
    TANDEM_ASSIGN_OR_RETURN(e.meta, DecodeRecordMeta(View(it->value())));
    if (!e.meta.tombstone) e.hash = VersionHash(e.key_suffix, View(it->value()));
    out.push_back(std::move(e));
  }
  TANDEM_RETURN_IF_ERROR(FromRocks(it->status()));
  return out;
}

StatusOr<Item> KeyFromSuffix(const KeyElement& hash_key, const std::optional<KeyElement>& range_key,
                             std::string_view suffix) {
  const std::optional<ValueType> range_type =
      range_key ? std::optional<ValueType>(range_key->type) : std::nullopt;
  auto key = DecodeItemKey(ItemKeyPrefix(0) + std::string(suffix), hash_key.type, range_type);
  if (!key.ok() || (range_key && !key->range_key)) {
    return Status::InvalidArgument("not a key under this key schema");
  }
  Item item{{hash_key.name, key->hash_key}};
  if (range_key) item[range_key->name] = *key->range_key;
  return item;
}

bool Store::DigestsMaintained() const {
  std::string marker;
  return db_->Get(rocksdb::ReadOptions(), meta_cf_, kDigestFormatKey, &marker).ok();
}

Status Store::RecomputeDigests() {
  rocksdb::WriteBatch batch;
  for (const auto& table : ListTables()) {
    std::map<uint32_t, RangeDigest> sums;
    const std::string lower = ItemKeyPrefix(table->id);
    const std::string upper = ItemKeyPrefix(table->id + 1);
    rocksdb::Slice lower_slice;
    rocksdb::Slice upper_slice;
    auto it = RangeIterator(db_.get(), items_cf_, lower, upper, &lower_slice, &upper_slice);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const std::string_view key = View(it->key());
      TANDEM_ASSIGN_OR_RETURN(VersionMeta meta, DecodeRecordMeta(View(it->value())));
      if (meta.tombstone || key.size() < kItemKeyHeaderSize) continue;
      sums[DigestRangeOf(key)] += VersionHash(key.substr(lower.size()), View(it->value()));
    }
    TANDEM_RETURN_IF_ERROR(FromRocks(it->status()));
    batch.DeleteRange(meta_cf_, internal::DigestTablePrefix(table->id),
                      internal::DigestTablePrefix(table->id + 1));
    for (const auto& [range, sum] : sums) {
      batch.Put(meta_cf_, internal::DigestKey(table->id, range), internal::DigestValue(sum));
    }
  }
  batch.Put(meta_cf_, kDigestFormatKey, "1");
  rocksdb::WriteOptions wo;
  wo.sync = sync_;
  return FromRocks(db_->Write(wo, &batch));
}

}  // namespace tandem::storage
