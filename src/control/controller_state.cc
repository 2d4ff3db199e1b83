// Controller: the state handed between leaders, and the status JSON.
#include <boost/json.hpp>

#include "control/controller.h"

namespace tandem::control {

std::string ControllerState::ToJson() const {
  boost::json::object a, p;
  for (const auto& [name, ann] : alarms) {
    a[name] = boost::json::object{{"state", AlarmStateName(ann.state)}, {"events", ann.events}};
  }
  for (const auto& [primary, pair] : pairs) {
    p[primary] = boost::json::object{
        {"phase", PhaseName(pair.phase)}, {"events", pair.events}, {"aborted", pair.aborted}};
  }
  return boost::json::serialize(boost::json::object{{"alarms", a}, {"pairs", p}});
}

StatusOr<ControllerState> ControllerState::FromJson(std::string_view text) {
  ControllerState out;
  if (text.empty()) {
    return out;
  }
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  const auto* o = ec ? nullptr : v.if_object();
  if (o == nullptr) {
    return Status::InvalidArgument("controller state is not a JSON object");
  }
  auto count = [](const boost::json::object& e) -> uint64_t {
    const auto* n = e.if_contains("events");
    return n != nullptr && n->is_number() ? n->to_number<uint64_t>() : 0;
  };
  if (const auto* a = o->if_contains("alarms"); a != nullptr && a->is_object()) {
    for (const auto& [name, ev] : a->as_object()) {
      const auto* e = ev.if_object();
      const auto* s = e != nullptr ? e->if_contains("state") : nullptr;
      Announced ann;
      if (s == nullptr || !s->is_string() || !ParseAlarmState(s->as_string(), &ann.state)) {
        return Status::InvalidArgument("controller state: bad alarm entry " + std::string(name));
      }
      ann.events = count(*e);
      out.alarms[std::string(name)] = ann;
    }
  }
  if (const auto* p = o->if_contains("pairs"); p != nullptr && p->is_object()) {
    for (const auto& [primary, pv] : p->as_object()) {
      const auto* e = pv.if_object();
      const auto* phase = e != nullptr ? e->if_contains("phase") : nullptr;
      if (phase == nullptr || !phase->is_string()) {
        return Status::InvalidArgument("controller state: bad pair entry " + std::string(primary));
      }
      PairState s;
      s.phase = phase->as_string() == "failed_over" ? PairState::Phase::kFailedOver
                                                    : PairState::Phase::kNormal;
      s.events = count(*e);
      const auto* aborted = e->if_contains("aborted");
      s.aborted = aborted != nullptr && aborted->is_bool() && aborted->as_bool();
      out.pairs[std::string(primary)] = s;
    }
  }
  return out;
}

std::string Controller::StatusJson() const {
  std::lock_guard<std::mutex> lock(mu_);
  boost::json::array alarms, failovers;
  for (const auto& a : alarms_) {
    boost::json::object o = AlarmJson(a);
    if (auto it = state_.alarms.find(a.name()); it != state_.alarms.end()) {
      o["announced"] = AlarmStateName(it->second.state);
    }
    alarms.push_back(std::move(o));
  }
  const int64_t now = deps_.clock->NowMicros();
  for (const auto& f : config_.failovers) {
    const PairState s = state_.pairs.count(f.primary) ? state_.pairs.at(f.primary) : PairState{};
    boost::json::object o{{"primary", f.primary},
                          {"secondary", f.secondary},
                          {"phase", PhaseName(s.phase)},
                          {"events", s.events}};
    if (s.ready_since) {
      o["ready_for_s"] = static_cast<double>(now - *s.ready_since) / 1e6;
      o["hold_down_s"] = std::chrono::duration<double>(f.hold_down).count();
    }
    if (auto it = pending_routes_.find(f.primary); it != pending_routes_.end()) {
      o["pending_route"] = RouteControlName(it->second);
    }
    failovers.push_back(std::move(o));
  }
  return boost::json::serialize(boost::json::object{{"controller", config_.control.name},
                                                    {"leading", leading_},
                                                    {"leader", deps_.coordinator->Leader()},
                                                    {"alarms", std::move(alarms)},
                                                    {"failovers", std::move(failovers)}});
}

}  // namespace tandem::control
