#include "drill/report.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace tandem::drill {
namespace {

namespace json = boost::json;

// A region outage that passed: us-east-1 answers, a gap, then us-west-2.
ScenarioResult RegionOutage() {
  ScenarioResult s;
  s.name = "region-outage";
  s.description = "SIGKILL every process of us-east-1.";
  s.passed = true;
  s.detection_s = 0.62449;
  s.dns_flip_s = 0.74;
  s.client_outage_s = 1.9;
  s.acked_writes = 1234;
  s.failed_writes = 7;
  s.lost_during_outage = 0;
  s.lost_after_recovery = 0;
  s.failback_s = 2.1;
  s.consistent = true;
  s.traffic_moves = 2;
  s.verify_output = "2 regions, 1234 items, no difference";
  s.duration_s = 12.3;
  s.expectations = {{"dns flip", "<= 1.0 s", "0.74 s", true},
                    {"orders lost after recovery", "0", "0", true}};
  s.events = {{2.0, "fault", "SIGKILL node-us-east-1"},
              {2.6, "detected", "checkers agree us-east-1 is down"},
              {2.74, "dns", "answer 127.0.0.3 (us-west-2)"},
              {8.0, "repair", "restart node-us-east-1"}};
  for (int i = 0; i < 123; ++i) {
    TimelineStep t;
    t.t_s = i * 0.1;
    if (i < 20 || i > 27) {
      t.answer = i < 20 ? "127.0.0.2" : "127.0.0.3";
      t.answer_region = i < 20 ? "us-east-1" : "us-west-2";
      t.client_ok = 10;
    } else {
      t.client_errors = 3;
    }
    if (i >= 30) t.replication_pending = i < 80 ? i * 2 : 0;
    s.timeline.push_back(t);
  }
  return s;
}

// A scenario that failed: an expectation did not hold, nothing flipped, and it stopped early.
ScenarioResult Flapping() {
  ScenarioResult s;
  s.name = "flapping";
  s.description = "Kill and restart the primary's probe every 0.3 s.";
  s.error = "relay died";
  s.not_real = {"no network namespace: the partition is a stopped relay"};
  s.acked_writes = 50;
  s.expectations = {{"traffic moves", "0", "3", false}, {"dns flip", "none", "none", true}};
  s.timeline = {{0.0, "127.0.0.2", "us-east-1", 5, 0, std::nullopt}};
  s.duration_s = 4.0;
  return s;
}

DrillReport Report() {
  DrillReport r;
  r.started = "2026-11-26T10:05:00Z";
  r.environment = "plain loopback";
  r.scenarios = {RegionOutage(), Flapping()};
  return r;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// The <svg>...</svg> of the `n`th scenario.
std::string Svg(const std::string& html, size_t n) {
  size_t at = 0;
  for (size_t i = 0; i <= n; ++i) at = html.find("<svg", at + (i ? 1 : 0));
  return html.substr(at, html.find("</svg>", at) - at);
}

TEST(ReportJson, ParsesBackWithTheSettingsAndEveryMeasure) {
  const json::object o = json::parse(ReportJson(Report())).as_object();
  EXPECT_EQ(o.at("started").as_string(), "2026-11-26T10:05:00Z");
  EXPECT_EQ(o.at("environment").as_string(), "plain loopback");
  EXPECT_EQ(o.at("regions").to_number<int>(), 2);
  EXPECT_EQ(o.at("quick").as_bool(), false);
  EXPECT_DOUBLE_EQ(o.at("check_interval_s").to_number<double>(), 0.2);
  EXPECT_EQ(o.at("failure_threshold").to_number<int>(), 3);
  EXPECT_EQ(o.at("ttl_s").to_number<int>(), 1);
  EXPECT_EQ(o.at("passed").as_bool(), false);
  ASSERT_EQ(o.at("scenarios").as_array().size(), 2u);

  const json::object& s = o.at("scenarios").as_array()[0].as_object();
  EXPECT_EQ(s.at("name").as_string(), "region-outage");
  EXPECT_EQ(s.at("passed").as_bool(), true);
  EXPECT_EQ(s.at("description").as_string(), "SIGKILL every process of us-east-1.");
  EXPECT_EQ(s.at("error").as_string(), "");
  EXPECT_DOUBLE_EQ(s.at("detection_s").to_number<double>(), 0.624);  // to the millisecond
  EXPECT_DOUBLE_EQ(s.at("dns_flip_s").to_number<double>(), 0.74);
  EXPECT_DOUBLE_EQ(s.at("client_outage_s").to_number<double>(), 1.9);
  EXPECT_EQ(s.at("acked_writes").to_number<int>(), 1234);
  EXPECT_EQ(s.at("failed_writes").to_number<int>(), 7);
  EXPECT_EQ(s.at("lost_during_outage").to_number<int>(), 0);
  EXPECT_EQ(s.at("lost_after_recovery").to_number<int>(), 0);
  EXPECT_DOUBLE_EQ(s.at("failback_s").to_number<double>(), 2.1);
  EXPECT_EQ(s.at("consistent").as_bool(), true);
  EXPECT_EQ(s.at("traffic_moves").to_number<int>(), 2);
  EXPECT_EQ(s.at("verify_output").as_string(), "2 regions, 1234 items, no difference");
  EXPECT_DOUBLE_EQ(s.at("duration_s").to_number<double>(), 12.3);
  EXPECT_TRUE(s.at("not_real").as_array().empty());

  const json::object& e = s.at("expectations").as_array()[0].as_object();
  EXPECT_EQ(e.at("name").as_string(), "dns flip");
  EXPECT_EQ(e.at("expected").as_string(), "<= 1.0 s");
  EXPECT_EQ(e.at("actual").as_string(), "0.74 s");
  EXPECT_EQ(e.at("held").as_bool(), true);

  const json::array& events = s.at("events").as_array();
  ASSERT_EQ(events.size(), 4u);
  EXPECT_DOUBLE_EQ(events[2].at("t_s").to_number<double>(), 2.74);
  EXPECT_EQ(events[2].at("kind").as_string(), "dns");
  EXPECT_EQ(events[2].at("text").as_string(), "answer 127.0.0.3 (us-west-2)");

  const json::array& timeline = s.at("timeline").as_array();
  ASSERT_EQ(timeline.size(), 123u);
  const json::value& step = timeline[40];
  EXPECT_DOUBLE_EQ(step.at("t_s").to_number<double>(), 4.0);
  EXPECT_EQ(step.at("answer").as_string(), "127.0.0.3");
  EXPECT_EQ(step.at("answer_region").as_string(), "us-west-2");
  EXPECT_EQ(step.at("client_ok").to_number<int>(), 10);
  EXPECT_EQ(step.at("client_errors").to_number<int>(), 0);
  EXPECT_DOUBLE_EQ(step.at("replication_pending").to_number<double>(), 80);
  EXPECT_EQ(timeline[22].at("answer").as_string(), "");
  EXPECT_EQ(timeline[22].at("client_errors").to_number<int>(), 3);
}

TEST(ReportJson, WhatWasNotMeasuredIsNull) {
  const json::object o = json::parse(ReportJson(Report())).as_object();
  const json::object& s = o.at("scenarios").as_array()[1].as_object();
  EXPECT_EQ(s.at("error").as_string(), "relay died");
  for (const char* field : {"detection_s", "dns_flip_s", "client_outage_s", "lost_during_outage",
                            "lost_after_recovery", "failback_s", "consistent"}) {
    ASSERT_TRUE(s.contains(field)) << field;
    EXPECT_TRUE(s.at(field).is_null()) << field;
  }
  EXPECT_EQ(s.at("not_real").as_array().at(0).as_string(),
            "no network namespace: the partition is a stopped relay");
  EXPECT_EQ(s.at("expectations").as_array()[0].at("held").as_bool(), false);
  EXPECT_TRUE(s.at("timeline").as_array()[0].at("replication_pending").is_null());
}

TEST(ReportJson, OneTimelineStepPerLine) {
  const std::string text = ReportJson(Report());
  size_t step_lines = 0;
  for (const auto& line : Lines(text)) step_lines += Count(line, "\"answer_region\"");
  EXPECT_EQ(step_lines, 124u);  // 123 + 1, one per line
  EXPECT_NE(text.find("\"dns_flip_s\": 0.74,"), std::string::npos) << "seconds read as decimals";
}

TEST(ReportJson, AnEmptyDrillFailsAndIsStillValid) {
  const json::object o = json::parse(ReportJson(DrillReport{})).as_object();
  EXPECT_EQ(o.at("passed").as_bool(), false);
  EXPECT_TRUE(o.at("scenarios").as_array().empty());
}

TEST(ReportHtml, EscapesEveryTextFromTheReport) {
  const std::string evil = "<script>alert(\"x\")</script> & 'q'";
  const std::string escaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;";
  DrillReport r = Report();
  r.environment = evil;
  r.scenarios[0].name = evil;
  r.scenarios[0].events[0].text = evil;
  r.scenarios[0].events[1].kind = evil;
  r.scenarios[0].timeline[0].answer_region = evil;
  r.scenarios[1].error = evil;
  r.scenarios[1].not_real = {evil};
  r.scenarios[1].expectations[0].actual = evil;
  r.scenarios[1].verify_output = evil;
  const std::string html = ReportHtml(r);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("'q'"), std::string::npos);
  EXPECT_GE(Count(html, escaped), 9u);
}

TEST(ReportHtml, IsSelfContained) {
  std::string html = ReportHtml(Report());
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("</html>"), std::string::npos);
  // The only URL allowed is the SVG namespace, which is never fetched.
  const std::string ns = "http://www.w3.org/2000/svg";
  for (size_t at; (at = html.find(ns)) != std::string::npos;) html.erase(at, ns.size());
  for (const char* outside : {"http:", "https:", "<script", "<link", "src=", "@import", "url("}) {
    EXPECT_EQ(html.find(outside), std::string::npos) << outside;
  }
}

TEST(ReportHtml, ShowsTheVerdictsAndTheNotesUpFront) {
  const std::string html = ReportHtml(Report());
  EXPECT_NE(html.find("<h1>Tandem drill <span class=\"badge fail\">FAILED</span>"),
            std::string::npos);
  EXPECT_NE(html.find("2026-11-26T10:05:00Z"), std::string::npos);
  EXPECT_NE(html.find("plain loopback"), std::string::npos);
  EXPECT_NE(html.find("relay died"), std::string::npos);
  EXPECT_NE(html.find("no network namespace: the partition is a stopped relay"), std::string::npos);
  // The summary table comes before the first plot and names every scenario.
  const size_t summary = html.find("Summary"), first_svg = html.find("<svg");
  ASSERT_LT(summary, first_svg);
  EXPECT_LT(html.find("region-outage", summary), first_svg);
  EXPECT_LT(html.find("flapping", summary), first_svg);
  EXPECT_LT(html.find("traffic moves", summary), first_svg);
  EXPECT_NE(html.find("<span class=\"badge pass\">PASSED</span>"), std::string::npos);
}

TEST(ReportHtml, OnePlotPerScenarioWithItsRegionsAndEvents) {
  const std::string html = ReportHtml(Report());
  EXPECT_EQ(Count(html, "<svg"), 2u);
  EXPECT_EQ(Count(html, "</svg>"), 2u);
  const std::string outage = Svg(html, 0);
  EXPECT_NE(outage.find(">us-east-1<"), std::string::npos);  // legend
  EXPECT_NE(outage.find(">us-west-2<"), std::string::npos);
  EXPECT_NE(outage.find("SIGKILL node-us-east-1"), std::string::npos);  // marker's tooltip
  EXPECT_NE(outage.find("max 158"), std::string::npos);  // the largest backlog, labelled
  const std::string flapping = Svg(html, 1);
  EXPECT_NE(flapping.find(">us-east-1<"), std::string::npos);
  EXPECT_EQ(flapping.find(">us-west-2<"), std::string::npos) << "never answered there";
  // The events are also listed with their times under the plot.
  EXPECT_NE(html.find("2.74 s"), std::string::npos);
  EXPECT_NE(html.find("checkers agree us-east-1 is down"), std::string::npos);
}

TEST(ReportHtml, ALongTimelineStaysSmall) {
  DrillReport r = Report();
  std::vector<TimelineStep>& steps = r.scenarios[0].timeline;
  steps.clear();
  for (int i = 0; i < 3000; ++i) {
    // A flapping answer and traffic every step: the worst case for the plot.
    steps.push_back({i * 0.1, "127.0.0.2", i % 40 < 20 ? "us-east-1" : "us-west-2",
                     static_cast<uint32_t>(i % 7), static_cast<uint32_t>(i % 3), i * 1.0});
  }
  r.scenarios[0].duration_s = 300;
  const std::string html = ReportHtml(r);
  const std::string svg = Svg(html, 0);
  EXPECT_LT(Count(svg, "<rect"), 960u) << "no more shapes than the plot has pixels";
  EXPECT_LT(html.size(), 200u * 1024) << "bytes";
  EXPECT_NE(svg.find("max 2999"), std::string::npos);
}

TEST(SummaryTable, ReadsLikeTheDrillEnded) {
  const std::vector<std::string> lines = Lines(SummaryTable(Report()));
  ASSERT_GE(lines.size(), 10u);
  EXPECT_EQ(lines[0], "region-outage  PASSED  (12.3 s)");
  EXPECT_EQ(lines[1].rfind("  dns flip ", 0), 0u);
  EXPECT_EQ(lines[3],
            "  detection 0.62 s, dns flip 0.74 s, client outage 1.9 s, acked 1234, lost during "
            "outage 0, lost after recovery 0, failback 2.1 s, consistent yes");
  EXPECT_EQ(lines.back(), "drill FAILED: 1 of 2 scenarios failed (flapping)");

  const std::string text = SummaryTable(Report());
  EXPECT_NE(text.find("flapping       FAILED  (4.0 s)\n  error: relay died\n"), std::string::npos);
  EXPECT_NE(text.find("  not real: no network namespace"), std::string::npos);
  EXPECT_NE(text.find("dns flip -, client outage -, acked 50, lost during outage -, lost after "
                      "recovery -, failback -, consistent -"),
            std::string::npos);
  EXPECT_EQ(text.find('\x1b'), std::string::npos) << "no colour codes";
}

TEST(SummaryTable, ExpectationColumnsLineUpAndFailuresStandOut) {
  size_t verdict_column = std::string::npos;
  int failed = 0;
  for (const auto& line : Lines(SummaryTable(Report()))) {
    const bool ok = line.size() > 2 && line.substr(line.size() - 2) == "ok";
    const bool bad = line.size() > 6 && line.substr(line.size() - 6) == "FAILED";
    if (line.rfind("  ", 0) != 0 || (!ok && !bad)) continue;
    const size_t column = line.size() - (ok ? 2 : 6);
    if (verdict_column == std::string::npos) verdict_column = column;
    EXPECT_EQ(column, verdict_column) << line;
    if (bad) {
      ++failed;
      EXPECT_NE(line.find("traffic moves"), std::string::npos) << line;
      EXPECT_NE(line.find(" 3 "), std::string::npos) << "shows what was seen: " << line;
    }
  }
  EXPECT_EQ(failed, 1);
}

TEST(SummaryTable, CountsScenarios) {
  DrillReport r = Report();
  r.scenarios[1].passed = true;
  EXPECT_EQ(Lines(SummaryTable(r)).back(), "drill PASSED: 2 of 2 scenarios");
  r.scenarios[0].passed = false;
  r.scenarios[1].passed = false;
  EXPECT_EQ(Lines(SummaryTable(r)).back(),
            "drill FAILED: 2 of 2 scenarios failed (region-outage, flapping)");
  EXPECT_EQ(Lines(SummaryTable(DrillReport{})).back(), "drill FAILED: no scenarios ran");
}

class WriteReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (std::filesystem::temp_directory_path() /
            ("tandem-drill-report-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name()))
               .string();
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static std::string Read(const std::string& path) {
    std::ifstream in(path);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }

  std::string dir_;
};

TEST_F(WriteReportTest, WritesBothFilesIntoANewDirectory) {
  const std::string out = dir_ + "/runs/1";
  ASSERT_TRUE(WriteReport(Report(), out).ok());
  EXPECT_EQ(Read(out + "/report.json"), ReportJson(Report()));
  EXPECT_EQ(Read(out + "/report.html"), ReportHtml(Report()));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(out),
                          std::filesystem::directory_iterator()),
            2)
      << "no temporary file left behind";
}

TEST_F(WriteReportTest, ReplacesAnEarlierReport) {
  DrillReport first = Report();
  first.scenarios.resize(1);
  ASSERT_TRUE(WriteReport(first, dir_).ok());
  ASSERT_TRUE(WriteReport(Report(), dir_).ok());
  EXPECT_EQ(json::parse(Read(dir_ + "/report.json")).at("scenarios").as_array().size(), 2u);
  EXPECT_EQ(Read(dir_ + "/report.html"), ReportHtml(Report()));
}

TEST_F(WriteReportTest, AnUnwritablePathIsAnIOErrorNamingIt) {
  std::filesystem::create_directories(dir_);
  std::ofstream(dir_ + "/file") << "x";
  const Status under_file = WriteReport(Report(), dir_ + "/file/out");
  EXPECT_EQ(under_file.code(), Status::Code::kIOError);
  EXPECT_NE(under_file.message().find(dir_ + "/file/out"), std::string::npos)
      << under_file.message();
  const Status is_file = WriteReport(Report(), dir_ + "/file");
  EXPECT_EQ(is_file.code(), Status::Code::kIOError);
  EXPECT_NE(is_file.message().find(dir_ + "/file"), std::string::npos) << is_file.message();
}

}  // namespace
}  // namespace tandem::drill
