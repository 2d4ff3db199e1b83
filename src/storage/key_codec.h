// Key codec: RocksDB key bytes whose memcmp order equals DynamoDB's order.
//
// An item key is
//
//   table_id (4 bytes, big-endian)
//   PartitionHash(hash key) (8 bytes, big-endian)
//   EncodeKeyPart(hash key)
//   [EncodeKeyPart(range key)]          -- only for tables with a sort key
//
// so a table's items are contiguous, ordered by partition hash (which decides
// Scan order and parallel-scan segments), and within one partition ordered by
// the sort key as DynamoDB orders it: S and B bytewise unsigned, N
// numerically.
//
// Key parts are order-preserving and prefix-free, so a range key can follow a
// hash key and one part can be decoded without knowing its length:
//
//   raw bytes   S: the UTF-8 bytes; B: the raw bytes;
//               N: Decimal::EncodeOrdered() of the number
//   escaping    every 0x00 byte is written as 0x00 0xFF
//   terminator  0x00 0x01
//
// Why it is ordered: for raw strings a < b, either they first differ at a
// byte (escaping keeps the order: 0x00 0xFF sorts below any non-zero byte and
// its own first byte already decides), or a is a proper prefix of b, where a's
// terminator 0x00 0x01 sorts below whatever b continues with (a non-zero byte,
// or 0x00 0xFF). Why it is prefix-free: inside an encoded part 0x00 is always
// followed by 0xFF, except in the terminator.
//
// All functions here are pure; they are safe to call from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "types/value.h"

namespace tandem::storage {

// Bytes of the fixed item-key header: table id (4) and partition hash (8).
inline constexpr size_t kItemKeyHeaderSize = 12;

// A stable 64-bit hash of a partition key value: the first 8 bytes, read
// big-endian, of SHA-256(type letter ('S', 'N' or 'B') || raw key bytes), where
// the raw bytes are those of the key-part encoding before escaping (so numbers
// hash by value, not by spelling). Stable across versions and machines: it is
// part of the on-disk format; N depends on Decimal::EncodeOrdered staying
// fixed. Precondition: `hash_key` is a valid S, N or B value (anything else
// hashes as SHA-256("?"); callers validate key types).
uint64_t PartitionHash(const Value& hash_key);

// Appends the order-preserving, prefix-free encoding of a key value (S, N or
// B) to `*out`. Returns InvalidArgument, leaving `*out` unchanged, when `v` is
// not a key type or its number does not parse.
Status AppendKeyPart(const Value& v, std::string* out);

// The encoding of one key part, as AppendKeyPart. Precondition: `v` is a
// validated key value (S, B, or N with canonical text); a violation asserts in
// debug builds and yields an empty string in release builds.
std::string EncodeKeyPart(const Value& v);

// Consumes one encoded key part from the front of `*in` and returns its value
// (of type `type`, which must be S, N or B). On failure (missing terminator,
// bad escape, undecodable number) returns Internal and leaves `*in` unchanged.
StatusOr<Value> DecodeKeyPart(std::string_view* in, ValueType type);

// The full key of an item: header + hash part + range part (when `range` is
// non-null). Preconditions as EncodeKeyPart for `hash` and `*range`.
std::string ItemKey(uint32_t table_id, const Value& hash, const Value* range);

// The 4-byte prefix shared by every item key of a table.
std::string ItemKeyPrefix(uint32_t table_id);

// The prefix shared by every item key of one partition (header + hash part):
// the bounds of a Query without a range condition are
// [PartitionPrefix, PrefixSuccessor(PartitionPrefix)).
std::string PartitionPrefix(uint32_t table_id, const Value& hash);

// The smallest item key of the table whose partition hash is >= `h`.
std::string HashRangeStart(uint32_t table_id, uint64_t h);

// The smallest string greater than every string that starts with `prefix`,
// or "" (meaning "no upper bound") when `prefix` is empty or all 0xFF.
std::string PrefixSuccessor(std::string_view prefix);

// A half-open key range [start, end). An empty `end` means unbounded.
struct KeyRange {
  std::string start;
  std::string end;
};

// The first partition hash of parallel-scan segment `segment` of
// `total_segments`: floor(segment * 2^64 / total_segments). Preconditions:
// 0 < total_segments, segment < total_segments.
uint64_t SegmentStartHash(uint32_t segment, uint32_t total_segments);

// The key range of parallel-scan segment `segment` of `total_segments` of a
// table: partition hashes in [SegmentStartHash(segment),
// SegmentStartHash(segment + 1)), the last segment running to the end of the
// table. Preconditions as SegmentStartHash.
KeyRange ScanSegmentBounds(uint32_t table_id, uint32_t segment, uint32_t total_segments);

// A decoded item key.
struct DecodedKey {
  uint32_t table_id = 0;
  uint64_t partition_hash = 0;  // as stored; not re-verified against hash_key
  Value hash_key;
  std::optional<Value> range_key;  // set iff a range type was given
};

// Decodes a full item key for a table whose key schema has the given types.
// Returns Internal when the key is truncated, malformed, or has bytes left
// over.
StatusOr<DecodedKey> DecodeItemKey(std::string_view key, ValueType hash_type,
                                   std::optional<ValueType> range_type);

// Sort-key conditions of a Query key condition.
enum class RangeOp { kEq, kLt, kLe, kGt, kGe, kBetween, kBeginsWith };

// The key bounds [start, end) of the items of one partition (whose prefix is
// `partition_prefix`, from PartitionPrefix) whose range key satisfies
// `op` with operand `v1` (and `*v2`, the upper bound, for kBetween).
//
// Operands must be S, N or B and of one type; kBeginsWith takes S or B only.
// The caller checks them against the key schema. For kBetween with v1 > v2
// the range is empty (start == end); DynamoDB's validation error for that case
// belongs to the expression layer. Returns InvalidArgument on a bad operand
// (wrong type, missing v2 for kBetween, unparseable number).
StatusOr<KeyRange> RangeBounds(std::string_view partition_prefix, RangeOp op, const Value& v1,
                               const Value* v2 = nullptr);

}  // namespace tandem::storage
