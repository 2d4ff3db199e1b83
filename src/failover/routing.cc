#include "failover/routing.h"

#include <algorithm>
#include <optional>

namespace tandem::failover {
namespace {

Control ControlOf(const config::AnswerConfig& answer, const Controls& controls) {
  auto it = controls.find(answer.set);
  return it == controls.end() ? Control::kAuto : it->second;
}

}  // namespace

const char* ControlName(Control control) {
  switch (control) {
    case Control::kAuto:
      return "auto";
    case Control::kOut:
      return "out";
    case Control::kIn:
      return "in";
  }
  return "?";
}

bool AnswerHealthy(const config::AnswerConfig& answer, const std::map<std::string, Agreed>& health,
                   const Controls& controls) {
  switch (ControlOf(answer, controls)) {
    case Control::kOut:
      return false;
    case Control::kIn:
      return true;
    case Control::kAuto:
      break;
  }
  if (answer.health_check.empty()) return true;
  auto it = health.find(answer.health_check);
  return it == health.end() || it->second.healthy;
}

Choice Choose(const config::RecordConfig& record, const std::map<std::string, Agreed>& health,
              const Controls& controls) {
  Choice choice;
  std::vector<size_t> eligible, healthy;
  for (size_t i = 0; i < record.answers.size(); ++i) {
    if (ControlOf(record.answers[i], controls) == Control::kOut) continue;
    eligible.push_back(i);
    if (AnswerHealthy(record.answers[i], health, controls)) healthy.push_back(i);
  }
  if (eligible.empty()) return choice;
  switch (record.routing) {
    case config::Routing::kSimple:
      choice.answers = eligible;
      break;
    case config::Routing::kFailover: {
      std::optional<size_t> primary, secondary;
      for (size_t i : eligible) {
        if (record.answers[i].failover == config::AnswerConfig::Failover::kPrimary) primary = i;
        if (record.answers[i].failover == config::AnswerConfig::Failover::kSecondary) secondary = i;
      }
      auto is_healthy = [&](size_t i) {
        return std::find(healthy.begin(), healthy.end(), i) != healthy.end();
      };
      if (primary && is_healthy(*primary)) {
        choice.answers = {*primary};
      } else if (secondary && is_healthy(*secondary)) {
        choice.answers = {*secondary};
      } else {
        choice.answers = {primary ? *primary : *secondary};
      }
      break;
    }
    case config::Routing::kWeighted: {
      choice.pick = Choice::Pick::kOneByWeight;
      // Only the answers that can be drawn: a zero weight is never drawn
      // beside a non-zero one, so the choice (and what status reports as
      // served) leaves it out.
      auto drawable = [&](const std::vector<size_t>& among) {
        std::vector<size_t> weighted, zero;
        for (size_t i : among) {
          (record.answers[i].weight > 0 ? weighted : zero).push_back(i);
        }
        return !weighted.empty() ? weighted : zero;
      };
      const std::vector<size_t> from = drawable(!healthy.empty() ? healthy : eligible);
      choice.answers = from;
      for (size_t i : from)
        choice.weights.push_back(static_cast<uint32_t>(record.answers[i].weight));
      break;
    }
    case config::Routing::kMultivalue:
      choice.pick = Choice::Pick::kUpToEight;
      choice.answers = !healthy.empty() ? healthy : eligible;
      break;
  }
  return choice;
}

std::vector<std::string> RecordsLeftEmpty(const std::vector<config::RecordConfig>& records,
                                          const Controls& controls) {
  std::vector<std::string> out;
  for (const auto& r : records) {
    bool any = false;
    for (const auto& a : r.answers) any = any || ControlOf(a, controls) != Control::kOut;
    if (!any) out.push_back(r.name + " " + r.type);
  }
  return out;
}

}  // namespace tandem::failover
