// Coalescer: runs health checks on its own thread, one at a time, and shares
// each check's report among every request that arrives while it runs. However
// many /health requests come at once, at most one check is in progress:
// work grows with time, not with requests. A request that arrives while no
// check runs starts one.
//
// Thread-safety: Request and Stop may be called from any thread; callbacks
// run on the coalescer's thread and must not block.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "probe/report.h"

namespace tandem::probe {

class Coalescer {
 public:
  using Check = std::function<HealthReport()>;
  using Done = std::function<void(const HealthReport&)>;

  // Runs `check` on demand. `abandon` (may be empty) is called by Stop from
  // another thread to end a check in progress early.
  Coalescer(Check check, std::function<void()> abandon);
  ~Coalescer();
  Coalescer(const Coalescer&) = delete;
  Coalescer& operator=(const Coalescer&) = delete;

  // Calls `done` once with the report of the check in progress, or of one
  // started now when none is. After Stop, `done` is called at once with a
  // failure saying the probe is stopping.
  void Request(Done done);

  // Abandons the check in progress, reports it to its waiters and joins the
  // thread. Idempotent.
  void Stop();

  // How many checks have started (for tests and logs).
  uint64_t checks_started() const;

 private:
  void Loop();

  const Check check_;
  const std::function<void()> abandon_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::vector<Done> waiters_;  // of the check in progress, or of the next one
  bool stopping_ = false;
  uint64_t checks_started_ = 0;
  std::thread thread_;  // last: starts once the members above exist
};

}  // namespace tandem::probe
