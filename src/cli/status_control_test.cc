#include "cli/status_control.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace tandem::cli {
namespace {

config::ControlConfig TwoRegions(const std::string& audit_log = "/srv/up/control-audit.jsonl") {
  config::ControlConfig c;
  c.control.audit_log = audit_log;
  config::FailoverConfig f;
  f.primary = "us-east-1";
  f.secondary = "eu-west-1";
  c.failovers.push_back(f);
  for (const char* name : {"us-east-1-unhealthy", "eu-west-1-unhealthy"}) {
    config::AlarmConfig a;
    a.name = name;
    c.alarms.push_back(a);
  }
  return c;
}

// Lines as control/audit_log.cc writes them (inputs shortened).
const char kStart[] =
    R"json({"time":"2026-11-26T06:30:00.100000Z","time_us":1795674600100000,"controller":"control","event":"leadership","inputs":{"leader":"control"},"decision":"this controller leads: it acts on events","actions":[]})json"
    "\n"
    R"json({"time":"2026-11-26T06:30:00.101000Z","time_us":1795674600101000,"controller":"control","event":"leadership","inputs":{"state":{"alarms":{},"pairs":{}}},"decision":"loaded the announced states and failover phases (a new lead, or another leader moved them)","actions":[]})json"
    "\n"
    R"json({"time":"2026-11-26T06:30:00.800000Z","time_us":1795674600800000,"controller":"control","event":"alarm","inputs":{"name":"us-east-1-unhealthy","state":"OK","previous":"INSUFFICIENT_DATA","datapoints":"000"},"decision":"INSUFFICIENT_DATA -> OK: 0 of the last 3 datapoints breaching","actions":[]})json"
    "\n"
    R"json({"time":"2026-11-26T06:30:00.800000Z","time_us":1795674600800000,"controller":"control","event":"alarm","inputs":{"name":"eu-west-1-unhealthy","state":"OK","previous":"INSUFFICIENT_DATA","datapoints":"000"},"decision":"INSUFFICIENT_DATA -> OK: 0 of the last 3 datapoints breaching","actions":[]})json"
    "\n";

const char kFailover[] =
    R"json({"time":"2026-11-26T06:31:10.200000Z","time_us":1795674670200000,"controller":"control","event":"alarm","inputs":{"name":"us-east-1-unhealthy","state":"ALARM","previous":"OK","datapoints":"XXX"},"decision":"OK -> ALARM: 3 of the last 3 datapoints breaching","actions":[]})json"
    "\n"
    R"json({"time":"2026-11-26T06:31:10.250000Z","time_us":1795674670250000,"controller":"control","event":"failover","event_id":"failover:us-east-1:1","inputs":{"primary":"us-east-1","secondary":"eu-west-1","phase":"failed_over","routing":{"set":"us-east-1","control":"out","result":"applied"}},"decision":"primary alarm is ALARM and secondary alarm is OK: fail over","actions":["log"]})json"
    "\n"
    R"json({"time":"2026-11-26T06:31:10.300000Z","time_us":1795674670300000,"controller":"control","event":"actions_done","event_id":"failover:us-east-1:1","inputs":{"type":"failover"},"decision":"1 of 1 hooks succeeded","actions":[]})json"
    "\n";

const char kGate[] =
    R"json({"time":"2026-11-26T06:31:40.000000Z","time_us":1795674700000000,"controller":"control","event":"failback_gate","inputs":{"primary":"us-east-1"},"decision":"hold-down starts","actions":[]})json"
    "\n";

TEST(StatusControlTest, ReadsPhasesAlarmsAndTheLatestLines) {
  const std::string text = std::string(kStart) + kFailover + kGate;
  ControllerView v = SummarizeAudit(text, false, TwoRegions(), 5);
  EXPECT_TRUE(v.found);
  EXPECT_EQ(v.lines, 8u);
  EXPECT_EQ(v.skipped, 0u);
  ASSERT_EQ(v.pairs.size(), 1u);
  EXPECT_EQ(v.pairs[0].phase, "failed_over");
  EXPECT_EQ(v.pairs[0].said_by.subject, "failover:us-east-1:1");
  EXPECT_EQ(v.pairs[0].gate, "hold-down starts");
  ASSERT_EQ(v.alarms.size(), 2u);
  EXPECT_EQ(v.alarms[0].state, "ALARM");
  EXPECT_EQ(v.alarms[1].state, "OK");
  ASSERT_EQ(v.latest.size(), 5u);
  EXPECT_EQ(v.latest.front().event, "alarm");
  EXPECT_EQ(v.latest.back().event, "failback_gate");
  EXPECT_EQ(v.latest.back().subject, "us-east-1");

  const std::string out = FormatControllerView(v, "/srv/up/tandem.toml");
  EXPECT_EQ(out.rfind("Controller (audit log /srv/up/control-audit.jsonl)\n", 0), 0u) << out;
  for (const char* expected : {
           "  failover us-east-1 -> eu-west-1      failed_over  since 2026-11-26 06:31:10.250 UTC "
           "(failover:us-east-1:1)\n",
           "failback gate: hold-down starts at 2026-11-26 06:31:40.000 UTC\n",
           "  alarm us-east-1-unhealthy            ALARM        since 2026-11-26 06:31:10.200 "
           "UTC\n",
           "  alarm eu-west-1-unhealthy            OK           since 2026-11-26 06:30:00.800 "
           "UTC\n",
           "  latest in the audit log (oldest first):\n",
           "    2026-11-26 06:31:10.200 UTC  alarm us-east-1-unhealthy              OK -> ALARM: "
           "3 of the last 3 datapoints breaching\n",
           "    2026-11-26 06:31:10.250 UTC  failover:us-east-1:1                   primary alarm "
           "is ALARM and secondary alarm is OK: fail over\n",
           "    2026-11-26 06:31:10.300 UTC  actions_done failover:us-east-1:1      1 of 1 hooks "
           "succeeded\n",
           "    2026-11-26 06:31:40.000 UTC  failback_gate us-east-1                hold-down "
           "starts\n",
       }) {
    EXPECT_NE(out.find(expected), std::string::npos) << expected << "\nin:\n" << out;
  }
}

TEST(StatusControlTest, AFailbackOrANewLeadersStateEndsTheFailedOverPhase) {
  const std::string failback =
      R"json({"time":"2026-11-26T06:31:50.000000Z","time_us":1795674710000000,"controller":"control","event":"failback","event_id":"failback:us-east-1:2","inputs":{"primary":"us-east-1","phase":"normal"},"decision":"primary healthy and ready for the hold-down: fail back","actions":["log"]})json"
      "\n";
  ControllerView v =
      SummarizeAudit(std::string(kStart) + kFailover + kGate + failback, false, TwoRegions(), 5);
  EXPECT_EQ(v.pairs[0].phase, "normal");
  EXPECT_EQ(v.pairs[0].gate, "");  // the gate belonged to the phase that ended
  EXPECT_EQ(FormatControllerView(v, "f").find("failback gate"), std::string::npos);

  // A restarted controller loads its saved state: the phase it states counts.
  const std::string restart =
      R"json({"time":"2026-11-26T07:00:00.000000Z","time_us":1795676400000000,"controller":"control","event":"leadership","inputs":{"state":{"alarms":{},"pairs":{"us-east-1":{"phase":"failed_over","events":1,"aborted":false}}}},"decision":"loaded","actions":[]})json"
      "\n";
  v = SummarizeAudit(std::string(kStart) + restart, false, TwoRegions(), 5);
  EXPECT_EQ(v.pairs[0].phase, "failed_over");
  EXPECT_EQ(v.pairs[0].said_by.event, "leadership");
  EXPECT_NE(FormatControllerView(v, "f").find(
                "failed_over  since 2026-11-26 07:00:00.000 UTC (leadership control)\n"),
            std::string::npos)
      << FormatControllerView(v, "f");
}

TEST(StatusControlTest, NothingDecidedYetIsNormal) {
  ControllerView v = SummarizeAudit("", false, TwoRegions(), 5);
  EXPECT_EQ(v.pairs[0].phase, "");
  const std::string out = FormatControllerView(v, "f");
  EXPECT_NE(out.find("normal (nothing decided yet)"), std::string::npos) << out;
  EXPECT_NE(out.find("INSUFFICIENT_DATA (no transition logged)"), std::string::npos) << out;
  EXPECT_NE(out.find("the audit log holds no decision yet"), std::string::npos) << out;
}

// The log is followed while it grows and may be damaged: a partly written
// last line and lines that are not JSON are left out; a tail that starts
// inside a line drops that line.
TEST(StatusControlTest, ToleratesPartialAndDamagedLines) {
  std::string text = std::string(kStart) + "not json\n\n" + kFailover;
  text += R"json({"time":"2026-11-26T06:31:40.000000Z","time_us":17956747)json";  // being written
  ControllerView v = SummarizeAudit(text, false, TwoRegions(), 3);
  EXPECT_TRUE(v.partial_last);
  EXPECT_EQ(v.skipped, 1u);
  EXPECT_EQ(v.lines, 8u);
  ASSERT_EQ(v.latest.size(), 3u);
  EXPECT_EQ(v.latest.back().event, "actions_done");
  EXPECT_EQ(v.pairs[0].phase, "failed_over");
  EXPECT_NE(FormatControllerView(v, "f").find("(1 line of the audit log is not a JSON object"),
            std::string::npos);

  // A tail starting in the middle of the failover line: the phase is unknown.
  const std::string failover = kFailover;
  const std::string tail = failover.substr(failover.find('\n') + 50);
  v = SummarizeAudit(tail, true, TwoRegions(), 5);
  EXPECT_EQ(v.skipped, 0u);
  EXPECT_EQ(v.pairs[0].phase, "");
  EXPECT_NE(FormatControllerView(v, "f").find("unknown (nothing about it in the audit log's tail)"),
            std::string::npos);
}

TEST(StatusControlTest, ReadsTheFileOrSaysItIsMissing) {
  const std::string dir = (std::filesystem::temp_directory_path() /
                           ("tandem-status-control-" + std::to_string(::getpid())))
                              .string();
  std::filesystem::create_directories(dir);
  const config::ControlConfig c = TwoRegions(dir + "/control-audit.jsonl");

  ControllerView missing = ReadControllerView(c, 5);
  EXPECT_FALSE(missing.found);
  EXPECT_EQ(missing.pairs.size(), 1u);
  EXPECT_NE(FormatControllerView(missing, dir + "/tandem.toml")
                .find("no audit log yet: tandem control has not run with this file (tandem "
                      "control --config " +
                      dir + "/tandem.toml)"),
            std::string::npos);

  std::ofstream(c.control.audit_log, std::ios::binary) << kStart << kFailover;
  ControllerView whole = ReadControllerView(c, 5);
  EXPECT_TRUE(whole.found);
  EXPECT_FALSE(whole.truncated);
  EXPECT_EQ(whole.pairs[0].phase, "failed_over");

  // Only the tail of a large file is read; its first, cut line is left out.
  ControllerView tail = ReadControllerView(c, 5, std::string(kFailover).size() + 10);
  EXPECT_TRUE(tail.truncated);
  EXPECT_EQ(tail.lines, 3u);
  EXPECT_EQ(tail.skipped, 0u);
  EXPECT_EQ(tail.pairs[0].phase, "failed_over");
  std::filesystem::remove_all(dir);
}

TEST(StatusControlTest, MentionsControllerLooksForItsSections) {
  EXPECT_TRUE(MentionsController("[control]\npoll = \"1s\"\n"));
  EXPECT_TRUE(MentionsController("[[hook]]\nname = \"x\"\n"));
  EXPECT_FALSE(
      MentionsController("[cluster]\nsecret_file = \"s\"\n[[dns.server]]\nname = \"ns1\"\n"));
  EXPECT_FALSE(MentionsController("not = = toml"));
}

TEST(StatusControlTest, AuditTimesAreUtcWithMilliseconds) {
  AuditLine l;
  l.time_us = 1795674670250999;
  EXPECT_EQ(FormatAuditTime(l), "2026-11-26 06:31:10.250 UTC");
  l.time_us = 0;
  l.time = "2026-11-26T06:31:10Z";
  EXPECT_EQ(FormatAuditTime(l), "2026-11-26T06:31:10Z");
}

}  // namespace
}  // namespace tandem::cli
