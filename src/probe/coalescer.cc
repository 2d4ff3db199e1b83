#include "probe/coalescer.h"

namespace tandem::probe {
namespace {
HealthReport Stopping() { return HealthReport::Failed("the probe is stopping"); }
}  // namespace

Coalescer::Coalescer(Check check, std::function<void()> abandon)
    : check_(std::move(check)), abandon_(std::move(abandon)), thread_([this] { Loop(); }) {}

Coalescer::~Coalescer() { Stop(); }

void Coalescer::Request(Done done) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopping_) {
      waiters_.push_back(std::move(done));
      wake_.notify_one();
      return;
    }
  }
  done(Stopping());
}

void Coalescer::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    wake_.notify_one();
  }
  if (abandon_) {
    abandon_();
  }
  if (thread_.joinable()) {
    thread_.join();
  }
}

uint64_t Coalescer::checks_started() const {
  std::lock_guard<std::mutex> lock(mu_);
  return checks_started_;
}

void Coalescer::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    wake_.wait(lock, [this] { return stopping_ || !waiters_.empty(); });
    if (stopping_) {
      break;
    }
    ++checks_started_;
    lock.unlock();
    HealthReport report = check_();
    lock.lock();
    if (stopping_) {
      report = Stopping();  // the check was abandoned, not answered
    }
    // Everyone who asked while the check ran shares its report.
    std::vector<Done> waiters = std::move(waiters_);
    waiters_.clear();
    lock.unlock();
    for (const Done& done : waiters) {
      done(report);
    }
    lock.lock();
  }
  std::vector<Done> waiters = std::move(waiters_);
  waiters_.clear();
  lock.unlock();
  for (const Done& done : waiters) {
    done(Stopping());
  }
}

}  // namespace tandem::probe
