// SnapshotCell: publishes an immutable value (configuration, health, the
// zones DNS answers from) to reader threads that must not lock per request.
//
// The writer builds a complete new value and publishes it; readers keep their
// own shared_ptr and refresh it only when the generation number moved, which
// costs one relaxed-as-acquire load of a shared counter per batch of work.
// (g++ 12's std::atomic<std::shared_ptr> takes a spin lock on every load, so
// readers do not load it per request.) A value is destroyed by whichever
// thread drops the last reference; the writer keeps retired values alive
// until readers have moved on only through their own references.
//
// Thread-safety: Publish from one thread at a time; Load and generation from
// any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

namespace tandem {

template <class T>
class SnapshotCell {
 public:
  void Publish(std::shared_ptr<const T> value) {
    current_.store(std::move(value), std::memory_order_release);
    generation_.fetch_add(1, std::memory_order_release);
  }
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
  std::shared_ptr<const T> Load() const { return current_.load(std::memory_order_acquire); }

  // A reader's cached view: Refresh() once per batch, then use get().
  class Reader {
   public:
    explicit Reader(const SnapshotCell* cell) : cell_(cell) {}
    const T* Refresh() {
      const uint64_t g = cell_->generation();
      if (g != seen_ || !value_) {
        value_ = cell_->Load();
        seen_ = g;
      }
      return value_.get();
    }
    const T* get() const { return value_.get(); }

   private:
    const SnapshotCell* cell_;
    uint64_t seen_ = ~uint64_t{0};
    std::shared_ptr<const T> value_;
  };

 private:
  std::atomic<std::shared_ptr<const T>> current_;
  std::atomic<uint64_t> generation_{0};
};

}  // namespace tandem
