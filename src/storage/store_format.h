// Byte layouts shared by the Store's source files (store.cc, store_gc.cc).
// Internal to the storage layer: nothing outside src/storage includes it.
#pragma once

#include <rocksdb/status.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "storage/digest.h"
#include "storage/item_codec.h"
#include "storage/store.h"
#include "storage/table_meta.h"

namespace tandem::storage::internal {

inline void PutFixed64(std::string* out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>((v >> (i * 8)) & 0xff));
}

// Precondition: in.size() >= 8.
inline uint64_t GetFixed64(std::string_view in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(in[i]);
  return v;
}

// Change-log key: the big-endian sequence number, so byte order is log order.
inline std::string SeqKey(uint64_t seq) {
  std::string k;
  PutFixed64(&k, seq);
  return k;
}

inline Status FromRocks(const rocksdb::Status& s) {
  if (s.ok()) return Status::OK();
  if (s.IsNotFound()) return Status::NotFound(s.ToString());
  return Status::IOError(s.ToString());
}

// The tombstone index (meta column family): one entry per tombstone written,
// keyed by the change-log sequence that wrote it, oldest first:
//   "tomb/" + u64 seq -> u64 hlc, u64 origin, u64 table id, item key
inline constexpr std::string_view kTombstonePrefix = "tomb/";

inline std::string TombstoneKey(uint64_t seq) {
  std::string k(kTombstonePrefix);
  PutFixed64(&k, seq);
  return k;
}

inline std::string TombstoneValue(const VersionMeta& meta, uint32_t table_id,
                                  std::string_view item_key) {
  std::string v;
  PutFixed64(&v, meta.hlc);
  PutFixed64(&v, meta.origin);
  PutFixed64(&v, table_id);
  v.append(item_key);
  return v;
}

// The lowest last sequence a restart may continue from (Store::AdvanceSequence).
inline constexpr char kSeqFloorKey[] = "seq_floor";

// A change-log value: table name, key item, version record (meta + image);
// `resend` marks a record re-sent by anti-entropy (ChangeRecord::resend).
std::string EncodeChange(std::string_view table, const Item& key, const VersionMeta& meta,
                         const Item* image, bool resend = false);
StatusOr<ChangeRecord> DecodeChange(uint64_t seq, std::string_view in);
// The item key of `key` in `table`; the key attributes were validated by the
// caller against the schema.
std::string KeyOf(const TableMeta& table, const Item& key);

// Range digests (digest.h), merged deltas in the meta column family:
//   "digest/" + u32 table id + u32 range -> u64 lo, u64 hi
inline constexpr std::string_view kDigestPrefix = "digest/";

inline std::string DigestTablePrefix(uint32_t table_id) {
  std::string k(kDigestPrefix);
  for (int i = 3; i >= 0; --i) k.push_back(static_cast<char>((table_id >> (i * 8)) & 0xff));
  return k;
}

inline std::string DigestKey(uint32_t table_id, uint32_t range) {
  std::string k = DigestTablePrefix(table_id);
  for (int i = 3; i >= 0; --i) k.push_back(static_cast<char>((range >> (i * 8)) & 0xff));
  return k;
}

inline std::string DigestValue(const RangeDigest& d) {
  std::string v;
  PutFixed64(&v, d.lo);
  PutFixed64(&v, d.hi);
  return v;
}

}  // namespace tandem::storage::internal

namespace tandem::storage {

// A decided write: its version, ready for the batch once it has a sequence number.
struct Store::Staged {
  const TableMeta* table;
  const Item* key;
  std::string item_key;
  VersionMeta meta;
  Mutation mutation;  // kPut (with the new item) or kDelete
  int64_t count_delta = 0;
  int64_t bytes_delta = 0;
  std::string record;    // EncodeRecord(meta, item or nothing)
  RangeDigest old_hash;  // VersionHash of the live version replaced, or zero
  RangeDigest new_hash;  // VersionHash of `record` when live, or zero
};

}  // namespace tandem::storage
