#include "health/checker.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <iterator>
#include <latch>
#include <map>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <utility>

namespace tandem::health {
namespace {

namespace asio = boost::asio;
using SteadyClock = std::chrono::steady_clock;

// tandem_health_check_latency_ms bucket bounds.
constexpr std::array<double, 12> kBucketsMs = {1,   2,   5,   10,   25,   50,
                                               100, 250, 500, 1000, 2500, 5000};

bool Probed(const config::HealthCheckConfig& check) {
  return check.type != config::CheckType::kCalculated;
}

const char* HealthWord(bool healthy) { return healthy ? "healthy" : "unhealthy"; }

std::string Label(std::string_view value) { return PrometheusLabelValue(value); }

}  // namespace

std::string PrometheusLabelValue(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

bool ApplyProbeResult(const config::HealthCheckConfig& check, const ProbeResult& result, bool first,
                      CheckState* state) {
  const bool effective = check.disabled ? !check.inverted : (check.inverted != result.healthy);
  state->name = check.name;
  state->last = result;
  if (first) {
    state->healthy = effective;
    state->streak = 0;
    state->since_micros = result.at_micros;
    state->transition_reason = result.reason;
    return false;
  }
  if (effective == state->healthy) {
    state->streak = 0;
    return false;
  }
  if (++state->streak < std::max(1, check.failure_threshold)) {
    return false;
  }
  state->healthy = effective;
  state->streak = 0;
  state->since_micros = result.at_micros;
  state->transition_reason = result.reason;
  ++state->transitions;
  return true;
}

struct Checker::Impl {
  // The state and counters of one check. Guarded by `mu`.
  struct Record {
    CheckState state;
    std::array<uint64_t, kBucketsMs.size() + 1> buckets{};  // the last is +Inf
    double latency_sum_ms = 0;
    uint64_t probes_healthy = 0;
    uint64_t probes_unhealthy = 0;
  };

  // The schedule of one probed check. Only touched on the io thread.
  struct Slot {
    explicit Slot(asio::io_context& io) : timer(io) {}
    config::HealthCheckConfig config;
    uint64_t id = 0;  // tells a replaced slot's late callbacks apart
    asio::steady_timer timer;
    std::shared_ptr<Probe> probe;  // in flight, or null
    SteadyClock::time_point started;
    std::latch* first_done = nullptr;  // counted down after the first probe
  };

  Impl(const Clock* c, OnTransition callback) : clock(c), on_transition(std::move(callback)) {}

  // Owner thread: adds `checks` (probed, not CALCULATED) and removes the
  // checks named in `removed`, then waits until every added one that is
  // probed has its first result.
  void Apply(std::vector<std::string> removed, std::vector<config::HealthCheckConfig> added) {
    ptrdiff_t probed = 0;
    for (const auto& check : added) {
      probed += check.disabled ? 0 : 1;
    }
    std::latch done(probed + 1);
    asio::post(io, [this, &done, removed = std::move(removed), added = std::move(added)] {
      for (const auto& name : removed) {
        RemoveOnIo(name);
      }
      for (const auto& check : added) {
        AddOnIo(check, &done);
      }
      done.count_down();
    });
    done.wait();
  }

  void RemoveOnIo(const std::string& name) {
    DropSlot(name);
    std::lock_guard lock(mu);
    records.erase(name);
  }

  // Cancels the slot's timer and probe and forgets it; a waiter for its
  // first result is released.
  void DropSlot(const std::string& name) {
    auto it = slots.find(name);
    if (it == slots.end()) {
      return;
    }
    Slot& slot = *it->second;
    slot.timer.cancel();
    if (slot.probe) {
      slot.probe->Cancel();
    }
    if (slot.first_done != nullptr) {
      slot.first_done->count_down();
    }
    slots.erase(it);
  }

  void AddOnIo(const config::HealthCheckConfig& check, std::latch* first_done) {
    DropSlot(check.name);  // only with duplicate names
    if (check.disabled) {
      ProbeResult result{true, "disabled", {}, clock->NowMicros()};
      std::lock_guard lock(mu);
      auto [it, inserted] = records.try_emplace(check.name);
      if (inserted) {
        ApplyProbeResult(check, result, /*first=*/true, &it->second.state);
        spdlog::info("health check {}: disabled, so {}", check.name,
                     HealthWord(it->second.state.healthy));
      }
      return;
    }
    auto slot = std::make_unique<Slot>(io);
    slot->config = check;
    slot->id = next_id++;
    slot->first_done = first_done;
    Slot* raw = slot.get();
    slots[check.name] = std::move(slot);
    BeginProbe(raw);
  }

  std::string source;            // probes connect from here (empty: any)
  Resolver* resolver = nullptr;  // null: SystemResolver()

  void BeginProbe(Slot* slot) {
    slot->started = SteadyClock::now();
    slot->probe = StartProbe(
        io, tls, slot->config, clock,
        [this, name = slot->config.name, id = slot->id](ProbeResult result) {
          OnProbeDone(name, id, std::move(result));
        },
        source, resolver);
  }

  void OnProbeDone(const std::string& name, uint64_t id, ProbeResult result) {
    auto it = slots.find(name);
    if (it == slots.end() || it->second->id != id) {
      return;  // removed or replaced meanwhile
    }
    Slot* slot = it->second.get();
    slot->probe.reset();
    const config::HealthCheckConfig& check = slot->config;
    bool first = false;
    bool transition = false;
    CheckState state;
    {
      std::lock_guard lock(mu);
      auto [record_it, inserted] = records.try_emplace(name);
      Record& record = record_it->second;
      first = inserted;
      transition = ApplyProbeResult(check, result, first, &record.state);
      const double ms = static_cast<double>(result.latency.count()) / 1000.0;
      const size_t bucket =
          std::lower_bound(kBucketsMs.begin(), kBucketsMs.end(), ms) - kBucketsMs.begin();
      ++record.buckets[bucket];
      record.latency_sum_ms += ms;
      ++(result.healthy ? record.probes_healthy : record.probes_unhealthy);
      state = record.state;
    }
    if (first) {
      spdlog::info("health check {}: initially {} ({}{})", name, HealthWord(state.healthy),
                   result.reason, check.inverted ? ", inverted" : "");
    }
    if (transition) {
      const auto level = state.healthy ? spdlog::level::info : spdlog::level::warn;
      spdlog::log(level, "health check {} is now {} after {} consecutive results: {}{}", name,
                  HealthWord(state.healthy), std::max(1, check.failure_threshold), result.reason,
                  check.inverted ? " (inverted)" : "");
    }
    if (slot->first_done != nullptr) {
      std::exchange(slot->first_done, nullptr)->count_down();
    }
    // The next probe starts an interval after this one started, or now when
    // this one ran longer than that; probes of one check never overlap.
    slot->timer.expires_at(slot->started + std::max(check.interval, std::chrono::milliseconds(1)));
    slot->timer.async_wait([this, name, id](boost::system::error_code ec) {
      if (ec) {
        return;
      }
      if (auto it = slots.find(name); it != slots.end() && it->second->id == id) {
        BeginProbe(it->second.get());
      }
    });
    if (transition && on_transition) {
      on_transition(state);
    }
  }

  void StopOnIo() {
    while (!slots.empty()) {
      DropSlot(std::string(slots.begin()->first));
    }
    io.stop();
  }

  const Clock* clock;
  const OnTransition on_transition;
  asio::ssl::context tls = MakeProbeTlsContext();  // outlives io's handlers
  asio::io_context io;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::thread thread;

  // Owner thread only.
  std::vector<config::HealthCheckConfig> configs;
  bool running = false;

  // io thread only.
  std::map<std::string, std::unique_ptr<Slot>> slots;
  uint64_t next_id = 1;

  mutable std::mutex mu;
  std::map<std::string, Record> records;  // guarded by mu
};

void Checker::set_probe_source(std::string address) { impl_->source = std::move(address); }

void Checker::set_resolver(Resolver* resolver) { impl_->resolver = resolver; }

Checker::Checker(std::vector<config::HealthCheckConfig> checks, const Clock* clock,
                 OnTransition on_transition)
    : impl_(std::make_shared<Impl>(clock, std::move(on_transition))) {
  impl_->configs = std::move(checks);
}

Checker::~Checker() { Stop(); }

void Checker::Start() {
  if (impl_->running) {
    return;
  }
  impl_->running = true;
  impl_->io.restart();
  impl_->work.emplace(impl_->io.get_executor());
  impl_->thread = std::thread([impl = impl_.get()] { impl->io.run(); });
  std::vector<config::HealthCheckConfig> probed;
  std::copy_if(impl_->configs.begin(), impl_->configs.end(), std::back_inserter(probed), Probed);
  impl_->Apply({}, std::move(probed));
}

void Checker::Stop() {
  if (!impl_->running) {
    return;
  }
  asio::post(impl_->io, [impl = impl_.get()] { impl->StopOnIo(); });
  impl_->thread.join();
  impl_->work.reset();
  impl_->running = false;
}

void Checker::Reconfigure(std::vector<config::HealthCheckConfig> checks) {
  std::map<std::string, const config::HealthCheckConfig*> old;
  for (const auto& check : impl_->configs) {
    old[check.name] = &check;
  }
  std::vector<std::string> removed;
  std::vector<config::HealthCheckConfig> added;
  for (const auto& check : checks) {
    auto it = old.find(check.name);
    if (it != old.end() && *it->second == check) {
      old.erase(it);  // unchanged: keeps its state and schedule
      continue;
    }
    if (it != old.end()) {
      removed.push_back(check.name);  // changed: starts over
      old.erase(it);
    }
    if (Probed(check)) {
      added.push_back(check);
    }
  }
  for (const auto& [name, check] : old) {
    removed.push_back(name);
  }
  impl_->configs = std::move(checks);
  if (impl_->running) {
    impl_->Apply(std::move(removed), std::move(added));
    return;
  }
  std::lock_guard lock(impl_->mu);
  for (const auto& name : removed) {
    impl_->records.erase(name);
  }
}

std::vector<CheckState> Checker::States() const {
  std::lock_guard lock(impl_->mu);
  std::vector<CheckState> out;
  out.reserve(impl_->records.size());
  for (const auto& [name, record] : impl_->records) {
    out.push_back(record.state);
  }
  return out;
}

std::string Checker::RenderMetrics() const {
  std::lock_guard lock(impl_->mu);
  const auto& records = impl_->records;
  std::string out;
  out += "# HELP tandem_health_check_healthy The check's state (after thresholds), 1 healthy.\n";
  out += "# TYPE tandem_health_check_healthy gauge\n";
  for (const auto& [name, r] : records) {
    out += fmt::format("tandem_health_check_healthy{{check=\"{}\"}} {}\n", Label(name),
                       r.state.healthy ? 1 : 0);
  }
  out += "# HELP tandem_health_check_latency_ms Probe duration in milliseconds.\n";
  out += "# TYPE tandem_health_check_latency_ms histogram\n";
  for (const auto& [name, r] : records) {
    const std::string label = Label(name);
    uint64_t cumulative = 0;
    for (size_t b = 0; b < kBucketsMs.size(); ++b) {
      cumulative += r.buckets[b];
      out += fmt::format("tandem_health_check_latency_ms_bucket{{check=\"{}\",le=\"{}\"}} {}\n",
                         label, kBucketsMs[b], cumulative);
    }
    cumulative += r.buckets.back();
    out += fmt::format("tandem_health_check_latency_ms_bucket{{check=\"{}\",le=\"+Inf\"}} {}\n",
                       label, cumulative);
    out += fmt::format("tandem_health_check_latency_ms_sum{{check=\"{}\"}} {:.3f}\n", label,
                       r.latency_sum_ms);
    out +=
        fmt::format("tandem_health_check_latency_ms_count{{check=\"{}\"}} {}\n", label, cumulative);
  }
  out += "# HELP tandem_health_check_transitions_total State changes of the check.\n";
  out += "# TYPE tandem_health_check_transitions_total counter\n";
  for (const auto& [name, r] : records) {
    out += fmt::format("tandem_health_check_transitions_total{{check=\"{}\"}} {}\n", Label(name),
                       r.state.transitions);
  }
  out += "# HELP tandem_health_check_probes_total Probes by raw result.\n";
  out += "# TYPE tandem_health_check_probes_total counter\n";
  for (const auto& [name, r] : records) {
    const std::string label = Label(name);
    out += fmt::format("tandem_health_check_probes_total{{check=\"{}\",result=\"healthy\"}} {}\n",
                       label, r.probes_healthy);
    out += fmt::format("tandem_health_check_probes_total{{check=\"{}\",result=\"unhealthy\"}} {}\n",
                       label, r.probes_unhealthy);
  }
  return out;
}

}  // namespace tandem::health
