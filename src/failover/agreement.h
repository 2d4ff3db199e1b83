// Agreement: the health every `tandem dns` instance acts on, decided from the
// observations of all checkers, with Route 53's rules.
//
// Each checker probes every endpoint itself (health/checker.h) and shares its
// thresholded state with the other instances. A check is healthy when MORE
// than `healthy_fraction` (default 0.18) of the checkers with a fresh
// observation see it healthy; a checker that has no fresh observation from
// any peer decides alone. CALCULATED checks are then healthy when at least
// `health_threshold` of their children are (0: always; more than the
// children: never), and `inverted` / `disabled` apply to them as to others.
// Instances that hold the same observations decide the same.
//
// Pure functions over plain values; thread-compatible.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "config/dns_config.h"

namespace tandem::failover {

struct Observation {
  bool healthy = false;   // after the checker's threshold, inverted, disabled
  int64_t at_micros = 0;  // the probe that set it (the checker's clock)
  std::string reason;
};

// One checker's latest observations, by check name.
struct CheckerView {
  std::string server;  // the [[dns.server]] name
  bool self = false;
  std::map<std::string, Observation> checks;
};

struct Agreed {
  bool healthy = true;
  int healthy_votes = 0;  // checkers that see it healthy (not for CALCULATED)
  int voters = 0;         // checkers with an observation of it
  std::string why;        // "2 of 3 checkers see it healthy", "1 of 2 children healthy"
};

// `views` are this checker's own and the fresh ones of its peers (staleness
// is the caller's business). A check nobody has observed yet keeps its state
// in `previous` (the last decision) when it has one: a check whose definition
// changed on reload stays as it was until the new one is observed. A
// genuinely new check counts as healthy until its first results (Route 53's
// rule, and as a record without a check).
std::map<std::string, Agreed> Agree(const std::vector<config::HealthCheckConfig>& checks,
                                    const std::vector<CheckerView>& views, double healthy_fraction,
                                    const std::map<std::string, Agreed>& previous = {});

}  // namespace tandem::failover
