#include "control/event.h"

#include <fmt/format.h>

#include <boost/json.hpp>
#include <ctime>

namespace tandem::control {

const char* EventTypeName(EventType type) {
  switch (type) {
    case EventType::kRegionUnhealthy:
      return "region_unhealthy";
    case EventType::kRegionRecovered:
      return "region_recovered";
    case EventType::kFailover:
      return "failover";
    case EventType::kFailoverAborted:
      return "failover_aborted";
    case EventType::kFailback:
      return "failback";
    case EventType::kReplicationLagHigh:
      return "replication_lag_high";
    case EventType::kReplicationLagRecovered:
      return "replication_lag_recovered";
  }
  return "?";
}

std::string EventId(EventType type, std::string_view subject, uint64_t n) {
  return fmt::format("{}:{}:{}", EventTypeName(type), subject, n);
}

std::string EventJson(const Event& event) {
  boost::json::object o{{"id", event.id},
                        {"type", EventTypeName(event.type)},
                        {"time", FormatTime(event.at_micros)},
                        {"time_us", event.at_micros},
                        {"controller", event.controller},
                        {"decision", event.decision}};
  for (const auto& [key, value] : event.inputs) {
    o[key] = value;
  }
  return boost::json::serialize(o);
}

std::string FormatTime(int64_t micros) {
  const std::time_t seconds = static_cast<std::time_t>(micros / 1'000'000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &utc);
  return fmt::format("{}.{:06d}Z", buf, micros % 1'000'000);
}

}  // namespace tandem::control
