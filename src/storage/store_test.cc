#include "storage/store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <future>
#include <map>
#include <set>
#include <thread>

#include "storage/key_codec.h"
#include "types/item_size.h"

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
    options.sync = sync_;
    options.maintenance_interval = std::chrono::milliseconds(0);  // RunMaintenance() by hand
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
  bool sync_ = false;  // a synced WAL, for the DeferSync tests
  ManualClock clock_;
  std::unique_ptr<Store> store_;
};

// A write under DeferSync is written at once (readers see it) but held back
// from the change log's readers until the syncer's sync, which AfterSync
// reports; a write outside any scope is synced and committed on return.
TEST_F(StoreTest, DeferredWritesReachTheChangeLogOnlyAfterTheirSync) {
  sync_ = true;
  Reopen();
  auto t = MakeTable("orders");
  Item a = Key("a", "1");
  ASSERT_TRUE(Put(*t, a).ok());
  const uint64_t before = store_->CommittedSeq();
  EXPECT_EQ(before, 1u);

  Item b = Key("b", "1");
  bool pending = false;
  {
    Store::DeferSync defer(store_.get());
    ASSERT_TRUE(Put(*t, b).ok());
    pending = defer.pending();
  }
  EXPECT_TRUE(pending);
  auto read = store_->GetItem(*t, Key("b", "1"));
  ASSERT_TRUE(read.ok());
  EXPECT_TRUE(read->has_value());

  std::promise<std::pair<Status, uint64_t>> synced;
  store_->AfterSync([&](Status st) { synced.set_value({st, store_->CommittedSeq()}); });
  auto f = synced.get_future();
  ASSERT_EQ(f.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  auto [st, committed] = f.get();
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(committed, 2u);
  auto changes = store_->ReadChanges(0, 100);
  ASSERT_TRUE(changes.ok());
  EXPECT_EQ(changes->size(), 2u);
}

TEST_F(StoreTest, ADeferredWriteThatWritesNothingIsNotPending) {
  sync_ = true;
  Reopen();
  auto t = MakeTable("orders");
  Store::DeferSync defer(store_.get());
  ASSERT_TRUE(Delete(*t, Key("never", "1")).ok());  // deleting nothing writes nothing
  EXPECT_FALSE(defer.pending());
}

TEST_F(StoreTest, DeferSyncOnAnUnsyncedStoreChangesNothing) {
  auto t = MakeTable("orders");
  Store::DeferSync defer(store_.get());
  ASSERT_TRUE(Put(*t, Key("a", "1")).ok());
  EXPECT_FALSE(defer.pending());
  EXPECT_EQ(store_->CommittedSeq(), 1u);
  bool called = false;
  store_->AfterSync([&](Status st) { called = st.ok(); });
  EXPECT_TRUE(called);
}

// Records written under DeferSync before a close are synced by the close and
// are there after reopening.
TEST_F(StoreTest, DeferredWritesSurviveAnOrderlyClose) {
  sync_ = true;
  Reopen();
  auto t = MakeTable("orders");
  {
    Store::DeferSync defer(store_.get());
    for (int i = 0; i < 20; ++i) ASSERT_TRUE(Put(*t, Key("k" + std::to_string(i), "1")).ok());
  }
  Reopen();
  auto table = store_->FindTable("orders");
  ASSERT_NE(table, nullptr);
  for (int i = 0; i < 20; ++i) {
    auto read = store_->GetItem(*table, Key("k" + std::to_string(i), "1"));
    ASSERT_TRUE(read.ok());
    EXPECT_TRUE(read->has_value()) << i;
  }
  EXPECT_EQ(store_->CommittedSeq(), 20u);
}

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
        auto results =
            i % 2 == 0
                ? store_->MutateMany({{t.get(), &x, Increment(x)}, {t.get(), &y, Increment(y)}})
                : store_->MutateMany({{t.get(), &y, Increment(y)}, {t.get(), &x, Increment(x)}});
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

// ---- ApplyReplicated and AnnounceTable ----

// A timestamp at the ManualClock's time plus `ms` milliseconds (logical 0).
uint64_t Hlc(int64_t ms) {
  return static_cast<uint64_t>(1'700'000'000'000 + ms) << HybridClock::kLogicalBits;
}

ChangeRecord Rec(uint64_t seq, const std::string& id, uint64_t hlc, std::string_view origin,
                 std::optional<std::string> qty) {
  ChangeRecord r;
  r.seq = seq;
  r.table = "orders";
  r.key = {{"id", Value::S(id)}, {"n", Value::N("1")}};
  r.meta = {hlc, RegionId(origin), !qty.has_value()};
  if (qty) {
    r.image = r.key;
    (*r.image)["qty"] = Value::N(*qty);
  }
  return r;
}

class ApplyTest : public StoreTest {
 protected:
  // The stored qty of ("id", "1"), or "" when absent or deleted.
  std::string Qty(const std::string& id) {
    auto got = store_->GetItem(*store_->FindTable("orders"), Key(id, "1"));
    EXPECT_TRUE(got.ok());
    if (!got.ok() || !got->has_value()) return "";
    return (*got)->at("qty").scalar;
  }
  Store::ApplyStats Apply(std::string_view source, uint64_t last_seq,
                          const std::vector<ChangeRecord>& records) {
    auto applied = store_->ApplyReplicated(source, last_seq, records);
    EXPECT_TRUE(applied.ok()) << applied.status().ToString();
    return applied.ok() ? *applied : Store::ApplyStats{};
  }
};

TEST_F(ApplyTest, LastWriterWinsByTimestampThenOrigin) {
  MakeTable("orders");
  // RegionId: us-west-2 > eu-west-1 > ap-south-1 > us-east-1.
  ASSERT_GT(RegionId("us-west-2"), RegionId("eu-west-1"));
  ASSERT_GT(RegionId("eu-west-1"), RegionId("ap-south-1"));
  auto s = Apply("eu-west-1", 1, {Rec(1, "a", Hlc(10), "eu-west-1", "1")});
  EXPECT_EQ(s.applied, 1u);
  EXPECT_EQ(Qty("a"), "1");
  // Older timestamp loses even from a "bigger" origin.
  s = Apply("us-west-2", 1, {Rec(1, "a", Hlc(9), "us-west-2", "2")});
  EXPECT_EQ(s.discarded, 1u);
  EXPECT_EQ(Qty("a"), "1");
  // Same timestamp: the bigger origin wins, the smaller one loses.
  s = Apply("ap-south-1", 1, {Rec(1, "a", Hlc(10), "ap-south-1", "3")});
  EXPECT_EQ(s.discarded, 1u);
  EXPECT_EQ(Qty("a"), "1");
  s = Apply("us-west-2", 2, {Rec(2, "a", Hlc(10), "us-west-2", "4")});
  EXPECT_EQ(s.applied, 1u);
  EXPECT_EQ(Qty("a"), "4");
  // The very same version again (same timestamp and origin) is not newer.
  s = Apply("eu-west-1", 2, {Rec(2, "a", Hlc(10), "us-west-2", "4")});
  EXPECT_EQ(s.discarded, 1u);
  // A newer timestamp wins whatever its origin.
  s = Apply("ap-south-1", 2, {Rec(2, "a", Hlc(11), "ap-south-1", "5")});
  EXPECT_EQ(s.applied, 1u);
  EXPECT_EQ(Qty("a"), "5");
}

TEST_F(ApplyTest, TieBreakIsTheSameWhateverTheArrivalOrder) {
  MakeTable("orders");
  const auto low = Rec(1, "a", Hlc(10), "ap-south-1", "low");
  const auto high = Rec(1, "a", Hlc(10), "us-west-2", "high");
  Apply("ap-south-1", 1, {low});
  Apply("us-west-2", 1, {high});
  EXPECT_EQ(Qty("a"), "high");
  Apply("ap-south-1", 2, {Rec(2, "b", Hlc(10), "us-west-2", "high")});
  Apply("us-west-2", 2, {Rec(2, "b", Hlc(10), "ap-south-1", "low")});
  EXPECT_EQ(Qty("b"), "high");
}

TEST_F(ApplyTest, ReplicatedWritesCompeteWithLocalOnes) {
  auto t = MakeTable("orders");
  Item local = Key("a", "1");
  local["qty"] = Value::N("7");
  ASSERT_TRUE(Put(*t, local).ok());
  const uint64_t local_hlc = (*store_->ReadChanges(0, 1))[0].meta.hlc;
  auto s = Apply("eu-west-1", 1, {Rec(1, "a", local_hlc - 1, "eu-west-1", "1")});
  EXPECT_EQ(s.discarded, 1u);
  EXPECT_EQ(Qty("a"), "7");
  s = Apply("eu-west-1", 2, {Rec(2, "a", local_hlc + 1, "eu-west-1", "2")});
  EXPECT_EQ(s.applied, 1u);
  EXPECT_EQ(Qty("a"), "2");
  // A local write after it orders after it: the clock observed the remote time.
  ASSERT_TRUE(Put(*t, local).ok());
  auto changes = store_->ReadChanges(0, 10);
  EXPECT_GT(changes->back().meta.hlc, local_hlc + 1);
  EXPECT_EQ(Qty("a"), "7");
}

TEST_F(ApplyTest, TombstonesReplaceOlderPutsAndAbsentItemsAndBlockOlderPuts) {
  auto t = MakeTable("orders");
  Apply("eu-west-1", 1, {Rec(1, "a", Hlc(10), "eu-west-1", "1")});
  EXPECT_EQ(store_->Stats(t->id).item_count, 1);
  // A tombstone over an older put deletes it.
  auto s = Apply("eu-west-1", 2, {Rec(2, "a", Hlc(20), "eu-west-1", std::nullopt)});
  EXPECT_EQ(s.applied, 1u);
  EXPECT_EQ(Qty("a"), "");
  EXPECT_EQ(store_->Stats(t->id).item_count, 0);
  // A tombstone over an absent item is stored too (it must block older puts).
  s = Apply("eu-west-1", 3, {Rec(3, "b", Hlc(20), "eu-west-1", std::nullopt)});
  EXPECT_EQ(s.applied, 1u);
  EXPECT_EQ(store_->Stats(t->id).item_count, 0);
  // Puts older than the tombstones are discarded; a newer one revives the item.
  s = Apply("ap-south-1", 1,
            {Rec(1, "a", Hlc(15), "ap-south-1", "2"), Rec(2, "b", Hlc(19), "ap-south-1", "2")});
  EXPECT_EQ(s.discarded, 2u);
  EXPECT_EQ(Qty("a"), "");
  EXPECT_EQ(Qty("b"), "");
  s = Apply("ap-south-1", 3, {Rec(3, "b", Hlc(21), "ap-south-1", "3")});
  EXPECT_EQ(s.applied, 1u);
  EXPECT_EQ(Qty("b"), "3");
  EXPECT_EQ(store_->Stats(t->id).item_count, 1);
  // An older tombstone does not delete a newer put.
  s = Apply("eu-west-1", 4, {Rec(4, "b", Hlc(20), "eu-west-1", std::nullopt)});
  EXPECT_EQ(s.discarded, 1u);
  EXPECT_EQ(Qty("b"), "3");
}

TEST_F(ApplyTest, RepeatedKeysInOneBatchKeepTheNewestAndCountStatsOnce) {
  auto t = MakeTable("orders");
  auto s = Apply(
      "eu-west-1", 6,
      {Rec(1, "a", Hlc(10), "eu-west-1", "1"), Rec(2, "a", Hlc(12), "eu-west-1", "2"),
       Rec(3, "a", Hlc(11), "eu-west-1", "old"),  // older than seq 2: discarded
       Rec(4, "b", Hlc(10), "eu-west-1", "1"), Rec(5, "b", Hlc(13), "eu-west-1", std::nullopt),
       Rec(6, "b", Hlc(14), "eu-west-1", "22")});
  EXPECT_EQ(s.applied, 5u);
  EXPECT_EQ(s.discarded, 1u);
  EXPECT_EQ(Qty("a"), "2");
  EXPECT_EQ(Qty("b"), "22");
  EXPECT_EQ(store_->Stats(t->id).item_count, 2);
  Item a = Key("a", "1");
  a["qty"] = Value::N("2");
  Item b = Key("b", "1");
  b["qty"] = Value::N("22");
  EXPECT_EQ(store_->Stats(t->id).size_bytes, static_cast<int64_t>(ItemSize(a) + ItemSize(b)));
}

TEST_F(ApplyTest, StatsFollowAppliedPutsReplacementsAndDeletes) {
  auto t = MakeTable("orders");
  Apply("eu-west-1", 2,
        {Rec(1, "a", Hlc(10), "eu-west-1", "1"), Rec(2, "b", Hlc(10), "eu-west-1", "1")});
  Item small = Key("a", "1");
  small["qty"] = Value::N("1");
  EXPECT_EQ(store_->Stats(t->id).item_count, 2);
  EXPECT_EQ(store_->Stats(t->id).size_bytes, static_cast<int64_t>(2 * ItemSize(small)));
  Apply("eu-west-1", 3, {Rec(3, "a", Hlc(11), "eu-west-1", "123456789")});
  Item big = Key("a", "1");
  big["qty"] = Value::N("123456789");
  EXPECT_EQ(store_->Stats(t->id).item_count, 2);
  EXPECT_EQ(store_->Stats(t->id).size_bytes, static_cast<int64_t>(ItemSize(small) + ItemSize(big)));
  Apply("eu-west-1", 4, {Rec(4, "b", Hlc(11), "eu-west-1", std::nullopt)});
  EXPECT_EQ(store_->Stats(t->id).item_count, 1);
  EXPECT_EQ(store_->Stats(t->id).size_bytes, static_cast<int64_t>(ItemSize(big)));
  // Discarded versions change nothing.
  Apply("eu-west-1", 5, {Rec(5, "b", Hlc(1), "eu-west-1", "1")});
  EXPECT_EQ(store_->Stats(t->id).item_count, 1);
}

TEST_F(ApplyTest, ReceiveCursorPersistsAndReplayedRecordsAreIgnored) {
  MakeTable("orders");
  EXPECT_EQ(store_->ReceiveCursor("eu-west-1"), 0u);
  Apply("eu-west-1", 5, {Rec(2, "a", Hlc(10), "eu-west-1", "1")});
  EXPECT_EQ(store_->ReceiveCursor("eu-west-1"), 5u);   // the batch's range, not its last record
  EXPECT_EQ(store_->ReceiveCursor("ap-south-1"), 0u);  // cursors are per source
  Reopen();
  EXPECT_EQ(store_->ReceiveCursor("eu-west-1"), 5u);
  const uint64_t committed = store_->CommittedSeq();
  // A replay (even carrying a "newer" version) is ignored: records at or
  // below the cursor were applied or discarded already.
  auto s = Apply("eu-west-1", 5, {Rec(2, "a", Hlc(99), "eu-west-1", "replayed")});
  EXPECT_EQ(s.duplicate, 1u);
  EXPECT_EQ(s.applied, 0u);
  EXPECT_EQ(Qty("a"), "1");
  EXPECT_EQ(store_->CommittedSeq(), committed);
  // A batch overlapping the cursor applies only what is past it, and the
  // cursor never moves back.
  s = Apply("eu-west-1", 7,
            {Rec(4, "a", Hlc(98), "eu-west-1", "old"), Rec(7, "b", Hlc(11), "eu-west-1", "7")});
  EXPECT_EQ(s.duplicate, 1u);
  EXPECT_EQ(s.applied, 1u);
  EXPECT_EQ(Qty("a"), "1");
  EXPECT_EQ(Qty("b"), "7");
  Apply("eu-west-1", 3, {});
  EXPECT_EQ(store_->ReceiveCursor("eu-west-1"), 7u);
}

TEST_F(ApplyTest, RecordsOfAMissingTableAreSkippedWithoutStallingTheSource) {
  MakeTable("orders");
  ChangeRecord other = Rec(2, "x", Hlc(10), "eu-west-1", "1");
  other.table = "nope";
  Store::ApplyStats s = Apply(
      "eu-west-1", 3,
      {Rec(1, "a", Hlc(10), "eu-west-1", "1"), other, Rec(3, "b", Hlc(11), "eu-west-1", "2")});
  EXPECT_EQ(s.applied, 2u);
  EXPECT_EQ(s.no_table, 1u);
  EXPECT_EQ(Qty("a"), "1");
  EXPECT_EQ(Qty("b"), "2");
  EXPECT_EQ(store_->ReceiveCursor("eu-west-1"), 3u);
}

TEST_F(ApplyTest, AppliedRecordsEnterTheChangeLogWithTheirOriginalMeta) {
  auto t = MakeTable("orders");
  ASSERT_TRUE(Put(*t, Key("local", "1")).ok());
  Apply("eu-west-1", 9,
        {Rec(3, "a", Hlc(10), "ap-south-1", "1"),  // forwarded by eu-west-1
         Rec(4, "b", Hlc(11), "eu-west-1", std::nullopt),
         Rec(9, "a", Hlc(5), "eu-west-1", "discarded")});
  auto changes = store_->ReadChanges(1, 10);
  ASSERT_TRUE(changes.ok());
  ASSERT_EQ(changes->size(), 2u);  // the discarded version is not logged
  const ChangeRecord& a = (*changes)[0];
  EXPECT_EQ(a.seq, 2u);  // this node's own sequence numbers
  EXPECT_EQ(a.table, "orders");
  EXPECT_EQ(a.meta.hlc, Hlc(10));
  EXPECT_EQ(a.meta.origin, RegionId("ap-south-1"));
  EXPECT_FALSE(a.meta.tombstone);
  ASSERT_TRUE(a.image.has_value());
  EXPECT_EQ(a.image->at("qty").scalar, "1");
  EXPECT_EQ(Value::Map(a.key), Value::Map(Key("a", "1")));
  const ChangeRecord& b = (*changes)[1];
  EXPECT_EQ(b.seq, 3u);
  EXPECT_EQ(b.meta.hlc, Hlc(11));
  EXPECT_EQ(b.meta.origin, RegionId("eu-west-1"));
  EXPECT_TRUE(b.meta.tombstone);
  EXPECT_FALSE(b.image.has_value());
  EXPECT_EQ(store_->CommittedSeq(), 3u);
}

TEST_F(ApplyTest, AnnounceTableRelogsEveryVersionTombstonesToo) {
  auto t = MakeTable("orders");
  auto other = MakeTable("other");
  for (int i = 0; i < 5; ++i) {
    Item item = Key("k" + std::to_string(i), "1");
    item["qty"] = Value::N(std::to_string(i));
    ASSERT_TRUE(Put(*t, item).ok());
  }
  ASSERT_TRUE(Delete(*t, Key("k1", "1")).ok());
  ASSERT_TRUE(Put(*other, Key("elsewhere", "1")).ok());
  Apply(
      "eu-west-1", 2,
      {Rec(1, "r", Hlc(-5), "eu-west-1", "9"), Rec(2, "gone", Hlc(-4), "eu-west-1", std::nullopt)});
  // The stored versions, by key.
  std::map<std::string, VersionMeta> stored;
  std::map<std::string, std::optional<Item>> images;
  auto all = store_->ReadChanges(0, 100);
  ASSERT_TRUE(all.ok());
  for (const auto& c : *all) {
    if (c.table != "orders") continue;
    stored[c.key.at("id").scalar] = c.meta;
    images[c.key.at("id").scalar] = c.image;
  }
  const uint64_t before = store_->CommittedSeq();
  ASSERT_TRUE(store_->AnnounceTable("orders").ok());
  auto announced = store_->ReadChanges(before, 100);
  ASSERT_TRUE(announced.ok());
  ASSERT_EQ(announced->size(), stored.size());  // 5 keys (k1 a tombstone) + r + gone
  std::set<std::string> seen;
  for (size_t i = 0; i < announced->size(); ++i) {
    const ChangeRecord& c = (*announced)[i];
    EXPECT_EQ(c.seq, before + 1 + i);
    EXPECT_EQ(c.table, "orders");
    const std::string id = c.key.at("id").scalar;
    seen.insert(id);
    ASSERT_TRUE(stored.count(id)) << id;
    EXPECT_EQ(c.meta.hlc, stored[id].hlc) << id;
    EXPECT_EQ(c.meta.origin, stored[id].origin) << id;
    EXPECT_EQ(c.meta.tombstone, stored[id].tombstone) << id;
    EXPECT_EQ(c.image.has_value(), images[id].has_value()) << id;
    if (c.image) {
      EXPECT_EQ(Value::Map(*c.image), Value::Map(*images[id])) << id;
    }
  }
  EXPECT_EQ(seen.size(), stored.size());
  EXPECT_TRUE(stored["k1"].tombstone);
  EXPECT_TRUE(stored["gone"].tombstone);
  EXPECT_EQ(store_->Stats(t->id).item_count, 5);  // re-logging changes no item
  EXPECT_EQ(store_->AnnounceTable("missing").status().code(), Status::Code::kNotFound);
}

// ---- Garbage collection ----

class GcTest : public ApplyTest {
 protected:
  // Makes "orders" global with replicas here and in the given regions.
  std::shared_ptr<const TableMeta> MakeGlobal(std::vector<std::string> peers) {
    auto t = MakeTable("orders");
    TableMeta meta = *t;
    meta.replicas["us-east-1"] = "ACTIVE";
    for (const auto& p : peers) meta.replicas[p] = "ACTIVE";
    meta.global_table_version = "2017.11.29";
    EXPECT_TRUE(store_->UpdateTable(meta).ok());
    return store_->FindTable("orders");
  }
  // Whether any version, tombstone included, is stored under the key: a
  // stored tombstone still makes an older replicated put lose.
  bool Blocks(const std::string& id, uint64_t older_hlc) {
    const uint64_t seq = ++probe_seq_;
    auto s = Apply("probe", seq, {Rec(seq, id, older_hlc, "probe", "p")});
    EXPECT_EQ(s.duplicate, 0u);
    return s.discarded == 1;
  }
  uint64_t probe_seq_ = 0;
};

TEST_F(GcTest, RegionalTableTombstonesGoAtTheNextRound) {
  auto t = MakeTable("orders");
  ASSERT_TRUE(Put(*t, Key("a", "1")).ok());
  ASSERT_TRUE(Delete(*t, Key("a", "1")).ok());
  auto round = store_->RunMaintenance();
  ASSERT_TRUE(round.ok());
  EXPECT_EQ(round->tombstones_collected, 1u);
  EXPECT_EQ(store_->TombstonesCollected(), 1u);
  EXPECT_FALSE(store_->GetItem(*t, Key("a", "1"))->has_value());
  EXPECT_EQ(store_->Stats(t->id).item_count, 0);
  EXPECT_EQ(store_->RunMaintenance()->tombstones_collected, 0u);  // the index entry went too
  // Nothing is left under the key: an old replicated put is applied.
  EXPECT_FALSE(Blocks("a", Hlc(-100)));
}

TEST_F(GcTest, GlobalTableTombstonesWaitForEveryReplicaPeer) {
  MakeGlobal({"eu-west-1", "ap-south-1"});
  auto t = store_->FindTable("orders");
  ASSERT_TRUE(Put(*t, Key("a", "1")).ok());                                  // seq 1
  ASSERT_TRUE(Delete(*t, Key("a", "1")).ok());                               // seq 2
  Apply("eu-west-1", 1, {Rec(1, "b", Hlc(50), "eu-west-1", std::nullopt)});  // seq 3
  // No horizons yet: nothing goes.
  EXPECT_EQ(store_->RunMaintenance()->tombstones_collected, 0u);
  // One peer has everything, the other only up to seq 2: the tombstone of
  // seq 2 goes, the one of seq 3 stays.
  store_->SetPeerHorizon("eu-west-1", 3);
  EXPECT_EQ(store_->RunMaintenance()->tombstones_collected, 0u);
  store_->SetPeerHorizon("ap-south-1", 2);
  store_->SetPeerHorizon("ap-south-1", 1);  // never moves back
  EXPECT_EQ(store_->RunMaintenance()->tombstones_collected, 1u);
  EXPECT_FALSE(Blocks("a", Hlc(-100)));
  EXPECT_TRUE(Blocks("b", Hlc(49)));
  // Both replica peers have seq 3 now.
  store_->SetPeerHorizon("ap-south-1", 3);
  EXPECT_EQ(store_->RunMaintenance()->tombstones_collected, 1u);
  EXPECT_FALSE(Blocks("b", Hlc(49)));
}

TEST_F(GcTest, ATombstoneReplacedMeanwhileIsKept) {
  MakeGlobal({"eu-west-1"});
  auto t = store_->FindTable("orders");
  ASSERT_TRUE(Delete(*t, Key("a", "1")).ok());  // deleting nothing: no tombstone
  Apply("eu-west-1", 3,
        {Rec(1, "a", Hlc(10), "eu-west-1", std::nullopt),    // seq 1
         Rec(2, "b", Hlc(10), "eu-west-1", std::nullopt),    // seq 2
         Rec(3, "c", Hlc(10), "eu-west-1", std::nullopt)});  // seq 3
  Item revived = Key("a", "1");
  revived["qty"] = Value::N("1");
  ASSERT_TRUE(Put(*t, revived).ok());                                        // seq 4
  Apply("eu-west-1", 4, {Rec(4, "b", Hlc(20), "eu-west-1", std::nullopt)});  // seq 5
  store_->SetPeerHorizon("eu-west-1", 3);
  // a: a put replaced it; b: a newer tombstone (own entry, seq 5) replaced
  // it; c: still the indexed tombstone.
  EXPECT_EQ(store_->RunMaintenance()->tombstones_collected, 1u);
  EXPECT_EQ(Qty("a"), "1");
  EXPECT_TRUE(Blocks("b", Hlc(19)));
  EXPECT_FALSE(Blocks("c", Hlc(5)));
  store_->SetPeerHorizon("eu-west-1", 5);
  EXPECT_EQ(store_->RunMaintenance()->tombstones_collected, 1u);
  EXPECT_FALSE(Blocks("b", Hlc(19)));
  EXPECT_EQ(store_->Stats(t->id).item_count, 3);  // a, and the probes' b and c
}

TEST_F(GcTest, TombstonesOfADroppedTableLeaveNoIndexBehind) {
  MakeGlobal({"eu-west-1"});
  auto t = store_->FindTable("orders");
  ASSERT_TRUE(Put(*t, Key("a", "1")).ok());
  ASSERT_TRUE(Delete(*t, Key("a", "1")).ok());
  ASSERT_TRUE(store_->DeleteTable("orders").ok());
  EXPECT_EQ(store_->RunMaintenance()->tombstones_collected, 0u);
  auto again = MakeTable("orders");
  ASSERT_TRUE(Put(*again, Key("a", "1")).ok());
  EXPECT_EQ(store_->RunMaintenance()->tombstones_collected, 0u);
  EXPECT_TRUE(store_->GetItem(*again, Key("a", "1"))->has_value());
}

TEST_F(GcTest, TombstonesSurviveARestartUntilCollected) {
  MakeGlobal({"eu-west-1"});
  auto t = store_->FindTable("orders");
  ASSERT_TRUE(Put(*t, Key("a", "1")).ok());
  ASSERT_TRUE(Delete(*t, Key("a", "1")).ok());
  Reopen();
  EXPECT_EQ(store_->RunMaintenance()->tombstones_collected, 0u);
  store_->SetPeerHorizon("eu-west-1", 2);
  EXPECT_EQ(store_->RunMaintenance()->tombstones_collected, 1u);
}

TEST_F(GcTest, ChangeLogIsTrimmedBelowEveryPeersCursorOnly) {
  auto t = MakeTable("orders");
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(Put(*t, Key("k" + std::to_string(i), "1")).ok());
  // Not told about peers: nothing is trimmed.
  EXPECT_EQ(store_->RunMaintenance()->changelog_trimmed_below, 0u);
  EXPECT_EQ(store_->ReadChanges(0, 100)->size(), 10u);
  // A peer that never acknowledged anything keeps the whole log.
  store_->SetReplicationPeers({"eu-west-1", "ap-south-1"});
  ASSERT_TRUE(store_->SetShipCursor("eu-west-1", 8).ok());
  EXPECT_EQ(store_->RunMaintenance()->changelog_trimmed_below, 0u);
  EXPECT_EQ(store_->ReadChanges(0, 100)->size(), 10u);
  // Below the smaller cursor only; the record at it stays.
  ASSERT_TRUE(store_->SetShipCursor("ap-south-1", 4).ok());
  EXPECT_EQ(store_->RunMaintenance()->changelog_trimmed_below, 4u);
  auto left = store_->ReadChanges(0, 100);
  ASSERT_EQ(left->size(), 7u);
  EXPECT_EQ(left->front().seq, 4u);
  EXPECT_EQ(store_->ReadChanges(4, 100)->front().seq, 5u);  // what the slower peer reads next
  // Everything acknowledged: the newest record survives, and so does the
  // sequence across a restart.
  ASSERT_TRUE(store_->SetShipCursor("ap-south-1", 10).ok());
  ASSERT_TRUE(store_->SetShipCursor("eu-west-1", 10).ok());
  EXPECT_EQ(store_->RunMaintenance()->changelog_trimmed_below, 10u);
  ASSERT_EQ(store_->ReadChanges(0, 100)->size(), 1u);
  Reopen();
  EXPECT_EQ(store_->CommittedSeq(), 10u);
  t = store_->FindTable("orders");
  ASSERT_TRUE(Put(*t, Key("after", "1")).ok());
  auto changes = store_->ReadChanges(10, 100);
  ASSERT_EQ(changes->size(), 1u);
  EXPECT_EQ(changes->front().seq, 11u);
}

TEST_F(GcTest, BackgroundThreadCollectsWithoutBeingAsked) {
  store_.reset();
  Store::Options options;
  options.dir = dir_;
  options.region = "us-east-1";
  options.clock = &clock_;
  options.sync = false;
  options.maintenance_interval = std::chrono::milliseconds(10);
  store_ = std::move(Store::Open(options)).value();
  auto t = MakeTable("orders");
  ASSERT_TRUE(Put(*t, Key("a", "1")).ok());
  ASSERT_TRUE(Delete(*t, Key("a", "1")).ok());
  for (int i = 0; i < 500 && store_->TombstonesCollected() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(store_->TombstonesCollected(), 1u);
}

TEST_F(StoreTest, TableSettingsSurviveReopen) {
  auto t = MakeTable("guarded");
  TableMeta meta = *t;
  EXPECT_FALSE(meta.deletion_protection);
  meta.deletion_protection = true;
  ASSERT_TRUE(store_->UpdateTable(meta).ok());
  Reopen();
  auto again = store_->FindTable("guarded");
  ASSERT_NE(again, nullptr);
  EXPECT_TRUE(again->deletion_protection);
  // A record written before the field existed reads as unprotected.
  auto old = TableMeta::FromJson(
      R"({"id":7,"name":"x","uuid":"u","hash":{"name":"id","type":"S"},"defs":[["id","S"]],)"
      R"("billing":"PROVISIONED","rcu":1,"wcu":1,"created":0,"inc":0,"dec":0,"decs":0,)"
      R"("ppr_since":0,"tags":{},"status":"ACTIVE"})");
  ASSERT_TRUE(old.ok()) << old.status().ToString();
  EXPECT_FALSE(old->deletion_protection);
}

}  // namespace
}  // namespace tandem::storage
