#include "control/audit_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cerrno>
#include <cstring>

#include "control/event.h"

namespace tandem::control {

StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(const std::string& path, std::string controller,
                                                   const Clock* clock) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) {
    return Status::IOError("cannot open audit log " + path + ": " + std::strerror(errno));
  }
  return std::unique_ptr<AuditLog>(new AuditLog(path, fd, std::move(controller), clock));
}

AuditLog::AuditLog(std::string path, int fd, std::string controller, const Clock* clock)
    : path_(std::move(path)), fd_(fd), controller_(std::move(controller)), clock_(clock) {}

AuditLog::~AuditLog() { ::close(fd_); }

std::string AuditLog::Format(const AuditEntry& entry) const {
  const int64_t at = entry.at_micros != 0 ? entry.at_micros : clock_->NowMicros();
  boost::json::object o{{"time", FormatTime(at)},
                        {"time_us", at},
                        {"controller", controller_},
                        {"event", entry.event}};
  if (!entry.event_id.empty()) {
    o["event_id"] = entry.event_id;
  }
  o["inputs"] = entry.inputs;
  o["decision"] = entry.decision;
  o["actions"] = entry.actions;
  return boost::json::serialize(o);
}

Status AuditLog::Write(const AuditEntry& entry) {
  const std::string line = Format(entry) + "\n";
  std::lock_guard<std::mutex> lock(mu_);
  size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return Status::IOError("cannot write audit log " + path_ + ": " + std::strerror(errno));
    }
    done += static_cast<size_t>(n);
  }
  return Status::OK();
}

}  // namespace tandem::control
