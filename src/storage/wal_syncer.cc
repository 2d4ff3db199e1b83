#include "storage/wal_syncer.h"

namespace tandem::storage {

WalSyncer::WalSyncer(std::function<Status()> sync,
                     std::function<void(uint64_t first, size_t n)> release)
    : sync_(std::move(sync)), release_(std::move(release)), thread_([this] { Loop(); }) {}

WalSyncer::~WalSyncer() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closing_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void WalSyncer::Wrote(uint64_t first, size_t n) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ranges_.emplace_back(first, n);
  }
  cv_.notify_one();
}

void WalSyncer::Then(std::function<void(Status)> done) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    waiters_.push_back(std::move(done));
  }
  cv_.notify_one();
}

uint64_t WalSyncer::syncs() const {
  std::lock_guard<std::mutex> lock(mu_);
  return syncs_;
}

void WalSyncer::Loop() {
  std::vector<std::pair<uint64_t, size_t>> ranges;
  std::vector<std::function<void(Status)>> waiters;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return closing_ || !ranges_.empty() || !waiters_.empty(); });
      if (ranges_.empty() && waiters_.empty()) return;  // closing, nothing left
      ranges.swap(ranges_);
      waiters.swap(waiters_);
    }
    // A waiter whose writes were all taken by an earlier round is already
    // durable: that round's sync finished before this one began. Only new
    // ranges need a sync.
    Status st;
    if (!ranges.empty()) {
      st = sync_();
      std::lock_guard<std::mutex> lock(mu_);
      ++syncs_;
    }
    for (const auto& [first, n] : ranges) release_(first, n);
    for (auto& done : waiters) done(st);
    ranges.clear();
    waiters.clear();
  }
}

}  // namespace tandem::storage
