// The controller's part of `tandem status`: what `tandem control` last
// decided, read from its JSON-lines audit log (control/audit_log.h). The
// controller serves no endpoint; its audit log is the record of every
// decision with its inputs, so status reads that:
//
//   - each [[failover]] pair's phase (normal / failed_over), from the newest
//     decision about it (failover, failback, failover_aborted) or the state a
//     leader loaded ("leadership"), and a hold-down in progress
//     ("failback_gate");
//   - each [[alarm]]'s state, from its newest transition ("alarm");
//   - the newest few lines, whatever they record.
//
// Tolerant by design: the file may be missing (the controller never ran
// with this file), growing (its last line partly written: left out), large
// (only its tail is read; a first line cut by that is left out) or damaged
// (lines that are not JSON objects are counted and skipped).
//
// Pure functions but ReadControllerView (which reads the file);
// thread-compatible.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/control_config.h"

namespace tandem::cli {

// One line of the audit log, as status shows it.
struct AuditLine {
  int64_t time_us = 0;
  std::string time;      // as written, when time_us is absent
  std::string event;     // "failover", "alarm", "leadership", ...
  std::string subject;   // its event_id, or the alarm, set or primary it is about
  std::string decision;  // in words
};

struct PairView {
  std::string primary;
  std::string secondary;
  std::string phase;  // "normal", "failed_over"; "" when the log read does not say
  AuditLine said_by;  // the line that says so
  std::string gate;   // failed over: the newest failback_gate decision after it
  AuditLine gate_line;
};

struct AlarmView {
  std::string name;
  std::string state;  // "OK", "ALARM", "INSUFFICIENT_DATA"; "" when never logged
  AuditLine since;
};

struct ControllerView {
  std::string audit_log;          // its path
  bool found = false;             // the file exists
  std::string error;              // it exists but cannot be read
  bool truncated = false;         // only its tail was read
  size_t lines = 0;               // complete lines read
  size_t skipped = 0;             // of them, not JSON objects
  bool partial_last = false;      // the last line is still being written
  std::vector<AuditLine> latest;  // oldest first
  std::vector<PairView> pairs;    // one per [[failover]], in file order
  std::vector<AlarmView> alarms;  // one per [[alarm]], in file order
};

// Summarizes `text`, the audit log or its tail: `truncated` says the text
// starts inside the file (its first line may be cut, and is left out).
// Keeps the newest `latest` lines.
ControllerView SummarizeAudit(std::string_view text, bool truncated,
                              const config::ControlConfig& config, size_t latest);

// Reads the last `max_bytes` of config.control.audit_log and summarizes it.
// A missing file gives found = false; an unreadable one sets error.
ControllerView ReadControllerView(const config::ControlConfig& config, size_t latest,
                                  size_t max_bytes = 4 << 20);

// Whether status should show a controller section for this file: it
// configures alarms, failovers or hooks, or its audit log exists.
bool HasController(const config::ControlConfig& config);
// Whether the TOML `text` has any of the controller's sections ([control],
// [[alarm]], [[failover]], [[hook]]): only then is a file that the
// controller's reader refuses worth a word in status. False for text that
// is not TOML.
bool MentionsController(std::string_view text);

// The section, starting "Controller (audit log PATH)\n". `config_path` names
// the file in the hint to start the controller when there is no log yet.
std::string FormatControllerView(const ControllerView& view, const std::string& config_path);

// "2026-11-26 06:30:10.123 UTC".
std::string FormatAuditTime(const AuditLine& line);

}  // namespace tandem::cli
