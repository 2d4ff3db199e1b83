#include "replication/digest_sync.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>

namespace tandem::replication {
namespace {
namespace json = boost::json;

class DigestSyncTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("tandem-digest-sync-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    a_ = Open("a", "us-east-1");
    b_ = Open("b", "eu-west-1");
  }
  void TearDown() override {
    a_.reset();
    b_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::unique_ptr<storage::Store> Open(const std::string& sub, const std::string& region) {
    storage::Store::Options options;
    options.dir = dir_ + "/" + sub;
    options.region = region;
    options.clock = &clock_;
    options.sync = false;
    options.maintenance_interval = std::chrono::milliseconds(0);
    auto opened = storage::Store::Open(options);
    EXPECT_TRUE(opened.ok());
    auto store = std::move(opened).value();
    storage::TableMeta meta;
    meta.name = "orders";
    meta.hash_key = {"id", ValueType::kS};
    meta.range_key = storage::KeyElement{"n", ValueType::kN};
    EXPECT_TRUE(store->CreateTable(meta).ok());
    return store;
  }
  static void Put(storage::Store* s, const std::string& id, const std::string& n) {
    Item key{{"id", Value::S(id)}, {"n", Value::N(n)}};
    Item item = key;
    item["v"] = Value::S("x" + id);
    ASSERT_TRUE(
        s->Mutate(*s->FindTable("orders"), key,
                  [&](const std::optional<Item>&) -> StatusOr<storage::Store::Mutation> {
                    return storage::Store::Mutation{storage::Store::Mutation::Kind::kPut, item};
                  })
            .ok());
  }
  // A call answered by `store`, through JSON text (as over the network) or
  // not (as anti-entropy's local side).
  static ControlCall Call(storage::Store* store, bool serialize) {
    return [store, serialize](const json::object& request) -> StatusOr<json::object> {
      json::object req = request;
      if (serialize) req = json::parse(json::serialize(request)).as_object();
      auto answer = req.at("op").as_string() == kOpTableDigests ? AnswerTableDigests(*store, req)
                                                                : AnswerRangeVersions(*store, req);
      if (!answer.ok() || !serialize) return answer;
      return json::parse(json::serialize(*answer)).as_object();
    };
  }

  std::string dir_;
  ManualClock clock_;
  std::unique_ptr<storage::Store> a_;
  std::unique_ptr<storage::Store> b_;
};

TEST_F(DigestSyncTest, FindsExactlyTheDifferingKeysWithOrWithoutSerialization) {
  for (int i = 0; i < 5000; ++i) Put(a_.get(), "k" + std::to_string(i), std::to_string(i % 7));
  auto changes = a_->ReadChanges(0, 10000);
  ASSERT_TRUE(changes.ok());
  ASSERT_TRUE(b_->ApplyReplicated("us-east-1", changes->back().seq, *changes).ok());
  Put(a_.get(), "k1234", "100");  // two keys b never receives
  Put(a_.get(), "k4321", "100");
  clock_.Advance(1000);
  Put(b_.get(), "k77", "0");  // a newer version of a key a holds too
  for (bool serialize : {false, true}) {
    auto da = FetchTableDigests(Call(a_.get(), serialize), "orders");
    auto db = FetchTableDigests(Call(b_.get(), serialize), "orders");
    ASSERT_TRUE(da.ok()) << da.status().ToString();
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    EXPECT_EQ(da->item_count, 5002);
    EXPECT_EQ(db->item_count, 5000);
    EXPECT_EQ(da->hash_key.name, "id");
    ASSERT_TRUE(da->range_key.has_value());
    EXPECT_EQ(da->range_key->type, ValueType::kN);
    std::set<std::string> keys;
    for (uint32_t r = 0; r < storage::kDigestRanges; ++r) {
      if (da->ranges[r] == db->ranges[r]) continue;
      auto va = FetchRange(Call(a_.get(), serialize), "orders", r);
      auto vb = FetchRange(Call(b_.get(), serialize), "orders", r);
      ASSERT_TRUE(va.ok() && vb.ok());
      for (const auto& d : CompareRange({*va, *vb})) {
        auto key = storage::KeyFromSuffix(da->hash_key, da->range_key, d.key_suffix);
        ASSERT_TRUE(key.ok());
        keys.insert(key->at("id").scalar);
        if (key->at("id").scalar == "k77") {
          ASSERT_TRUE(d.versions[0] && d.versions[1]);
          EXPECT_TRUE(storage::NewerVersion(d.versions[1]->meta, d.versions[0]->meta));
        } else {
          EXPECT_TRUE(d.versions[0].has_value());
          EXPECT_FALSE(d.versions[1].has_value());
        }
      }
    }
    EXPECT_EQ(keys, (std::set<std::string>{"k1234", "k4321", "k77"})) << serialize;
  }
}

TEST_F(DigestSyncTest, RangesPageBeyondOneAnswer) {
  // Every item in one partition: one range holds them all.
  for (int i = 0; i < static_cast<int>(kRangePageLimit) + 10; ++i) {
    Put(a_.get(), "same", std::to_string(i));
  }
  auto digests = FetchTableDigests(Call(a_.get(), true), "orders");
  ASSERT_TRUE(digests.ok());
  uint32_t nonempty = 0;
  uint32_t which = 0;
  for (uint32_t r = 0; r < storage::kDigestRanges; ++r) {
    if (!digests->ranges[r].empty()) {
      ++nonempty;
      which = r;
    }
  }
  ASSERT_EQ(nonempty, 1u);
  auto all = FetchRange(Call(a_.get(), true), "orders", which);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), kRangePageLimit + 10);
}

TEST_F(DigestSyncTest, BadRequestsAndAnswersAreRefused) {
  EXPECT_EQ(AnswerTableDigests(*a_, {{"table", "nope"}}).status().code(), Status::Code::kNotFound);
  EXPECT_EQ(AnswerRangeVersions(*a_, {{"table", "orders"}, {"range", 5000}}).status().code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(AnswerRangeVersions(*a_, {{"table", "orders"}, {"range", 1}, {"after", "zz"}})
                .status()
                .code(),
            Status::Code::kInvalidArgument);
  EXPECT_FALSE(ParseTableDigests({{"ranges", json::array{}}}).ok());
  ControlCall junk = [](const json::object&) -> StatusOr<json::object> {
    return json::object{{"entries", json::array{json::array{"zz", "1", 1, false, "00"}}}};
  };
  EXPECT_FALSE(FetchRange(junk, "orders", 0).ok());
}

}  // namespace
}  // namespace tandem::replication
