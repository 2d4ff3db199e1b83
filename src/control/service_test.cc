// ControlService end to end on loopback: a fake `tandem dns` admin API (it
// checks signatures as the real one does), a fake node, a real hook program,
// the real clock. Waits are on conditions with deadlines.
#include "control/service.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include "control/test_http_server.h"
#include "replication/peer_auth.h"

namespace tandem::control {
namespace {

using testing::TestHttpServer;
using testing::TestRequest;
using testing::TestResponse;
using namespace std::chrono_literals;

constexpr char kSecret[] = "cluster-secret-0123456789abcdef";

template <class F>
bool WaitFor(F condition, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

std::string Observation(bool healthy) {
  return boost::json::serialize(boost::json::array{boost::json::object{
      {"server", "ns1"}, {"healthy", healthy}, {"age_s", 0.1}, {"fresh", true}}});
}

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::temp_directory_path() / ("control-service-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "secret") << kSecret << "\n";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Config(const std::string& admin, const std::string& node) {
    return R"([cluster]
secret_file = "secret"
[[dns.server]]
name = "ns1"
listen = "127.0.0.1:5353"
admin = ")" +
           admin + R"("
[[dns.zone]]
origin = "shop.example."
[[health_check]]
name = "east"
type = "TCP"
ip = "127.0.0.1"
port = 1
interval = "1s"
[[health_check]]
name = "west"
type = "TCP"
ip = "127.0.0.2"
port = 1
interval = "1s"
[[record]]
name = "www.shop.example."
type = "A"
routing = "failover"
answers = [ { set = "east", failover = "PRIMARY", value = "127.0.0.1", health_check = "east" },
            { set = "west", failover = "SECONDARY", value = "127.0.0.2", health_check = "west" } ]
[control]
name = "control-test"
poll = "100ms"
[[alarm]]
name = "east-down"
health_check = "east"
period = "200ms"
[[alarm]]
name = "west-down"
health_check = "west"
period = "200ms"
[[failover]]
primary = "east"
secondary = "west"
primary_alarm = "east-down"
secondary_alarm = "west-down"
primary_node = ")" +
           node + R"("
hold_down = "300ms"
[[hook]]
name = "record"
on = ["failover", "failback"]
command = ["/bin/sh", "-c", "cat >> events.jsonl; echo >> events.jsonl"]
)";
  }
  std::string Events() {
    std::ifstream in(dir_ / "events.jsonl");
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

  std::filesystem::path dir_;
};

TEST_F(ServiceTest, FailsOverAndBackThroughTheDnsAdminApi) {
  std::atomic<bool> east_healthy{true};
  std::mutex mu;
  std::vector<std::string> routes;  // "set control by"
  replication::PeerAuth verifier(kSecret, "ns1", SystemClock::Default());
  TestHttpServer admin([&](const TestRequest& r) {
    std::vector<auth::Header> headers;
    for (const auto& [k, v] : r.headers) {
      headers.push_back({k, v});
    }
    if (!verifier.Verify(r.method, r.target, headers, r.body).ok()) {
      return TestResponse{403, R"({"error":"bad signature"})"};
    }
    if (r.target == "/v1/route") {
      auto o = boost::json::parse(r.body).as_object();
      std::lock_guard<std::mutex> lock(mu);
      routes.push_back(std::string(o.at("set").as_string()) + " " +
                       std::string(o.at("control").as_string()) + " " +
                       std::string(o.at("by").as_string()));
      return TestResponse{200, R"({"ok":true})"};
    }
    const bool east = east_healthy.load();
    return TestResponse{
        200, R"({"server":"ns1","checks":[{"name":"east","healthy":)" +
                 std::string(east ? "true" : "false") + R"(,"observations":)" + Observation(east) +
                 R"(},{"name":"west","healthy":true,"observations":)" + Observation(true) + "}]}"};
  });
  TestHttpServer node([](const TestRequest&) { return TestResponse{200, R"({"status":"ok"})"}; });
  const std::string path = (dir_ / "control.toml").string();
  std::ofstream(path) << Config(admin.hostport(), node.url());

  auto service = ControlService::Create({path, SystemClock::Default()});
  ASSERT_TRUE(service.ok()) << service.status().ToString();
  ASSERT_TRUE((*service)->Start().ok());
  auto routed = [&](const std::string& what) {
    std::lock_guard<std::mutex> lock(mu);
    return std::find(routes.begin(), routes.end(), what) != routes.end();
  };
  // Healthy: nothing moves.
  ASSERT_TRUE(WaitFor(
      [&] {
        auto s = boost::json::parse((*service)->StatusJson()).as_object();
        return s.at("alarms").as_array()[0].at("state").as_string() == "OK";
      },
      10s));
  east_healthy = false;
  ASSERT_TRUE(WaitFor([&] { return routed("east out control-test"); }, 10s));
  ASSERT_TRUE(
      WaitFor([&] { return Events().find("\"type\":\"failover\"") != std::string::npos; }, 10s));
  east_healthy = true;
  ASSERT_TRUE(WaitFor([&] { return routed("east auto control-test"); }, 10s));
  ASSERT_TRUE(
      WaitFor([&] { return Events().find("\"type\":\"failback\"") != std::string::npos; }, 10s));
  (*service)->Stop();

  // The audit log beside the file has the story, one JSON object per line.
  std::ifstream audit(dir_ / "control-audit.jsonl");
  std::vector<std::string> events;
  std::string line;
  while (std::getline(audit, line)) {
    events.emplace_back(boost::json::parse(line).as_object().at("event").as_string());
  }
  for (const char* e : {"leadership", "alarm", "region_unhealthy", "failover", "region_recovered",
                        "failback", "actions_done"}) {
    EXPECT_NE(std::find(events.begin(), events.end(), e), events.end()) << e;
  }
}

TEST_F(ServiceTest, RefusesAConfigurationWithoutTheClusterSecret) {
  const std::string path = (dir_ / "control.toml").string();
  std::ofstream(path) << "[[alarm]]\nname = \"a\"\nhealth_check = \"nope\"\n";
  auto service = ControlService::Create({path, SystemClock::Default()});
  ASSERT_FALSE(service.ok());
  EXPECT_NE(service.status().message().find("control.toml:3: unknown health_check 'nope'"),
            std::string::npos)
      << service.status().message();
  std::ofstream(path, std::ios::trunc) << "[control]\nname = \"c\"\n";
  service = ControlService::Create({path, SystemClock::Default()});
  ASSERT_FALSE(service.ok());
  EXPECT_NE(service.status().message().find("secret_file"), std::string::npos);
}

}  // namespace
}  // namespace tandem::control
