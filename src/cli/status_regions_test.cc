#include "cli/status_regions.h"

#include <gtest/gtest.h>

#include <map>

namespace tandem::cli {
namespace {

class FakeNodes : public control::NodeSource {
 public:
  std::map<std::string, control::NodeHealth> health;
  std::map<std::string, double> pending;
  std::vector<std::string> asked;

  control::NodeHealth Health(const std::string& url) override {
    asked.push_back(url + "/health");
    return health.count(url) ? health[url]
                             : control::NodeHealth{control::NodeReadiness::kDown, "refused"};
  }
  StatusOr<double> Pending(const std::string& url) override {
    asked.push_back(url + "/metrics");
    if (!pending.count(url)) return Status::Unavailable("no tandem_replication_pending");
    return pending[url];
  }
};

config::Deployment TwoRegions() {
  config::Deployment d;
  config::NodeConfig a;
  a.region = "us-east-1";
  a.listen = "127.0.0.1:8000";
  a.url = "http://127.0.1.1:8000";  // a relay: status must not go through it
  config::NodeConfig b;
  b.region = "eu-west-1";
  b.listen = "127.0.0.2:8000";
  b.tls_cert = "cert.pem";
  d.nodes = {a, b};
  return d;
}

TEST(StatusRegionsTest, AsksEachNodeAtItsOwnAddress) {
  FakeNodes nodes;
  nodes.health["http://127.0.0.1:8000"] = {control::NodeReadiness::kReady, "ok"};
  nodes.pending["http://127.0.0.1:8000"] = 3;
  auto regions = ReadRegions(TwoRegions(), &nodes);
  ASSERT_EQ(regions.size(), 2u);
  EXPECT_EQ(regions[0].url, "http://127.0.0.1:8000");
  EXPECT_EQ(regions[1].url, "https://127.0.0.2:8000");
  EXPECT_EQ(regions[0].pending, 3.0);
  // A node that is down is not asked for its metrics.
  EXPECT_EQ(nodes.asked, (std::vector<std::string>{"http://127.0.0.1:8000/health",
                                                   "http://127.0.0.1:8000/metrics",
                                                   "https://127.0.0.2:8000/health"}));
}

TEST(StatusRegionsTest, ShowsReadinessAndBacklogPerRegion) {
  std::vector<RegionView> regions = {
      {"us-east-1", "http://127.0.0.1:8000", {control::NodeReadiness::kReady, "ok"}, 0.0, ""},
      {"eu-west-1",
       "http://127.0.0.2:8000",
       {control::NodeReadiness::kCatchingUp, "catching_up: 1200 behind us-east-1"},
       1200.0,
       ""},
      {"ap-southeast-1",
       "http://127.0.0.3:8000",
       {control::NodeReadiness::kDown, "cannot connect: Connection refused"},
       std::nullopt,
       ""}};
  const std::string text = FormatRegions(regions);
  EXPECT_EQ(text.rfind("Regions\n", 0), 0u);
  EXPECT_NE(text.find("  us-east-1       http://127.0.0.1:8000  ready"), std::string::npos);
  EXPECT_NE(text.find("replication backlog 0\n"), std::string::npos);
  EXPECT_NE(text.find("catching up (catching_up: 1200 behind us-east-1)  replication backlog 1200"),
            std::string::npos);
  EXPECT_NE(text.find("down (cannot connect: Connection refused)\n"), std::string::npos);
  EXPECT_EQ(FormatRegions({}), "");
}

}  // namespace
}  // namespace tandem::cli
