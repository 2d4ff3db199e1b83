// Clock: the wall clock behind an interface so tests can inject time.
//
// SystemClock reads the real time; tests use ManualClock. Implementations
// must be thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace tandem {

class Clock {
 public:
  virtual ~Clock() = default;
  // Microseconds since the Unix epoch.
  virtual int64_t NowMicros() const = 0;
  std::chrono::system_clock::time_point Now() const {
    return std::chrono::system_clock::time_point(std::chrono::microseconds(NowMicros()));
  }
};

class SystemClock : public Clock {
 public:
  int64_t NowMicros() const override {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  // A process-wide instance.
  static SystemClock* Default() {
    static SystemClock clock;
    return &clock;
  }
};

// A clock that moves only when told to.
class ManualClock : public Clock {
 public:
  explicit ManualClock(int64_t micros = 1'700'000'000'000'000) : micros_(micros) {}
  int64_t NowMicros() const override { return micros_.load(); }
  void Set(int64_t micros) { micros_.store(micros); }
  void Advance(int64_t micros) { micros_.fetch_add(micros); }

 private:
  std::atomic<int64_t> micros_;
};

}  // namespace tandem
