#include "control/retry.h"

#include <algorithm>

namespace tandem::control {

bool InterruptibleSleeper::SleepFor(std::chrono::milliseconds d) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, d, [this] { return interrupted_; });
  return !interrupted_;
}

void InterruptibleSleeper::Interrupt() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    interrupted_ = true;
  }
  cv_.notify_all();
}

bool InterruptibleSleeper::interrupted() const {
  std::lock_guard<std::mutex> lock(mu_);
  return interrupted_;
}

int RetryWithBackoff(const std::function<bool(int attempt)>& attempt, int retries,
                     std::chrono::milliseconds backoff, Sleeper* sleeper) {
  constexpr std::chrono::milliseconds kMaxBackoff = std::chrono::minutes(5);
  std::chrono::milliseconds wait = backoff;
  for (int n = 1;; ++n) {
    if (attempt(n) || n > retries) {
      return n;
    }
    if (!sleeper->SleepFor(wait)) {
      return n;
    }
    wait = std::min(wait * 2, kMaxBackoff);
  }
}

}  // namespace tandem::control
