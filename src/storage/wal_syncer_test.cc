#include "storage/wal_syncer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <thread>
#include <vector>

namespace tandem::storage {
namespace {

using std::chrono::seconds;

// Counts syncs and releases; the sync can be made to fail.
struct FakeWal {
  std::atomic<int> syncs{0};
  std::atomic<bool> fail{false};
  std::mutex mu;
  std::map<uint64_t, int> released;  // first seq -> times released
  std::vector<std::pair<uint64_t, size_t>> order;

  WalSyncer Make() {
    return WalSyncer(
        [this] {
          ++syncs;
          return fail ? Status::IOError("disk gone") : Status::OK();
        },
        [this](uint64_t first, size_t n) {
          std::lock_guard<std::mutex> lock(mu);
          ++released[first];
          order.emplace_back(first, n);
        });
  }
};

// Calls Then() and waits for the status it is given; a timeout is a failure.
Status Await(WalSyncer& syncer) {
  std::promise<Status> done;
  syncer.Then([&](Status st) { done.set_value(st); });
  auto f = done.get_future();
  if (f.wait_for(seconds(10)) != std::future_status::ready) {
    ADD_FAILURE() << "Then() never called back";
    return Status::Internal("timeout");
  }
  return f.get();
}

TEST(WalSyncerTest, AWaiterWithNothingWrittenNeedsNoSync) {
  FakeWal wal;
  WalSyncer syncer = wal.Make();
  EXPECT_TRUE(Await(syncer).ok());
  EXPECT_EQ(wal.syncs.load(), 0);
}

TEST(WalSyncerTest, ReleasesTheRangeBeforeTellingTheWriter) {
  FakeWal wal;
  WalSyncer syncer = wal.Make();
  std::promise<bool> done;
  syncer.Wrote(7, 3);
  syncer.Then([&](Status st) {
    std::lock_guard<std::mutex> lock(wal.mu);
    done.set_value(st.ok() && wal.released[7] == 1);
  });
  auto f = done.get_future();
  ASSERT_EQ(f.wait_for(seconds(10)), std::future_status::ready);
  EXPECT_TRUE(f.get());
  EXPECT_GE(wal.syncs.load(), 1);
  EXPECT_EQ(wal.order.front(), std::make_pair(uint64_t{7}, size_t{3}));
}

TEST(WalSyncerTest, AFailedSyncIsReportedToItsWriters) {
  FakeWal wal;
  wal.fail = true;
  WalSyncer syncer = wal.Make();
  syncer.Wrote(1, 1);
  Status st = Await(syncer);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("disk gone"), std::string::npos);
}

TEST(WalSyncerTest, ManyWritersShareSyncsAndEveryRangeIsReleasedOnce) {
  FakeWal wal;
  constexpr int kThreads = 4;
  constexpr int kWrites = 500;
  std::atomic<int> acked{0};
  {
    WalSyncer syncer = wal.Make();
    std::vector<std::thread> writers;
    for (int t = 0; t < kThreads; ++t) {
      writers.emplace_back([&, t] {
        for (int i = 0; i < kWrites; ++i) {
          syncer.Wrote(static_cast<uint64_t>(t * kWrites + i + 1), 1);
          syncer.Then([&](Status st) {
            if (st.ok()) ++acked;
          });
        }
      });
    }
    for (auto& w : writers) w.join();
  }  // the destructor runs the last round
  EXPECT_EQ(acked.load(), kThreads * kWrites);
  EXPECT_EQ(wal.released.size(), static_cast<size_t>(kThreads * kWrites));
  for (const auto& [first, times] : wal.released) EXPECT_EQ(times, 1) << first;
  EXPECT_LE(wal.syncs.load(), kThreads * kWrites);
  EXPECT_GE(wal.syncs.load(), 1);
}

TEST(WalSyncerTest, AFailedSyncKeepsItsRangesUntilASyncSucceeds) {
  FakeWal wal;
  wal.fail = true;
  WalSyncer syncer = wal.Make();
  syncer.Wrote(5, 2);
  EXPECT_FALSE(Await(syncer).ok());
  {
    std::lock_guard<std::mutex> lock(wal.mu);
    EXPECT_EQ(wal.released.count(5), 0u) << "released after a failed sync";
  }
  // The disk comes back: the syncer retries by itself, no new write needed.
  wal.fail = false;
  const auto deadline = std::chrono::steady_clock::now() + seconds(10);
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(wal.mu);
      if (wal.released.count(5) == 1) break;
    }
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "never retried";
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  // A writer after that is durable, and the range was released only once.
  EXPECT_TRUE(Await(syncer).ok());
  std::lock_guard<std::mutex> lock(wal.mu);
  EXPECT_EQ(wal.released[5], 1);
}

TEST(WalSyncerTest, ClosingWhileSyncsFailStopsWithoutReleasing) {
  FakeWal wal;
  wal.fail = true;
  {
    WalSyncer syncer = wal.Make();
    syncer.Wrote(9, 1);
  }  // must return although every sync fails
  std::lock_guard<std::mutex> lock(wal.mu);
  EXPECT_TRUE(wal.released.empty());
  EXPECT_GE(wal.syncs.load(), 1);
}

}  // namespace
}  // namespace tandem::storage
