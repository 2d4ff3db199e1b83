#include "control/audit_log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include "config/control_config.h"
#include "control/event.h"

namespace tandem::control {
namespace {

std::vector<boost::json::object> Lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<boost::json::object> out;
  std::string line;
  while (std::getline(in, line)) {
    out.push_back(boost::json::parse(line).as_object());
  }
  return out;
}

class AuditLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (std::filesystem::temp_directory_path() /
             ("control-audit-" + std::to_string(::getpid()) + ".jsonl"))
                .string();
    std::filesystem::remove(path_);
  }
  void TearDown() override { std::filesystem::remove(path_); }
  std::string path_;
  ManualClock clock_{1'700'000'000'123'456};
};

TEST_F(AuditLogTest, OneJsonObjectPerLine) {
  auto log = AuditLog::Open(path_, "control-1", &clock_);
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  ASSERT_TRUE((*log)
                  ->Write({0,
                           "failover",
                           "failover:us-east-1:1",
                           {{"primary_alarm", boost::json::object{{"state", "ALARM"}}}},
                           "primary alarm is ALARM and secondary alarm is OK: fail over",
                           {"lambda", "ops-webhook"}})
                  .ok());
  ASSERT_TRUE((*log)->Write({1'700'000'001'000'000, "alarm", "", {}, "OK -> ALARM", {}}).ok());
  const auto lines = Lines(path_);
  ASSERT_EQ(lines.size(), 2u);
  const auto& first = lines[0];
  EXPECT_EQ(first.at("time").as_string(), "2023-11-14T22:13:20.123456Z");
  EXPECT_EQ(first.at("time_us").as_int64(), 1'700'000'000'123'456);
  EXPECT_EQ(first.at("controller").as_string(), "control-1");
  EXPECT_EQ(first.at("event").as_string(), "failover");
  EXPECT_EQ(first.at("event_id").as_string(), "failover:us-east-1:1");
  EXPECT_EQ(first.at("inputs").at("primary_alarm").at("state").as_string(), "ALARM");
  EXPECT_EQ(first.at("decision").as_string(),
            "primary alarm is ALARM and secondary alarm is OK: fail over");
  EXPECT_EQ(first.at("actions").as_array().size(), 2u);
  EXPECT_FALSE(lines[1].contains("event_id"));  // not an event
  EXPECT_EQ(lines[1].at("time_us").as_int64(), 1'700'000'001'000'000);
}

// Appends survive a reopen (a restart), and lines written from several
// threads at once never interleave.
TEST_F(AuditLogTest, AppendsWholeLinesFromManyThreads) {
  {
    auto log = AuditLog::Open(path_, "control-1", &clock_);
    ASSERT_TRUE(log.ok());
    ASSERT_TRUE((*log)->Write({0, "leadership", "", {}, "first run", {}}).ok());
  }
  auto log = AuditLog::Open(path_, "control-1", &clock_);
  ASSERT_TRUE(log.ok());
  std::vector<std::thread> writers;
  const std::string big(10000, 'x');  // beyond PIPE_BUF
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        ASSERT_TRUE((*log)->Write({0, "alarm", "", {{"writer", t}, {"pad", big}}, "x", {}}).ok());
      }
    });
  }
  for (auto& w : writers) {
    w.join();
  }
  const auto lines = Lines(path_);  // every line parses
  EXPECT_EQ(lines.size(), 201u);
  EXPECT_EQ(lines[0].at("decision").as_string(), "first run");
}

TEST_F(AuditLogTest, AnUnwritablePathIsAnError) {
  auto log = AuditLog::Open("/nonexistent-dir/audit.jsonl", "c", &clock_);
  EXPECT_FALSE(log.ok());
  EXPECT_EQ(log.status().code(), Status::Code::kIOError);
}

TEST(EventTest, JsonCarriesTheIdTypeDecisionAndInputs) {
  Event e;
  e.type = EventType::kFailback;
  e.id = EventId(EventType::kFailback, "us-east-1", 2);
  e.at_micros = 1'700'000'000'000'000;
  e.controller = "control-1";
  e.decision = "fail back";
  e.inputs = {{"primary", "us-east-1"}};
  EXPECT_EQ(e.id, "failback:us-east-1:2");
  const auto o = boost::json::parse(EventJson(e)).as_object();
  EXPECT_EQ(o.at("type").as_string(), "failback");
  EXPECT_EQ(o.at("id").as_string(), "failback:us-east-1:2");
  EXPECT_EQ(o.at("time").as_string(), "2023-11-14T22:13:20.000000Z");
  EXPECT_EQ(o.at("primary").as_string(), "us-east-1");
  EXPECT_EQ(o.at("controller").as_string(), "control-1");
}

TEST(EventTest, TypeNamesMatchTheConfiguration) {
  const EventType all[] = {EventType::kRegionUnhealthy,
                           EventType::kRegionRecovered,
                           EventType::kFailover,
                           EventType::kFailoverAborted,
                           EventType::kFailback,
                           EventType::kReplicationLagHigh,
                           EventType::kReplicationLagRecovered};
  ASSERT_EQ(std::size(all), std::size(config::kControlEventTypes));
  for (size_t i = 0; i < std::size(all); ++i) {
    EXPECT_STREQ(EventTypeName(all[i]), config::kControlEventTypes[i]);
  }
}

}  // namespace
}  // namespace tandem::control
