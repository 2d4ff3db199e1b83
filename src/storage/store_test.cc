#include "storage/store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "storage/key_codec.h"

namespace tandem::storage {
namespace {

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("tandem-store-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen() {
    store_.reset();
    Store::Options options;
    options.dir = dir_;
    options.region = "us-east-1";
    options.clock = &clock_;
    options.sync = false;
    auto opened = Store::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(opened).value();
  }
  std::shared_ptr<const TableMeta> MakeTable(const std::string& name) {
    TableMeta meta;
    meta.name = name;
    meta.hash_key = {"id", ValueType::kS};
    meta.range_key = KeyElement{"n", ValueType::kN};
    auto created = store_->CreateTable(meta);
    EXPECT_TRUE(created.ok());
    return *created;
  }
  static Item Key(const std::string& id, const std::string& n) {
    return {{"id", Value::S(id)}, {"n", Value::N(n)}};
  }
  Status Put(const TableMeta& t, Item item) {
    Item key = Key(item.at("id").scalar, item.at("n").scalar);
    return store_->Mutate(t, key, [&](const std::optional<Item>&) -> StatusOr<Store::Mutation> {
      return Store::Mutation{Store::Mutation::Kind::kPut, item};
    });
  }
  Status Delete(const TableMeta& t, const Item& key) {
    return store_->Mutate(t, key, [](const std::optional<Item>&) -> StatusOr<Store::Mutation> {
      return Store::Mutation{Store::Mutation::Kind::kDelete, {}};
    });
  }

  std::string dir_;
  ManualClock clock_;
  std::unique_ptr<Store> store_;
};

TEST_F(StoreTest, EveryWriteLeavesOneChangeRecordInOrder) {
  auto t = MakeTable("orders");
  Item a = Key("a", "1");
  a["qty"] = Value::N("3");
  ASSERT_TRUE(Put(*t, a).ok());
  ASSERT_TRUE(Delete(*t, Key("a", "1")).ok());
  ASSERT_TRUE(Delete(*t, Key("never", "1")).ok());  // deleting nothing logs nothing

  auto changes = store_->ReadChanges(0, 100);
  ASSERT_TRUE(changes.ok());
  ASSERT_EQ(changes->size(), 2u);
  const ChangeRecord& put = (*changes)[0];
  const ChangeRecord& del = (*changes)[1];
  EXPECT_EQ(put.seq, 1u);
  EXPECT_EQ(put.table, "orders");
  EXPECT_EQ(Value::Map(put.key), Value::Map(Key("a", "1")));
  ASSERT_TRUE(put.image.has_value());
  EXPECT_EQ(Value::Map(*put.image), Value::Map(a));
  EXPECT_FALSE(put.meta.tombstone);
  EXPECT_EQ(put.meta.origin, RegionId("us-east-1"));
  EXPECT_EQ(del.seq, 2u);
  EXPECT_TRUE(del.meta.tombstone);
  EXPECT_FALSE(del.image.has_value());
  EXPECT_GT(del.meta.hlc, put.meta.hlc);
  EXPECT_EQ(store_->CommittedSeq(), 2u);

  auto after_first = store_->ReadChanges(1, 100);
  ASSERT_TRUE(after_first.ok());
  ASSERT_EQ(after_first->size(), 1u);
  EXPECT_EQ((*after_first)[0].seq, 2u);
}

TEST_F(StoreTest, ChangeLogAndClockSurviveReopen) {
  auto t = MakeTable("orders");
  ASSERT_TRUE(Put(*t, Key("a", "1")).ok());
  auto before = store_->ReadChanges(0, 10);
  const uint64_t last_hlc = (*before)[0].meta.hlc;
  clock_.Advance(-60'000'000);  // the wall clock steps back a minute across the restart
  Reopen();
  auto table = store_->FindTable("orders");
  ASSERT_NE(table, nullptr);
  ASSERT_TRUE(Put(*table, Key("b", "2")).ok());
  auto changes = store_->ReadChanges(0, 10);
  ASSERT_EQ(changes->size(), 2u);
  EXPECT_EQ((*changes)[1].seq, 2u);
  EXPECT_GT((*changes)[1].meta.hlc, last_hlc);
}

TEST_F(StoreTest, DeletedItemsAreTombstonesInvisibleToReadsAndCursors) {
  auto t = MakeTable("orders");
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(Put(*t, Key("p", std::to_string(i))).ok());
  ASSERT_TRUE(Delete(*t, Key("p", "2")).ok());
  auto got = store_->GetItem(*t, Key("p", "2"));
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());
  const std::string prefix = PartitionPrefix(t->id, Value::S("p"));
  std::vector<std::string> seen;
  for (auto c = store_->NewCursor(prefix, PrefixSuccessor(prefix), /*reverse=*/true); c->Valid();
       c->Next()) {
    seen.push_back(c->item()->at("n").scalar);
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"4", "3", "1", "0"}));
  TableStats stats = store_->Stats(t->id);
  EXPECT_EQ(stats.item_count, 4);
  EXPECT_GT(stats.size_bytes, 0);
}

TEST_F(StoreTest, DeciderSeesCurrentItemAndCanRefuse) {
  auto t = MakeTable("orders");
  Item v1 = Key("a", "1");
  v1["v"] = Value::N("1");
  ASSERT_TRUE(Put(*t, v1).ok());
  Status st = store_->Mutate(*t, Key("a", "1"),
                             [&](const std::optional<Item>& current) -> StatusOr<Store::Mutation> {
                               EXPECT_TRUE(current.has_value());
                               EXPECT_EQ(current->at("v"), Value::N("1"));
                               return Status::FailedPrecondition("no");
                             });
  EXPECT_EQ(st.code(), Status::Code::kFailedPrecondition);
  EXPECT_EQ(store_->CommittedSeq(), 1u);  // the refused write logged nothing
}

TEST_F(StoreTest, ConcurrentReadModifyWritesDoNotLoseUpdates) {
  auto t = MakeTable("counters");
  ASSERT_TRUE(Put(*t, Key("c", "0")).ok());
  constexpr int kThreads = 4;
  constexpr int kIncrements = 200;
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < kIncrements; ++j) {
        Status st = store_->Mutate(
            *t, Key("c", "0"), [](const std::optional<Item>& current) -> StatusOr<Store::Mutation> {
              Item next = *current;
              const int64_t n = next.count("count") ? std::stoll(next.at("count").scalar) : 0;
              next["count"] = Value::N(std::to_string(n + 1));
              return Store::Mutation{Store::Mutation::Kind::kPut, next};
            });
        ASSERT_TRUE(st.ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  auto got = store_->GetItem(*t, Key("c", "0"));
  EXPECT_EQ((*got)->at("count").scalar, std::to_string(kThreads * kIncrements));
  EXPECT_EQ(store_->CommittedSeq(), static_cast<uint64_t>(kThreads * kIncrements + 1));
}

TEST_F(StoreTest, TablesPersistAndDeleteRemovesItems) {
  auto t = MakeTable("orders");
  ASSERT_TRUE(Put(*t, Key("a", "1")).ok());
  EXPECT_EQ(store_->CreateTable(*t).status().code(), Status::Code::kAlreadyExists);
  Reopen();
  ASSERT_NE(store_->FindTable("orders"), nullptr);
  ASSERT_TRUE(store_->DeleteTable("orders").ok());
  EXPECT_EQ(store_->FindTable("orders"), nullptr);
  auto again = MakeTable("orders");
  EXPECT_NE(again->id, t->id);  // ids are never reused
  auto got = store_->GetItem(*again, Key("a", "1"));
  EXPECT_FALSE(got->has_value());
}

// A put decider for MutateMany.
Store::Decider PutOf(Item item) {
  return [item = std::move(item)](const std::optional<Item>&) -> StatusOr<Store::Mutation> {
    return Store::Mutation{Store::Mutation::Kind::kPut, item};
  };
}

Store::Decider DeleteIt() {
  return [](const std::optional<Item>&) -> StatusOr<Store::Mutation> {
    return Store::Mutation{Store::Mutation::Kind::kDelete, {}};
  };
}

// Increments the "count" attribute of the item (0 when absent).
Store::Decider Increment(Item key) {
  return [key = std::move(key)](const std::optional<Item>& current) -> StatusOr<Store::Mutation> {
    Item next = current ? *current : key;
    const int64_t n = next.count("count") ? std::stoll(next.at("count").scalar) : 0;
    next["count"] = Value::N(std::to_string(n + 1));
    return Store::Mutation{Store::Mutation::Kind::kPut, next};
  };
}

TEST_F(StoreTest, MutateManyCommitsEveryWriteWithItsOwnChangeRecordAndStats) {
  auto orders = MakeTable("orders");
  auto users = MakeTable("users");
  ASSERT_TRUE(Put(*orders, Key("gone", "1")).ok());

  const Item k1 = Key("a", "1");
  const Item k2 = Key("b", "2");
  const Item k3 = Key("u", "1");
  const Item k4 = Key("gone", "1");
  Item v1 = k1;
  v1["qty"] = Value::N("3");
  auto results = store_->MutateMany({{orders.get(), &k1, PutOf(v1)},
                                     {orders.get(), &k2, PutOf(k2)},
                                     {users.get(), &k3, PutOf(k3)},
                                     {orders.get(), &k4, DeleteIt()}});
  ASSERT_TRUE(results.ok()) << results.status().ToString();
  ASSERT_EQ(results->size(), 4u);
  for (const Status& st : *results) EXPECT_TRUE(st.ok()) << st.ToString();

  auto got = store_->GetItem(*orders, k1);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ(Value::Map(**got), Value::Map(v1));
  EXPECT_TRUE(store_->GetItem(*users, k3)->has_value());
  EXPECT_FALSE(store_->GetItem(*orders, k4)->has_value());

  // One record per write, in the order given, each with its own sequence
  // number and a later timestamp than the one before.
  auto changes = store_->ReadChanges(1, 100);
  ASSERT_TRUE(changes.ok());
  ASSERT_EQ(changes->size(), 4u);
  const std::vector<std::string> tables = {"orders", "orders", "users", "orders"};
  const std::vector<Item> keys = {k1, k2, k3, k4};
  for (size_t i = 0; i < 4; ++i) {
    const ChangeRecord& rec = (*changes)[i];
    EXPECT_EQ(rec.seq, i + 2);
    EXPECT_EQ(rec.table, tables[i]);
    EXPECT_EQ(Value::Map(rec.key), Value::Map(keys[i]));
    if (i > 0) {
      EXPECT_GT(rec.meta.hlc, (*changes)[i - 1].meta.hlc);
    }
  }
  EXPECT_TRUE((*changes)[3].meta.tombstone);
  EXPECT_FALSE((*changes)[3].image.has_value());
  EXPECT_EQ(store_->CommittedSeq(), 5u);

  EXPECT_EQ(store_->Stats(orders->id).item_count, 2);  // +1 (gone) +2 (a, b) -1 (gone)
  EXPECT_EQ(store_->Stats(users->id).item_count, 1);
  EXPECT_GT(store_->Stats(orders->id).size_bytes, store_->Stats(users->id).size_bytes);

  // The batch is durable as a whole.
  Reopen();
  auto table = store_->FindTable("orders");
  EXPECT_TRUE(store_->GetItem(*table, k2)->has_value());
  EXPECT_EQ(store_->CommittedSeq(), 5u);
}

TEST_F(StoreTest, MutateManyLaterWritesOfAKeySeeTheEarlierOnes) {
  auto t = MakeTable("counters");
  const Item k = Key("c", "0");
  const Item other = Key("d", "0");
  auto results = store_->MutateMany({{t.get(), &k, Increment(k)},
                                     {t.get(), &other, Increment(other)},
                                     {t.get(), &k, Increment(k)},
                                     {t.get(), &k, DeleteIt()},
                                     {t.get(), &k, Increment(k)}});
  ASSERT_TRUE(results.ok()) << results.status().ToString();
  auto got = store_->GetItem(*t, k);
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->at("count").scalar, "1");  // 1, 2, deleted, 1
  auto changes = store_->ReadChanges(0, 100);
  ASSERT_EQ(changes->size(), 5u);
  EXPECT_EQ((*changes)[2].image->at("count").scalar, "2");
  EXPECT_TRUE((*changes)[3].meta.tombstone);
  EXPECT_EQ(store_->Stats(t->id).item_count, 2);
  EXPECT_EQ(store_->CommittedSeq(), 5u);
}

TEST_F(StoreTest, MutateManyWithMoreKeysThanLockStripesSharesStripes) {
  // More distinct keys than the store has lock stripes (4096): some stripes
  // are shared by several keys, and each must be locked once, not twice.
  auto t = MakeTable("wide");
  constexpr int kKeys = 5000;
  std::vector<Item> keys;
  keys.reserve(kKeys);
  for (int i = 0; i < kKeys; ++i) keys.push_back(Key("k", std::to_string(i)));
  std::vector<Store::Write> writes;
  for (const Item& k : keys) writes.push_back({t.get(), &k, PutOf(k)});
  auto results = store_->MutateMany(writes);
  ASSERT_TRUE(results.ok()) << results.status().ToString();
  EXPECT_EQ(store_->Stats(t->id).item_count, kKeys);
  EXPECT_EQ(store_->CommittedSeq(), static_cast<uint64_t>(kKeys));
  auto changes = store_->ReadChanges(kKeys - 1, 10);
  ASSERT_EQ(changes->size(), 1u);
  EXPECT_EQ(Value::Map((*changes)[0].key), Value::Map(keys.back()));
}

TEST_F(StoreTest, MutateManyRefusedWriteSkipsOnlyItself) {
  auto t = MakeTable("orders");
  const Item a = Key("a", "1");
  const Item b = Key("b", "1");
  const Item c = Key("c", "1");
  auto refuse = [](const std::optional<Item>&) -> StatusOr<Store::Mutation> {
    return Status::FailedPrecondition("no");
  };
  auto nothing = [](const std::optional<Item>&) -> StatusOr<Store::Mutation> {
    return Store::Mutation{};
  };
  const Item never = Key("never", "1");
  auto results = store_->MutateMany({{t.get(), &a, PutOf(a)},
                                     {t.get(), &b, refuse},
                                     {t.get(), &c, nothing},
                                     {t.get(), &never, DeleteIt()}});
  ASSERT_TRUE(results.ok());
  EXPECT_TRUE((*results)[0].ok());
  EXPECT_EQ((*results)[1].code(), Status::Code::kFailedPrecondition);
  EXPECT_TRUE((*results)[2].ok());
  EXPECT_TRUE((*results)[3].ok());  // deleting nothing writes nothing
  EXPECT_FALSE(store_->GetItem(*t, b)->has_value());
  auto changes = store_->ReadChanges(0, 100);
  ASSERT_EQ(changes->size(), 1u);  // no holes: refused and empty writes take no sequence
  EXPECT_EQ(store_->CommittedSeq(), 1u);
  EXPECT_TRUE(store_->MutateMany({})->empty());
  EXPECT_EQ(store_->CommittedSeq(), 1u);
}

TEST_F(StoreTest, ConcurrentMutateManyInOppositeOrdersNeitherDeadlocksNorLosesUpdates) {
  auto t = MakeTable("counters");
  const Item x = Key("x", "0");
  const Item y = Key("y", "0");
  constexpr int kThreads = 4;
  constexpr int kRounds = 200;
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      for (int j = 0; j < kRounds; ++j) {
        // Half the threads name x first, half y first; with Mutate on x mixed in.
        auto results = i % 2 == 0 ? store_->MutateMany({{t.get(), &x, Increment(x)},
                                                        {t.get(), &y, Increment(y)}})
                                  : store_->MutateMany({{t.get(), &y, Increment(y)},
                                                        {t.get(), &x, Increment(x)}});
        ASSERT_TRUE(results.ok());
        ASSERT_TRUE(store_->Mutate(*t, x, Increment(x)).ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ((*store_->GetItem(*t, x))->at("count").scalar, std::to_string(2 * kThreads * kRounds));
  EXPECT_EQ((*store_->GetItem(*t, y))->at("count").scalar, std::to_string(kThreads * kRounds));
  EXPECT_EQ(store_->CommittedSeq(), static_cast<uint64_t>(3 * kThreads * kRounds));
  auto changes = store_->ReadChanges(0, 10 * kThreads * kRounds);
  ASSERT_EQ(changes->size(), static_cast<size_t>(3 * kThreads * kRounds));
  for (size_t i = 0; i < changes->size(); ++i) EXPECT_EQ((*changes)[i].seq, i + 1);
}

TEST_F(StoreTest, SecondOpenOfTheSameDirectoryIsRefused) {
  Store::Options options;
  options.dir = dir_;
  options.region = "us-east-1";
  auto second = Store::Open(options);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("in use by another tandem node"), std::string::npos);
}

}  // namespace
}  // namespace tandem::storage
