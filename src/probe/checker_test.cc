#include "probe/checker.h"

#include <gtest/gtest.h>

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <map>
#include <vector>

namespace tandem::probe {
namespace {
namespace json = boost::json;
using std::chrono::milliseconds;

// A one-table DynamoDB in memory, with faults to inject per operation.
struct FakeDynamo {
  json::object describe = json::parse(R"({"Table": {"TableName": "t",
      "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
      "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}]}})")
                              .as_object();
  std::map<std::string, json::object> items;  // serialized key -> item
  std::map<std::string, Status> fail;         // operation -> error
  std::map<std::string, milliseconds> slow;   // operation -> time it takes
  std::string corrupt_nonce;                  // returned by GetItem when set
  std::vector<std::string> calls;
  Deadline now{};
  int clients = 0;

  StatusOr<json::object> Call(std::string_view op, const json::object& req, Deadline deadline) {
    calls.emplace_back(op);
    if (auto it = slow.find(std::string(op)); it != slow.end()) {
      now += it->second;
      if (now >= deadline) {
        return Status::Unavailable("reading the response failed: timed out");
      }
    }
    if (auto it = fail.find(std::string(op)); it != fail.end()) {
      return it->second;
    }
    if (op == "DescribeTable") {
      return describe;
    }
    if (op == "Scan") {
      return json::object{{"Items", json::array{}}, {"Count", 0}};
    }
    if (op == "PutItem") {
      const json::object& item = req.at("Item").as_object();
      json::object key = item;
      key.erase(kNonceAttribute);
      items[json::serialize(key)] = item;
      return json::object{};
    }
    const std::string key = json::serialize(req.at("Key"));
    if (op == "GetItem") {
      EXPECT_TRUE(req.at("ConsistentRead").as_bool());
      auto it = items.find(key);
      if (it == items.end()) {
        return json::object{};
      }
      json::object item = it->second;
      if (!corrupt_nonce.empty()) {
        item[kNonceAttribute] = json::object{{"S", corrupt_nonce}};
      }
      return json::object{{"Item", item}};
    }
    if (op == "DeleteItem") {
      items.erase(key);
      return json::object{};
    }
    return Status::FailedPrecondition("unexpected operation");
  }
};

class FakeApi : public DynamoApi {
 public:
  explicit FakeApi(FakeDynamo* db) : db_(db) {}
  StatusOr<json::object> Call(std::string_view op, const json::object& req,
                              Deadline deadline) override {
    return db_->Call(op, req, deadline);
  }

 private:
  FakeDynamo* db_;
};

class CheckerTest : public ::testing::Test {
 protected:
  std::unique_ptr<Checker> Make(std::optional<Url> app = std::nullopt) {
    CheckerEnv env;
    env.open_dynamo = [this] {
      ++db_.clients;
      return std::make_unique<FakeApi>(&db_);
    };
    env.get_status = [this](const Url&, Deadline deadline) -> StatusOr<int> {
      db_.now += app_takes_;
      if (db_.now >= deadline) {
        return Status::Unavailable("timed out");
      }
      return app_status_;
    };
    env.nonce = [this] { return "nonce" + std::to_string(++nonces_); };
    env.now = [this] { return db_.now; };
    return std::make_unique<Checker>(
        CheckerOptions{"t", std::move(app), milliseconds(2000), "__tandem_probe__#h#1"},
        std::move(env));
  }

  FakeDynamo db_;
  StatusOr<int> app_status_ = 200;
  milliseconds app_takes_{0};
  int nonces_ = 0;
};

TEST_F(CheckerTest, AllGood) {
  auto checker = Make();
  EXPECT_EQ(checker->Run(), HealthReport::Ok());
  EXPECT_EQ(db_.calls, (std::vector<std::string>{"Scan", "DescribeTable", "PutItem", "GetItem",
                                                 "DeleteItem"}));
  EXPECT_TRUE(db_.items.empty()) << "the canary must not remain";
  // The key schema is cached; each check has its own client.
  db_.calls.clear();
  EXPECT_TRUE(checker->Run().ok);
  EXPECT_EQ(db_.calls, (std::vector<std::string>{"Scan", "PutItem", "GetItem", "DeleteItem"}));
  EXPECT_EQ(db_.clients, 2);
}

TEST_F(CheckerTest, ScanErrorReadsLikeTheSeed) {
  db_.fail["Scan"] = Status::NotFound("Requested resource not found");
  EXPECT_EQ(Make()->Run(),
            HealthReport::Failed("DynamoDB connection failed: Requested resource not found"));
  EXPECT_EQ(db_.calls, std::vector<std::string>{"Scan"});
}

TEST_F(CheckerTest, TimeoutNamesTheStep) {
  db_.slow["Scan"] = milliseconds(2500);
  EXPECT_EQ(Make()->Run(),
            HealthReport::Failed("DynamoDB connection failed: Scan timed out after 2s"));
}

TEST_F(CheckerTest, OneDeadlineForTheWholeCheck) {
  db_.slow["Scan"] = milliseconds(800);
  db_.slow["PutItem"] = milliseconds(800);
  db_.slow["GetItem"] = milliseconds(800);
  EXPECT_EQ(Make()->Run(),
            HealthReport::Failed("DynamoDB canary read failed: GetItem timed out after 2s"));
}

TEST_F(CheckerTest, AppFailures) {
  const Url app = *ParseUrl("http://127.0.0.1:9/health");
  app_status_ = 500;
  EXPECT_EQ(Make(app)->Run(),
            HealthReport::Failed("App check failed: GET http://127.0.0.1:9/health returned 500"));
  EXPECT_TRUE(db_.calls.empty()) << "the app is checked first";
  app_status_ = Status::Unavailable("cannot connect to 127.0.0.1:9: Connection refused");
  EXPECT_EQ(Make(app)->Run(),
            HealthReport::Failed("App check failed: GET http://127.0.0.1:9/health: cannot "
                                 "connect to 127.0.0.1:9: Connection refused"));
  app_status_ = 204;
  app_takes_ = milliseconds(3000);
  EXPECT_EQ(
      Make(app)->Run(),
      HealthReport::Failed("App check failed: GET http://127.0.0.1:9/health timed out after 2s"));
  app_takes_ = milliseconds(0);
  EXPECT_TRUE(Make(app)->Run().ok);
}

TEST_F(CheckerTest, StaleReadIsAFailureAndTheCanaryIsStillDeleted) {
  db_.corrupt_nonce = "old";
  const HealthReport r = Make()->Run();
  EXPECT_EQ(r, HealthReport::Failed("DynamoDB canary read failed: GetItem returned nonce old "
                                    "instead of the nonce1 just written"));
  EXPECT_EQ(db_.calls.back(), "DeleteItem");
  EXPECT_TRUE(db_.items.empty());
}

TEST_F(CheckerTest, WriteAndDeleteFailures) {
  db_.fail["PutItem"] = Status::InvalidArgument("One of the required keys was not given a value");
  auto checker = Make();
  EXPECT_EQ(checker->Run(), HealthReport::Failed("DynamoDB canary write failed: One of the "
                                                 "required keys was not given a value"));
  EXPECT_FALSE(checker->has_schema()) << "a failure forgets the key schema";
  db_.fail.clear();
  db_.fail["DeleteItem"] = Status::Unavailable("HTTP 503");
  EXPECT_EQ(checker->Run(), HealthReport::Failed("DynamoDB canary delete failed: HTTP 503"));
}

TEST_F(CheckerTest, SortKeyTablesGetBothKeys) {
  db_.describe = json::parse(R"({"Table": {
      "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"},
                               {"AttributeName": "ts", "AttributeType": "N"}],
      "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"},
                    {"AttributeName": "ts", "KeyType": "RANGE"}]}})")
                     .as_object();
  EXPECT_TRUE(Make()->Run().ok);
  EXPECT_TRUE(db_.items.empty());
}

TEST_F(CheckerTest, DescribeTableFailure) {
  db_.fail["DescribeTable"] = Status::Unauthenticated("not allowed");
  EXPECT_EQ(Make()->Run(), HealthReport::Failed("DynamoDB DescribeTable failed: not allowed"));
  db_.fail.clear();
  db_.describe = json::object{};
  EXPECT_EQ(Make()->Run(),
            HealthReport::Failed("DynamoDB DescribeTable failed: DescribeTable answered without a "
                                 "Table"));
}

}  // namespace
}  // namespace tandem::probe
