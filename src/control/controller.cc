#include "control/controller.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/json.hpp>

namespace tandem::control {

struct Controller::Samples {
  HealthSnapshot health;
  std::map<std::string, std::optional<double>> pending;  // by node URL
  std::map<std::string, std::string> pending_error;
  std::map<std::string, NodeHealth> nodes;  // primaries' nodes, by URL
};

Controller::Controller(config::ControlConfig config, ControllerDeps deps)
    : config_(std::move(config)), deps_(deps) {
  const int64_t now = deps_.clock->NowMicros();
  for (const auto& a : config_.alarms) {
    alarms_.emplace_back(a, now);
  }
}

Controller::~Controller() { Stop(); }

void Controller::Start() {
  std::lock_guard<std::mutex> lock(run_mu_);
  if (thread_.joinable()) {
    return;
  }
  stopping_ = false;
  thread_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(run_mu_);
    while (!stopping_) {
      lock.unlock();
      Tick();
      lock.lock();
      run_cv_.wait_for(lock, config_.control.poll, [this] { return stopping_; });
    }
  });
}

void Controller::Stop() {
  {
    std::lock_guard<std::mutex> lock(run_mu_);
    if (!thread_.joinable()) {
      return;
    }
    stopping_ = true;
  }
  run_cv_.notify_all();
  thread_.join();
}

AlarmState Controller::alarm_state(const std::string& alarm) const {
  std::lock_guard<std::mutex> lock(mu_);
  const AlarmEvaluator* a = FindAlarm(alarm);
  return a != nullptr ? a->state() : AlarmState::kInsufficientData;
}

PairState Controller::pair_state(const std::string& primary) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = state_.pairs.find(primary);
  return it != state_.pairs.end() ? it->second : PairState{};
}

const AlarmEvaluator* Controller::FindAlarm(const std::string& name) const {
  for (const auto& a : alarms_) {
    if (a.name() == name) {
      return &a;
    }
  }
  return nullptr;
}

void Controller::Audit(AuditEntry entry) const {
  if (deps_.audit == nullptr) {
    return;
  }
  Status st = deps_.audit->Write(entry);
  if (!st.ok()) {
    spdlog::error("control: {}", st.message());
  }
}

void Controller::Tick() {
  Samples samples = Sample();
  std::lock_guard<std::mutex> lock(mu_);
  const int64_t now = deps_.clock->NowMicros();
  Evaluate(samples, now);
  if (!FollowLeadership(now)) {
    return;
  }
  AnnounceAlarms(samples, now);
  StepPairs(samples, now);
  ApplyPendingRoutes(now);
}

Controller::Samples Controller::Sample() {
  Samples s;
  s.health = deps_.health->Fetch();
  for (const auto& a : config_.alarms) {
    if (a.source != config::AlarmConfig::Source::kReplicationPending ||
        s.pending.count(a.node_url)) {
      continue;
    }
    auto pending = deps_.nodes->Pending(a.node_url);
    s.pending[a.node_url] = pending.ok() ? std::optional<double>(*pending) : std::nullopt;
    if (!pending.ok()) {
      s.pending_error[a.node_url] = pending.status().message();
    }
  }
  for (const auto& f : config_.failovers) {
    if (!s.nodes.count(f.primary_node_url)) {
      s.nodes[f.primary_node_url] = deps_.nodes->Health(f.primary_node_url);
    }
  }
  return s;
}

void Controller::Evaluate(const Samples& samples, int64_t now) {
  for (auto& alarm : alarms_) {
    const auto& c = alarm.config();
    // Close the periods that ended first: this sample is the next period's.
    const std::vector<AlarmTransition> transitions = alarm.Advance(now);
    if (c.source == config::AlarmConfig::Source::kHealthCheck) {
      auto it = samples.health.healthy.find(c.health_check);
      if (it != samples.health.healthy.end()) {
        alarm.Observe(now, !it->second);
      }
    } else if (auto it = samples.pending.find(c.node_url);
               it != samples.pending.end() && it->second) {
      last_value_[c.name] = *it->second;
      alarm.Observe(now, *it->second > c.threshold);
    }
    for (const AlarmTransition& t : transitions) {
      boost::json::object inputs = AlarmJson(alarm);
      inputs["previous"] = AlarmStateName(t.from);
      inputs["state"] = AlarmStateName(t.to);
      std::string symbols;
      for (Datapoint d : t.window) {
        symbols += DatapointSymbol(d);
      }
      inputs["datapoints"] = symbols;
      if (c.source == config::AlarmConfig::Source::kHealthCheck && !samples.health.error.empty()) {
        inputs["health_source_error"] = samples.health.error;
      }
      spdlog::info("control: alarm {} {} -> {}: {}", c.name, AlarmStateName(t.from),
                   AlarmStateName(t.to), t.reason);
      Audit({t.period_end_micros,
             "alarm",
             "",
             std::move(inputs),
             fmt::format("{} -> {}: {}", AlarmStateName(t.from), AlarmStateName(t.to), t.reason),
             {}});
    }
  }
}

bool Controller::FollowLeadership(int64_t now) {
  const bool leading = deps_.coordinator->Leading();
  if (leading != leading_) {
    leading_ = leading;
    Audit({now,
           "leadership",
           "",
           {{"leader", deps_.coordinator->Leader()}},
           leading ? "this controller leads: it acts on events"
                   : "this controller does not lead: it only evaluates",
           {}});
  }
  if (!leading) {
    return false;
  }
  const uint64_t term = deps_.coordinator->term();
  if (term == term_) {
    return true;
  }
  auto text = deps_.coordinator->LoadState();
  if (!text.ok()) {
    spdlog::warn("control: cannot load the controller state: {}", text.status().message());
    return false;  // no decisions until the predecessor's state is known
  }
  auto loaded = ControllerState::FromJson(*text);
  if (!loaded.ok()) {
    spdlog::error("control: {}; starting from an empty state", loaded.status().message());
    loaded = ControllerState{};
  }
  state_ = std::move(loaded).value();
  term_ = term;
  pending_routes_.clear();
  // A predecessor may have died between its claim and its routing call.
  for (const auto& [primary, pair] : state_.pairs) {
    if (pair.phase == PairState::Phase::kFailedOver) {
      pending_routes_[primary] = RouteControl::kOut;
    }
  }
  Audit(
      {now,
       "leadership",
       "",
       {{"state", boost::json::parse(state_.ToJson())}},
       "loaded the announced states and failover phases (a new lead, or another leader moved them)",
       {}});
  return true;
}

boost::json::object Controller::AlarmJson(const AlarmEvaluator& alarm) const {
  const auto& c = alarm.config();
  boost::json::object o{{"name", c.name},
                        {"state", AlarmStateName(alarm.state())},
                        {"datapoints", alarm.WindowText()},
                        {"period_s", std::chrono::duration<double>(c.period).count()},
                        {"evaluation_periods", c.evaluation_periods},
                        {"datapoints_to_alarm", c.datapoints_to_alarm},
                        {"treat_missing_data", config::MissingDataName(c.missing)}};
  if (c.source == config::AlarmConfig::Source::kHealthCheck) {
    o["health_check"] = c.health_check;
  } else {
    o["metric"] = "replication_pending";
    o["node"] = c.node_url;
    o["threshold"] = c.threshold;
    if (auto it = last_value_.find(c.name); it != last_value_.end()) {
      o["value"] = it->second;
    }
  }
  return o;
}

Event Controller::MakeEvent(EventType type, const std::string& id, int64_t now,
                            std::string decision, boost::json::object inputs) const {
  Event e;
  e.type = type;
  e.id = id;
  e.at_micros = now;
  e.controller = config_.control.name;
  e.decision = std::move(decision);
  e.inputs = std::move(inputs);
  return e;
}

bool Controller::Claim(const Event& event, const ControllerState& next) {
  auto claimed = deps_.coordinator->ClaimEvent(event.id, EventJson(event), next.ToJson());
  if (!claimed.ok()) {
    spdlog::warn("control: cannot claim {}: {}", event.id, claimed.status().message());
    if (claimed.status().code() == Status::Code::kFailedPrecondition) {
      term_ = 0;  // lost the lead: reload when it comes back
    }
    return false;
  }
  if (*claimed == Coordinator::Claim::kAlreadyClaimed) {
    Audit({event.at_micros,
           "skipped",
           event.id,
           event.inputs,
           "already claimed by another leader: its actions are not run again",
           {}});
    term_ = 0;  // the state moved without us: reload it next poll
    return false;
  }
  return true;
}

void Controller::AnnounceAlarms(const Samples& samples, int64_t now) {
  for (const auto& alarm : alarms_) {
    const auto& c = alarm.config();
    const AlarmState st = alarm.state();
    if (st == AlarmState::kInsufficientData) {
      continue;  // announces nothing; the audit log has the transition
    }
    auto known = state_.alarms.find(c.name);
    if (known == state_.alarms.end() && st == AlarmState::kOk) {
      state_.alarms[c.name] = {AlarmState::kOk, 0};  // the starting point: nothing to say
      continue;
    }
    if (known != state_.alarms.end() && known->second.state == st) {
      continue;
    }
    const bool health = c.source == config::AlarmConfig::Source::kHealthCheck;
    const bool alarming = st == AlarmState::kAlarm;
    const EventType type =
        health ? (alarming ? EventType::kRegionUnhealthy : EventType::kRegionRecovered)
               : (alarming ? EventType::kReplicationLagHigh : EventType::kReplicationLagRecovered);
    ControllerState next = state_;
    auto& ann = next.alarms[c.name];
    ann.state = st;
    ++ann.events;
    boost::json::object inputs{{"alarm", AlarmJson(alarm)}};
    if (health) {
      boost::json::array sets;
      for (const auto& rec : config_.deployment.records) {
        for (const auto& a : rec.answers) {
          if (a.health_check == c.health_check) {
            sets.emplace_back(a.set);
          }
        }
      }
      inputs["sets"] = std::move(sets);
      if (auto it = samples.health.why.find(c.health_check); it != samples.health.why.end()) {
        inputs["why"] = it->second;
      }
    } else if (auto err = samples.pending_error.find(c.node_url);
               err != samples.pending_error.end()) {
      inputs["node_error"] = err->second;
    }
    const std::string decision =
        health ? fmt::format("health check {} is {}", c.health_check,
                             alarming ? "unhealthy (alarm ALARM)" : "healthy again (alarm OK)")
               : fmt::format("replication backlog of {} is {} {}", c.node_url,
                             alarming ? "above" : "back under", c.threshold);
    Event event = MakeEvent(type, EventId(type, c.name, ann.events), now, decision, inputs);
    if (!Claim(event, next)) {
      return;  // the state is reloaded (or the claim retried) next poll
    }
    state_ = std::move(next);
    const auto hooks = deps_.actions->Dispatch(event);
    boost::json::array names(hooks.begin(), hooks.end());
    spdlog::info("control: {}: {}", event.id, decision);
    Audit({now, EventTypeName(type), event.id, event.inputs, decision, std::move(names)});
  }
}

void Controller::StepPairs(const Samples& samples, int64_t now) {
  for (const auto& f : config_.failovers) {
    const AlarmEvaluator* primary = FindAlarm(f.primary_alarm);
    const AlarmEvaluator* secondary = FindAlarm(f.secondary_alarm);
    if (primary == nullptr || secondary == nullptr) {
      continue;  // the configuration's checks make this impossible
    }
    const NodeHealth node = samples.nodes.count(f.primary_node_url)
                                ? samples.nodes.at(f.primary_node_url)
                                : NodeHealth{};
    PairInputs in{now, primary->state(), secondary->state(), node.readiness};
    ControllerState next = state_;
    PairState& pair = next.pairs[f.primary];
    const PairState before = pair;
    const GateStep step = StepGate(in, f.hold_down, &pair);
    if (step.decision == GateDecision::kNone) {
      if (before.ready_since.has_value() != pair.ready_since.has_value() &&
          before.phase == PairState::Phase::kFailedOver) {
        Audit(
            {now,
             "failback_gate",
             "",
             {{"primary", f.primary},
              {"primary_alarm", AlarmJson(*primary)},
              {"primary_node", boost::json::object{{"url", f.primary_node_url},
                                                   {"readiness", NodeReadinessName(node.readiness)},
                                                   {"why", node.why}}}},
             pair.ready_since ? "hold-down starts" : step.reason,
             {}});
      }
      state_ = std::move(next);  // hold-down progress and episode resets stay local
      continue;
    }
    const EventType type = step.decision == GateDecision::kFailover   ? EventType::kFailover
                           : step.decision == GateDecision::kFailback ? EventType::kFailback
                                                                      : EventType::kFailoverAborted;
    boost::json::object inputs{
        {"primary", f.primary},
        {"secondary", f.secondary},
        {"primary_alarm", AlarmJson(*primary)},
        {"secondary_alarm", AlarmJson(*secondary)},
        {"primary_node", boost::json::object{{"url", f.primary_node_url},
                                             {"readiness", NodeReadinessName(node.readiness)},
                                             {"why", node.why}}},
        {"hold_down_s", std::chrono::duration<double>(f.hold_down).count()},
        {"phase", PhaseName(pair.phase)}};
    Event event = MakeEvent(type, EventId(type, f.primary, pair.events), now, step.reason, inputs);
    if (!Claim(event, next)) {
      return;
    }
    state_ = std::move(next);
    if (type != EventType::kFailoverAborted) {
      // Routing first: hooks learn whether it was made.
      Status routed = deps_.routing->SetControl(f.primary, step.primary_control);
      event.inputs["routing"] =
          boost::json::object{{"set", f.primary},
                              {"control", RouteControlName(step.primary_control)},
                              {"result", routed.ok() ? "applied" : routed.message()}};
      pending_routes_.erase(f.primary);
      if (!routed.ok()) {
        spdlog::warn("control: {}; retrying every poll", routed.message());
        pending_routes_[f.primary] = step.primary_control;
      }
    }
    const auto hooks = deps_.actions->Dispatch(event);
    boost::json::array names(hooks.begin(), hooks.end());
    spdlog::info("control: {}: {}", event.id, step.reason);
    Audit({now, EventTypeName(type), event.id, event.inputs, step.reason, std::move(names)});
  }
}

void Controller::ApplyPendingRoutes(int64_t now) {
  for (auto it = pending_routes_.begin(); it != pending_routes_.end();) {
    Status routed = deps_.routing->SetControl(it->first, it->second);
    if (!routed.ok()) {
      ++it;
      continue;
    }
    Audit({now,
           "routing",
           "",
           {{"set", it->first}, {"control", RouteControlName(it->second)}},
           "applied (a retry, or re-asserted by a new leader)",
           {}});
    it = pending_routes_.erase(it);
  }
}

}  // namespace tandem::control
