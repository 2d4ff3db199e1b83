#include "probe/report.h"

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

#include "probe/duration.h"

namespace tandem::probe {

int HttpStatus(const HealthReport& report) { return report.ok ? 200 : 503; }

std::string HealthBody(const HealthReport& report) {
  // Spaces after ':' and ',' as Python's json.dumps writes them.
  return std::string(R"({"status": ")") + (report.ok ? "ok" : "error") + R"(", "message": )" +
         boost::json::serialize(boost::json::string(report.message)) + "}";
}

std::string CheckFailed(std::string_view check, std::string_view why) {
  return std::string(check) + " failed: " + std::string(why);
}

std::string TimedOut(std::string_view what, std::chrono::milliseconds timeout) {
  return std::string(what) + " timed out after " + FormatDuration(timeout);
}

std::optional<std::string> DescribeChange(const std::optional<HealthReport>& before,
                                          const HealthReport& now) {
  if (!before) {
    return now.ok ? std::string("health: first check ok")
                  : "health: first check failed: " + now.message;
  }
  if (before->ok && now.ok) {
    return std::nullopt;
  }
  if (before->ok) {
    return "health: ok -> error: " + now.message;
  }
  if (now.ok) {
    return std::string("health: error -> ok");
  }
  if (before->message != now.message) {
    return "health: still failing, now: " + now.message;
  }
  return std::nullopt;
}

}  // namespace tandem::probe
