// Alarm: CloudWatch's metric alarm as a pure state machine — states OK,
// ALARM and INSUFFICIENT_DATA, "datapoints to alarm M out of N" periods, and
// the four ways of treating missing data.
//
// Time is cut into periods aligned on the epoch (every controller cuts them
// the same way). Samples observed during a period make its datapoint:
// breaching when any sample breached (the worst of the period, as a
// Minimum statistic on a health status or a Maximum on a backlog), not
// breaching when samples came and none breached, missing when none came (the
// dns servers were unreachable, the check had no fresh observation, the node
// did not answer). When a period closes, the last N datapoints are evaluated
// (Evaluate below). A new alarm starts in INSUFFICIENT_DATA, as in CloudWatch.
//
// Thread-compatible: one owner calls Observe/Advance.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "config/control_config.h"

namespace tandem::control {

enum class AlarmState { kInsufficientData, kOk, kAlarm };
const char* AlarmStateName(AlarmState state);  // "OK", "ALARM", "INSUFFICIENT_DATA"
// The inverse; false for anything else.
bool ParseAlarmState(std::string_view text, AlarmState* out);

enum class Datapoint { kMissing, kNotBreaching, kBreaching };
// "-" missing, "0" not breaching, "X" breaching: CloudWatch's notation.
char DatapointSymbol(Datapoint d);

// The state after evaluating `window` (oldest first, N datapoints) for an
// alarm of `m` datapoints to alarm, from `current`:
//   1. missing datapoints become breaching (kBreaching) or not breaching
//      (kNotBreaching); with kMissing and kIgnore they stay missing;
//   2. ALARM when at least M are breaching;
//   3. else OK when none is missing;
//   4. else, when all N are missing: INSUFFICIENT_DATA (kMissing), or the
//      current state (kIgnore);
//   5. else OK when even all the missing ones breaching would not make M;
//   6. else the current state: too little data to move either way (this is
//      how CloudWatch avoids premature transitions on intermittent data).
AlarmState Evaluate(const std::vector<Datapoint>& window, int m, config::MissingData missing,
                    AlarmState current);

struct AlarmTransition {
  AlarmState from = AlarmState::kInsufficientData;
  AlarmState to = AlarmState::kInsufficientData;
  int64_t period_end_micros = 0;  // the close of the period that moved it
  std::vector<Datapoint> window;  // oldest first
  std::string reason;             // "2 of the last 3 datapoints breaching (X0X), M = 2"
};

class AlarmEvaluator {
 public:
  // Starts in INSUFFICIENT_DATA with every datapoint of the window missing;
  // `now_micros` is in the first (possibly partial) period.
  AlarmEvaluator(const config::AlarmConfig& config, int64_t now_micros);

  // One sample at `now_micros`: whether it breached. Samples dated in a
  // period already closed are ignored; one dated in a later period closes
  // the open one first (its transitions come with the next Advance).
  void Observe(int64_t now_micros, bool breaching);
  // Closes every period that ended by `now_micros`, evaluating after each;
  // the transitions, oldest first (none when the state did not move).
  std::vector<AlarmTransition> Advance(int64_t now_micros);

  AlarmState state() const { return state_; }
  const std::string& name() const { return config_.name; }
  const config::AlarmConfig& config() const { return config_; }
  // The last N closed datapoints, oldest first.
  std::vector<Datapoint> window() const { return {window_.begin(), window_.end()}; }
  // "X0-" for the window.
  std::string WindowText() const;

 private:
  int64_t PeriodStart(int64_t micros) const;

  config::AlarmConfig config_;
  int64_t period_micros_;
  int64_t current_start_;  // the open period
  bool current_has_sample_ = false;
  bool current_breaching_ = false;
  std::deque<Datapoint> window_;
  std::vector<AlarmTransition> unreported_;  // from periods Observe closed
  AlarmState state_ = AlarmState::kInsufficientData;
};

}  // namespace tandem::control
