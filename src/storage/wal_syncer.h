// WalSyncer: group commit for writes that were made without a WAL sync.
//
// A writer that must not block on the disk (the node's I/O threads) writes
// its batch with sync off, hands the batch's change-log sequence range to
// Wrote(), and asks Then() to be called back once the write is durable. One
// background thread syncs the WAL for everything written so far, releases the
// ranges it covered (the change log ships nothing past an unsynced record)
// and runs the callbacks. Many writers share one sync, as with RocksDB's own
// group commit, without a thread of theirs parked for it.
//
// A write made this way is visible to readers as soon as it is written, one
// sync (about a millisecond) before it is acknowledged; only a power loss in
// that window can undo it, never a crash of the process (the record is in
// the kernel's page cache) and never once acknowledged.
//
// Thread-safety: Wrote() and Then() may be called from any thread; callbacks
// run on the syncer's thread and must not block. The destructor runs a last
// round for whatever is pending (one try, if syncs are failing), then joins.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "common/status.h"

namespace tandem::storage {

class WalSyncer {
 public:
  // `sync` makes every record written so far durable (DB::SyncWAL);
  // `release` is told each range once a successful sync covered it. After a
  // failed sync the writers waiting on it are told the error, their ranges
  // stay unreleased, and the syncer tries again every kRetryAfterFailure
  // (and at every new round) until a sync succeeds.
  WalSyncer(std::function<Status()> sync, std::function<void(uint64_t first, size_t n)> release);
  ~WalSyncer();
  WalSyncer(const WalSyncer&) = delete;
  WalSyncer& operator=(const WalSyncer&) = delete;

  // Records that sequence numbers [first, first + n) were written unsynced.
  void Wrote(uint64_t first, size_t n);
  // Calls `done` on the syncer thread after a sync that covers every write
  // handed to Wrote() before this call, with that sync's status.
  void Then(std::function<void(Status)> done);

  uint64_t syncs() const;  // rounds that synced, for tests and metrics

  static constexpr std::chrono::milliseconds kRetryAfterFailure{100};

 private:
  void Loop();

  std::function<Status()> sync_;
  std::function<void(uint64_t, size_t)> release_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::pair<uint64_t, size_t>> ranges_;
  std::vector<std::function<void(Status)>> waiters_;
  bool closing_ = false;
  uint64_t syncs_ = 0;
  std::thread thread_;
};

}  // namespace tandem::storage
