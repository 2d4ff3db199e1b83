#include "up/topology.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "config/control_config.h"
#include "config/deployment.h"
#include "config/dns_config.h"
#include "control/service.h"
#include "failover/service.h"
#include "up/workspace.h"

namespace tandem::up {
namespace {

TopologyOptions Loopback(int regions, std::string dir = "/srv/tandem-up") {
  TopologyOptions o;
  o.dir = std::move(dir);
  o.regions = LoopbackRegions(regions);
  return o;
}

TEST(TopologyTest, LoopbackRegionsAreTheIssues) {
  auto r = LoopbackRegions(3);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].name, "us-east-1");
  EXPECT_EQ(r[0].address, "127.0.0.1");
  EXPECT_EQ(r[1].name, "eu-west-1");
  EXPECT_EQ(r[1].address, "127.0.0.2");
  EXPECT_EQ(r[2].name, "ap-southeast-1");
  EXPECT_EQ(r[2].address, "127.0.0.3");
  EXPECT_EQ(LoopbackRegions(2).size(), 2u);
}

TEST(TopologyTest, RenderedConfigIsAcceptedByTheNodesReader) {
  const TopologyOptions o = Loopback(3);
  auto d = config::ParseDeployment(RenderConfig(o), LayoutOf(o).config);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->cluster.secret_file, "/srv/tandem-up/secret");
  ASSERT_EQ(d->nodes.size(), 3u);
  const char* listen[] = {"127.0.0.1:8000", "127.0.0.2:8000", "127.0.0.3:8000"};
  for (size_t i = 0; i < 3; ++i) {
    const auto& n = d->nodes[i];
    EXPECT_EQ(n.region, o.regions[i].name);
    EXPECT_EQ(n.listen, listen[i]);
    EXPECT_EQ(n.url, std::string("http://") + listen[i]);
    EXPECT_EQ(n.data_dir, "/srv/tandem-up/data/" + o.regions[i].name);
    EXPECT_EQ(n.credentials, "/srv/tandem-up/credentials");
  }
}

TEST(TopologyTest, RenderedConfigIsAcceptedByTheDnsReader) {
  const TopologyOptions o = Loopback(2);
  auto c = config::ParseDnsConfig(RenderConfig(o), LayoutOf(o).config);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->secret_file, "/srv/tandem-up/secret");
  ASSERT_EQ(c->servers.size(), 2u);
  EXPECT_EQ(c->servers[0].name, "ns1");
  EXPECT_EQ(c->servers[0].listen, "127.0.0.1:5353");
  EXPECT_EQ(c->servers[0].admin, "127.0.0.1:9053");
  EXPECT_EQ(c->servers[0].probe_source, "127.0.0.1");
  EXPECT_EQ(c->servers[1].listen, "127.0.0.2:5353");
  ASSERT_EQ(c->zones.size(), 1u);
  EXPECT_EQ(c->zones[0].origin, "shop.example.");
  EXPECT_EQ(c->zones[0].file, "/srv/tandem-up/shop.example.zone");
  ASSERT_EQ(c->checks.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    const auto& h = c->checks[i];
    EXPECT_EQ(h.name, o.regions[i].name);
    EXPECT_EQ(h.type, config::CheckType::kHttpStrMatch);
    EXPECT_EQ(h.ip, o.regions[i].address);
    EXPECT_EQ(h.port, 8081 + i);
    EXPECT_EQ(h.path, "/health");
    EXPECT_EQ(h.search_string, "ok");
    EXPECT_EQ(h.interval, std::chrono::milliseconds(200));
    EXPECT_EQ(h.timeout, std::chrono::milliseconds(150));
    EXPECT_EQ(h.failure_threshold, 3);
  }
  ASSERT_EQ(c->records.size(), 2u);
  const auto& www = c->records[0];
  EXPECT_EQ(www.name, "www.shop.example.");
  EXPECT_EQ(www.ttl, 1u);
  EXPECT_EQ(www.routing, config::Routing::kFailover);
  ASSERT_EQ(www.answers.size(), 2u);
  EXPECT_EQ(www.answers[0].failover, config::AnswerConfig::Failover::kPrimary);
  EXPECT_EQ(www.answers[0].value, "127.0.0.1");
  EXPECT_EQ(www.answers[0].health_check, "us-east-1");
  EXPECT_EQ(www.answers[1].failover, config::AnswerConfig::Failover::kSecondary);
  EXPECT_EQ(www.answers[1].value, "127.0.0.2");
  EXPECT_EQ(www.answers[1].set, "eu-west-1");
  EXPECT_EQ(c->records[1].name, "all.shop.example.");
  EXPECT_EQ(c->records[1].routing, config::Routing::kMultivalue);
  EXPECT_EQ(c->records[1].answers.size(), 2u);
}

TEST(TopologyTest, ThreeRegionsKeepFailoverOnTheFirstTwoAndListAllInMultivalue) {
  const TopologyOptions o = Loopback(3);
  auto c = config::ParseDnsConfig(RenderConfig(o), LayoutOf(o).config);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->servers.size(), 3u);
  EXPECT_EQ(c->checks.size(), 3u);
  EXPECT_EQ(c->checks[2].port, 8083);
  ASSERT_EQ(c->records.size(), 2u);
  EXPECT_EQ(c->records[0].answers.size(), 2u);
  ASSERT_EQ(c->records[1].answers.size(), 3u);
  EXPECT_EQ(c->records[1].answers[2].value, "127.0.0.3");
  EXPECT_EQ(c->records[1].answers[2].health_check, "ap-southeast-1");
}

TEST(TopologyTest, OtherAddressesPortsAndIntervalsFlowThrough) {
  TopologyOptions o;
  o.dir = "/tmp/drill";
  o.regions = {{"a", "10.0.0.1"}, {"b", "10.0.0.2"}};
  o.node_port = 18000;
  o.probe_port = 18081;
  o.dns_port = 15353;
  o.dns_admin_port = 19053;
  o.check_interval = std::chrono::milliseconds(100);
  o.check_timeout = std::chrono::milliseconds(80);
  o.failure_threshold = 2;
  ASSERT_TRUE(Validate(o).ok());
  const std::string text = RenderConfig(o);
  auto d = config::ParseDeployment(text, LayoutOf(o).config);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->nodes[1].listen, "10.0.0.2:18000");
  auto c = config::ParseDnsConfig(text, LayoutOf(o).config);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->servers[1].listen, "10.0.0.2:15353");
  EXPECT_EQ(c->servers[1].admin, "10.0.0.2:19053");
  EXPECT_EQ(c->checks[1].port, 18082);
  EXPECT_EQ(c->checks[1].interval, std::chrono::milliseconds(100));
  EXPECT_EQ(c->checks[1].timeout, std::chrono::milliseconds(80));
  EXPECT_EQ(c->checks[1].failure_threshold, 2);
}

TEST(TopologyTest, PathsWithQuotesAreEscaped) {
  const TopologyOptions o = Loopback(2, "/tmp/we\"ird\\dir");
  auto d = config::ParseDeployment(RenderConfig(o), LayoutOf(o).config);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->nodes.size(), 2u);
}

TEST(TopologyTest, ValidateRefusesWhatCannotRun) {
  TopologyOptions o = Loopback(2);
  EXPECT_TRUE(Validate(o).ok());
  o.dir = "relative";
  EXPECT_FALSE(Validate(o).ok());
  o = Loopback(2);
  o.regions[1].address = "127.0.0.1";
  EXPECT_FALSE(Validate(o).ok());
  o = Loopback(2);
  o.regions[1].name = "us-east-1";
  EXPECT_FALSE(Validate(o).ok());
  o = Loopback(2);
  o.regions[0].address = "localhost";
  EXPECT_FALSE(Validate(o).ok());
  o = Loopback(2);
  o.dns_admin_port = o.node_port;
  EXPECT_FALSE(Validate(o).ok());
  o = Loopback(2);
  o.probe_port = 7999;  // the second probe would take the node's port
  EXPECT_FALSE(Validate(o).ok());
  o = Loopback(2);
  o.check_timeout = o.check_interval;
  EXPECT_FALSE(Validate(o).ok());
  o = Loopback(2);
  o.zone = "shop.example";
  EXPECT_FALSE(Validate(o).ok());
  o = Loopback(2);
  o.regions.clear();
  EXPECT_FALSE(Validate(o).ok());
  o = Loopback(2);
  o.regions[1].peer_url = "127.0.0.2:18000";
  EXPECT_FALSE(Validate(o).ok());
  o = Loopback(2);
  o.control_poll = std::chrono::milliseconds(50);
  o.alarm_period = std::chrono::milliseconds(50);
  EXPECT_FALSE(Validate(o).ok());
  o = Loopback(2);
  o.alarm_period = std::chrono::milliseconds(50);  // under the poll
  EXPECT_FALSE(Validate(o).ok());
  o = Loopback(2);
  o.alarm_datapoints = 4;  // above evaluation_periods
  EXPECT_FALSE(Validate(o).ok());
}

TEST(TopologyTest, ProcessesComeInStagesWithTheirChecksAndBinds) {
  const TopologyOptions o = Loopback(2);
  auto p = Processes(o, "/proc/self/exe", "tandem");
  ASSERT_EQ(p.size(), 7u);
  EXPECT_EQ(p[0].child.name, "node-us-east-1");
  EXPECT_EQ(p[0].stage, 0);
  EXPECT_EQ(p[0].child.program, "/proc/self/exe");
  EXPECT_EQ(p[0].child.argv,
            (std::vector<std::string>{"tandem", "node", "--config", "/srv/tandem-up/tandem.toml",
                                      "--region", "us-east-1"}));
  EXPECT_EQ(p[0].child.log_path, "/srv/tandem-up/logs/node-us-east-1.log");
  EXPECT_EQ(p[0].ready.kind, ReadyCheck::Kind::kHttp);
  EXPECT_EQ(p[0].ready.Describe(), "GET http://127.0.0.1:8000/health");
  EXPECT_EQ(p[1].child.name, "node-eu-west-1");

  EXPECT_EQ(p[2].child.name, "probe-us-east-1");
  EXPECT_EQ(p[2].stage, 1);
  EXPECT_EQ(p[2].child.argv,
            (std::vector<std::string>{"tandem", "probe", "--listen", "127.0.0.1:8081", "--endpoint",
                                      "http://127.0.0.1:8000", "--table", "tandem_health",
                                      "--credentials", "/srv/tandem-up/credentials", "--region",
                                      "us-east-1", "--timeout", "120ms"}));
  EXPECT_EQ(p[3].ready.Describe(), "GET http://127.0.0.2:8082/health");

  EXPECT_EQ(p[4].child.name, "dns-us-east-1");
  EXPECT_EQ(p[4].stage, 2);
  EXPECT_EQ(p[4].child.argv,
            (std::vector<std::string>{"tandem", "dns", "--config", "/srv/tandem-up/tandem.toml",
                                      "--server", "ns1"}));
  EXPECT_EQ(p[4].ready.Describe(), "A www.shop.example. @127.0.0.1:5353/udp");
  ASSERT_EQ(p[5].binds.size(), 3u);
  EXPECT_EQ(p[5].binds[0].ToString(), "127.0.0.2:5353/udp");
  EXPECT_EQ(p[5].binds[1].ToString(), "127.0.0.2:5353");
  EXPECT_EQ(p[5].binds[2].ToString(), "127.0.0.2:9053");

  EXPECT_EQ(p[6].role, Role::kControl);
  EXPECT_EQ(p[6].child.name, "control");
  EXPECT_EQ(p[6].region, "");
  EXPECT_EQ(p[6].stage, 3);
  EXPECT_EQ(p[6].child.argv, (std::vector<std::string>{"tandem", "control", "--config",
                                                       "/srv/tandem-up/tandem.toml"}));
  EXPECT_EQ(p[6].child.log_path, "/srv/tandem-up/logs/control.log");
  EXPECT_EQ(p[6].ready.kind, ReadyCheck::Kind::kFile);
  EXPECT_EQ(p[6].ready.Describe(), "a new line in /srv/tandem-up/control-audit.jsonl");
  EXPECT_TRUE(p[6].binds.empty());
  EXPECT_EQ(Processes(Loopback(3), "/proc/self/exe").size(), 10u);
}

TEST(TopologyTest, RenderedConfigIsAcceptedByTheControllersReader) {
  const TopologyOptions o = Loopback(3);
  auto c = config::ParseControlConfig(RenderConfig(o), LayoutOf(o).config);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->control.name, "control");
  EXPECT_EQ(c->control.poll, std::chrono::milliseconds(100));
  EXPECT_EQ(c->control.request_timeout, std::chrono::milliseconds(1000));
  EXPECT_EQ(c->control.audit_log, "/srv/tandem-up/control-audit.jsonl");
  EXPECT_EQ(c->control.state_file, "/srv/tandem-up/control-state.json");
  EXPECT_TRUE(c->control.etcd.empty());
  ASSERT_EQ(c->alarms.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    const auto& a = c->alarms[i];
    EXPECT_EQ(a.name, o.regions[i].name + "-unhealthy");
    EXPECT_EQ(a.source, config::AlarmConfig::Source::kHealthCheck);
    EXPECT_EQ(a.health_check, o.regions[i].name);
    EXPECT_EQ(a.period, std::chrono::milliseconds(200));
    EXPECT_EQ(a.evaluation_periods, 3);
    EXPECT_EQ(a.datapoints_to_alarm, 3);
    EXPECT_EQ(a.missing, config::MissingData::kMissing);
  }
  ASSERT_EQ(c->failovers.size(), 1u);
  const auto& f = c->failovers[0];
  EXPECT_EQ(f.primary, "us-east-1");
  EXPECT_EQ(f.secondary, "eu-west-1");
  EXPECT_EQ(f.primary_alarm, "us-east-1-unhealthy");
  EXPECT_EQ(f.secondary_alarm, "eu-west-1-unhealthy");
  EXPECT_EQ(f.primary_node_url, "http://127.0.0.1:8000");
  EXPECT_EQ(f.hold_down, std::chrono::milliseconds(10000));
  ASSERT_EQ(c->hooks.size(), 1u);
  EXPECT_EQ(c->hooks[0].name, "log");
  EXPECT_TRUE(c->hooks[0].on.empty());  // every event
  EXPECT_EQ(c->hooks[0].command,
            (std::vector<std::string>{"sh", "-c", "cat >> hooks.log && echo >> hooks.log"}));
  EXPECT_EQ(c->hooks[0].dir, "/srv/tandem-up");
}

// A drill puts a relay between the regions: peers reach a node at its
// peer_url, while the failback gate still asks the primary's node itself.
TEST(TopologyTest, PeerUrlsAndControllerSettingsFlowThrough) {
  TopologyOptions o = Loopback(2);
  o.regions[0].peer_url = "http://127.0.0.1:18000";
  o.control_poll = std::chrono::milliseconds(200);
  o.alarm_period = std::chrono::milliseconds(400);
  o.alarm_evaluation_periods = 4;
  o.alarm_datapoints = 2;
  o.hold_down = std::chrono::milliseconds(1500);
  ASSERT_TRUE(Validate(o).ok());
  EXPECT_EQ(PeerUrl(o, 0), "http://127.0.0.1:18000");
  EXPECT_EQ(PeerUrl(o, 1), "http://127.0.0.2:8000");
  const std::string text = RenderConfig(o);
  auto d = config::ParseDeployment(text, LayoutOf(o).config);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->nodes[0].listen, "127.0.0.1:8000");
  EXPECT_EQ(d->nodes[0].url, "http://127.0.0.1:18000");
  EXPECT_EQ(d->nodes[1].url, "http://127.0.0.2:8000");
  auto c = config::ParseControlConfig(text, LayoutOf(o).config);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->control.poll, std::chrono::milliseconds(200));
  EXPECT_EQ(c->alarms[0].period, std::chrono::milliseconds(400));
  EXPECT_EQ(c->alarms[0].evaluation_periods, 4);
  EXPECT_EQ(c->alarms[0].datapoints_to_alarm, 2);
  EXPECT_EQ(c->failovers[0].primary_node_url, "http://127.0.0.1:8000");
  EXPECT_EQ(c->failovers[0].hold_down, std::chrono::milliseconds(1500));
}

TEST(TopologyTest, OneRegionHasAlarmsButNoFailover) {
  auto c = config::ParseControlConfig(RenderConfig(Loopback(1)), "/srv/tandem-up/tandem.toml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->alarms.size(), 1u);
  EXPECT_TRUE(c->failovers.empty());
}

// The files written to a directory are what `tandem dns` and `tandem control`
// themselves load: configuration, secret, zone file, controls, audit log.
TEST(TopologyTest, TheDnsServiceAcceptsTheWrittenFiles) {
  const std::string dir = (std::filesystem::temp_directory_path() /
                           ("tandem-up-topology-" + std::to_string(::getpid())))
                              .string();
  std::filesystem::create_directories(dir);
  TopologyOptions o = Loopback(3, dir);
  const Layout layout = LayoutOf(o);
  ASSERT_TRUE(EnsureSecret(layout.secret).ok());
  ASSERT_TRUE(WriteFileAtomically(layout.config, RenderConfig(o)).ok());
  ASSERT_TRUE(WriteFileAtomically(layout.zone_file, RenderZoneFile(o)).ok());
  auto loaded = config::LoadDeployment(layout.config);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  for (size_t i = 0; i < 3; ++i) {
    auto service = failover::DnsService::Create({layout.config, DnsServerName(i)});
    EXPECT_TRUE(service.ok()) << service.status().ToString();
  }
  auto control = control::ControlService::Create({.config_path = layout.config});
  EXPECT_TRUE(control.ok()) << control.status().ToString();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tandem::up
