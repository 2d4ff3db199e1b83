// ControlStore: the routing controls of `tandem route out|in|auto SET`,
// persisted across restarts and shared between the `tandem dns` instances.
//
// Each answer set's control carries the time the operator issued it (the
// signed request's time, never the time it reached a server); instances
// exchange their entries with their observations and keep the newest of each
// (last writer wins, ties broken by content so every instance agrees), so a
// control set through any instance reaches all, and an instance that was
// down catches up when it returns. An older entry never replaces a newer
// one, whichever way it arrives. Every change is written to the file first
// (JSON, written aside, synced, renamed) and applied in memory only once
// that succeeded.
//
// Thread-safety: all methods may be called concurrently.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "common/status.h"
#include "failover/routing.h"

namespace tandem::failover {

// How far ahead of a server's clock a control's time may be. Beyond it the
// control is refused (from an operator) or left aside until then (from a
// peer), so one bad clock cannot pin a control for long.
inline constexpr std::chrono::seconds kMaxControlSkew{30};

struct ControlEntry {
  Control control = Control::kAuto;
  int64_t at_micros = 0;
  std::string by;  // who set it ("tandem-cli@<host>", a server name)
};
using ControlEntries = std::map<std::string, ControlEntry>;

// Last writer wins: whether `a` replaces `b` (later, or as late and larger
// by (by, control)).
bool Supersedes(const ControlEntry& a, const ControlEntry& b);

// "out" / "in" / "auto" -> Control; InvalidArgument otherwise.
StatusOr<Control> ParseControl(std::string_view text);

class ControlStore {
 public:
  // What Set did (or, for Check, would do).
  enum class Outcome {
    kApplied,     // the entry is now the set's control
    kUnchanged,   // the very same entry was there already (passed on by a peer)
    kSuperseded,  // a newer control for the set is kept
  };
  // The safety rule: called under the store's lock with the controls the
  // change would leave, so no Merge can slip in between the check and the
  // change. An error refuses the change and is returned by Set.
  using SafetyCheck = std::function<Status(const Controls& proposed)>;

  // Reads `path` (absent: no controls); InvalidArgument when it is not a
  // controls file. The directory is created on the first write.
  static StatusOr<std::unique_ptr<ControlStore>> Open(std::string path);

  // Sets one control, unless the stored one for `set` supersedes it. Only
  // for kApplied is `safety` consulted and the file written; when writing
  // fails, nothing changes and the IOError is returned.
  StatusOr<Outcome> Set(const std::string& set, const ControlEntry& entry,
                        const SafetyCheck& safety = nullptr);
  // What Set would return now, changing nothing.
  StatusOr<Outcome> Check(const std::string& set, const ControlEntry& entry,
                          const SafetyCheck& safety = nullptr) const;
  // Keeps the newer of each entry; returns whether anything changed. Entries
  // dated after `latest_micros` are left out for now (taken when offered
  // again once they are not). Written before applied, as Set.
  StatusOr<bool> Merge(const ControlEntries& other, int64_t latest_micros = INT64_MAX);

  ControlEntries Entries() const;
  Controls Current() const;  // without the kAuto entries

 private:
  explicit ControlStore(std::string path) : path_(std::move(path)) {}
  StatusOr<Outcome> DecideLocked(const std::string& set, const ControlEntry& entry,
                                 const SafetyCheck& safety) const;
  Status Save(const ControlEntries& entries) const;  // under mu_

  const std::string path_;
  mutable std::mutex mu_;
  ControlEntries entries_;
};

// Without the kAuto entries.
Controls CurrentControls(const ControlEntries& entries);

// JSON form used in the file and between instances:
// {"SET": {"control": "out", "at": micros, "by": "..."}, ...}
std::string ControlsToJson(const ControlEntries& entries);
StatusOr<ControlEntries> ControlsFromJson(std::string_view json);

}  // namespace tandem::failover
