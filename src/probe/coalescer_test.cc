#include "probe/coalescer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <vector>

namespace tandem::probe {
namespace {
using namespace std::chrono_literals;

// A check that blocks until released, so that tests see requests pile up.
class Gate {
 public:
  HealthReport Check() {
    std::unique_lock<std::mutex> lock(mu_);
    ++entered_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return released_ > 0 || abandoned_; });
    if (abandoned_) {
      return HealthReport::Failed("abandoned");
    }
    --released_;
    return HealthReport::Failed("check " + std::to_string(entered_));
  }
  void WaitEntered(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    ASSERT_TRUE(cv_.wait_for(lock, 10s, [&] { return entered_ >= n; }));
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    ++released_;
    cv_.notify_all();
  }
  void Abandon() {
    std::lock_guard<std::mutex> lock(mu_);
    abandoned_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int entered_ = 0;
  int released_ = 0;
  bool abandoned_ = false;
};

// Collects reports from callbacks on the coalescer's thread.
class Inbox {
 public:
  Coalescer::Done Slot() {
    return [this](const HealthReport& r) {
      std::lock_guard<std::mutex> lock(mu_);
      got_.push_back(r.message);
      cv_.notify_all();
    };
  }
  std::vector<std::string> WaitFor(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    EXPECT_TRUE(cv_.wait_for(lock, 10s, [&] { return got_.size() >= n; }));
    return got_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> got_;
};

TEST(Coalescer, RequestsDuringACheckShareItsReport) {
  Gate gate;
  Coalescer c([&] { return gate.Check(); }, [&] { gate.Abandon(); });
  Inbox inbox;
  c.Request(inbox.Slot());
  gate.WaitEntered(1);
  for (int i = 0; i < 50; ++i) {
    c.Request(inbox.Slot());
  }
  gate.Release();
  const auto got = inbox.WaitFor(51);
  EXPECT_EQ(got.size(), 51u);
  for (const auto& m : got) {
    EXPECT_EQ(m, "check 1");
  }
  EXPECT_EQ(c.checks_started(), 1u);
}

TEST(Coalescer, ARequestAfterACheckStartsAnother) {
  Gate gate;
  Coalescer c([&] { return gate.Check(); }, [&] { gate.Abandon(); });
  Inbox inbox;
  c.Request(inbox.Slot());
  gate.WaitEntered(1);
  gate.Release();
  inbox.WaitFor(1);
  c.Request(inbox.Slot());
  gate.WaitEntered(2);
  gate.Release();
  EXPECT_EQ(inbox.WaitFor(2), (std::vector<std::string>{"check 1", "check 2"}));
  EXPECT_EQ(c.checks_started(), 2u);
}

TEST(Coalescer, ManyThreadsAtOnceRunFewChecks) {
  std::atomic<int> running{0};
  std::atomic<int> overlap{0};
  Coalescer c(
      [&] {
        if (running.fetch_add(1) != 0) {
          overlap.fetch_add(1);
        }
        std::this_thread::sleep_for(20ms);  // a check's duration, not a wait for a condition
        running.fetch_sub(1);
        return HealthReport::Ok();
      },
      nullptr);
  Inbox inbox;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        c.Request(inbox.Slot());
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(inbox.WaitFor(200).size(), 200u);
  EXPECT_EQ(overlap.load(), 0) << "checks never run concurrently";
  EXPECT_LT(c.checks_started(), 200u);
}

TEST(Coalescer, StopAbandonsTheCheckAndAnswersEveryone) {
  Gate gate;
  Coalescer c([&] { return gate.Check(); }, [&] { gate.Abandon(); });
  Inbox inbox;
  c.Request(inbox.Slot());
  gate.WaitEntered(1);
  c.Request(inbox.Slot());
  c.Stop();  // returns: the gate was abandoned
  c.Request(inbox.Slot());
  const auto got = inbox.WaitFor(3);
  EXPECT_EQ(got, (std::vector<std::string>(3, "the probe is stopping")));
  c.Stop();  // idempotent
}

}  // namespace
}  // namespace tandem::probe
