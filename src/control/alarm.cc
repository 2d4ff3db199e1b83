#include "control/alarm.h"

#include <algorithm>

namespace tandem::control {
namespace {

std::string Symbols(const std::vector<Datapoint>& window) {
  std::string out;
  for (Datapoint d : window) {
    out += DatapointSymbol(d);
  }
  return out;
}

}  // namespace

const char* AlarmStateName(AlarmState state) {
  switch (state) {
    case AlarmState::kInsufficientData:
      return "INSUFFICIENT_DATA";
    case AlarmState::kOk:
      return "OK";
    case AlarmState::kAlarm:
      return "ALARM";
  }
  return "?";
}

bool ParseAlarmState(std::string_view text, AlarmState* out) {
  for (AlarmState s : {AlarmState::kInsufficientData, AlarmState::kOk, AlarmState::kAlarm}) {
    if (text == AlarmStateName(s)) {
      *out = s;
      return true;
    }
  }
  return false;
}

char DatapointSymbol(Datapoint d) {
  switch (d) {
    case Datapoint::kMissing:
      return '-';
    case Datapoint::kNotBreaching:
      return '0';
    case Datapoint::kBreaching:
      return 'X';
  }
  return '?';
}

AlarmState Evaluate(const std::vector<Datapoint>& window, int m, config::MissingData missing,
                    AlarmState current) {
  const int n = static_cast<int>(window.size());
  int breaching = 0;
  int absent = 0;
  for (Datapoint d : window) {
    breaching += d == Datapoint::kBreaching;
    absent += d == Datapoint::kMissing;
  }
  if (missing == config::MissingData::kBreaching) {
    breaching += absent;
    absent = 0;
  } else if (missing == config::MissingData::kNotBreaching) {
    absent = 0;
  }
  if (breaching >= m) {
    return AlarmState::kAlarm;
  }
  if (absent == 0) {
    return AlarmState::kOk;
  }
  if (absent == n) {
    return missing == config::MissingData::kMissing ? AlarmState::kInsufficientData : current;
  }
  if (breaching + absent < m) {
    return AlarmState::kOk;
  }
  return current;
}

AlarmEvaluator::AlarmEvaluator(const config::AlarmConfig& config, int64_t now_micros)
    : config_(config),
      period_micros_(std::max<int64_t>(1, config.period.count()) * 1000),
      current_start_(0),
      window_(static_cast<size_t>(std::max(1, config.evaluation_periods)), Datapoint::kMissing) {
  current_start_ = PeriodStart(now_micros);
}

int64_t AlarmEvaluator::PeriodStart(int64_t micros) const {
  int64_t start = micros - micros % period_micros_;
  if (micros < 0 && micros % period_micros_ != 0) {
    start -= period_micros_;
  }
  return start;
}

void AlarmEvaluator::Observe(int64_t now_micros, bool breaching) {
  if (now_micros < current_start_) {
    return;
  }
  if (now_micros >= current_start_ + period_micros_) {
    // A sample of a later period: the open one closes first.
    for (auto& t : Advance(now_micros)) {
      unreported_.push_back(std::move(t));
    }
  }
  current_has_sample_ = true;
  current_breaching_ = current_breaching_ || breaching;
}

std::vector<AlarmTransition> AlarmEvaluator::Advance(int64_t now_micros) {
  std::vector<AlarmTransition> out = std::move(unreported_);
  unreported_.clear();
  const int64_t target = PeriodStart(now_micros);
  if (target <= current_start_) {
    return out;
  }
  // A long pause closes many periods; only the last N of them can matter,
  // and each of those is evaluated in turn.
  const int64_t n = static_cast<int64_t>(window_.size());
  int64_t closing = (target - current_start_) / period_micros_;
  if (closing > n + 1) {
    const int64_t skip = closing - (n + 1);
    for (int64_t i = 0; i < std::min(skip, n); ++i) {
      window_.pop_front();
      window_.push_back(Datapoint::kMissing);
    }
    if (skip > 0) {
      current_has_sample_ = false;
      current_breaching_ = false;
    }
    current_start_ += skip * period_micros_;
    closing = n + 1;
  }
  for (int64_t i = 0; i < closing; ++i) {
    const Datapoint d = !current_has_sample_ ? Datapoint::kMissing
                        : current_breaching_ ? Datapoint::kBreaching
                                             : Datapoint::kNotBreaching;
    window_.pop_front();
    window_.push_back(d);
    current_start_ += period_micros_;
    current_has_sample_ = false;
    current_breaching_ = false;
    const std::vector<Datapoint> w = window();
    const AlarmState next = Evaluate(w, config_.datapoints_to_alarm, config_.missing, state_);
    if (next == state_) {
      continue;
    }
    AlarmTransition t;
    t.from = state_;
    t.to = next;
    t.period_end_micros = current_start_;
    t.window = w;
    const int breaching = static_cast<int>(std::count(w.begin(), w.end(), Datapoint::kBreaching));
    const int absent = static_cast<int>(std::count(w.begin(), w.end(), Datapoint::kMissing));
    t.reason = std::to_string(breaching) + " of the last " + std::to_string(w.size()) +
               " datapoints breaching, " + std::to_string(absent) + " missing (" + Symbols(w) +
               ", oldest first; M = " + std::to_string(config_.datapoints_to_alarm) +
               ", missing data: " + config::MissingDataName(config_.missing) + ")";
    state_ = next;
    out.push_back(std::move(t));
  }
  return out;
}

std::string AlarmEvaluator::WindowText() const { return Symbols(window()); }

}  // namespace tandem::control
