// Fakes of the controller's dependencies and a small deployment, shared by
// controller_test.cc and etcd_test.cc.
#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "control/controller.h"

namespace tandem::control::testing {

class FakeHealth : public HealthSource {
 public:
  HealthSnapshot Fetch() override {
    std::lock_guard<std::mutex> lock(mu);
    HealthSnapshot s;
    if (down) {
      s.error = "ns1: connection refused";
      return s;
    }
    s.server = "ns1";
    s.healthy = healthy;
    return s;
  }
  void Set(const std::string& check, bool value) {
    std::lock_guard<std::mutex> lock(mu);
    healthy[check] = value;
  }
  std::mutex mu;
  std::map<std::string, bool> healthy;
  bool down = false;
};

class FakeNodes : public NodeSource {
 public:
  NodeHealth Health(const std::string& url) override {
    std::lock_guard<std::mutex> lock(mu);
    auto it = readiness.find(url);
    return {it == readiness.end() ? NodeReadiness::kDown : it->second, "fake"};
  }
  StatusOr<double> Pending(const std::string& url) override {
    std::lock_guard<std::mutex> lock(mu);
    auto it = pending.find(url);
    if (it == pending.end()) {
      return Status::Unavailable("no metrics");
    }
    return it->second;
  }
  std::mutex mu;
  std::map<std::string, NodeReadiness> readiness;
  std::map<std::string, double> pending;
};

class FakeRouting : public RoutingActuator {
 public:
  Status SetControl(const std::string& set, RouteControl control) override {
    std::lock_guard<std::mutex> lock(mu);
    attempts.emplace_back(set, control);
    if (!result.ok()) {
      return result;
    }
    applied.emplace_back(set, control);
    return Status::OK();
  }
  std::mutex mu;
  Status result;
  std::vector<std::pair<std::string, RouteControl>> attempts, applied;
};

class FakeActions : public ActionSink {
 public:
  std::vector<std::string> Dispatch(const Event& event) override {
    std::lock_guard<std::mutex> lock(mu);
    events.push_back(event);
    return {"hook"};
  }
  std::vector<std::string> Ids() {
    std::lock_guard<std::mutex> lock(mu);
    std::vector<std::string> out;
    for (const auto& e : events) {
      out.push_back(e.id);
    }
    return out;
  }
  std::mutex mu;
  std::vector<Event> events;
};

// east (PRIMARY) and west (SECONDARY), each with its health check and
// alarm, east's node, and a replication backlog alarm on east's node.
inline config::ControlConfig TwoRegions() {
  config::ControlConfig c;
  c.control.name = "control-test";
  c.control.poll = std::chrono::seconds(1);
  for (const char* name : {"east", "west"}) {
    config::HealthCheckConfig h;
    h.name = name;
    h.ip = "127.0.0.1";
    h.interval = std::chrono::seconds(1);
    c.deployment.checks.push_back(h);
  }
  config::RecordConfig www;
  www.name = "www.shop.example.";
  www.type = "A";
  www.routing = config::Routing::kFailover;
  config::AnswerConfig east, west;
  east.set = "east";
  east.value = "127.0.0.1";
  east.failover = config::AnswerConfig::Failover::kPrimary;
  east.health_check = "east";
  west.set = "west";
  west.value = "127.0.0.2";
  west.failover = config::AnswerConfig::Failover::kSecondary;
  west.health_check = "west";
  www.answers = {east, west};
  c.deployment.records.push_back(www);
  auto alarm = [](const char* name, const char* check, int m, int n) {
    config::AlarmConfig a;
    a.name = name;
    a.health_check = check;
    a.period = std::chrono::seconds(10);
    a.datapoints_to_alarm = m;
    a.evaluation_periods = n;
    return a;
  };
  c.alarms.push_back(alarm("east-down", "east", 2, 3));
  c.alarms.push_back(alarm("west-down", "west", 1, 1));
  config::AlarmConfig lag;
  lag.name = "east-lag";
  lag.source = config::AlarmConfig::Source::kReplicationPending;
  lag.node_url = "http://east";
  lag.threshold = 100;
  lag.period = std::chrono::seconds(10);
  lag.missing = config::MissingData::kIgnore;
  c.alarms.push_back(lag);
  config::FailoverConfig f;
  f.primary = "east";
  f.secondary = "west";
  f.primary_alarm = "east-down";
  f.secondary_alarm = "west-down";
  f.primary_node_url = "http://east";
  f.hold_down = std::chrono::seconds(60);
  c.failovers.push_back(f);
  return c;
}

}  // namespace tandem::control::testing
