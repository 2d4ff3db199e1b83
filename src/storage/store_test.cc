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
