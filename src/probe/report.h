// HealthReport: the outcome of one health check, what /health answers with
// it, and how a change of outcome is logged.
//
// The body is the one the Flask script this replaces sent, byte for byte:
//   200 {"status": "ok", "message": "All systems nominal."}
//   503 {"status": "error", "message": "<which check failed and why>"}
// Failure messages read "<check> failed: <why>", e.g.
//   "DynamoDB connection failed: Requested resource not found"
//   "App check failed: GET http://127.0.0.1:8080/ returned 500"
//   "DynamoDB connection failed: Scan timed out after 2s"
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace tandem::probe {

inline constexpr std::string_view kNominal = "All systems nominal.";

struct HealthReport {
  bool ok = false;
  std::string message;  // kNominal when ok

  static HealthReport Ok() { return {true, std::string(kNominal)}; }
  static HealthReport Failed(std::string message) { return {false, std::move(message)}; }
  bool operator==(const HealthReport&) const = default;
};

// 200 when ok, 503 otherwise.
int HttpStatus(const HealthReport& report);

// The JSON body: {"status": "ok"|"error", "message": "..."} with the message
// escaped as JSON, and no trailing newline.
std::string HealthBody(const HealthReport& report);

// "<check> failed: <why>".
std::string CheckFailed(std::string_view check, std::string_view why);

// "<what> timed out after <timeout>", e.g. "Scan timed out after 2s".
std::string TimedOut(std::string_view what, std::chrono::milliseconds timeout);

// The log line for going from `before` (nullopt: no check yet) to `now`, or
// nullopt when nothing changed: the first result, ok -> error with the
// reason, error -> ok, and a failure whose reason changed.
std::optional<std::string> DescribeChange(const std::optional<HealthReport>& before,
                                          const HealthReport& now);

}  // namespace tandem::probe
