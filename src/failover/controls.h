// ControlStore: the routing controls of `tandem route out|in|auto SET`,
// persisted across restarts and shared between the `tandem dns` instances.
//
// Each answer set's control carries the time it was set; instances exchange
// their entries with their observations and keep the newest of each (last
// writer wins), so a control set through any instance reaches all, and an
// instance that was down catches up when it returns. The file is JSON,
// replaced atomically (written aside, synced, renamed).
//
// Thread-safety: all methods may be called concurrently.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "common/status.h"
#include "failover/routing.h"

namespace tandem::failover {

struct ControlEntry {
  Control control = Control::kAuto;
  int64_t at_micros = 0;
  std::string by;  // who set it ("tandem route on <host>", a server name)
};
using ControlEntries = std::map<std::string, ControlEntry>;

// "out" / "in" / "auto" -> Control; InvalidArgument otherwise.
StatusOr<Control> ParseControl(std::string_view text);

class ControlStore {
 public:
  // Reads `path` (absent: no controls); InvalidArgument when it is not a
  // controls file. The directory is created on the first write.
  static StatusOr<std::unique_ptr<ControlStore>> Open(std::string path);

  // Sets one control (persisted before returning).
  Status Set(const std::string& set, ControlEntry entry);
  // Keeps the newer of each entry; returns whether anything changed
  // (persisted before returning).
  StatusOr<bool> Merge(const ControlEntries& other);

  ControlEntries Entries() const;
  Controls Current() const;  // without the kAuto entries

 private:
  explicit ControlStore(std::string path) : path_(std::move(path)) {}
  Status Save() const;  // under mu_

  const std::string path_;
  mutable std::mutex mu_;
  ControlEntries entries_;
};

// JSON form used in the file and between instances:
// {"SET": {"control": "out", "at": micros, "by": "..."}, ...}
std::string ControlsToJson(const ControlEntries& entries);
StatusOr<ControlEntries> ControlsFromJson(std::string_view json);

}  // namespace tandem::failover
