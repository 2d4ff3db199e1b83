#include "storage/item_codec.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace tandem::storage {
namespace {

// Exact structural equality (number text and set order included): the codec
// must give back precisely what it was given.
bool Same(const Value& a, const Value& b);

bool SameMap(const ValueMap& a, const ValueMap& b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (auto ia = a.begin(), ib = b.begin(); ia != a.end(); ++ia, ++ib) {
    if (ia->first != ib->first || !Same(ia->second, ib->second)) {
      return false;
    }
  }
  return true;
}

bool Same(const Value& a, const Value& b) {
  if (a.type != b.type) {
    return false;
  }
  switch (a.type) {
    case ValueType::kS:
    case ValueType::kN:
    case ValueType::kB:
      return a.scalar == b.scalar;
    case ValueType::kBool:
    case ValueType::kNull:
      return a.boolean == b.boolean;
    case ValueType::kL:
      if (a.list.size() != b.list.size()) {
        return false;
      }
      for (size_t i = 0; i < a.list.size(); ++i) {
        if (!Same(a.list[i], b.list[i])) {
          return false;
        }
      }
      return true;
    case ValueType::kM:
      return SameMap(a.map, b.map);
    default:
      return a.set == b.set;
  }
}

std::string RandomBytes(std::mt19937_64& rng, int max_len) {
  int len = std::uniform_int_distribution<int>(0, max_len)(rng);
  std::string s;
  for (int i = 0; i < len; ++i) {
    s.push_back(static_cast<char>(rng() % 3 == 0 ? 0 : rng() & 0xFF));
  }
  return s;
}

Value RandomValue(std::mt19937_64& rng, int depth) {
  int kind = static_cast<int>(rng() % (depth > 0 ? 10 : 8));
  switch (kind) {
    case 0:
      return Value::S(RandomBytes(rng, 20));
    case 1:
      return Value::N(std::to_string(static_cast<int64_t>(rng())) + ".25");
    case 2:
      return Value::B(RandomBytes(rng, 300));  // lengths past one varint byte
    case 3:
      return Value::Bool(rng() % 2 == 0);
    case 4:
      return Value::Null();
    case 5:
    case 6:
    case 7: {
      ValueType set_type = kind == 5 ? ValueType::kSS : kind == 6 ? ValueType::kNS : ValueType::kBS;
      std::vector<std::string> elems;
      int n = 1 + static_cast<int>(rng() % 5);
      for (int i = 0; i < n; ++i) {
        elems.push_back(set_type == ValueType::kNS ? std::to_string(i)
                                                   : RandomBytes(rng, 8) + "#" + std::to_string(i));
      }
      return Value::Set(set_type, std::move(elems));
    }
    case 8: {
      ValueList list;
      int n = static_cast<int>(rng() % 5);
      for (int i = 0; i < n; ++i) {
        list.push_back(RandomValue(rng, depth - 1));
      }
      return Value::List(std::move(list));
    }
    default: {
      ValueMap map;
      int n = static_cast<int>(rng() % 5);
      for (int i = 0; i < n; ++i) {
        map[RandomBytes(rng, 6)] = RandomValue(rng, depth - 1);
      }
      return Value::Map(std::move(map));
    }
  }
}

Item RandomItem(std::mt19937_64& rng) {
  Item item;
  int n = static_cast<int>(rng() % 12);
  for (int i = 0; i < n; ++i) {
    item[RandomBytes(rng, 10)] = RandomValue(rng, 4);
  }
  return item;
}

// One attribute of every type, with edge cases (empty strings, zero bytes,
// 0x80+ bytes, long values).
Item EveryTypeItem() {
  Item item;
  item["s"] = Value::S("h\xC3\xA9llo");
  item["s_empty"] = Value::S("");
  item["n"] = Value::N("-12345678901234567890123456789012345678E-130");
  item["b"] = Value::B(std::string("\x00\x01\xFF\x80", 4));
  item["b_long"] = Value::B(std::string(100000, '\xAB'));
  item["t"] = Value::Bool(true);
  item["f"] = Value::Bool(false);
  item["null"] = Value::Null();
  item["l"] = Value::List({Value::S("x"), Value::N("1"), Value::List({}), Value::Map({})});
  item["m"] = Value::Map({{"", Value::S("empty name")}, {"\xFF", Value::Null()}});
  item["ss"] = Value::Set(ValueType::kSS, {"b", "a", "c"});
  item["ns"] = Value::Set(ValueType::kNS, {"3", "-1.5", "1E+100"});
  item["bs"] = Value::Set(ValueType::kBS, {std::string("\x00", 1), "\xFF"});
  item[std::string("name\x00with zero", 14)] = Value::S("v");
  return item;
}

void ExpectRoundTrip(const Item& item) {
  std::string enc = EncodeItem(item);
  StatusOr<Item> back = DecodeItem(enc);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE(SameMap(*back, item));
  EXPECT_EQ(EncodeItem(*back), enc);
}

TEST(ItemCodecTest, EveryTypeRoundTrips) {
  ExpectRoundTrip(Item{});
  ExpectRoundTrip(EveryTypeItem());
}

TEST(ItemCodecTest, EncodingIsAsDocumented) {
  Item item;
  item["a"] = Value::S("x");
  item["b"] = Value::Bool(true);
  item["c"] = Value::Set(ValueType::kNS, {"1"});
  EXPECT_EQ(EncodeItem(item), std::string("\x03"
                                          "\x01"
                                          "a"
                                          "\x01\x01"
                                          "x"
                                          "\x01"
                                          "b"
                                          "\x05"
                                          "\x01"
                                          "c"
                                          "\x0A\x01\x01"
                                          "1",
                                          15));
  std::string out = "prefix";
  AppendItem(item, &out);
  EXPECT_EQ(out, "prefix" + EncodeItem(item));
}

TEST(ItemCodecTest, DeepNestingRoundTripsUpToTheLimit) {
  // Alternating M and L, DynamoDB's 32 levels.
  Value v = Value::S("leaf");
  for (int i = 0; i < 32; ++i) {
    v = i % 2 == 0 ? Value::List({v, Value::N("1")}) : Value::Map({{"k", v}, {"n", Value::Null()}});
  }
  ExpectRoundTrip(Item{{"deep", v}});

  auto nested_lists = [](int levels) {
    Value v = Value::Null();
    for (int i = 0; i < levels; ++i) {
      v = Value::List({v});
    }
    return Item{{"a", v}};
  };
  ExpectRoundTrip(nested_lists(kMaxDecodeDepth));
  StatusOr<Item> too_deep = DecodeItem(EncodeItem(nested_lists(kMaxDecodeDepth + 1)));
  ASSERT_FALSE(too_deep.ok());
  EXPECT_EQ(too_deep.status().code(), Status::Code::kInternal);
}

TEST(ItemCodecTest, RandomItemsRoundTrip) {
  std::mt19937_64 rng(11);
  for (int i = 0; i < 500; ++i) {
    ExpectRoundTrip(RandomItem(rng));
  }
}

TEST(ItemCodecTest, EveryTruncationIsRejected) {
  std::mt19937_64 rng(12);
  Item item = EveryTypeItem();
  item["b_long"] = Value::B(std::string(200, '\xAB'));  // keep the loop short
  item["random"] = Value::Map(RandomItem(rng));
  std::string enc = EncodeItem(item);
  for (size_t n = 0; n < enc.size(); ++n) {
    StatusOr<Item> back = DecodeItem(std::string_view(enc.data(), n));
    ASSERT_FALSE(back.ok()) << "prefix of " << n << " bytes decoded";
    ASSERT_EQ(back.status().code(), Status::Code::kInternal);
  }
  EXPECT_FALSE(DecodeItem(enc + "x").ok()) << "trailing bytes accepted";
}

TEST(ItemCodecTest, RandomCorruptionNeverCrashes) {
  std::mt19937_64 rng(13);
  int rejected = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string enc = EncodeItem(RandomItem(rng));
    if (enc.empty()) {
      continue;
    }
    int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits && !enc.empty(); ++e) {
      size_t pos = rng() % enc.size();
      switch (rng() % 4) {
        case 0:
          enc[pos] = static_cast<char>(enc[pos] ^ (1 << (rng() % 8)));
          break;
        case 1:
          enc[pos] = static_cast<char>(rng() & 0xFF);
          break;
        case 2:
          enc.erase(pos, 1);
          break;
        default:
          enc.insert(pos, 1, static_cast<char>(rng() & 0xFF));
          break;
      }
    }
    StatusOr<Item> back = DecodeItem(enc);
    if (back.ok()) {
      // Whatever decodes must be a well-formed item again.
      ASSERT_TRUE(DecodeItem(EncodeItem(*back)).ok());
    } else {
      ASSERT_EQ(back.status().code(), Status::Code::kInternal);
      ++rejected;
    }
  }
  EXPECT_GT(rejected, 1000);
}

TEST(ItemCodecTest, HostileLengthsAndNestingAreRejected) {
  auto expect_corrupt = [](const std::string& bytes, const char* what) {
    StatusOr<Item> back = DecodeItem(bytes);
    EXPECT_FALSE(back.ok()) << what;
    if (!back.ok()) {
      EXPECT_EQ(back.status().code(), Status::Code::kInternal) << what;
    }
  };
  expect_corrupt("", "empty input");
  expect_corrupt(std::string("\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\x7F", 9), "huge attribute count");
  expect_corrupt(std::string("\x01\x01"
                             "a"
                             "\x0B\xFF\xFF\xFF\xFF\x0F",
                             10),
                 "huge set count");
  expect_corrupt(std::string("\x01\x01"
                             "a"
                             "\x07\xFF\xFF\xFF\xFF\x0F",
                             10),
                 "huge list count");
  expect_corrupt(std::string("\x01\x01"
                             "a"
                             "\x01\xFF\xFF\xFF\xFF\x0F"
                             "abc",
                             13),
                 "string longer than input");
  expect_corrupt(std::string("\x01\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\x01", 12),
                 "varint longer than 10 bytes");
  expect_corrupt(std::string("\x01\x80\x80\x80\x80\x80\x80\x80\x80\x80\x02", 11),
                 "varint overflowing 64 bits");
  expect_corrupt(std::string("\x01\x01"
                             "a"
                             "\x0C",
                             4),
                 "unknown tag");
  expect_corrupt(std::string("\x01\x01"
                             "a"
                             "\x00",
                             4),
                 "zero tag");
  expect_corrupt(std::string("\x02\x01"
                             "b"
                             "\x06\x01"
                             "a"
                             "\x06",
                             7),
                 "names out of order");
  expect_corrupt(std::string("\x02\x01"
                             "a"
                             "\x06\x01"
                             "a"
                             "\x06",
                             7),
                 "duplicate names");
  expect_corrupt(std::string("\x01\x01"
                             "a"
                             "\x08\x02\x00\x06\x00\x06",
                             9),
                 "duplicate names in a map");

  // A nesting bomb: a million single-element lists must not overflow the stack.
  std::string bomb(
      "\x01\x01"
      "a",
      3);
  for (int i = 0; i < 1000000; ++i) {
    bomb.append("\x07\x01", 2);
  }
  bomb.push_back('\x06');
  expect_corrupt(bomb, "nesting bomb");
}

TEST(ItemCodecTest, RecordsRoundTrip) {
  Item item = EveryTypeItem();
  VersionMeta meta{0x0102030405060708ULL, 0xA0B0C0D0u, false};
  std::string rec = EncodeRecord(meta, &item);
  EXPECT_EQ(rec.substr(0, kRecordHeaderSize),
            std::string("\x01\x00\x01\x02\x03\x04\x05\x06\x07\x08\xA0\xB0\xC0\xD0", 14));
  StatusOr<VersionMeta> got = DecodeRecordMeta(rec);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->hlc, meta.hlc);
  EXPECT_EQ(got->origin, meta.origin);
  EXPECT_FALSE(got->tombstone);
  StatusOr<Item> back = DecodeRecordItem(rec);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE(SameMap(*back, item));

  VersionMeta tomb{42, 3, true};
  std::string trec = EncodeRecord(tomb, nullptr);
  EXPECT_EQ(trec.size(), kRecordHeaderSize);
  got = DecodeRecordMeta(trec);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->hlc, 42u);
  EXPECT_EQ(got->origin, 3u);
  EXPECT_TRUE(got->tombstone);
  EXPECT_EQ(DecodeRecordItem(trec).status().code(), Status::Code::kInternal);
  EXPECT_EQ(EncodeRecord(tomb, &item), trec) << "a tombstone ignores its item";

  Item empty;
  ASSERT_TRUE(DecodeRecordItem(EncodeRecord(VersionMeta{1, 1, false}, &empty)).ok());
}

TEST(ItemCodecTest, CorruptRecordsAreRejected) {
  Item item = {{"k", Value::S("v")}};
  std::string rec = EncodeRecord(VersionMeta{7, 1, false}, &item);
  for (size_t n = 0; n < rec.size(); ++n) {
    EXPECT_FALSE(DecodeRecordItem(rec.substr(0, n)).ok()) << n;
  }
  for (size_t n = 0; n < kRecordHeaderSize; ++n) {
    EXPECT_FALSE(DecodeRecordMeta(rec.substr(0, n)).ok()) << n;
  }
  std::string bad_version = rec;
  bad_version[0] = '\x02';
  EXPECT_FALSE(DecodeRecordMeta(bad_version).ok());
  std::string bad_flags = rec;
  bad_flags[1] = '\x02';
  EXPECT_FALSE(DecodeRecordMeta(bad_flags).ok());
  std::string tomb_with_body =
      EncodeRecord(VersionMeta{7, 1, true}, nullptr) + std::string(1, '\0');
  EXPECT_FALSE(DecodeRecordMeta(tomb_with_body).ok());

  std::mt19937_64 rng(14);
  std::string big = EncodeRecord(VersionMeta{9, 9, false}, &item);
  for (int i = 0; i < 5000; ++i) {
    std::string bad = big;
    bad[rng() % bad.size()] = static_cast<char>(rng() & 0xFF);
    (void)DecodeRecordMeta(bad);
    (void)DecodeRecordItem(bad);
  }
}

}  // namespace
}  // namespace tandem::storage
