// DnsService: the admin API (see service.h).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <charconv>
#include <ctime>

#include "failover/service_impl.h"

namespace tandem::failover {
namespace {

AdminReply Error(int status, const std::string& message) {
  return {status, boost::json::serialize(boost::json::object{{"error", message}})};
}

std::string Target(const config::HealthCheckConfig& h) {
  if (h.type == config::CheckType::kCalculated) return "";
  std::string host = h.ip.find(':') != std::string::npos ? "[" + h.ip + "]" : h.ip;
  std::string out = host + ":" + std::to_string(h.port);
  if (h.type != config::CheckType::kTcp) out += h.path;
  return out;
}

const char* FailoverName(config::AnswerConfig::Failover f) {
  switch (f) {
    case config::AnswerConfig::Failover::kPrimary:
      return "PRIMARY";
    case config::AnswerConfig::Failover::kSecondary:
      return "SECONDARY";
    case config::AnswerConfig::Failover::kNone:
      break;
  }
  return "";
}

// "2026-11-26T06:30:00.123456Z".
std::string FormatMicros(int64_t micros) {
  const std::time_t seconds = static_cast<std::time_t>(micros / 1'000'000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &utc);
  return fmt::format("{}.{:06d}Z", buf, micros % 1'000'000);
}

// The control's time: the operator's, as the request carries it: "at", set
// once by `tandem route` for every server, or else the signed X-Tandem-Date.
// The signature covers both.
StatusOr<int64_t> ControlTime(const boost::json::object& o, std::span<const auth::Header> headers) {
  if (const auto* at = o.if_contains("at"); at != nullptr) {
    if (!at->is_int64() || at->as_int64() <= 0) {
      return Status::InvalidArgument("\"at\" must be microseconds since the epoch");
    }
    return at->as_int64();
  }
  const auto date = auth::FindHeader(headers, "x-tandem-date");
  int64_t date_ms = 0;
  const char* end = date ? date->data() + date->size() : nullptr;
  if (!date || std::from_chars(date->data(), end, date_ms).ptr != end || date_ms <= 0) {
    return Status::InvalidArgument("the request carries no valid X-Tandem-Date");
  }
  return date_ms * 1000;
}

}  // namespace

AdminReply DnsService::Impl::HandleAdmin(const AdminRequest& r) {
  const std::string_view path = r.target.substr(0, r.target.find('?'));
  if (r.method == "GET" && path == "/metrics") return Metrics();
  // Everything else changes or reveals state: signed callers only.
  auto who = auth->Verify(r.method, path, r.headers, r.body);
  if (!who.ok()) {
    spdlog::warn("admin API: refused {} {}: {}", r.method, path, who.status().message());
    return Error(403, who.status().message());
  }
  AdminReply reply = HandleSigned(*who, r, path);
  reply.trusted = true;
  return reply;
}

AdminReply DnsService::Impl::HandleSigned(const std::string& who, const AdminRequest& r,
                                          std::string_view path) {
  if (r.method == "POST" && path == kObservationsPath) {
    bool known = false;
    {
      std::lock_guard<std::mutex> lock(mu);
      for (const auto& p : peers) known = known || p->server.name == who;
    }
    if (!known) {
      return Error(403, "'" + who + "' is not another [[dns.server]] of this deployment");
    }
    if (!AddressedHere(r.body)) {
      return Error(403, "this push is addressed to another server");
    }
    Absorb(who, r.body);
    return {200, R"({"ok":true})"};
  }
  if (r.method == "GET" && path == kStatusPath) return StatusReply();
  if (r.method == "POST" && path == kRoutePath) return Route(who, r);
  return Error(404, "no such admin call: " + std::string(r.method) + " " + std::string(path));
}

AdminReply DnsService::Impl::StatusReply() const {
  std::lock_guard<std::mutex> lock(mu);
  const config::DnsConfig& c = *loaded.config;
  const int64_t now = clock->NowMicros();
  const auto steady_now = std::chrono::steady_clock::now();
  // Every checker's latest observation, ours first.
  std::vector<std::pair<CheckerView, double>> views;  // view, age of the report (s)
  CheckerView own;
  own.server = self_name;
  own.self = true;
  for (const auto& s : checker->States()) {
    own.checks[s.name] = Observation{s.healthy, s.last.at_micros, s.last.reason};
  }
  views.emplace_back(std::move(own), 0.0);
  for (const auto& p : peers) {
    if (p->view) {
      views.emplace_back(*p->view, std::chrono::duration<double>(steady_now - p->received).count());
    }
  }
  boost::json::array checks;
  for (const auto& h : c.checks) {
    boost::json::object o{
        {"name", h.name}, {"type", config::CheckTypeName(h.type)}, {"target", Target(h)}};
    if (auto it = decision.health.find(h.name); it != decision.health.end()) {
      o["healthy"] = it->second.healthy;
      o["why"] = it->second.why;
    }
    boost::json::array observations;
    for (const auto& [view, age] : views) {
      auto it = view.checks.find(h.name);
      if (it == view.checks.end()) continue;
      const bool fresh = view.self || age <= std::chrono::duration<double>(stale_after()).count();
      observations.push_back(
          boost::json::object{{"server", view.server},
                              {"healthy", it->second.healthy},
                              {"reason", it->second.reason},
                              {"at", it->second.at_micros},
                              {"age_s", static_cast<double>(now - it->second.at_micros) / 1e6},
                              {"fresh", fresh}});
    }
    o["observations"] = std::move(observations);
    checks.push_back(std::move(o));
  }
  const Controls current = controls->Current();
  boost::json::array records;
  for (size_t i = 0; i < c.records.size(); ++i) {
    const config::RecordConfig& rec = c.records[i];
    boost::json::array serving, answers;
    if (i < decision.choices.size()) {
      for (size_t a : decision.choices[i].answers)
        serving.push_back(boost::json::value(rec.answers[a].value));
    }
    for (const auto& a : rec.answers) {
      auto it = current.find(a.set);
      boost::json::object ans{
          {"set", a.set},
          {"value", a.value},
          {"health_check", a.health_check},
          {"healthy", AnswerHealthy(a, decision.health, current)},
          {"control", ControlName(it == current.end() ? Control::kAuto : it->second)}};
      if (a.failover != config::AnswerConfig::Failover::kNone)
        ans["failover"] = FailoverName(a.failover);
      if (a.weight >= 0) ans["weight"] = a.weight;
      answers.push_back(std::move(ans));
    }
    records.push_back(boost::json::object{{"name", rec.name},
                                          {"type", rec.type},
                                          {"ttl", rec.ttl},
                                          {"routing", config::RoutingName(rec.routing)},
                                          {"serving", std::move(serving)},
                                          {"answers", std::move(answers)}});
  }
  boost::json::array fresh;
  for (const auto& p : decision.fresh_peers) fresh.push_back(boost::json::value(p));
  boost::system::error_code ec;
  boost::json::object out{
      {"server", loaded.self->name},
      {"now", now},
      {"fresh_peers", std::move(fresh)},
      {"checks", std::move(checks)},
      {"records", std::move(records)},
      {"controls", boost::json::parse(ControlsToJson(controls->Entries()), ec)}};
  return {200, boost::json::serialize(out)};
}

bool DnsService::Impl::AddressedHere(std::string_view body) const {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(body, ec);
  const auto* o = ec ? nullptr : v.if_object();
  const auto* to = o ? o->if_contains("to") : nullptr;
  return to != nullptr && to->is_string() && to->as_string() == self_name;
}

AdminReply DnsService::Impl::Route(const std::string& who, const AdminRequest& request) {
  if (!AddressedHere(request.body)) {
    return Error(403, "this request is addressed to another server");
  }
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(request.body, ec);
  const auto* o = ec ? nullptr : v.if_object();
  const auto* set = o ? o->if_contains("set") : nullptr;
  const auto* control_text = o ? o->if_contains("control") : nullptr;
  if (set == nullptr || !set->is_string() || control_text == nullptr ||
      !control_text->is_string()) {
    return Error(400, "expected {\"set\": ..., \"control\": \"out|in|auto\"}");
  }
  auto control = ParseControl(control_text->as_string());
  if (!control.ok()) {
    return Error(400, control.status().message());
  }
  const auto* force = o->if_contains("force");
  const bool forced = force != nullptr && force->is_bool() && force->as_bool();
  const auto* dry_run_value = o->if_contains("dry_run");
  const bool dry_run =
      dry_run_value != nullptr && dry_run_value->is_bool() && dry_run_value->as_bool();
  const auto* by_value = o->if_contains("by");
  const std::string by =
      by_value && by_value->is_string() ? std::string(by_value->as_string()) : who;
  auto at = ControlTime(*o, request.headers);
  if (!at.ok()) {
    return Error(400, at.status().message());
  }
  const int64_t now = clock->NowMicros();
  const int64_t skew = std::chrono::microseconds(kMaxControlSkew).count();
  if (*at > now + skew) {
    return Error(400, fmt::format("refused: the control is dated {} ({:.1f} s ahead of {}'s clock; "
                                  "at most {} s is allowed): check the clock where tandem route "
                                  "runs",
                                  FormatMicros(*at), static_cast<double>(*at - now) / 1e6,
                                  self_name, kMaxControlSkew.count()));
  }
  const std::string name(set->as_string());
  const ControlEntry entry{*control, *at, by};
  ControlStore::Outcome outcome;
  {
    // The safety rule is checked against the controls as they are at the
    // moment of the change: ControlStore runs it under its own lock, so a
    // peer's controls merged meanwhile are either seen or come after.
    std::lock_guard<std::mutex> lock(mu);
    const auto& records = loaded.config->records;
    bool exists = false;
    for (const auto& rec : records) {
      for (const auto& a : rec.answers) {
        exists = exists || a.set == name;
      }
    }
    if (!exists) {
      return Error(404, "no [[record]] has an answer set '" + name + "'");
    }
    auto safety = [&](const Controls& proposed) -> Status {
      const auto empty = RecordsLeftEmpty(records, proposed);
      if (empty.empty() || forced) {
        return Status::OK();
      }
      std::string list;
      for (const auto& r : empty) {
        list += (list.empty() ? "" : ", ") + r;
      }
      return Status::FailedPrecondition("refused: " + list + " would have nothing to serve with '" +
                                        name + "' " + ControlName(*control) +
                                        " (use --force to do it anyway)");
    };
    auto done = dry_run ? controls->Check(name, entry, safety) : controls->Set(name, entry, safety);
    if (!done.ok()) {
      return Error(done.status().code() == Status::Code::kFailedPrecondition ? 409 : 500,
                   done.status().message());
    }
    outcome = *done;
    if (outcome == ControlStore::Outcome::kSuperseded) {
      const ControlEntry newer = controls->Entries().at(name);
      return Error(409, fmt::format("refused: a newer control for '{}' is in place ({}, set at {} "
                                    "by {}; this one is dated {})",
                                    name, ControlName(newer.control), FormatMicros(newer.at_micros),
                                    newer.by, FormatMicros(*at)));
    }
    if (outcome == ControlStore::Outcome::kApplied && !dry_run) {
      spdlog::warn("routing control: {} {} (by {} at {}{})", name, ControlName(*control), by,
                   FormatMicros(*at), forced ? ", forced" : "");
      RecomputeLocked();
      ++push_generation;
    }
  }
  if (outcome == ControlStore::Outcome::kApplied && !dry_run) {
    cv.notify_all();
  }
  return {200, boost::json::serialize(boost::json::object{
                   {"set", name},
                   {"control", ControlName(*control)},
                   {"server", self_name},
                   {"at", *at},
                   {"outcome", dry_run                                      ? "allowed"
                               : outcome == ControlStore::Outcome::kApplied ? "applied"
                                                                            : "unchanged"}})};
}

AdminReply DnsService::Impl::Metrics() const {
  std::string out = dns ? dns->RenderMetrics() : "";
  out += checker->RenderMetrics();
  out += "# HELP tandem_dns_answer_changes_total Times a record's answers changed.\n";
  out += "# TYPE tandem_dns_answer_changes_total counter\n";
  out += "tandem_dns_answer_changes_total " + std::to_string(answer_changes.load()) + "\n";
  std::lock_guard<std::mutex> lock(mu);
  out +=
      "# HELP tandem_dns_checkers_fresh Checkers whose observations count (this one included).\n";
  out += "# TYPE tandem_dns_checkers_fresh gauge\n";
  out += "tandem_dns_checkers_fresh " + std::to_string(decision.fresh_peers.size() + 1) + "\n";
  out += "# HELP tandem_dns_check_agreed_healthy The health this server acts on.\n";
  out += "# TYPE tandem_dns_check_agreed_healthy gauge\n";
  for (const auto& [name, a] : decision.health) {
    out += "tandem_dns_check_agreed_healthy{check=\"" + health::PrometheusLabelValue(name) +
           "\"} " + (a.healthy ? "1" : "0") + "\n";
  }
  AdminReply r;
  r.body = std::move(out);
  r.content_type = "text/plain; version=0.0.4";
  return r;
}

}  // namespace tandem::failover
