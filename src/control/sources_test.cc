#include "control/sources.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "control/routing_actuator.h"
#include "control/test_http_server.h"

namespace tandem::control {
namespace {

using testing::TestHttpServer;
using testing::TestRequest;
using testing::TestResponse;
using namespace std::chrono_literals;

constexpr char kSecret[] = "cluster-secret-0123456789abcdef";

// As GET /v1/status answers it (failover/service_admin.cc).
std::string StatusBody(double east_age, bool east_fresh) {
  return boost::json::serialize(boost::json::object{
      {"server", "ns1"},
      {"now", 1},
      {"fresh_peers", boost::json::array{}},
      {"checks",
       boost::json::array{
           boost::json::object{{"name", "east"},
                               {"type", "HTTP"},
                               {"healthy", false},
                               {"why", "0 of 2 checkers see it healthy"},
                               {"observations", boost::json::array{boost::json::object{
                                                    {"server", "ns1"},
                                                    {"healthy", false},
                                                    {"reason", "HTTP 503"},
                                                    {"at", 1},
                                                    {"age_s", east_age},
                                                    {"fresh", east_fresh}}}}},
           boost::json::object{
               {"name", "west"},
               {"type", "HTTP"},
               {"healthy", true},
               {"observations", boost::json::array{boost::json::object{
                                    {"server", "ns1"}, {"age_s", 0.5}, {"fresh", true}}}}},
           boost::json::object{{"name", "undecided"}, {"type", "HTTP"}, {"observations", {}}},
           boost::json::object{{"name", "both"}, {"type", "CALCULATED"}, {"healthy", true}},
       }},
      {"records", boost::json::array{}},
      {"controls", boost::json::object{}}});
}

const std::map<std::string, double> kStale = {{"east", 4}, {"west", 4}, {"undecided", 4}};

TEST(ParseDnsStatusTest, TakesTheAgreedHealthOfFreshChecks) {
  auto s = ParseDnsStatus(StatusBody(0.8, true), kStale);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->server, "ns1");
  EXPECT_EQ(s->healthy,
            (std::map<std::string, bool>{{"east", false}, {"west", true}, {"both", true}}));
  EXPECT_EQ(s->why.at("east"), "0 of 2 checkers see it healthy");
}

TEST(ParseDnsStatusTest, StaleObservationsAreMissingData) {
  // Too old, or no longer marked fresh by the server: no sample for "east".
  for (auto [age, fresh] : {std::pair{9.0, true}, std::pair{0.5, false}}) {
    auto s = ParseDnsStatus(StatusBody(age, fresh), kStale);
    ASSERT_TRUE(s.ok());
    EXPECT_FALSE(s->healthy.count("east"));
    EXPECT_TRUE(s->healthy.count("west"));
  }
  EXPECT_FALSE(ParseDnsStatus("<html>", kStale).ok());
  EXPECT_FALSE(ParseDnsStatus(R"({"server":"ns1"})", kStale).ok());
}

TEST(StaleAfterTest, IsThreeIntervalsAndASecond) {
  config::HealthCheckConfig c;
  c.interval = 1s;
  EXPECT_EQ(StaleAfter(c), 4s);
}

// A fake `tandem dns` admin API that checks signatures as the real one does.
class FakeAdmin {
 public:
  explicit FakeAdmin(std::string name)
      : name_(std::move(name)),
        auth_(kSecret, "unused", SystemClock::Default()),
        server_([this](const TestRequest& r) { return Handle(r); }) {}

  config::DnsServerConfig server() const { return {name_, "127.0.0.1:1", server_.hostport(), ""}; }
  std::vector<TestRequest> requests() const { return server_.requests(); }
  std::string status_body = StatusBody(0.5, true);
  int route_status = 200;
  std::string route_error;
  std::vector<std::string> signers;

 private:
  TestResponse Handle(const TestRequest& r) {
    std::vector<auth::Header> headers;
    for (const auto& [k, v] : r.headers) {
      headers.push_back({k, v});
    }
    auto who = auth_.Verify(r.method, r.target, headers, r.body);
    if (!who.ok()) {
      return {403, R"({"error":"bad signature"})"};
    }
    signers.push_back(*who);
    if (r.method == "GET" && r.target == "/v1/status") {
      return {200, status_body};
    }
    if (r.method == "POST" && r.target == "/v1/route") {
      return {route_status,
              route_error.empty() ? R"({"ok":true})" : R"({"error":")" + route_error + "\"}"};
    }
    return {404, "{}"};
  }

  std::string name_;
  replication::PeerAuth auth_;
  TestHttpServer server_;
};

class SourcesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto t = NewHttpTransport("");
    ASSERT_TRUE(t.ok());
    transport_ = std::move(t).value();
    auth_ = std::make_shared<replication::PeerAuth>(kSecret, "control-1", &clock_);
  }
  std::vector<config::HealthCheckConfig> Checks() {
    config::HealthCheckConfig east, west;
    east.name = "east";
    west.name = "west";
    east.interval = west.interval = 1s;
    return {east, west};
  }
  config::DnsServerConfig Dead() {
    int port = 0;
    {
      TestHttpServer gone([](const TestRequest&) { return TestResponse{}; });
      port = gone.port();
    }
    return {"dead", "127.0.0.1:1", "127.0.0.1:" + std::to_string(port), ""};
  }

  SystemClock clock_;
  std::unique_ptr<HttpTransport> transport_;
  std::shared_ptr<replication::PeerAuth> auth_;
};

TEST_F(SourcesTest, ReadsTheAgreedHealthFromAnyDnsServer) {
  FakeAdmin ns2("ns2");
  DnsStatusSource source({Dead(), ns2.server()}, Checks(), auth_, transport_.get(), 2s);
  HealthSnapshot s = source.Fetch();
  EXPECT_EQ(s.server, "ns2");
  EXPECT_EQ(s.healthy.at("east"), false);
  EXPECT_EQ(s.healthy.at("west"), true);
  EXPECT_EQ(ns2.signers, std::vector<std::string>{"control-1"});
  // The one that answered is asked first next time.
  source.Fetch();
  EXPECT_EQ(ns2.requests().size(), 2u);
}

TEST_F(SourcesTest, NoServerAnsweringIsNoData) {
  DnsStatusSource source({Dead()}, Checks(), auth_, transport_.get(), 2s);
  HealthSnapshot s = source.Fetch();
  EXPECT_TRUE(s.server.empty());
  EXPECT_TRUE(s.healthy.empty());
  EXPECT_NE(s.error.find("dead: "), std::string::npos) << s.error;
  // A server that refuses us (wrong secret) is no data either.
  FakeAdmin ns1("ns1");
  auto stranger =
      std::make_shared<replication::PeerAuth>("another-secret-0123456789", "x", &clock_);
  DnsStatusSource refused({ns1.server()}, Checks(), stranger, transport_.get(), 2s);
  s = refused.Fetch();
  EXPECT_TRUE(s.healthy.empty());
  EXPECT_NE(s.error.find("HTTP 403"), std::string::npos) << s.error;
}

TEST(ParseNodeHealthTest, ReadyCatchingUpOrDown) {
  EXPECT_EQ(ParseNodeHealth(200, R"({"region":"us-east-1","status":"ok","tables":2})").readiness,
            NodeReadiness::kReady);
  const NodeHealth catching =
      ParseNodeHealth(503, R"({"status":"catching_up","reason":"eu-west-1 has 120 to ship"})");
  EXPECT_EQ(catching.readiness, NodeReadiness::kCatchingUp);
  EXPECT_EQ(catching.why, "catching_up: eu-west-1 has 120 to ship");
  const NodeHealth broken =
      ParseNodeHealth(503, R"({"status":"error","reason":"storage canary failed"})");
  EXPECT_EQ(broken.readiness, NodeReadiness::kDown);
  EXPECT_EQ(broken.why, "HTTP 503 error: storage canary failed");
  EXPECT_EQ(ParseNodeHealth(200, "not json").readiness, NodeReadiness::kDown);
}

TEST(ParsePendingGaugeTest, TakesTheLargestSeries) {
  const std::string metrics =
      "# HELP tandem_replication_pending Change-log records not yet acknowledged by a peer.\n"
      "# TYPE tandem_replication_pending gauge\n"
      "tandem_replication_pending{source=\"us-east-1\",destination=\"eu-west-1\"} 42\n"
      "tandem_replication_pending{source=\"us-east-1\",destination=\"ap-south-1\"} 7\n"
      "tandem_replication_pending_other 99999\n"
      "tandem_replication_shipped_bytes_total{source=\"us-east-1\"} 123456\n";
  EXPECT_EQ(ParsePendingGauge(metrics), 42.0);
  EXPECT_EQ(ParsePendingGauge("tandem_replication_pending 3 1700000000000\n"), 3.0);
  EXPECT_EQ(ParsePendingGauge("tandem_items{table=\"t\"} 5\n"), std::nullopt);
}

TEST_F(SourcesTest, ReadsANodesHealthAndBacklog) {
  int health_status = 503;
  TestHttpServer node([&](const TestRequest& r) {
    if (r.target == "/health") {
      return TestResponse{health_status, health_status == 200 ? R"({"status":"ok"})"
                                                              : R"({"status":"catching_up"})"};
    }
    return TestResponse{200, "tandem_replication_pending{source=\"a\",destination=\"b\"} 12\n",
                        "text/plain"};
  });
  HttpNodeSource nodes(transport_.get(), 2s);
  EXPECT_EQ(nodes.Health(node.url()).readiness, NodeReadiness::kCatchingUp);
  health_status = 200;
  EXPECT_EQ(nodes.Health(node.url()).readiness, NodeReadiness::kReady);
  auto pending = nodes.Pending(node.url());
  ASSERT_TRUE(pending.ok()) << pending.status().ToString();
  EXPECT_EQ(*pending, 12.0);
  const NodeHealth down = nodes.Health("http://127.0.0.1:1");
  EXPECT_EQ(down.readiness, NodeReadiness::kDown);
  EXPECT_FALSE(nodes.Pending("http://127.0.0.1:1").ok());
}

TEST_F(SourcesTest, TheActuatorSetsAControlThroughEveryAdminApi) {
  FakeAdmin ns1("ns1"), ns2("ns2");
  ns2.route_status = 503;
  ns2.route_error = "starting";
  ManualClock clock(1'700'000'000'000'000);
  DnsAdminActuator routing({ns1.server(), ns2.server()}, auth_, transport_.get(), 2s, "control-1",
                           &clock);
  ASSERT_TRUE(routing.SetControl("us-east-1", RouteControl::kOut).ok());
  // Both were asked, each addressed by name, dated once, signed.
  for (FakeAdmin* admin : {&ns1, &ns2}) {
    const auto requests = admin->requests();
    ASSERT_EQ(requests.size(), 1u);
    boost::json::object body = boost::json::parse(requests[0].body).as_object();
    EXPECT_EQ(body.at("set").as_string(), "us-east-1");
    EXPECT_EQ(body.at("control").as_string(), "out");
    EXPECT_EQ(body.at("by").as_string(), "control-1");
    EXPECT_EQ(body.at("at").as_int64(), 1'700'000'000'000'000);
    EXPECT_FALSE(body.at("force").as_bool());
    EXPECT_EQ(body.at("to").as_string(), admin == &ns1 ? "ns1" : "ns2");
  }
  // Every server refusing (the safety rule): FailedPrecondition with why.
  ns1.route_status = 400;
  ns1.route_error = "refused: www.shop.example. A would have nothing to serve";
  Status refused = routing.SetControl("us-east-1", RouteControl::kOut);
  EXPECT_EQ(refused.code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(refused.message().find("ns1: refused: www.shop.example."), std::string::npos)
      << refused.message();
  // Nobody answering: Unavailable.
  DnsAdminActuator nowhere({Dead()}, auth_, transport_.get(), 2s, "control-1", &clock);
  EXPECT_EQ(nowhere.SetControl("us-east-1", RouteControl::kAuto).code(),
            Status::Code::kUnavailable);
}

}  // namespace
}  // namespace tandem::control
