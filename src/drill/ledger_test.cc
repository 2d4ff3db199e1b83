#include "drill/ledger.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <set>

namespace tandem::drill {
namespace {

namespace json = boost::json;
using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

// A table of ids answering BatchGetItem; the first `unprocessed_rounds`
// answers leave the last `unprocessed_per_round` keys unprocessed.
class FakeTable : public probe::DynamoApi {
 public:
  StatusOr<json::object> Call(std::string_view operation, const json::object& request,
                              probe::Deadline) override {
    EXPECT_EQ(operation, "BatchGetItem");
    if (!error.ok()) {
      return error;
    }
    const json::object& spec = request.at("RequestItems").at("orders").as_object();
    EXPECT_EQ(spec.at("ConsistentRead"), json::value(true));
    const json::array& keys = spec.at("Keys").as_array();
    EXPECT_LE(keys.size(), 100u);
    batch_sizes.push_back(keys.size());
    size_t answer = keys.size();
    if (unprocessed_rounds > 0) {
      --unprocessed_rounds;
      answer -= std::min(answer, unprocessed_per_round);
    }
    json::array items, left;
    for (size_t i = 0; i < keys.size(); ++i) {
      if (i >= answer) {
        left.push_back(keys[i]);
        continue;
      }
      std::string id(keys[i].at("id").at("S").as_string());
      EXPECT_TRUE(asked.insert(id).second) << id << " asked twice";
      if (ids.contains(id)) {
        items.push_back(json::object{{"id", {{"S", id}}}});
      }
    }
    json::object out{{"Responses", {{"orders", std::move(items)}}}};
    json::object unprocessed;
    if (!left.empty()) {
      unprocessed["orders"] = json::object{{"Keys", std::move(left)}};
    }
    out["UnprocessedKeys"] = std::move(unprocessed);
    return out;
  }

  std::set<std::string> ids;
  Status error;
  int unprocessed_rounds = 0;
  size_t unprocessed_per_round = 0;
  std::vector<size_t> batch_sizes;
  std::set<std::string> asked;
};

std::vector<std::string> Ids(const std::string& prefix, int n) {
  std::vector<std::string> out;
  for (int i = 1; i <= n; ++i) {
    out.push_back(prefix + std::to_string(i));
  }
  return out;
}

probe::Deadline Soon() { return SteadyClock::now() + std::chrono::seconds(5); }

TEST(MissingOrders, FindsTheMissingInBatchesOfAHundred) {
  FakeTable table;
  std::vector<std::string> acked = Ids("o", 250);
  for (const auto& id : acked) {
    if (id != "o7" && id != "o150" && id != "o250") {
      table.ids.insert(id);
    }
  }
  acked.push_back("o7");  // a duplicate is asked and listed once
  auto missing = MissingOrders(&table, "orders", acked, Soon());
  ASSERT_TRUE(missing.ok()) << missing.status().ToString();
  EXPECT_EQ(*missing, (std::vector<std::string>{"o7", "o150", "o250"}));
  EXPECT_EQ(table.batch_sizes, (std::vector<size_t>{100, 100, 50}));
}

TEST(MissingOrders, AsksForUnprocessedKeysAgain) {
  FakeTable table;
  const auto acked = Ids("o", 40);
  table.ids.insert(acked.begin(), acked.end() - 1);  // o40 missing
  table.unprocessed_rounds = 2;
  table.unprocessed_per_round = 15;
  auto missing = MissingOrders(&table, "orders", acked, Soon());
  ASSERT_TRUE(missing.ok()) << missing.status().ToString();
  EXPECT_EQ(*missing, std::vector<std::string>{"o40"});
  EXPECT_EQ(table.batch_sizes, (std::vector<size_t>{40, 15, 15}));
  EXPECT_EQ(table.asked.size(), 40u);
}

TEST(MissingOrders, UnprocessedUntilTheDeadlineIsUnavailable) {
  FakeTable table;
  table.unprocessed_rounds = 1'000'000;
  table.unprocessed_per_round = 5;
  const auto start = SteadyClock::now();
  auto missing = MissingOrders(&table, "orders", Ids("o", 10), start + milliseconds(100));
  EXPECT_EQ(missing.status().code(), Status::Code::kUnavailable);
  EXPECT_NE(missing.status().message().find("5 keys still unprocessed"), std::string::npos)
      << missing.status().message();
  EXPECT_LT(SteadyClock::now() - start, milliseconds(1000));
}

TEST(MissingOrders, AnErrorEndsTheAudit) {
  FakeTable table;
  table.error = Status::NotFound("Requested resource not found");
  auto missing = MissingOrders(&table, "orders", Ids("o", 3), Soon());
  EXPECT_EQ(missing.status().code(), Status::Code::kNotFound);
  EXPECT_EQ(missing.status().message(), "BatchGetItem on orders: Requested resource not found");
}

TEST(MissingOrders, NothingToAskIsNothingMissing) {
  FakeTable table;
  auto missing = MissingOrders(&table, "orders", {}, Soon());
  ASSERT_TRUE(missing.ok());
  EXPECT_TRUE(missing->empty());
  EXPECT_TRUE(table.batch_sizes.empty());
}

}  // namespace
}  // namespace tandem::drill
