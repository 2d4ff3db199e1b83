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
  std::vector<std::pair<uint64_t, size_t>> unsynced;  // written; no sync has succeeded since
  std::vector<std::pair<uint64_t, size_t>> fresh;
  std::vector<std::function<void(Status)>> waiters;
  for (;;) {
    bool closing = false;
    {
      std::unique_lock<std::mutex> lock(mu_);
      const auto has_work = [&] { return closing_ || !ranges_.empty() || !waiters_.empty(); };
      if (unsynced.empty()) {
        cv_.wait(lock, has_work);
      } else {
        cv_.wait_for(lock, kRetryAfterFailure, has_work);  // retry even with nothing new
      }
      closing = closing_;
      if (closing && ranges_.empty() && waiters_.empty() && unsynced.empty()) return;
      fresh.swap(ranges_);
      waiters.swap(waiters_);
    }
    unsynced.insert(unsynced.end(), fresh.begin(), fresh.end());
    fresh.clear();
    // With nothing unsynced, every write handed over so far is durable (an
    // earlier round's sync covered it), and a waiter needs no sync of its own.
    Status st;
    if (!unsynced.empty()) {
      st = sync_();
      {
        std::lock_guard<std::mutex> lock(mu_);
        ++syncs_;
      }
      // Released only once a sync succeeded: the change log ships nothing
      // past a record that may not be on disk, even one whose writer was
      // told of an error (RocksDB may still make it durable by a flush).
      if (st.ok()) {
        for (const auto& [first, n] : unsynced) release_(first, n);
        unsynced.clear();
      }
    }
    for (auto& done : waiters) done(st);
    waiters.clear();
    if (closing && !st.ok()) return;  // one last try at closing; the rest stays unreleased
  }
}

}  // namespace tandem::storage
