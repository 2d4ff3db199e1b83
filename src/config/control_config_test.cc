#include "config/control_config.h"

#include <gtest/gtest.h>

namespace tandem::config {
namespace {

// The pinned example parses as written.
TEST(ControlConfigTest, TheExampleInExamplesParses) {
  auto c = LoadControlConfig(std::string(TANDEM_SOURCE_DIR) + "/examples/control.toml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->control.name, "control-1");
  EXPECT_EQ(c->control.poll, std::chrono::milliseconds(1000));
  EXPECT_TRUE(c->control.audit_log.ends_with("/examples/control-audit.jsonl"));
  EXPECT_TRUE(c->control.state_file.ends_with("/examples/control-state.json"));
  EXPECT_TRUE(c->control.etcd.empty());
  ASSERT_EQ(c->alarms.size(), 3u);
  const AlarmConfig* east = c->FindAlarm("us-east-1-unhealthy");
  ASSERT_NE(east, nullptr);
  EXPECT_EQ(east->source, AlarmConfig::Source::kHealthCheck);
  EXPECT_EQ(east->health_check, "us-east-1");
  EXPECT_EQ(east->period, std::chrono::milliseconds(5000));
  EXPECT_EQ(east->evaluation_periods, 3);
  EXPECT_EQ(east->datapoints_to_alarm, 2);
  EXPECT_EQ(east->missing, MissingData::kMissing);
  const AlarmConfig* lag = c->FindAlarm("us-east-1-replication-lag");
  ASSERT_NE(lag, nullptr);
  EXPECT_EQ(lag->source, AlarmConfig::Source::kReplicationPending);
  EXPECT_EQ(lag->node_url, "http://127.0.0.1:8000");  // from [[node]] us-east-1
  EXPECT_EQ(lag->threshold, 10000);
  EXPECT_EQ(lag->missing, MissingData::kIgnore);
  ASSERT_EQ(c->failovers.size(), 1u);
  EXPECT_EQ(c->failovers[0].primary, "us-east-1");
  EXPECT_EQ(c->failovers[0].secondary, "eu-west-1");
  EXPECT_EQ(c->failovers[0].primary_node_url, "http://127.0.0.1:8000");
  EXPECT_EQ(c->failovers[0].hold_down, std::chrono::minutes(2));
  ASSERT_EQ(c->hooks.size(), 2u);
  EXPECT_EQ(c->hooks[0].command, (std::vector<std::string>{"python3", "hooks/failover.py"}));
  EXPECT_TRUE(c->hooks[0].dir.ends_with("/examples"));
  EXPECT_TRUE(c->hooks[0].Wants("failover"));
  EXPECT_FALSE(c->hooks[0].Wants("region_unhealthy"));
  EXPECT_EQ(c->hooks[1].url, "http://127.0.0.1:9099/tandem");
  EXPECT_TRUE(c->hooks[1].secret_file.ends_with("/examples/webhook-secret"));
  EXPECT_TRUE(c->hooks[1].Wants("region_unhealthy"));  // no `on`: every event
  EXPECT_EQ(c->hooks[1].retries, 3);
  // The dns sections are the same deployment's.
  EXPECT_EQ(c->deployment.servers.size(), 1u);
  EXPECT_EQ(c->deployment.checks.size(), 2u);
}

TEST(ControlConfigTest, Defaults) {
  auto c = ParseControlConfig(R"(
[[health_check]]
name = "web"
type = "TCP"
ip = "127.0.0.1"
port = 80
[[alarm]]
name = "web-down"
health_check = "web"
[[hook]]
name = "h"
command = ["/bin/true"]
)",
                              "/etc/tandem/t.toml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->control.name, "control");
  EXPECT_EQ(c->control.audit_log, "/etc/tandem/control-audit.jsonl");
  EXPECT_EQ(c->control.etcd_prefix, "/tandem/control/");
  EXPECT_EQ(c->control.lease_ttl, std::chrono::seconds(10));
  const AlarmConfig& a = c->alarms[0];
  EXPECT_EQ(a.period, std::chrono::seconds(10));
  EXPECT_EQ(a.evaluation_periods, 1);
  EXPECT_EQ(a.datapoints_to_alarm, 1);
  EXPECT_EQ(a.missing, MissingData::kMissing);
  const HookConfig& h = c->hooks[0];
  EXPECT_EQ(h.timeout, std::chrono::seconds(30));
  EXPECT_EQ(h.retries, 2);
  EXPECT_EQ(h.backoff, std::chrono::seconds(1));
  EXPECT_EQ(h.max_output, 64u * 1024);
  EXPECT_EQ(h.dir, "/etc/tandem");
}

// Each bad file is refused with file:line and the problem.
TEST(ControlConfigTest, ErrorsNameFileLineAndProblem) {
  const std::string base =
      "[[dns.zone]]\norigin = \"shop.example.\"\n"                                        // 1-2
      "[[health_check]]\nname = \"a\"\ntype = \"TCP\"\nip = \"127.0.0.1\"\nport = 1\n"    // 3-7
      "[[health_check]]\nname = \"b\"\ntype = \"TCP\"\nip = \"127.0.0.2\"\nport = 1\n"    // 8-12
      "[[record]]\nname = \"www.shop.example.\"\ntype = \"A\"\nrouting = \"failover\"\n"  // 13-16
      "answers = [ { set = \"east\", failover = \"PRIMARY\", value = \"127.0.0.1\" },\n"  // 17
      "  { set = \"west\", failover = \"SECONDARY\", value = \"127.0.0.2\" } ]\n"         // 18
      "[[alarm]]\nname = \"a-down\"\nhealth_check = \"a\"\n"                              // 19-21
      "[[alarm]]\nname = \"b-down\"\nhealth_check = \"b\"\n";                             // 22-24
  const std::string pair =
      "[[failover]]\nprimary = \"east\"\nsecondary = \"west\"\nprimary_alarm = \"a-down\"\n"
      "secondary_alarm = \"b-down\"\nprimary_node = \"http://127.0.0.1:8000\"\n";  // 25-30
  const struct {
    std::string text;
    std::string expect;
  } cases[] = {
      {"[control]\npoll = \"10ms\"\n", "t.toml:2: 'poll' must be from 100ms"},
      {"[control]\nbogus = 1\n", "t.toml:2: unknown key 'bogus' in [control]"},
      {"[control]\netcd = [\"127.0.0.1:2379\"]\n", "t.toml:2: etcd endpoints must be http://"},
      {"[control]\nlease_ttl = \"1s\"\n", "t.toml:2: 'lease_ttl' must be from 2000ms"},
      {"[control]\nlease_ttl = \"2500ms\"\n", "t.toml:2: 'lease_ttl' must be whole seconds"},
      {base + "[[alarm]]\nname = \"c\"\nhealth_check = \"nope\"\n",
       "t.toml:27: unknown health_check 'nope'"},
      {base + "[[alarm]]\nname = \"a-down\"\nhealth_check = \"a\"\n",
       "t.toml:26: alarm 'a-down' appears twice"},
      {base + "[[alarm]]\nname = \"c\"\n",
       "t.toml:25: alarm 'c' needs either health_check or metric"},
      {base + "[[alarm]]\nname = \"c\"\nhealth_check = \"a\"\nevaluation_periods = 2\n"
              "datapoints_to_alarm = 3\n",
       "t.toml:29: datapoints_to_alarm (3) must not exceed evaluation_periods (2)"},
      {base + "[[alarm]]\nname = \"c\"\nhealth_check = \"a\"\ntreat_missing_data = \"zero\"\n",
       "t.toml:28: treat_missing_data must be missing, breaching, notBreaching or ignore"},
      {base + "[[alarm]]\nname = \"c\"\nhealth_check = \"a\"\nperiod = \"500ms\"\n",
       "t.toml:28: alarm 'c': period must be at least [control] poll"},
      {base + "[[alarm]]\nname = \"c\"\nmetric = \"cpu\"\n",
       "t.toml:27: metric must be \"replication_pending\""},
      {base + "[[alarm]]\nname = \"c\"\nmetric = \"replication_pending\"\nnode = \"mars\"\n"
              "threshold = 1\n",
       "t.toml:28: 'node' must be a [[node]] region or an http(s):// URL"},
      {base + "[[alarm]]\nname = \"c\"\nmetric = \"replication_pending\"\n"
              "node = \"http://127.0.0.1:8000\"\n",
       "t.toml:25: alarm 'c' needs 'threshold'"},
      {base + "[[alarm]]\nname = \"c\"\nhealth_check = \"a\"\nthreshold = 1\n",
       "t.toml:28: 'threshold' goes with metric"},
      {base + pair, ""},  // valid
      {base + pair + pair, "t.toml:32: a [[failover]] for primary 'east' appears twice"},
      {base + "[[failover]]\nprimary = \"north\"\n",
       "t.toml:26: primary 'north' is not an answer set of any [[record]]"},
      {base + "[[failover]]\nprimary = \"east\"\nsecondary = \"east\"\n",
       "t.toml:27: primary and secondary must differ"},
      {base + "[[failover]]\nprimary = \"east\"\nsecondary = \"west\"\nprimary_alarm = \"x\"\n",
       "t.toml:28: unknown alarm 'x'"},
      {base + "[[failover]]\nprimary = \"east\"\nsecondary = \"west\"\nprimary_alarm = \"a-down\"\n"
              "secondary_alarm = \"b-down\"\n",
       "t.toml:25: failover of 'east' needs primary_node"},
      {base + pair + "hold_down = \"forever\"\n",
       "t.toml:31: 'hold_down': 'forever' is not a duration"},
      {"[[hook]]\nname = \"h\"\n", "t.toml:1: hook 'h' needs either command or url"},
      {"[[hook]]\nname = \"h\"\ncommand = []\n", "t.toml:3: command must name a program"},
      {"[[hook]]\nname = \"h\"\ncommand = [\"x\"]\nurl = \"http://x\"\n",
       "t.toml:1: hook 'h' needs either command or url"},
      {"[[hook]]\nname = \"h\"\nurl = \"http://127.0.0.1:1/x\"\n",
       "t.toml:1: webhook 'h' needs secret_file"},
      {"[[hook]]\nname = \"h\"\nurl = \"ftp://x\"\n", "t.toml:3: url must start with http://"},
      {"[[hook]]\nname = \"h\"\ncommand = [\"x\"]\non = [\"failover\", \"meteor\"]\n",
       "t.toml:4: unknown event type 'meteor'"},
      {"[[hook]]\nname = \"h\"\ncommand = [\"x\"]\nretries = 11\n",
       "t.toml:4: 'retries' must be an integer from 0 to 10"},
      {"[[hook]]\nname = \"h\"\ncommand = [\"x\"]\nsecret_file = \"s\"\n",
       "t.toml:4: 'secret_file' applies to a url only"},
      {"[[hook]]\nname = \"h\"\nurl = \"http://x\"\nsecret_file = \"s\"\nmax_output = 1\n",
       "t.toml:5: 'max_output' applies to a command only"},
      {"[[hook]]\nname = \"h\"\ncommand = [\"x\"]\n[[hook]]\nname = \"h\"\ncommand = [\"y\"]\n",
       "t.toml:5: hook 'h' appears twice"},
      {"[[hook]]\nname = \"h\"\ncommand = [\"x\"]\nwhen = 1\n",
       "t.toml:4: unknown key 'when' in [[hook]]"},
      // The dns sections are checked too.
      {"[[health_check]]\nname = \"c\"\ntype = \"PING\"\n", "t.toml:3: type must be one of"},
  };
  for (const auto& c : cases) {
    auto parsed = ParseControlConfig(c.text, "t.toml");
    if (c.expect.empty()) {
      EXPECT_TRUE(parsed.ok()) << parsed.status().ToString() << "\nfor:\n" << c.text;
      continue;
    }
    ASSERT_FALSE(parsed.ok()) << c.text;
    EXPECT_EQ(parsed.status().code(), Status::Code::kInvalidArgument);
    EXPECT_TRUE(parsed.status().message().starts_with(c.expect))
        << "got: " << parsed.status().message() << "\nwant: " << c.expect << "\nfor:\n"
        << c.text;
  }
}

TEST(ControlConfigTest, EveryEventTypeIsKnownToHooks) {
  std::string text = "[[hook]]\nname = \"h\"\ncommand = [\"x\"]\non = [";
  for (const char* e : kControlEventTypes) {
    text += std::string("\"") + e + "\", ";
  }
  text += "]\n";
  auto c = ParseControlConfig(text, "t.toml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->hooks[0].on.size(), std::size(kControlEventTypes));
}

}  // namespace
}  // namespace tandem::config
