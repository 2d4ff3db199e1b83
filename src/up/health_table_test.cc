#include "up/health_table.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <map>
#include <set>

namespace tandem::up {
namespace {

namespace json = boost::json;

// One region's node, as far as the health table needs: which tables exist,
// the global table's replication group, and every call made.
class FakeRegion : public probe::DynamoApi {
 public:
  explicit FakeRegion(std::string region) : region_(std::move(region)) {}

  StatusOr<json::object> Call(std::string_view operation, const json::object& request,
                              probe::Deadline) override {
    calls.push_back(std::string(operation));
    if (fail_on && fail_with && operation == *fail_on) return *fail_with;
    if (operation == "DescribeTable") {
      if (!tables.count(Name(request, "TableName"))) {
        return Status::NotFound("Requested resource not found");
      }
      return json::object{};
    }
    if (operation == "CreateTable") {
      tables.insert(Name(request, "TableName"));
      last_create = request;
      return json::object{};
    }
    if (operation == "DescribeGlobalTable") {
      if (group.empty()) return Status::FailedPrecondition("Global table not found");
      json::array g;
      for (const auto& r : group) g.push_back(json::object{{"RegionName", r}});
      return json::object{{"GlobalTableDescription", json::object{{"ReplicationGroup", g}}}};
    }
    if (operation == "CreateGlobalTable") {
      for (const auto& m : request.at("ReplicationGroup").as_array()) {
        group.insert(std::string(m.at("RegionName").as_string()));
      }
      return json::object{};
    }
    if (operation == "UpdateGlobalTable") {
      for (const auto& u : request.at("ReplicaUpdates").as_array()) {
        group.insert(std::string(u.at("Create").at("RegionName").as_string()));
      }
      return json::object{};
    }
    return Status::Internal("unexpected " + std::string(operation));
  }

  static std::string Name(const json::object& request, const char* key) {
    return std::string(request.at(key).as_string());
  }

  std::string region_;
  std::set<std::string> tables;
  std::set<std::string> group;
  std::vector<std::string> calls;
  json::object last_create;
  std::optional<std::string> fail_on;
  std::optional<Status> fail_with;
};

class HealthTableTest : public ::testing::Test {
 protected:
  HealthTableTest() : us_("us-east-1"), eu_("eu-west-1"), ap_("ap-southeast-1") {}

  Status Ensure(std::vector<FakeRegion*> regions) {
    std::vector<RegionApi> apis;
    for (auto* r : regions) apis.push_back({r->region_, r});
    return EnsureHealthTable("tandem_health", apis,
                             std::chrono::steady_clock::now() + std::chrono::seconds(1));
  }

  FakeRegion us_, eu_, ap_;
};

TEST_F(HealthTableTest, CreatesTheTableEverywhereAndMakesItGlobal) {
  ASSERT_TRUE(Ensure({&us_, &eu_}).ok());
  EXPECT_EQ(us_.tables, std::set<std::string>{"tandem_health"});
  EXPECT_EQ(eu_.tables, std::set<std::string>{"tandem_health"});
  EXPECT_EQ(json::serialize(us_.last_create.at("KeySchema")),
            R"([{"AttributeName":"id","KeyType":"HASH"}])");
  EXPECT_EQ(us_.last_create.at("BillingMode").as_string(), "PAY_PER_REQUEST");
  EXPECT_EQ(us_.group, (std::set<std::string>{"us-east-1", "eu-west-1"}));
  EXPECT_EQ(us_.calls, (std::vector<std::string>{"DescribeTable", "CreateTable",
                                                 "DescribeGlobalTable", "CreateGlobalTable"}));
  EXPECT_EQ(eu_.calls, (std::vector<std::string>{"DescribeTable", "CreateTable"}));
}

TEST_F(HealthTableTest, ASecondStartChangesNothing) {
  ASSERT_TRUE(Ensure({&us_, &eu_}).ok());
  us_.calls.clear();
  eu_.calls.clear();
  ASSERT_TRUE(Ensure({&us_, &eu_}).ok());
  EXPECT_EQ(us_.calls, (std::vector<std::string>{"DescribeTable", "DescribeGlobalTable"}));
  EXPECT_EQ(eu_.calls, (std::vector<std::string>{"DescribeTable"}));
}

TEST_F(HealthTableTest, AStartWithMoreRegionsAddsThemToTheGroup) {
  ASSERT_TRUE(Ensure({&us_, &eu_}).ok());
  us_.calls.clear();
  ASSERT_TRUE(Ensure({&us_, &eu_, &ap_}).ok());
  EXPECT_EQ(ap_.tables, std::set<std::string>{"tandem_health"});
  EXPECT_EQ(us_.group, (std::set<std::string>{"us-east-1", "eu-west-1", "ap-southeast-1"}));
  EXPECT_EQ(us_.calls, (std::vector<std::string>{"DescribeTable", "DescribeGlobalTable",
                                                 "UpdateGlobalTable"}));
}

TEST_F(HealthTableTest, OneRegionNeedsNoGlobalTable) {
  ASSERT_TRUE(Ensure({&us_}).ok());
  EXPECT_EQ(us_.calls, (std::vector<std::string>{"DescribeTable", "CreateTable"}));
}

TEST_F(HealthTableTest, ErrorsNameTheCallAndTheRegion) {
  eu_.fail_on = "DescribeTable";
  eu_.fail_with = Status::Unavailable("cannot connect to 127.0.0.2:8000: Connection refused");
  Status st = Ensure({&us_, &eu_});
  EXPECT_EQ(st.code(), Status::Code::kUnavailable);
  EXPECT_EQ(st.message(),
            "DescribeTable in eu-west-1: cannot connect to 127.0.0.2:8000: Connection refused");
  eu_.fail_on.reset();
  eu_.fail_with.reset();
  us_.fail_on = "CreateGlobalTable";
  us_.fail_with = Status::InvalidArgument("Region eu-west-1 is not a peer");
  st = Ensure({&us_, &eu_});
  EXPECT_EQ(st.message(), "CreateGlobalTable in us-east-1: Region eu-west-1 is not a peer");
}

}  // namespace
}  // namespace tandem::up
