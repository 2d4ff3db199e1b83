#include "storage/hlc.h"

namespace tandem::storage {

uint64_t HybridClock::Now() {
  const uint64_t physical = static_cast<uint64_t>(clock_->NowMicros() / 1000) << kLogicalBits;
  uint64_t last = last_.load(std::memory_order_relaxed);
  while (true) {
    const uint64_t next = physical > last ? physical : last + 1;
    if (last_.compare_exchange_weak(last, next, std::memory_order_relaxed)) {
      return next;
    }
  }
}

void HybridClock::Observe(uint64_t remote) {
  uint64_t last = last_.load(std::memory_order_relaxed);
  while (remote > last && !last_.compare_exchange_weak(last, remote, std::memory_order_relaxed)) {
  }
}

}  // namespace tandem::storage
