// Byte layouts shared by the Store's source files (store.cc, store_gc.cc).
// Internal to the storage layer: nothing outside src/storage includes it.
#pragma once

#include <rocksdb/status.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "storage/item_codec.h"

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

}  // namespace tandem::storage::internal
