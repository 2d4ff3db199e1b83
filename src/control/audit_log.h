// AuditLog: every decision of the controller and what it was taken on, as
// JSON lines — one object per line:
//
//   {"time": "2026-11-26T06:30:00.123456Z", "time_us": ..., "controller": "control-1",
//    "event": "failover", "event_id": "failover:us-east-1:1",
//    "inputs": {...}, "decision": "...", "actions": [...]}
//
// `event` is an event type (control/event.h) or one of the controller's own
// records: "alarm" (a state transition), "leadership", "routing",
// "actions_done" (the results of an event's hooks, which run after the
// decision line is written), "skipped" (an event another leader claimed),
// "error". Lines are appended with one write(2) each, so a line is never
// interleaved with another, and the file can be followed while it grows.
//
// Thread-safety: Write may be called from any thread.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "common/clock.h"
#include "common/status.h"

namespace tandem::control {

struct AuditEntry {
  int64_t at_micros = 0;  // 0: now
  std::string event;
  std::string event_id;
  boost::json::object inputs;
  std::string decision;
  boost::json::array actions;
};

class AuditLog {
 public:
  // Opens (creating) `path` for appending; IOError when it cannot.
  static StatusOr<std::unique_ptr<AuditLog>> Open(const std::string& path, std::string controller,
                                                  const Clock* clock);
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Appends one line; IOError when the write fails (the caller logs it: an
  // audit failure does not stop a failover).
  Status Write(const AuditEntry& entry);
  // The line Write would append, without its newline.
  std::string Format(const AuditEntry& entry) const;
  const std::string& path() const { return path_; }

 private:
  AuditLog(std::string path, int fd, std::string controller, const Clock* clock);

  const std::string path_;
  const int fd_;
  const std::string controller_;
  const Clock* clock_;
  std::mutex mu_;
};

}  // namespace tandem::control
