#include "failover/agreement.h"

#include <functional>

namespace tandem::failover {

std::map<std::string, Agreed> Agree(const std::vector<config::HealthCheckConfig>& checks,
                                    const std::vector<CheckerView>& views, double healthy_fraction,
                                    const std::map<std::string, Agreed>& previous) {
  std::map<std::string, Agreed> out;
  std::map<std::string, const config::HealthCheckConfig*> by_name;
  for (const auto& c : checks) by_name[c.name] = &c;
  for (const auto& c : checks) {
    if (c.type == config::CheckType::kCalculated) continue;
    Agreed a;
    for (const auto& v : views) {
      auto it = v.checks.find(c.name);
      if (it == v.checks.end()) continue;
      ++a.voters;
      if (it->second.healthy) ++a.healthy_votes;
    }
    if (a.voters == 0) {
      auto was = previous.find(c.name);
      a.healthy = was == previous.end() || was->second.healthy;
      a.why = was == previous.end() ? "not observed yet"
                                    : std::string("not observed since it changed; kept ") +
                                          (a.healthy ? "healthy" : "unhealthy");
    } else {
      a.healthy = a.healthy_votes > healthy_fraction * a.voters;
      a.why = std::to_string(a.healthy_votes) + " of " + std::to_string(a.voters) +
              " checkers see it healthy";
    }
    out[c.name] = std::move(a);
  }
  // CALCULATED, children first (the configuration has no cycles).
  std::function<const Agreed&(const std::string&)> resolve =
      [&](const std::string& name) -> const Agreed& {
    if (auto it = out.find(name); it != out.end()) return it->second;
    const config::HealthCheckConfig& c = *by_name.at(name);
    int healthy_children = 0;
    for (const auto& child : c.children) {
      if (resolve(child).healthy) ++healthy_children;
    }
    Agreed a;
    const bool measured = healthy_children >= c.health_threshold;
    a.healthy = c.disabled ? !c.inverted : (c.inverted ? !measured : measured);
    a.why = std::to_string(healthy_children) + " of " + std::to_string(c.children.size()) +
            " children healthy (needs " + std::to_string(c.health_threshold) + ")";
    if (c.inverted) a.why += ", inverted";
    if (c.disabled) a.why = "disabled";
    return out[name] = std::move(a);
  };
  for (const auto& c : checks) {
    if (c.type == config::CheckType::kCalculated) resolve(c.name);
  }
  return out;
}

}  // namespace tandem::failover
