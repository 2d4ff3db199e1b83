#include "drill/observer.h"

#include <algorithm>

#include "common/clock.h"
#include "drill/resolver.h"

namespace tandem::drill {
namespace {

using Steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kTick{50};
constexpr int kHealthEvery = 2;  // ticks
constexpr int kLagEvery = 4;
constexpr milliseconds kDnsTimeout{100};
constexpr milliseconds kHttpTimeout{150};

}  // namespace

Observer::Observer(ObserverOptions options)
    : options_(std::move(options)),
      dns_down_(options_.regions.size()),
      node_down_(options_.regions.size()) {}

StatusOr<std::unique_ptr<Observer>> Observer::Create(ObserverOptions options) {
  std::unique_ptr<Observer> o(new Observer(std::move(options)));
  TANDEM_ASSIGN_OR_RETURN(o->transport_, control::NewHttpTransport(""));
  auto auth = std::make_shared<replication::PeerAuth>(o->options_.secret, "tandem-drill",
                                                      SystemClock::Default());
  o->health_source_ = std::make_unique<control::DnsStatusSource>(
      o->options_.dns.servers, o->options_.dns.checks, auth, o->transport_.get(), kHttpTimeout);
  o->node_source_ = std::make_unique<control::HttpNodeSource>(o->transport_.get(), kHttpTimeout);
  return o;
}

Observer::~Observer() { Stop(); }

void Observer::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void Observer::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Observer::SetDnsDown(size_t region, bool down) { dns_down_.at(region) = down; }
void Observer::SetNodeDown(size_t region, bool down) { node_down_.at(region) = down; }

void Observer::Loop() {
  auto next = Steady::now();
  for (int tick = 0;; ++tick) {
    SampleDns();
    if (tick % kHealthEvery == 0) SampleHealth();
    if (tick % kLagEvery == 0) SampleLag();
    cv_.notify_all();
    next += kTick;
    std::unique_lock<std::mutex> lock(mu_);
    if (cv_.wait_until(lock, next, [this] { return stopping_; })) return;
    if (Steady::now() > next + kTick) next = Steady::now();  // fell behind: do not burst
  }
}

void Observer::SampleDns() {
  for (size_t i = 0; i < options_.regions.size(); ++i) {
    if (dns_down_[i]) continue;
    const ObservedRegion& r = options_.regions[i];
    Resolver resolver({{r.dns_host, r.dns_port}}, kDnsTimeout);
    auto got = resolver.LookupA(options_.name);
    DnsSample s{Steady::now(), i, ""};
    if (got.ok() && !got->addresses.empty()) s.answer = got->addresses.front();
    std::lock_guard<std::mutex> lock(mu_);
    dns_.push_back(std::move(s));
  }
}

void Observer::SampleHealth() {
  const std::string& primary = options_.regions.front().name;
  control::HealthSnapshot snap = health_source_->Fetch();
  auto it = snap.healthy.find(primary);
  if (it == snap.healthy.end()) return;  // no live server decided it: no sample
  std::lock_guard<std::mutex> lock(mu_);
  health_.push_back({Steady::now(), it->second});
}

void Observer::SampleLag() {
  std::optional<double> worst;
  bool any = false;
  for (size_t i = 0; i < options_.regions.size(); ++i) {
    if (node_down_[i]) continue;
    auto pending = node_source_->Pending(options_.regions[i].node_url);
    if (!pending.ok()) continue;
    any = true;
    worst = std::max(worst.value_or(0), *pending);
  }
  std::lock_guard<std::mutex> lock(mu_);
  lag_.push_back({Steady::now(), any ? worst : std::nullopt});
}

std::vector<DnsSample> Observer::Dns() const {
  std::lock_guard<std::mutex> lock(mu_);
  return dns_;
}

std::vector<HealthSample> Observer::Health() const {
  std::lock_guard<std::mutex> lock(mu_);
  return health_;
}

std::vector<LagSample> Observer::Lag() const {
  std::lock_guard<std::mutex> lock(mu_);
  return lag_;
}

template <typename Pred>
bool Observer::WaitFor(SteadyTime deadline, Pred pred) const {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_until(lock, deadline, [&] { return pred(); });
}

bool Observer::WaitForAnswer(const std::string& address, SteadyTime since,
                             SteadyTime deadline) const {
  return WaitFor(deadline, [&] {
    return std::any_of(dns_.rbegin(), dns_.rend(),
                       [&](const DnsSample& s) { return s.at >= since && s.answer == address; });
  });
}

bool Observer::WaitForAnswerNot(const std::string& address, SteadyTime since,
                                SteadyTime deadline) const {
  return WaitFor(deadline, [&] {
    return std::any_of(dns_.rbegin(), dns_.rend(), [&](const DnsSample& s) {
      return s.at >= since && !s.answer.empty() && s.answer != address;
    });
  });
}

bool Observer::WaitForBacklogAtMost(double limit, SteadyTime since, SteadyTime deadline) const {
  return WaitFor(deadline, [&] {
    return !lag_.empty() && lag_.back().at >= since && lag_.back().pending.has_value() &&
           *lag_.back().pending <= limit;
  });
}

}  // namespace tandem::drill
