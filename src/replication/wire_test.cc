#include "replication/wire.h"

#include <gtest/gtest.h>

namespace tandem::replication {
namespace {

Batch SampleBatch() {
  Batch b;
  b.source_region = "eu-west-1";
  b.first_seq = 10;
  b.last_seq = 20;
  storage::ChangeRecord put;
  put.seq = 11;
  put.table = "orders";
  put.key = {{"id", Value::S("a")}};
  put.meta = {123456789, 42, false};
  put.image = Item{{"id", Value::S("a")}, {"qty", Value::N("3")},
                   {"tags", Value::Set(ValueType::kSS, {"x", "y"})}};
  storage::ChangeRecord del;
  del.seq = 19;
  del.table = "orders";
  del.key = {{"id", Value::S("b")}};
  del.meta = {123456790, 7, true};
  b.records = {put, del};
  return b;
}

TEST(WireTest, RoundTrip) {
  const Batch b = SampleBatch();
  auto decoded = DecodeBatch(EncodeBatch(b));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->source_region, "eu-west-1");
  EXPECT_EQ(decoded->first_seq, 10u);
  EXPECT_EQ(decoded->last_seq, 20u);
  ASSERT_EQ(decoded->records.size(), 2u);
  EXPECT_EQ(decoded->records[0].seq, 11u);
  EXPECT_EQ(decoded->records[0].meta.hlc, 123456789u);
  EXPECT_EQ(decoded->records[0].meta.origin, 42u);
  EXPECT_EQ(Value::Map(*decoded->records[0].image), Value::Map(*b.records[0].image));
  EXPECT_TRUE(decoded->records[1].meta.tombstone);
  EXPECT_FALSE(decoded->records[1].image.has_value());
}

TEST(WireTest, EmptyBatchAdvancesARange) {
  Batch b;
  b.source_region = "us-east-1";
  b.first_seq = 5;
  b.last_seq = 9;
  auto decoded = DecodeBatch(EncodeBatch(b));
  ASSERT_TRUE(decoded.ok());
  EXPECT_TRUE(decoded->records.empty());
  EXPECT_EQ(decoded->last_seq, 9u);
}

TEST(WireTest, EveryTruncationAndTrailingJunkIsRejected) {
  const std::string bytes = EncodeBatch(SampleBatch());
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(DecodeBatch(bytes.substr(0, n)).ok()) << "prefix of " << n << " bytes";
  }
  EXPECT_FALSE(DecodeBatch(bytes + "x").ok());
}

TEST(WireTest, RecordsOutOfRangeOrOrderAreRejected) {
  Batch b = SampleBatch();
  b.records[1].seq = 21;
  EXPECT_FALSE(DecodeBatch(EncodeBatch(b)).ok());
  b = SampleBatch();
  b.records[1].seq = 11;
  EXPECT_FALSE(DecodeBatch(EncodeBatch(b)).ok());
}

TEST(WireTest, RandomByteFlipsNeverCrash) {
  const std::string bytes = EncodeBatch(SampleBatch());
  uint64_t state = 88172645463325252ull;
  for (int i = 0; i < 20000; ++i) {
    std::string mutated = bytes;
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    mutated[state % mutated.size()] = static_cast<char>(state >> 24);
    (void)DecodeBatch(mutated);
  }
}

}  // namespace
}  // namespace tandem::replication
