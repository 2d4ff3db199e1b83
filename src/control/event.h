// Event: something the controller decided that hooks act on — a region going
// unhealthy or recovering, a failover (or its refusal), a failback, the
// replication backlog crossing its alarm — with a stable id.
//
// Ids are "<type>:<subject>:<n>", n counting the subject's events (an
// alarm's announced transitions, a failover pair's decisions). The counters
// are part of the state a leader hands to the next one (control/coordinator.h),
// so every controller gives the same event the same id and a new leader
// skips events already claimed.
//
// Plain values; thread-compatible.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <string>
#include <string_view>

namespace tandem::control {

enum class EventType {
  kRegionUnhealthy,          // a health_check alarm went to ALARM
  kRegionRecovered,          // ... and back from ALARM to OK
  kFailover,                 // primary ALARM, secondary OK: primary routed out
  kFailoverAborted,          // primary ALARM, secondary not OK: nothing moved
  kFailback,                 // gate passed: primary handed back to its check
  kReplicationLagHigh,       // a replication_pending alarm went to ALARM
  kReplicationLagRecovered,  // ... and back to OK
};
// "region_unhealthy", "failover", ... (config::kControlEventTypes).
const char* EventTypeName(EventType type);

struct Event {
  EventType type = EventType::kFailover;
  std::string id;
  int64_t at_micros = 0;
  std::string controller;      // who decided
  std::string decision;        // in words
  boost::json::object inputs;  // what it was decided on (alarm states, datapoints, node)
};

std::string EventId(EventType type, std::string_view subject, uint64_t n);

// The JSON a hook reads on stdin and a webhook receives as its body:
// {"id", "type", "time" (RFC 3339), "time_us", "controller", "decision",
//  and the inputs' members}.
std::string EventJson(const Event& event);

// "2026-11-26T06:30:00.123456Z".
std::string FormatTime(int64_t micros);

}  // namespace tandem::control
