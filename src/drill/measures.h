// Measures: the numbers of a scenario, computed from what the observer and
// the shop client recorded. Pure functions, so the arithmetic of every
// reported number is tested on its own.
//
// Thread-compatible.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "drill/observer.h"
#include "drill/result.h"
#include "drill/shop.h"

namespace tandem::drill {

// Seconds from `from` to `to`.
double SecondsBetween(SteadyTime from, SteadyTime to);

// The first health sample at or after `fault` in which the checkers agree the
// primary is unhealthy; nullopt when there is none.
std::optional<SteadyTime> Detection(const std::vector<HealthSample>& health, SteadyTime fault);
// The first DNS sample at or after `fault` answering an address other than
// `primary` (no answer does not count).
std::optional<SteadyTime> FlipAway(const std::vector<DnsSample>& dns, const std::string& primary,
                                   SteadyTime fault);
// The first DNS sample at or after `since` answering `primary` — and every
// later sample answering it too, so a passing glimpse of the primary is not
// taken for the failback.
std::optional<SteadyTime> FlipHome(const std::vector<DnsSample>& dns, const std::string& primary,
                                   SteadyTime since);
// How many times the answer of any one server changed from one address to
// another (the largest count over the servers; lost answers are skipped).
int TrafficMoves(const std::vector<DnsSample>& dns);

// The timeline in `step` slices from `start` to `end`: per slice, the answer
// of the lowest-numbered server that answered in it, the client's successes
// and errors (by when the attempt ended), and the last backlog sample (held
// for up to three more slices when none came in them).
// `region_of` maps an address to its region's name.
std::vector<TimelineStep> BuildTimeline(const std::vector<DnsSample>& dns,
                                        const std::vector<Attempt>& attempts,
                                        const std::vector<LagSample>& lag, SteadyTime start,
                                        SteadyTime end, std::chrono::milliseconds step,
                                        const std::vector<ObservedRegion>& regions);

// "0.742 s"; "-" for nullopt.
std::string FormatSeconds(std::optional<double> s);

// An expectation that a measured number is at most `limit` seconds; not
// measured counts as not held.
Expectation AtMost(const std::string& name, std::optional<double> value, double limit);
// An expectation that a count equals `want`.
Expectation CountIs(const std::string& name, std::optional<uint64_t> value, uint64_t want);
Expectation IsTrue(const std::string& name, std::optional<bool> value);

}  // namespace tandem::drill
