// Routing: which answers of a [[record]] are served, given the agreed health
// of its checks and the routing controls — Route 53's routing policies.
//
//   simple      every answer.
//   failover    the PRIMARY when healthy; else the SECONDARY when healthy (a
//               SECONDARY without a check counts healthy); both unhealthy:
//               the PRIMARY.
//   weighted    one answer per query, drawn by weight (0..255) from the
//               healthy answers with a non-zero weight; when none, from the
//               healthy zero-weight ones; when none is healthy, from all as
//               if healthy (again non-zero weights first). The choice holds
//               only the answers that can be drawn.
//   multivalue  up to 8 healthy answers (drawn per query when more); when
//               none is healthy, up to 8 of the unhealthy ones.
//
// Routing controls (`tandem route`): `out` takes an answer set out of every
// record (it is never served, whatever its health), `in` forces it healthy,
// `auto` leaves it to its health check. An answer without a check is healthy.
//
// Pure functions over plain values; thread-compatible.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "config/dns_config.h"
#include "failover/agreement.h"

namespace tandem::failover {

enum class Control { kAuto, kOut, kIn };
const char* ControlName(Control control);  // "auto", "out", "in"

// Answer set -> control; sets not present are kAuto.
using Controls = std::map<std::string, Control>;

struct Choice {
  // Indexes into RecordConfig::answers, in configuration order.
  std::vector<size_t> answers;
  enum class Pick { kAll, kOneByWeight, kUpToEight } pick = Pick::kAll;
  std::vector<uint32_t> weights;  // kOneByWeight: one per entry of `answers`
  bool empty() const { return answers.empty(); }
};

// The answers `record` serves now; empty only when controls took every one
// out (the safety rule keeps that from happening without --force).
Choice Choose(const config::RecordConfig& record, const std::map<std::string, Agreed>& health,
              const Controls& controls);

// Whether an answer is healthy for routing (control, then its check).
bool AnswerHealthy(const config::AnswerConfig& answer, const std::map<std::string, Agreed>& health,
                   const Controls& controls);

// The safety rule: the records that would have nothing to serve under
// `controls` (every answer taken out). Empty means the controls are safe.
std::vector<std::string> RecordsLeftEmpty(const std::vector<config::RecordConfig>& records,
                                          const Controls& controls);

}  // namespace tandem::failover
