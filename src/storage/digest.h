// Range digests: a fingerprint of a table's contents per key range, kept up
// to date by every write, so two replicas can be compared without shipping
// the table (tandem verify, anti-entropy).
//
// A table's key space is cut into kDigestRanges ranges by the top bits of the
// partition hash (the bytes after the table id in an item key, key_codec.h),
// so each range is one contiguous run of item keys. A range's digest is the
// sum, lane-wise modulo 2^64, of VersionHash(item key, stored record) over
// the LIVE versions in the range: tombstones do not count, because replicas
// collect them at different times and a tombstone means the same as nothing.
// A sum can be updated by adding the new version's hash and subtracting the
// old one's, without reading the rest of the range; the store does it in the
// write's own WriteBatch (store.cc), so a digest is never behind its items.
//
// The record bytes carry the version (HLC timestamp, origin region), so equal
// digests mean equal versions, not just equal attribute values: after
// replication quiesces, last-writer-wins leaves every replica with the same
// version of every item.
//
// Not a cryptographic commitment: a sum of hashes detects accidental
// divergence (a lost batch, a restored backup), which is its purpose.
//
// All functions here are pure; RangeDigest is a value type.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "storage/table_meta.h"
#include "types/value.h"

namespace tandem::storage {

inline constexpr int kDigestRangeBits = 10;
inline constexpr uint32_t kDigestRanges = 1u << kDigestRangeBits;

struct RangeDigest {
  uint64_t lo = 0;
  uint64_t hi = 0;

  RangeDigest& operator+=(const RangeDigest& o) {
    lo += o.lo;
    hi += o.hi;
    return *this;
  }
  RangeDigest& operator-=(const RangeDigest& o) {
    lo -= o.lo;
    hi -= o.hi;
    return *this;
  }
  bool operator==(const RangeDigest&) const = default;
  bool empty() const { return lo == 0 && hi == 0; }
  // 32 lowercase hex digits (hi then lo), and back; FromHex fails on
  // anything else.
  std::string ToHex() const;
  static bool FromHex(std::string_view hex, RangeDigest* out);
};

// The range of an item key: the top kDigestRangeBits of its partition hash.
// Precondition: item_key.size() >= kItemKeyHeaderSize (key_codec.h).
uint32_t DigestRangeOf(std::string_view item_key);

// The item-key bounds [lower, upper) of range `range` of table `table_id`.
std::string DigestRangeLower(uint32_t table_id, uint32_t range);
std::string DigestRangeUpper(uint32_t table_id, uint32_t range);

// The first 128 bits of SHA-256(len(item_key) || item_key || record), where
// `item_key` is without its table id (replicas give one table different ids)
// and `record` is the stored EncodeRecord bytes of a live version.
RangeDigest VersionHash(std::string_view key_suffix, std::string_view record);

// The key attributes named by a key suffix (an item key without its table
// id) of a table with these key elements; InvalidArgument when the suffix
// does not decode under them.
StatusOr<Item> KeyFromSuffix(const KeyElement& hash_key, const std::optional<KeyElement>& range_key,
                             std::string_view suffix);

}  // namespace tandem::storage
