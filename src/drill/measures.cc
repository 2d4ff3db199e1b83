#include "drill/measures.h"

#include <cstdio>
#include <map>

namespace tandem::drill {

double SecondsBetween(SteadyTime from, SteadyTime to) {
  return std::chrono::duration<double>(to - from).count();
}

std::optional<SteadyTime> Detection(const std::vector<HealthSample>& health, SteadyTime fault) {
  for (const auto& h : health) {
    if (h.at >= fault && !h.primary_healthy) return h.at;
  }
  return std::nullopt;
}

std::optional<SteadyTime> FlipAway(const std::vector<DnsSample>& dns, const std::string& primary,
                                   SteadyTime fault) {
  for (const auto& s : dns) {
    if (s.at >= fault && !s.answer.empty() && s.answer != primary) return s.at;
  }
  return std::nullopt;
}

std::optional<SteadyTime> FlipHome(const std::vector<DnsSample>& dns, const std::string& primary,
                                   SteadyTime since) {
  std::optional<SteadyTime> home;
  for (const auto& s : dns) {
    if (s.at < since || s.answer.empty()) continue;
    if (s.answer != primary) {
      home.reset();
    } else if (!home) {
      home = s.at;
    }
  }
  return home;
}

int TrafficMoves(const std::vector<DnsSample>& dns) {
  std::map<size_t, std::string> last;
  std::map<size_t, int> moves;
  for (const auto& s : dns) {
    if (s.answer.empty()) continue;
    auto it = last.find(s.server);
    if (it != last.end() && it->second != s.answer) ++moves[s.server];
    last[s.server] = s.answer;
  }
  int most = 0;
  for (const auto& [server, n] : moves) most = std::max(most, n);
  return most;
}

std::vector<TimelineStep> BuildTimeline(const std::vector<DnsSample>& dns,
                                        const std::vector<Attempt>& attempts,
                                        const std::vector<LagSample>& lag, SteadyTime start,
                                        SteadyTime end, std::chrono::milliseconds step,
                                        const std::vector<ObservedRegion>& regions) {
  std::vector<TimelineStep> out;
  if (end <= start || step.count() <= 0) return out;
  const size_t n = static_cast<size_t>((end - start) / step) + 1;
  out.resize(n);
  for (size_t i = 0; i < n; ++i) {
    out[i].t_s = SecondsBetween(start, start + step * static_cast<int64_t>(i));
  }
  auto slot = [&](SteadyTime t) -> std::optional<size_t> {
    if (t < start) return std::nullopt;
    const size_t i = static_cast<size_t>((t - start) / step);
    return i < n ? std::optional<size_t>(i) : std::nullopt;
  };
  std::vector<size_t> answered_by(n, SIZE_MAX);
  for (const auto& s : dns) {
    auto i = slot(s.at);
    if (!i || s.answer.empty() || s.server > answered_by[*i]) continue;
    answered_by[*i] = s.server;
    out[*i].answer = s.answer;
  }
  for (auto& t : out) {
    for (const auto& r : regions) {
      if (r.address == t.answer) t.answer_region = r.name;
    }
  }
  for (const auto& a : attempts) {
    if (a.kind == Attempt::Kind::kResolve) continue;
    auto i = slot(a.end);
    if (!i) continue;
    (a.ok ? out[*i].client_ok : out[*i].client_errors)++;
  }
  for (const auto& l : lag) {
    auto i = slot(l.at);
    if (i) out[*i].replication_pending = l.pending;
  }
  // The backlog is sampled less often than the steps: a sample holds until
  // the next one, for a few steps (a longer gap is a gap in the data).
  constexpr size_t kHoldSteps = 4;
  std::optional<double> held;
  size_t held_for = 0;
  for (auto& t : out) {
    if (t.replication_pending) {
      held = t.replication_pending;
      held_for = 0;
    } else if (held && ++held_for < kHoldSteps) {
      t.replication_pending = held;
    }
  }
  return out;
}

std::string FormatSeconds(std::optional<double> s) {
  if (!s) return "-";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3f s", *s);
  return buf;
}

Expectation AtMost(const std::string& name, std::optional<double> value, double limit) {
  char want[32];
  std::snprintf(want, sizeof(want), "<= %.1f s", limit);
  return {name, want, value ? FormatSeconds(value) : "not measured", value && *value <= limit};
}

Expectation CountIs(const std::string& name, std::optional<uint64_t> value, uint64_t want) {
  return {name, std::to_string(want), value ? std::to_string(*value) : "not measured",
          value && *value == want};
}

Expectation IsTrue(const std::string& name, std::optional<bool> value) {
  return {name, "true", value ? (*value ? "true" : "false") : "not measured", value && *value};
}

}  // namespace tandem::drill
