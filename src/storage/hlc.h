// HybridClock: hybrid logical clock timestamps for item versions.
//
// A timestamp is (physical milliseconds << 16) | logical counter. Every
// timestamp Now() returns is greater than every earlier one from this clock
// and than every timestamp passed to Observe(), so versions written after
// seeing a remote version order after it (last writer wins, DESIGN.md).
// Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>

#include "common/clock.h"

namespace tandem::storage {

class HybridClock {
 public:
  static constexpr int kLogicalBits = 16;

  explicit HybridClock(const Clock* clock) : clock_(clock) {}

  // A fresh timestamp, strictly greater than any issued or observed before.
  uint64_t Now();
  // Moves the clock past `remote` (a timestamp seen from elsewhere or read
  // back from disk at startup).
  void Observe(uint64_t remote);

  static uint64_t PhysicalMillis(uint64_t ts) { return ts >> kLogicalBits; }

 private:
  const Clock* clock_;
  std::atomic<uint64_t> last_{0};
};

}  // namespace tandem::storage
