// Report: how the results of `tandem drill` are written — report.json for
// tools, report.html for a person, and the table printed at the end of a run.
//
// The three renderers are pure functions of a DrillReport (result.h); only
// WriteReport touches the filesystem. Thread-safety: safe from any thread.
#pragma once

#include <string>

#include "common/status.h"
#include "drill/result.h"

namespace tandem::drill {

// report.json: one object
//   {"started", "environment", "regions", "quick", "check_interval_s",
//    "failure_threshold", "ttl_s", "passed", "scenarios": [...]}
// with one object per scenario holding every ScenarioResult field under its
// own name; "expectations", "events" and "timeline" are arrays of objects
// with their struct's field names, "not_real" an array of strings. Seconds
// are rounded to the millisecond; a nullopt measure is null. Indented two
// spaces, with each expectation, event and timeline step on one line so that
// a diff or grep shows one step per line.
std::string ReportJson(const DrillReport& report);

// report.html: one self-contained page (inline CSS and SVG; no script, font
// or anything else fetched). A header with the settings and the overall
// verdict, a summary table with one row per scenario marking every
// expectation held (green) or not (red), then per scenario its error and
// not-real notes, its expectations and measures, a timeline plot (DNS answer
// per region, client successes and errors, replication backlog, event
// markers) and the list of events. Every text from the report is escaped.
// Timelines wider than the plot are drawn by merging adjacent steps.
std::string ReportHtml(const DrillReport& report);

// The plain-text table printed at the end of a drill (no colour codes):
//   region-outage  PASSED  (12.3 s)
//     dns flip       <= 1.0 s  0.74 s  ok
//     ...
//     detection 0.6 s, dns flip 0.74 s, ..., consistent yes
//
//   drill PASSED: 6 of 6 scenarios
// The last line reads "drill FAILED: 2 of 6 scenarios failed (a, b)" when
// any failed, and "drill FAILED: no scenarios ran" when there were none.
// A measure that is nullopt is shown as "-". Ends with a newline.
std::string SummaryTable(const DrillReport& report);

// Creates `dir` (and its parents) if needed, then replaces dir/report.json
// and dir/report.html, each atomically: written to a temporary file in `dir`,
// flushed, then renamed over the old one. On failure returns IOError naming
// the directory or file; report.json may then be new while report.html is
// not.
Status WriteReport(const DrillReport& report, const std::string& dir);

}  // namespace tandem::drill
