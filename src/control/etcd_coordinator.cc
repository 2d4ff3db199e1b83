#include "control/etcd_coordinator.h"

#include <spdlog/spdlog.h>

namespace tandem::control {

EtcdCoordinator::EtcdCoordinator(EtcdCoordinatorOptions options, HttpTransport* transport)
    : options_(std::move(options)),
      client_(options_.endpoints, transport, options_.request_timeout),
      leader_key_(options_.prefix + "leader"),
      state_key_(options_.prefix + "state"),
      events_prefix_(options_.prefix + "events/") {}

EtcdCoordinator::~EtcdCoordinator() { Halt(true); }

Status EtcdCoordinator::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable()) {
    return Status::OK();
  }
  stopping_ = false;
  thread_ = std::thread([this] { Loop(); });
  return Status::OK();
}

void EtcdCoordinator::Stop() { Halt(true); }
void EtcdCoordinator::Abandon() { Halt(false); }

void EtcdCoordinator::Halt(bool revoke) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!thread_.joinable()) {
      return;
    }
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
  int64_t lease = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    lease = lease_;
    lease_ = 0;
    holds_key_ = false;
    lease_valid_until_ = {};
  }
  if (revoke && lease != 0) {
    Status st = client_.Revoke(lease);
    if (!st.ok()) {
      spdlog::warn("control: cannot revoke etcd lease {}: {}", lease, st.message());
    }
  }
}

bool EtcdCoordinator::Leading() const {
  std::lock_guard<std::mutex> lock(mu_);
  return holds_key_ && SteadyClock::now() < lease_valid_until_;
}

std::string EtcdCoordinator::Leader() const {
  std::lock_guard<std::mutex> lock(mu_);
  return leader_name_;
}

void EtcdCoordinator::Loop() {
  const auto ttl = std::chrono::duration_cast<std::chrono::milliseconds>(options_.ttl);
  const auto interval = std::min<std::chrono::milliseconds>(ttl / 4, std::chrono::seconds(1));
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    lock.unlock();
    Round();
    lock.lock();
    cv_.wait_for(lock, interval, [this] { return stopping_; });
  }
}

void EtcdCoordinator::Round() {
  int64_t lease = 0;
  SteadyClock::time_point last;
  {
    std::lock_guard<std::mutex> lock(mu_);
    lease = lease_;
    last = last_keepalive_;
  }
  // The lease: granted, or kept alive every ttl/3.
  const auto now = SteadyClock::now();
  if (lease == 0) {
    auto granted = client_.Grant(options_.ttl.count());
    if (!granted.ok()) {
      spdlog::warn("control: etcd lease: {}", granted.status().message());
      return;
    }
    std::lock_guard<std::mutex> lock(mu_);
    lease_ = lease = *granted;
    last_keepalive_ = now;
    lease_valid_until_ = now + options_.ttl;
  } else if (now - last >= options_.ttl / 3) {
    auto ttl = client_.KeepAlive(lease);
    std::lock_guard<std::mutex> lock(mu_);
    if (!ttl.ok()) {
      spdlog::warn("control: etcd keepalive: {}", ttl.status().message());
      return;  // Leading() runs out by itself
    }
    if (*ttl <= 0) {
      spdlog::warn("control: etcd lease {} expired", lease);
      if (holds_key_) {
        spdlog::warn("control: {} is no longer the leader", options_.name);
      }
      lease_ = 0;
      holds_key_ = false;
      lease_valid_until_ = {};
      return;
    }
    last_keepalive_ = now;
    lease_valid_until_ = now + std::chrono::seconds(*ttl);
  }
  // The campaign: take the key if nobody holds it, else learn who does.
  using C = EtcdClient::Compare;
  using Op = EtcdClient::Op;
  auto txn = client_.Txn({C{C::Target::kCreateRevision, leader_key_, 0, ""}},
                         {Op{Op::Kind::kPut, leader_key_, options_.name, lease}},
                         {Op{Op::Kind::kRange, leader_key_, "", 0}});
  if (!txn.ok()) {
    spdlog::warn("control: etcd campaign: {}", txn.status().message());
    if (txn.status().code() == Status::Code::kNotFound) {
      std::lock_guard<std::mutex> lock(mu_);
      lease_ = 0;  // the lease is gone: a new one next round
      holds_key_ = false;
    }
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  const bool was = holds_key_;
  if (txn->succeeded) {
    holds_key_ = true;
    leader_name_ = options_.name;
  } else {
    const auto& kv = txn->ranges.empty() ? std::nullopt : txn->ranges.front();
    holds_key_ = kv.has_value() && kv->lease == lease;
    leader_name_ = kv ? kv->value : "";
  }
  if (holds_key_ && !was) {
    term_.fetch_add(1);
    spdlog::info("control: {} is the leader (etcd lease {:x})", options_.name, lease);
  } else if (!holds_key_ && was) {
    spdlog::warn("control: {} lost the lead to {}", options_.name, leader_name_);
  }
}

StatusOr<std::string> EtcdCoordinator::LoadState() {
  TANDEM_ASSIGN_OR_RETURN(auto kv, client_.Get(state_key_));
  return kv ? kv->value : std::string();
}

StatusOr<Coordinator::Claim> EtcdCoordinator::ClaimEvent(const std::string& id,
                                                         const std::string& record,
                                                         const std::string& state) {
  int64_t lease = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!(holds_key_ && SteadyClock::now() < lease_valid_until_)) {
      return Status::FailedPrecondition(options_.name + " is not the leader");
    }
    lease = lease_;
  }
  using C = EtcdClient::Compare;
  using Op = EtcdClient::Op;
  const std::string event_key = events_prefix_ + id;
  TANDEM_ASSIGN_OR_RETURN(auto txn, client_.Txn({C{C::Target::kLease, leader_key_, lease, ""},
                                                 C{C::Target::kCreateRevision, event_key, 0, ""}},
                                                {Op{Op::Kind::kPut, event_key, record, 0},
                                                 Op{Op::Kind::kPut, state_key_, state, 0}},
                                                {Op{Op::Kind::kRange, event_key, "", 0}}));
  if (txn.succeeded) {
    return Claim::kClaimed;
  }
  if (!txn.ranges.empty() && txn.ranges.front().has_value()) {
    return Claim::kAlreadyClaimed;
  }
  std::lock_guard<std::mutex> lock(mu_);
  holds_key_ = false;  // the key is someone else's now
  return Status::FailedPrecondition(options_.name + " is no longer the leader");
}

}  // namespace tandem::control
