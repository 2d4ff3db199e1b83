#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "storage/digest.h"
#include "storage/key_codec.h"
#include "storage/store.h"

namespace tandem::storage {
namespace {

// Two stores in different regions, as two replicas of one table.
class DigestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = std::filesystem::temp_directory_path() /
            ("tandem-digest-test-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(base_);
    a_ = Open("a", "us-east-1");
    b_ = Open("b", "eu-west-1");
  }
  void TearDown() override {
    a_.reset();
    b_.reset();
    std::filesystem::remove_all(base_);
  }
  std::unique_ptr<Store> Open(const std::string& sub, const std::string& region) {
    Store::Options options;
    options.dir = base_ + "/" + sub;
    options.region = region;
    options.clock = &clock_;
    options.sync = false;
    options.maintenance_interval = std::chrono::milliseconds(0);
    auto opened = Store::Open(options);
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    return opened.ok() ? std::move(opened).value() : nullptr;
  }
  static std::shared_ptr<const TableMeta> MakeTable(Store* s, bool padding_table = false) {
    if (padding_table) {
      // Gives the next table a different id here than on the other replica.
      TableMeta pad;
      pad.name = "pad";
      pad.hash_key = {"id", ValueType::kS};
      EXPECT_TRUE(s->CreateTable(pad).ok());
    }
    TableMeta meta;
    meta.name = "orders";
    meta.hash_key = {"id", ValueType::kS};
    auto created = s->CreateTable(meta);
    EXPECT_TRUE(created.ok());
    return *created;
  }
  static Item Key(const std::string& id) { return {{"id", Value::S(id)}}; }
  static Status Put(Store* s, const TableMeta& t, const std::string& id, const std::string& qty) {
    Item item = Key(id);
    item["qty"] = Value::N(qty);
    return s->Mutate(t, Key(id), [&](const std::optional<Item>&) -> StatusOr<Store::Mutation> {
      return Store::Mutation{Store::Mutation::Kind::kPut, item};
    });
  }
  static Status Delete(Store* s, const TableMeta& t, const std::string& id) {
    return s->Mutate(t, Key(id), [](const std::optional<Item>&) -> StatusOr<Store::Mutation> {
      return Store::Mutation{Store::Mutation::Kind::kDelete, {}};
    });
  }
  // Ships all of `from`'s change log to `to`, as replication does.
  static void Ship(Store* from, Store* to) {
    auto changes = from->ReadChanges(to->ReceiveCursor(from->region()), 100000);
    ASSERT_TRUE(changes.ok());
    if (changes->empty()) return;
    ASSERT_TRUE(to->ApplyReplicated(from->region(), changes->back().seq, *changes).ok());
  }
  static std::vector<RangeDigest> Digests(Store* s) {
    auto d = s->TableDigests(*s->FindTable("orders"));
    EXPECT_TRUE(d.ok());
    return d.ok() ? *d : std::vector<RangeDigest>{};
  }
  static std::vector<uint32_t> Differing(Store* x, Store* y) {
    std::vector<uint32_t> out;
    auto dx = Digests(x);
    auto dy = Digests(y);
    for (uint32_t r = 0; r < kDigestRanges; ++r) {
      if (dx[r] != dy[r]) out.push_back(r);
    }
    return out;
  }

  std::string base_;
  ManualClock clock_;
  std::unique_ptr<Store> a_;
  std::unique_ptr<Store> b_;
};

TEST_F(DigestTest, ReplicasThatConvergeHaveEqualDigestsWhateverTheOrderAndTableIds) {
  auto ta = MakeTable(a_.get());
  auto tb = MakeTable(b_.get(), /*padding_table=*/true);
  ASSERT_NE(ta->id, tb->id);
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(Put(a_.get(), *ta, "k" + std::to_string(i), std::to_string(i)).ok());
  }
  for (int i = 100; i < 300; ++i) {
    clock_.Advance(10);
    ASSERT_TRUE(Put(b_.get(), *tb, "k" + std::to_string(i), "-" + std::to_string(i)).ok());
  }
  ASSERT_TRUE(Delete(a_.get(), *ta, "k5").ok());
  ASSERT_TRUE(Delete(b_.get(), *tb, "k250").ok());
  EXPECT_FALSE(Differing(a_.get(), b_.get()).empty());
  Ship(a_.get(), b_.get());
  Ship(b_.get(), a_.get());
  EXPECT_TRUE(Differing(a_.get(), b_.get()).empty());
  // Both hold 297 live items, and the digests are not trivially empty.
  int nonempty = 0;
  for (const auto& d : Digests(a_.get())) nonempty += d.empty() ? 0 : 1;
  EXPECT_GT(nonempty, 200);
}

TEST_F(DigestTest, ALostRecordShowsInExactlyItsKeysRange) {
  auto ta = MakeTable(a_.get());
  auto tb = MakeTable(b_.get());
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(Put(a_.get(), *ta, "k" + std::to_string(i), "1").ok());
  }
  Ship(a_.get(), b_.get());
  ASSERT_TRUE(Differing(a_.get(), b_.get()).empty());
  // An update that b never receives (a lost batch).
  ASSERT_TRUE(Put(a_.get(), *ta, "k7", "2").ok());
  const std::string key = ItemKey(ta->id, Value::S("k7"), nullptr);
  EXPECT_EQ(Differing(a_.get(), b_.get()), std::vector<uint32_t>{DigestRangeOf(key)});
  // The range listing names the key, with both versions.
  auto va = a_->RangeVersions(*ta, DigestRangeOf(key), "", 1000);
  auto vb = b_->RangeVersions(*tb, DigestRangeOf(key), "", 1000);
  ASSERT_TRUE(va.ok() && vb.ok());
  ASSERT_EQ(va->size(), vb->size());
  int differing = 0;
  for (size_t i = 0; i < va->size(); ++i) {
    ASSERT_EQ((*va)[i].key_suffix, (*vb)[i].key_suffix);
    if ((*va)[i].hash != (*vb)[i].hash) {
      ++differing;
      auto k = KeyFromSuffix(ta->hash_key, ta->range_key, (*va)[i].key_suffix);
      ASSERT_TRUE(k.ok());
      EXPECT_EQ(k->at("id").scalar, "k7");
      EXPECT_GT((*va)[i].meta.hlc, (*vb)[i].meta.hlc);
    }
  }
  EXPECT_EQ(differing, 1);
  // Re-announcing the key (anti-entropy's repair) and shipping converges.
  std::vector<std::string> suffixes{key.substr(4)};
  auto announced = a_->AnnounceKeys(*ta, suffixes);
  ASSERT_TRUE(announced.ok());
  EXPECT_EQ(*announced, 1u);
  auto logged = a_->ReadChanges(a_->CommittedSeq() - 1, 10);
  ASSERT_TRUE(logged.ok());
  ASSERT_EQ(logged->size(), 1u);
  EXPECT_TRUE((*logged)[0].resend);  // shipped even to the key's origin
  EXPECT_EQ((*logged)[0].key.at("id").scalar, "k7");
  Ship(a_.get(), b_.get());
  EXPECT_TRUE(Differing(a_.get(), b_.get()).empty());
}

TEST_F(DigestTest, TombstonesCountAsNothing) {
  auto ta = MakeTable(a_.get());
  auto tb = MakeTable(b_.get());
  ASSERT_TRUE(Put(a_.get(), *ta, "x", "1").ok());
  ASSERT_TRUE(Delete(a_.get(), *ta, "x").ok());
  // b never saw x at all; a holds its tombstone.
  EXPECT_TRUE(Differing(a_.get(), b_.get()).empty());
  const std::string key = ItemKey(ta->id, Value::S("x"), nullptr);
  auto va = a_->RangeVersions(*ta, DigestRangeOf(key), "", 10);
  ASSERT_TRUE(va.ok());
  ASSERT_EQ(va->size(), 1u);
  EXPECT_TRUE((*va)[0].meta.tombstone);
  EXPECT_TRUE((*va)[0].hash.empty());
}

TEST_F(DigestTest, IncrementalDigestsEqualARebuildFromTheItems) {
  auto ta = MakeTable(a_.get());
  std::mt19937 rng(7);
  for (int i = 0; i < 2000; ++i) {
    const std::string id = "k" + std::to_string(rng() % 300);
    if (rng() % 4 == 0) {
      ASSERT_TRUE(Delete(a_.get(), *ta, id).ok());
    } else {
      ASSERT_TRUE(Put(a_.get(), *ta, id, std::to_string(rng() % 1000)).ok());
    }
  }
  // MutateMany with a key written twice in one batch.
  Item k1 = Key("dup");
  Item v1 = k1;
  v1["qty"] = Value::N("1");
  Item v2 = k1;
  v2["qty"] = Value::N("2");
  std::vector<Store::Write> writes;
  for (const Item* v : {&v1, &v2}) {
    writes.push_back({ta.get(), &k1, [v](const std::optional<Item>&) -> StatusOr<Store::Mutation> {
                        return Store::Mutation{Store::Mutation::Kind::kPut, *v};
                      }});
  }
  ASSERT_TRUE(a_->MutateMany(writes).ok());
  const auto incremental = Digests(a_.get());

  ASSERT_TRUE(a_->RecomputeDigests().ok());
  EXPECT_EQ(Digests(a_.get()), incremental);
}

TEST_F(DigestTest, RangeVersionsPagesInKeyOrder) {
  auto ta = MakeTable(a_.get());
  for (int i = 0; i < 3000; ++i) {
    ASSERT_TRUE(Put(a_.get(), *ta, "k" + std::to_string(i), "1").ok());
  }
  size_t total = 0;
  for (uint32_t r = 0; r < kDigestRanges; ++r) {
    std::string after;
    std::string previous;
    while (true) {
      auto page = a_->RangeVersions(*ta, r, after, 2);
      ASSERT_TRUE(page.ok());
      for (const auto& e : *page) {
        EXPECT_LT(previous, e.key_suffix);
        previous = e.key_suffix;
        EXPECT_EQ(DigestRangeOf(ItemKeyPrefix(ta->id) + e.key_suffix), r);
      }
      total += page->size();
      if (page->size() < 2) break;
      after = page->back().key_suffix;
    }
  }
  EXPECT_EQ(total, 3000u);
  EXPECT_FALSE(a_->RangeVersions(*ta, kDigestRanges, "", 1).ok());
}

TEST(RangeDigestTest, HexRoundTripsAndRejectsJunk) {
  RangeDigest d{0x0123456789abcdefULL, 0xfedcba9876543210ULL};
  EXPECT_EQ(d.ToHex(), "fedcba98765432100123456789abcdef");
  RangeDigest back;
  ASSERT_TRUE(RangeDigest::FromHex(d.ToHex(), &back));
  EXPECT_EQ(back, d);
  EXPECT_FALSE(RangeDigest::FromHex("xyz", &back));
  EXPECT_FALSE(RangeDigest::FromHex(std::string(32, 'G'), &back));
}

}  // namespace
}  // namespace tandem::storage
