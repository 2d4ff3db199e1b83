#include "config/dns_config.h"

#include <gtest/gtest.h>

#include <fstream>

namespace tandem::config {
namespace {

// The pinned example parses as written.
TEST(DnsConfigTest, TheExampleInExamplesParses) {
  auto c = LoadDnsConfig(std::string(TANDEM_SOURCE_DIR) + "/examples/dns.toml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE(c->secret_file.ends_with("/examples/secret"));
  ASSERT_EQ(c->servers.size(), 1u);
  EXPECT_EQ(c->servers[0].listen, "127.0.0.1:5353");
  EXPECT_EQ(c->servers[0].admin, "127.0.0.1:9053");
  ASSERT_EQ(c->zones.size(), 1u);
  EXPECT_TRUE(c->zones[0].file.ends_with("/examples/shop.example.zone"));
  ASSERT_EQ(c->checks.size(), 2u);
  const HealthCheckConfig* east = c->FindCheck("us-east-1");
  ASSERT_NE(east, nullptr);
  EXPECT_EQ(east->type, CheckType::kHttpStrMatch);
  EXPECT_EQ(east->port, 8000);
  EXPECT_EQ(east->interval, std::chrono::milliseconds(1000));
  EXPECT_EQ(east->timeout, std::chrono::milliseconds(500));
  EXPECT_EQ(east->failure_threshold, 3);
  ASSERT_EQ(c->records.size(), 1u);
  const RecordConfig& www = c->records[0];
  EXPECT_EQ(www.routing, Routing::kFailover);
  EXPECT_EQ(www.ttl, 5u);
  ASSERT_EQ(www.answers.size(), 2u);
  EXPECT_EQ(www.answers[0].failover, AnswerConfig::Failover::kPrimary);
  EXPECT_EQ(www.answers[1].health_check, "eu-west-1");
  EXPECT_EQ(c->healthy_fraction, 0.18);
  EXPECT_TRUE(c->state_dir.ends_with("/examples/dns-state"));
}

TEST(DnsConfigTest, DefaultsFollowRoute53) {
  auto c = ParseDnsConfig(R"(
[[dns.zone]]
origin = "shop.example"
[[health_check]]
name = "web"
type = "HTTPS"
ip = "::1"
[[health_check]]
name = "both"
type = "CALCULATED"
children = ["web"]
health_threshold = 1
[[record]]
name = "api.shop.example"
type = "aaaa"
answers = [ { set = "a", value = "::1" } ]
)",
                          "/etc/tandem/t.toml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->zones[0].origin, "shop.example.");
  const HealthCheckConfig* web = c->FindCheck("web");
  EXPECT_EQ(web->port, 443);
  EXPECT_EQ(web->path, "/");
  EXPECT_EQ(web->interval, std::chrono::milliseconds(30000));
  EXPECT_EQ(web->timeout, std::chrono::milliseconds(4000));
  EXPECT_EQ(web->failure_threshold, 3);
  EXPECT_EQ(c->records[0].name, "api.shop.example.");
  EXPECT_EQ(c->records[0].type, "AAAA");
  EXPECT_EQ(c->records[0].routing, Routing::kSimple);
  EXPECT_EQ(c->state_dir, "/etc/tandem/dns-state");
}

// Each bad file is refused with file:line and the problem.
TEST(DnsConfigTest, ErrorsNameFileLineAndProblem) {
  const std::string zone = "[[dns.zone]]\norigin = \"shop.example.\"\n";
  const std::string check = "[[health_check]]\nname = \"c\"\ntype = \"HTTP\"\nip = \"127.0.0.1\"\n";
  const struct {
    std::string text;
    std::string expect;
  } cases[] = {
      {"[dns]\nhealthy_fraction = 2\n", "t.toml:2: 'healthy_fraction' must be a number"},
      {"[[dns.server]]\nname = \"a\"\nlisten = \"nowhere\"\nadmin = \"127.0.0.1:1\"\n",
       "t.toml:3: listen must be HOST:PORT"},
      {"[[dns.server]]\nname = \"a\"\nlisten = \"127.0.0.1:1\"\n",
       "t.toml:1: missing required key 'admin'"},
      {zone + "bogus = 1\n", "t.toml:3: unknown key 'bogus' in [[dns.zone]]"},
      {check + "interval = \"50ms\"\n", "t.toml:5: interval must be at least 100ms"},
      {check + "interval = \"1s\"\ntimeout = \"1s\"\n",
       "t.toml:6: timeout must be above zero and below the interval"},
      {check + "interval = \"soon\"\n", "t.toml:5: 'interval': 'soon' is not a duration"},
      {check + "failure_threshold = 11\n", "t.toml:5: 'failure_threshold' must be an integer"},
      {check + "search_string = \"ok\"\n", "t.toml:5: 'search_string' does not apply"},
      {"[[health_check]]\nname = \"c\"\ntype = \"PING\"\n", "t.toml:3: type must be one of"},
      {"[[health_check]]\nname = \"c\"\ntype = \"TCP\"\nip = \"127.0.0.1\"\n",
       "t.toml:1: missing required key 'port'"},
      {check + check, "t.toml:6: health_check 'c' appears twice"},
      {"[[health_check]]\nname = \"x\"\ntype = \"CALCULATED\"\nchildren = [\"y\"]\n"
       "health_threshold = 1\n[[health_check]]\nname = \"y\"\ntype = \"CALCULATED\"\n"
       "children = [\"x\"]\nhealth_threshold = 1\n",
       "t.toml:4: health_check 'x' is part of a cycle"},
      {zone + "[[record]]\nname = \"www.other.example.\"\ntype = \"A\"\n"
              "answers = [ { set = \"a\", value = \"127.0.0.1\" } ]\n",
       "t.toml:4: record 'www.other.example.' is outside every [[dns.zone]]"},
      {zone + "[[record]]\nname = \"www.shop.example.\"\ntype = \"A\"\n"
              "answers = [ { set = \"a\", value = \"not-an-ip\" } ]\n",
       "t.toml:6: 'not-an-ip' is not an IPv4 address"},
      {zone + "[[record]]\nname = \"www.shop.example.\"\ntype = \"A\"\nrouting = \"failover\"\n"
              "answers = [ { set = \"a\", value = \"127.0.0.1\", failover = \"PRIMARY\" },\n"
              "  { set = \"b\", value = \"127.0.0.2\", failover = \"PRIMARY\" } ]\n",
       "t.toml:3: failover record 'www.shop.example.' needs exactly one PRIMARY"},
      {zone + "[[record]]\nname = \"www.shop.example.\"\ntype = \"A\"\nrouting = \"weighted\"\n"
              "answers = [ { set = \"a\", value = \"127.0.0.1\" } ]\n",
       "t.toml:7: missing required key 'weight'"},
      {zone + "[[record]]\nname = \"www.shop.example.\"\ntype = \"A\"\n"
              "answers = [ { set = \"a\", value = \"127.0.0.1\", health_check = \"nope\" } ]\n",
       "t.toml:6: unknown health_check 'nope'"},
      {"[dns\n", "t.toml:1:"},
  };
  for (const auto& c : cases) {
    auto parsed = ParseDnsConfig(c.text, "t.toml");
    ASSERT_FALSE(parsed.ok()) << c.text;
    EXPECT_EQ(parsed.status().code(), Status::Code::kInvalidArgument);
    EXPECT_TRUE(parsed.status().message().starts_with(c.expect))
        << "got: " << parsed.status().message() << "\nwant: " << c.expect << "\nfor:\n"
        << c.text;
  }
}

TEST(DnsConfigTest, AHostWithoutAnIpIsResolvedAsRoute53sDomainName) {
  auto c = ParseDnsConfig(R"(
[[health_check]]
name = "web"
type = "TCP"
host = "localhost"
port = 8000
)",
                          "t.toml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->checks[0].ip, "");
  EXPECT_EQ(c->checks[0].host, "localhost");
  auto neither = ParseDnsConfig("[[health_check]]\nname = \"w\"\ntype = \"HTTP\"\n", "t.toml");
  ASSERT_FALSE(neither.ok());
  EXPECT_EQ(neither.status().message(), "t.toml:1: missing required key 'ip'");
}

TEST(DnsConfigTest, Durations) {
  EXPECT_EQ(*ParseDuration("100ms"), std::chrono::milliseconds(100));
  EXPECT_EQ(*ParseDuration("1.5s"), std::chrono::milliseconds(1500));
  EXPECT_EQ(*ParseDuration("2m"), std::chrono::milliseconds(120000));
  EXPECT_FALSE(ParseDuration("1").ok());
  EXPECT_FALSE(ParseDuration("s").ok());
  EXPECT_FALSE(ParseDuration("-1s").ok());
  EXPECT_FALSE(ParseDuration("0.5ms").ok());
}

}  // namespace
}  // namespace tandem::config
