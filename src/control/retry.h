// Retries with exponential backoff for hook actions, and the Sleeper they
// wait on — behind an interface so tests see the waits without waiting, and
// so a stopping controller cuts a wait short.
//
// Thread-safety: an InterruptibleSleeper may be slept on from several
// threads and interrupted from any.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>

namespace tandem::control {

class Sleeper {
 public:
  virtual ~Sleeper() = default;
  // Waits `d`; false when interrupted (the caller gives up).
  virtual bool SleepFor(std::chrono::milliseconds d) = 0;
};

class InterruptibleSleeper : public Sleeper {
 public:
  bool SleepFor(std::chrono::milliseconds d) override;
  // Ends every wait now and to come.
  void Interrupt();
  bool interrupted() const;

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool interrupted_ = false;
};

// Calls `attempt(n)` for n = 1, 2, ... until it returns true or `retries`
// retries were made, sleeping `backoff`, then twice that, ... (at most
// 5 minutes) between attempts. Returns the number of attempts made; stops
// early when `sleeper` is interrupted.
int RetryWithBackoff(const std::function<bool(int attempt)>& attempt, int retries,
                     std::chrono::milliseconds backoff, Sleeper* sleeper);

}  // namespace tandem::control
