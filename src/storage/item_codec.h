// Item codec: the compact binary form of items and of stored item versions.
//
// Item encoding (all integers are unsigned LEB128 varints):
//
//   item   := count (name value){count}       -- names in strictly ascending
//                                                byte order, as in Item
//   name   := length bytes
//   value  := tag payload
//     0x01 S     length bytes                  -- UTF-8
//     0x02 N     length bytes                  -- canonical decimal text
//     0x03 B     length bytes                  -- raw bytes
//     0x04 BOOL false, 0x05 BOOL true           -- no payload
//     0x06 NULL                                -- no payload
//     0x07 L     count value{count}
//     0x08 M     count (name value){count}     -- same as item
//     0x09 SS, 0x0A NS, 0x0B BS  count (length bytes){count}
//
// Numbers stay in their canonical text (at most ~45 bytes): it round-trips
// exactly and needs no Decimal parse or format on every read and write. The
// encoding is deterministic: equal Items (same set element order) encode to
// equal bytes.
//
// Record encoding (one stored version of an item, the RocksDB value):
//
//   byte 0       format version (kRecordFormatVersion)
//   byte 1       flags: bit 0 = tombstone; other bits must be zero
//   bytes 2-9    hlc, big-endian
//   bytes 10-13  origin region, big-endian
//   bytes 14-    the item encoding; absent for a tombstone
//
// The fixed header lets readers check the tombstone bit and the version
// metadata without decoding the item.
//
// Decoders treat their input as untrusted: every length and count is checked
// against the bytes left, nesting deeper than kMaxDecodeDepth is refused, and
// anything malformed yields Status::Internal (corrupt stored data), never a
// crash. All functions are pure and safe to call from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "types/value.h"

namespace tandem::storage {

// Deepest nesting of L/M values DecodeItem accepts: an attribute's value is
// at depth 1, its elements at depth 2, and so on; an L or M deeper than this is
// refused (DynamoDB allows 32 levels).
inline constexpr int kMaxDecodeDepth = 64;

// Appends the encoding of `item` to `*out` (one allocation at most: the exact
// size is computed first).
void AppendItem(const Item& item, std::string* out);

// The encoding of `item`.
std::string EncodeItem(const Item& item);

// Decodes an item encoding that spans all of `bytes`. Returns Internal on
// malformed input, trailing bytes included.
StatusOr<Item> DecodeItem(std::string_view bytes);

// Replication metadata of one stored item version.
struct VersionMeta {
  uint64_t hlc = 0;        // hybrid logical clock timestamp of the write
  uint32_t origin = 0;     // region that took the write
  bool tombstone = false;  // the write was a delete
};

// Whether version `a` wins over `b` by last-writer-wins: the later HLC
// timestamp, then the higher origin region id. Every replica orders the same
// two versions the same way.
inline bool NewerVersion(const VersionMeta& a, const VersionMeta& b) {
  return a.hlc != b.hlc ? a.hlc > b.hlc : a.origin > b.origin;
}

inline constexpr uint8_t kRecordFormatVersion = 1;
inline constexpr size_t kRecordHeaderSize = 14;

// The record of one version. The tombstone bit comes from `meta.tombstone`;
// `item` is written only for a non-tombstone and must then be non-null (a
// tombstone's `item` should be null and is ignored).
std::string EncodeRecord(const VersionMeta& meta, const Item* item);

// The metadata of a record, reading only its fixed header. Returns Internal on
// an unknown format version, unknown flag bits, a short record, or a
// tombstone with bytes after the header.
StatusOr<VersionMeta> DecodeRecordMeta(std::string_view record);

// The item of a non-tombstone record. Returns Internal on malformed input and
// when the record is a tombstone (check DecodeRecordMeta first).
StatusOr<Item> DecodeRecordItem(std::string_view record);

}  // namespace tandem::storage
