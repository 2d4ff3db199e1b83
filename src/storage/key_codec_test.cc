#include "storage/key_codec.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "types/decimal.h"

namespace tandem::storage {
namespace {

// -1, 0 or 1 by unsigned bytewise order (DynamoDB's order for S and B).
int CompareBytes(std::string_view a, std::string_view b) {
  size_t n = std::min(a.size(), b.size());
  int c = n == 0 ? 0 : std::memcmp(a.data(), b.data(), n);
  if (c != 0) {
    return c < 0 ? -1 : 1;
  }
  if (a.size() == b.size()) {
    return 0;
  }
  return a.size() < b.size() ? -1 : 1;
}

// DynamoDB's order of two key values of one type.
int CompareKeys(const Value& a, const Value& b) {
  if (a.type == ValueType::kN) {
    return Decimal::Compare(*Decimal::Parse(a.scalar), *Decimal::Parse(b.scalar));
  }
  return CompareBytes(a.scalar, b.scalar);
}

// Random bytes drawn mostly from the bytes the escaping cares about.
std::string RandomBytes(std::mt19937_64& rng, int max_len) {
  static constexpr char kAlphabet[] = {'\x00', '\x01', '\x02', '\x7F', '\x80',
                                       '\xFE', '\xFF', 'a',    'b'};
  int len = std::uniform_int_distribution<int>(0, max_len)(rng);
  std::string s;
  for (int i = 0; i < len; ++i) {
    if (rng() % 4 == 0) {
      s.push_back(static_cast<char>(rng() & 0xFF));
    } else {
      s.push_back(kAlphabet[rng() % sizeof(kAlphabet)]);
    }
  }
  return s;
}

// A random canonical number: up to 38 digits, magnitude across the full range.
Value RandomNumber(std::mt19937_64& rng) {
  if (rng() % 20 == 0) {
    return Value::N("0");
  }
  int digits = std::uniform_int_distribution<int>(1, rng() % 2 == 0 ? 3 : 38)(rng);
  std::string text = rng() % 2 == 0 ? "-" : "";
  text.push_back(static_cast<char>('1' + rng() % 9));
  for (int i = 1; i < digits; ++i) {
    text.push_back(static_cast<char>('0' + rng() % 10));
  }
  // Mostly small magnitudes (many near-ties), sometimes the extremes.
  int magnitude = rng() % 3 == 0 ? std::uniform_int_distribution<int>(-130, 125)(rng)
                                 : std::uniform_int_distribution<int>(-4, 6)(rng);
  int exponent = magnitude - (digits - 1);
  text += "E" + std::to_string(exponent);
  StatusOr<Decimal> d = Decimal::Parse(text);
  EXPECT_TRUE(d.ok()) << text << ": " << d.status().ToString();
  return Value::N(d.ok() ? d->ToString() : "0");
}

Value RandomKey(std::mt19937_64& rng, ValueType type) {
  switch (type) {
    case ValueType::kS:
      return Value::S(RandomBytes(rng, 6));
    case ValueType::kB:
      return Value::B(RandomBytes(rng, 6));
    default:
      return RandomNumber(rng);
  }
}

void ExpectSameKey(const Value& a, const Value& b) {
  EXPECT_EQ(a.type, b.type);
  EXPECT_EQ(a.scalar, b.scalar);
}

TEST(KeyCodecTest, StringAndBinaryOrderIsBytewiseUnsigned) {
  std::mt19937_64 rng(1);
  for (ValueType type : {ValueType::kS, ValueType::kB}) {
    std::vector<Value> keys;
    for (int i = 0; i < 400; ++i) {
      keys.push_back(RandomKey(rng, type));
    }
    keys.push_back(type == ValueType::kS ? Value::S("") : Value::B(""));
    for (const Value& a : keys) {
      std::string ea = EncodeKeyPart(a);
      for (const Value& b : keys) {
        ASSERT_EQ(CompareBytes(ea, EncodeKeyPart(b)), CompareBytes(a.scalar, b.scalar))
            << testing::PrintToString(a.scalar) << " vs " << testing::PrintToString(b.scalar);
      }
    }
  }
}

TEST(KeyCodecTest, NumberOrderIsNumeric) {
  // Hand-sorted, with the extremes of DynamoDB's range.
  const std::vector<std::string> sorted = {"-9.9999999999999999999999999999999999999E+125",
                                           "-1E+100",
                                           "-100",
                                           "-99.5",
                                           "-1",
                                           "-0.5",
                                           "-0.0001",
                                           "-1E-130",
                                           "0",
                                           "1E-130",
                                           "0.0001",
                                           "0.5",
                                           "1",
                                           "1.0000000001",
                                           "99.5",
                                           "100",
                                           "1E+100",
                                           "9.9999999999999999999999999999999999999E+125"};
  std::vector<std::string> encoded;
  for (const std::string& text : sorted) {
    StatusOr<Decimal> d = Decimal::Parse(text);
    ASSERT_TRUE(d.ok()) << text;
    encoded.push_back(EncodeKeyPart(Value::N(d->ToString())));
  }
  for (size_t i = 1; i < encoded.size(); ++i) {
    EXPECT_LT(CompareBytes(encoded[i - 1], encoded[i]), 0) << sorted[i - 1] << " < " << sorted[i];
  }

  std::mt19937_64 rng(2);
  std::vector<Value> keys;
  for (int i = 0; i < 500; ++i) {
    keys.push_back(RandomNumber(rng));
  }
  for (const Value& a : keys) {
    std::string ea = EncodeKeyPart(a);
    for (const Value& b : keys) {
      ASSERT_EQ(CompareBytes(ea, EncodeKeyPart(b)), CompareKeys(a, b))
          << a.scalar << " vs " << b.scalar;
    }
  }
}

TEST(KeyCodecTest, EqualNumbersEncodeEqually) {
  for (const char* text : {"1", "1.0", "01", "10E-1", "0.1E1"}) {
    StatusOr<Decimal> d = Decimal::Parse(text);
    ASSERT_TRUE(d.ok()) << text;
    EXPECT_EQ(EncodeKeyPart(Value::N(d->ToString())), EncodeKeyPart(Value::N("1"))) << text;
    EXPECT_EQ(PartitionHash(Value::N(d->ToString())), PartitionHash(Value::N("1"))) << text;
  }
}

TEST(KeyCodecTest, KeyPartsRoundTripAndArePrefixFree) {
  std::mt19937_64 rng(3);
  for (ValueType type : {ValueType::kS, ValueType::kB, ValueType::kN}) {
    std::vector<Value> keys;
    for (int i = 0; i < 300; ++i) {
      keys.push_back(RandomKey(rng, type));
    }
    for (const Value& a : keys) {
      std::string ea = EncodeKeyPart(a);
      std::string_view in = ea;
      StatusOr<Value> back = DecodeKeyPart(&in, type);
      ASSERT_TRUE(back.ok()) << back.status().ToString();
      ExpectSameKey(*back, a);
      EXPECT_TRUE(in.empty());
      for (const Value& b : keys) {
        std::string eb = EncodeKeyPart(b);
        if (ea != eb) {
          ASSERT_FALSE(eb.starts_with(ea)) << "encoding is a prefix of another";
        }
      }
      // A part followed by another decodes back part by part.
      const Value& b = keys[rng() % keys.size()];
      std::string both = ea + EncodeKeyPart(b);
      in = both;
      StatusOr<Value> first = DecodeKeyPart(&in, type);
      StatusOr<Value> second = DecodeKeyPart(&in, type);
      ASSERT_TRUE(first.ok() && second.ok());
      ExpectSameKey(*first, a);
      ExpectSameKey(*second, b);
      EXPECT_TRUE(in.empty());
    }
  }
}

TEST(KeyCodecTest, EscapingIsAsDocumented) {
  EXPECT_EQ(EncodeKeyPart(Value::S("ab")), std::string("ab\x00\x01", 4));
  EXPECT_EQ(EncodeKeyPart(Value::B(std::string("\x00\xFF", 2))),
            std::string("\x00\xFF\xFF\x00\x01", 5));
  EXPECT_EQ(EncodeKeyPart(Value::B("")), std::string("\x00\x01", 2));
}

TEST(KeyCodecTest, DecodeKeyPartRejectsMalformedInput) {
  for (std::string bad : {std::string(""), std::string("abc"), std::string("a\x00", 2),
                          std::string("a\x00\x02\x00\x01", 5), std::string("\x00\x00", 2)}) {
    std::string_view in = bad;
    StatusOr<Value> v = DecodeKeyPart(&in, ValueType::kS);
    EXPECT_FALSE(v.ok()) << testing::PrintToString(bad);
    EXPECT_EQ(v.status().code(), Status::Code::kInternal);
    EXPECT_EQ(in.size(), bad.size()) << "input consumed on failure";
  }
  std::string_view in("\x00\x01", 2);
  EXPECT_FALSE(DecodeKeyPart(&in, ValueType::kBool).ok());
  // Every proper prefix of an encoding is refused.
  std::string enc = EncodeKeyPart(Value::B(std::string("x\x00y\x00\x00", 5)));
  for (size_t n = 0; n < enc.size(); ++n) {
    std::string_view prefix(enc.data(), n);
    EXPECT_FALSE(DecodeKeyPart(&prefix, ValueType::kB).ok()) << n;
  }
}

TEST(KeyCodecTest, AppendKeyPartRejectsNonKeyValues) {
  std::string out = "keep";
  EXPECT_EQ(AppendKeyPart(Value::Bool(true), &out).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(AppendKeyPart(Value::N("not a number"), &out).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(out, "keep");
}

TEST(KeyCodecTest, PartitionHashIsStable) {
  // First 8 bytes of SHA-256("Sabc"), of SHA-256("B"), of SHA-256("S\x00\xFF")
  // (computed with `openssl dgst -sha256`): part of the on-disk format.
  EXPECT_EQ(PartitionHash(Value::S("abc")), 0x434bedbd88a23b25ULL);
  EXPECT_EQ(PartitionHash(Value::B("")), 0xdf7e70e5021544f4ULL);
  EXPECT_EQ(PartitionHash(Value::S(std::string("\x00\xFF", 2))), 0x53c17c4d0cb27b9bULL);
  EXPECT_NE(PartitionHash(Value::S("abc")), PartitionHash(Value::B("abc")));
}

TEST(KeyCodecTest, ItemKeysOrderByHashThenRangeAndDecode) {
  std::mt19937_64 rng(4);
  for (ValueType range_type : {ValueType::kS, ValueType::kN, ValueType::kB}) {
    struct Entry {
      Value hash;
      Value range;
      std::string key;
    };
    std::vector<Value> hashes;
    for (int i = 0; i < 8; ++i) {
      hashes.push_back(Value::S("h" + std::to_string(i)));
    }
    std::vector<Entry> entries;
    for (int i = 0; i < 300; ++i) {
      Entry e{hashes[rng() % hashes.size()], RandomKey(rng, range_type), ""};
      e.key = ItemKey(7, e.hash, &e.range);
      entries.push_back(std::move(e));
    }
    for (const Entry& a : entries) {
      ASSERT_TRUE(a.key.starts_with(ItemKeyPrefix(7)));
      ASSERT_TRUE(a.key.starts_with(PartitionPrefix(7, a.hash)));
      for (const Entry& b : entries) {
        uint64_t ha = PartitionHash(a.hash);
        uint64_t hb = PartitionHash(b.hash);
        int expected = ha != hb                         ? (ha < hb ? -1 : 1)
                       : a.hash.scalar != b.hash.scalar ? CompareBytes(a.hash.scalar, b.hash.scalar)
                                                        : CompareKeys(a.range, b.range);
        ASSERT_EQ(CompareBytes(a.key, b.key), expected);
        if (a.hash.scalar != b.hash.scalar) {
          ASSERT_FALSE(b.key.starts_with(PartitionPrefix(7, a.hash)));
        }
      }
      StatusOr<DecodedKey> d = DecodeItemKey(a.key, ValueType::kS, range_type);
      ASSERT_TRUE(d.ok()) << d.status().ToString();
      EXPECT_EQ(d->table_id, 7u);
      EXPECT_EQ(d->partition_hash, PartitionHash(a.hash));
      ExpectSameKey(d->hash_key, a.hash);
      ASSERT_TRUE(d->range_key.has_value());
      ExpectSameKey(*d->range_key, a.range);
    }
  }
  // Hash-only table.
  std::string key = ItemKey(0xFFFFFFFF, Value::N("-12.5"), nullptr);
  EXPECT_EQ(key, PartitionPrefix(0xFFFFFFFF, Value::N("-12.5")));
  StatusOr<DecodedKey> d = DecodeItemKey(key, ValueType::kN, std::nullopt);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->table_id, 0xFFFFFFFFu);
  EXPECT_EQ(d->hash_key.scalar, "-12.5");
  EXPECT_FALSE(d->range_key.has_value());
  // Tables do not interleave.
  EXPECT_LT(ItemKey(1, Value::S("zzz"), nullptr), ItemKeyPrefix(2));
}

TEST(KeyCodecTest, DecodeItemKeyRejectsCorruptKeysWithoutCrashing) {
  Value hash = Value::B(std::string("\x00h\xFF", 3));
  Value range = Value::S(std::string("r\x00", 2));
  std::string key = ItemKey(3, hash, &range);
  for (size_t n = 0; n < key.size(); ++n) {
    EXPECT_FALSE(DecodeItemKey(key.substr(0, n), ValueType::kB, ValueType::kS).ok()) << n;
  }
  EXPECT_FALSE(DecodeItemKey(key + "x", ValueType::kB, ValueType::kS).ok());
  EXPECT_FALSE(DecodeItemKey(key, ValueType::kB, std::nullopt).ok());
  std::mt19937_64 rng(5);
  for (int i = 0; i < 5000; ++i) {
    std::string bad = key;
    bad[rng() % bad.size()] = static_cast<char>(rng() & 0xFF);
    for (ValueType t : {ValueType::kS, ValueType::kN, ValueType::kB}) {
      (void)DecodeItemKey(bad, ValueType::kB, t);
      (void)DecodeItemKey(bad, t, std::nullopt);
    }
  }
}

TEST(KeyCodecTest, ScanSegmentsPartitionTheTable) {
  EXPECT_EQ(SegmentStartHash(0, 1), 0u);
  EXPECT_EQ(SegmentStartHash(1, 2), 0x8000000000000000ULL);
  EXPECT_EQ(SegmentStartHash(1, 4), 0x4000000000000000ULL);
  EXPECT_EQ(SegmentStartHash(999999, 1000000), 0xFFFFEF39085F4A12ULL);

  std::mt19937_64 rng(6);
  std::vector<std::string> keys;
  std::vector<uint64_t> key_hashes;
  for (int i = 0; i < 2000; ++i) {
    Value hash = Value::B(RandomBytes(rng, 8));
    keys.push_back(ItemKey(9, hash, nullptr));
    key_hashes.push_back(PartitionHash(hash));
  }
  // Neighbouring tables belong to no segment.
  std::vector<std::string> outsiders = {ItemKey(8, Value::S("a"), nullptr),
                                        ItemKey(10, Value::S("a"), nullptr), ItemKeyPrefix(10)};
  for (uint32_t total : {1u, 2u, 3u, 7u, 64u, 1000u}) {
    std::vector<KeyRange> segments;
    for (uint32_t s = 0; s < total; ++s) {
      segments.push_back(ScanSegmentBounds(9, s, total));
    }
    EXPECT_EQ(segments.front().start, HashRangeStart(9, 0));
    EXPECT_EQ(segments.back().end, ItemKeyPrefix(10));
    for (size_t k = 0; k < keys.size(); ++k) {
      int found = -1;
      for (uint32_t s = 0; s < total; ++s) {
        if (keys[k] >= segments[s].start && keys[k] < segments[s].end) {
          ASSERT_EQ(found, -1) << "key in two segments";
          found = static_cast<int>(s);
        }
      }
      // Segment s covers hashes [s * 2^64 / total, (s + 1) * 2^64 / total).
      unsigned __int128 h = key_hashes[k];
      uint32_t expected = 0;
      while (expected + 1 < total && SegmentStartHash(expected + 1, total) <= h) {
        ++expected;
      }
      ASSERT_EQ(found, static_cast<int>(expected));
    }
    for (const std::string& key : outsiders) {
      for (const KeyRange& seg : segments) {
        EXPECT_FALSE(key >= seg.start && key < seg.end);
      }
    }
  }
  // The last table's last segment is unbounded.
  EXPECT_EQ(ScanSegmentBounds(0xFFFFFFFF, 0, 1).end, "");
}

TEST(KeyCodecTest, PrefixSuccessor) {
  EXPECT_EQ(PrefixSuccessor("ab"), "ac");
  EXPECT_EQ(PrefixSuccessor(std::string("a\xFF\xFF", 3)), "b");
  EXPECT_EQ(PrefixSuccessor(std::string("\xFF", 1)), "");
  EXPECT_EQ(PrefixSuccessor(""), "");
}

// The predicate a range condition stands for, evaluated on values.
bool Matches(RangeOp op, const Value& key, const Value& v1, const Value& v2) {
  switch (op) {
    case RangeOp::kEq:
      return CompareKeys(key, v1) == 0;
    case RangeOp::kLt:
      return CompareKeys(key, v1) < 0;
    case RangeOp::kLe:
      return CompareKeys(key, v1) <= 0;
    case RangeOp::kGt:
      return CompareKeys(key, v1) > 0;
    case RangeOp::kGe:
      return CompareKeys(key, v1) >= 0;
    case RangeOp::kBetween:
      return CompareKeys(key, v1) >= 0 && CompareKeys(key, v2) <= 0;
    case RangeOp::kBeginsWith:
      return key.scalar.starts_with(v1.scalar);
  }
  return false;
}

TEST(KeyCodecTest, RangeBoundsMatchBruteForce) {
  std::mt19937_64 rng(7);
  for (ValueType type : {ValueType::kS, ValueType::kB, ValueType::kN}) {
    // Three partitions of one table plus neighbouring tables: bounds must
    // select exactly the target partition's matching keys.
    struct Entry {
      uint32_t table;
      Value hash;
      Value range;
      std::string key;
    };
    std::vector<Value> hashes = {Value::S("target"), Value::S("other"), Value::S("")};
    std::vector<Entry> entries;
    std::vector<Value> target_ranges;
    for (int i = 0; i < 600; ++i) {
      uint32_t table = i % 10 == 0 ? (rng() % 2 == 0 ? 4 : 6) : 5;
      Entry e{table, hashes[rng() % hashes.size()], RandomKey(rng, type), ""};
      e.key = ItemKey(e.table, e.hash, &e.range);
      if (e.table == 5 && e.hash.scalar == "target") {
        target_ranges.push_back(e.range);
      }
      entries.push_back(std::move(e));
    }
    const std::string prefix = PartitionPrefix(5, hashes[0]);
    std::vector<RangeOp> ops = {RangeOp::kEq, RangeOp::kLt, RangeOp::kLe,
                                RangeOp::kGt, RangeOp::kGe, RangeOp::kBetween};
    if (type != ValueType::kN) {
      ops.push_back(RangeOp::kBeginsWith);
    }
    int nonempty = 0;
    for (int round = 0; round < 400; ++round) {
      auto operand = [&]() -> Value {
        if (rng() % 2 == 0 && !target_ranges.empty()) {
          Value v = target_ranges[rng() % target_ranges.size()];
          if (type != ValueType::kN && rng() % 2 == 0) {
            v.scalar.resize(rng() % (v.scalar.size() + 1));  // a prefix of a key
          }
          return v;
        }
        return RandomKey(rng, type);
      };
      RangeOp op = ops[rng() % ops.size()];
      Value v1 = operand();
      Value v2 = operand();
      if (op == RangeOp::kBetween && rng() % 4 != 0 && CompareKeys(v1, v2) > 0) {
        std::swap(v1, v2);  // mostly valid bounds, sometimes reversed
      }
      StatusOr<KeyRange> range = RangeBounds(prefix, op, v1, &v2);
      ASSERT_TRUE(range.ok()) << range.status().ToString();
      ASSERT_FALSE(range->end.empty());
      int selected = 0;
      for (const Entry& e : entries) {
        bool in_bounds = e.key >= range->start && e.key < range->end;
        bool expected = e.table == 5 && e.hash.scalar == "target" && Matches(op, e.range, v1, v2);
        ASSERT_EQ(in_bounds, expected)
            << "op " << static_cast<int>(op) << " key " << testing::PrintToString(e.range.scalar)
            << " v1 " << testing::PrintToString(v1.scalar) << " v2 "
            << testing::PrintToString(v2.scalar);
        selected += in_bounds ? 1 : 0;
      }
      nonempty += selected > 0 ? 1 : 0;
    }
    EXPECT_GT(nonempty, 100) << "the test should exercise non-empty ranges";
  }
}

TEST(KeyCodecTest, RangeBoundsRejectBadOperands) {
  const std::string prefix = PartitionPrefix(1, Value::S("p"));
  Value n = Value::N("1");
  Value s = Value::S("a");
  EXPECT_EQ(RangeBounds(prefix, RangeOp::kBeginsWith, n).status().code(),
            Status::Code::kInvalidArgument);
  EXPECT_FALSE(RangeBounds(prefix, RangeOp::kBetween, s).ok());
  EXPECT_FALSE(RangeBounds(prefix, RangeOp::kBetween, s, &n).ok());
  EXPECT_FALSE(RangeBounds(prefix, RangeOp::kEq, Value::Bool(true)).ok());
  EXPECT_FALSE(RangeBounds(prefix, RangeOp::kLt, Value::N("x")).ok());
  StatusOr<KeyRange> all = RangeBounds(prefix, RangeOp::kBeginsWith, Value::S(""));
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->start, prefix);
  EXPECT_EQ(all->end, PrefixSuccessor(prefix));
}

}  // namespace
}  // namespace tandem::storage
