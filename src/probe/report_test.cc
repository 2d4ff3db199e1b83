#include "probe/report.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace tandem::probe {
namespace {

TEST(HealthBody, OkIsTheSeedsBodyExactly) {
  EXPECT_EQ(HealthBody(HealthReport::Ok()),
            R"({"status": "ok", "message": "All systems nominal."})");
  EXPECT_EQ(HttpStatus(HealthReport::Ok()), 200);
}

TEST(HealthBody, ErrorEscapesTheMessage) {
  const HealthReport r =
      HealthReport::Failed("DynamoDB connection failed: bad \"sig\"\n\tline2 \\ end");
  EXPECT_EQ(HttpStatus(r), 503);
  const std::string body = HealthBody(r);
  EXPECT_EQ(body.rfind(R"({"status": "error", "message": ")", 0), 0u) << body;
  const auto parsed = boost::json::parse(body).as_object();
  EXPECT_EQ(parsed.at("status").as_string(), "error");
  EXPECT_EQ(parsed.at("message").as_string(), r.message);
}

TEST(Messages, ReadLikeTheSeed) {
  EXPECT_EQ(CheckFailed("DynamoDB connection", "Requested resource not found"),
            "DynamoDB connection failed: Requested resource not found");
  EXPECT_EQ(CheckFailed("App check", "GET http://127.0.0.1:9/ returned 500"),
            "App check failed: GET http://127.0.0.1:9/ returned 500");
  EXPECT_EQ(TimedOut("Scan", std::chrono::milliseconds(2000)), "Scan timed out after 2s");
  EXPECT_EQ(TimedOut("GET http://x/", std::chrono::milliseconds(1500)),
            "GET http://x/ timed out after 1.5s");
}

TEST(DescribeChange, LogsTransitionsOnly) {
  const HealthReport ok = HealthReport::Ok();
  const HealthReport down = HealthReport::Failed("App check failed: x");
  const HealthReport other = HealthReport::Failed("DynamoDB connection failed: y");
  EXPECT_EQ(DescribeChange(std::nullopt, ok), "health: first check ok");
  EXPECT_EQ(DescribeChange(std::nullopt, down), "health: first check failed: App check failed: x");
  EXPECT_EQ(DescribeChange(ok, ok), std::nullopt);
  EXPECT_EQ(DescribeChange(ok, down), "health: ok -> error: App check failed: x");
  EXPECT_EQ(DescribeChange(down, down), std::nullopt);
  EXPECT_EQ(DescribeChange(down, other),
            "health: still failing, now: DynamoDB connection failed: y");
  EXPECT_EQ(DescribeChange(down, ok), "health: error -> ok");
}

}  // namespace
}  // namespace tandem::probe
