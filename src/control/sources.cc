#include "control/sources.h"

#include <boost/json.hpp>
#include <charconv>
#include <cmath>

namespace tandem::control {
namespace {

constexpr std::string_view kStatusPath = "/v1/status";

std::string Str(const boost::json::value* v) {
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

}  // namespace

std::chrono::milliseconds StaleAfter(const config::HealthCheckConfig& check) {
  return 3 * check.interval + std::chrono::milliseconds(1000);
}

StatusOr<HealthSnapshot> ParseDnsStatus(std::string_view body,
                                        const std::map<std::string, double>& stale_after_s) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(body, ec);
  const boost::json::object* o = ec ? nullptr : v.if_object();
  const boost::json::value* checks = o != nullptr ? o->if_contains("checks") : nullptr;
  if (checks == nullptr || !checks->is_array()) {
    return Status::InvalidArgument("not a tandem dns status (no \"checks\" array)");
  }
  HealthSnapshot out;
  out.server = Str(o->if_contains("server"));
  for (const auto& cv : checks->as_array()) {
    const auto* c = cv.if_object();
    if (c == nullptr) {
      continue;
    }
    const std::string name = Str(c->if_contains("name"));
    const auto* healthy = c->if_contains("healthy");
    if (name.empty() || healthy == nullptr || !healthy->is_bool()) {
      continue;  // not decided (yet): no sample
    }
    if (auto limit = stale_after_s.find(name); limit != stale_after_s.end()) {
      bool fresh = false;
      const auto* observations = c->if_contains("observations");
      if (observations != nullptr && observations->is_array()) {
        for (const auto& ov : observations->as_array()) {
          const auto* obs = ov.if_object();
          if (obs == nullptr) {
            continue;
          }
          const auto* f = obs->if_contains("fresh");
          const auto* age = obs->if_contains("age_s");
          const bool marked = f != nullptr && f->is_bool() && f->as_bool();
          const bool young =
              age != nullptr && age->is_number() && age->to_number<double>() <= limit->second;
          fresh = fresh || (marked && young);
        }
      }
      if (!fresh) {
        continue;  // stale: a missing datapoint, not the last word of a dead checker
      }
    }
    out.healthy[name] = healthy->as_bool();
    out.why[name] = Str(c->if_contains("why"));
  }
  return out;
}

DnsStatusSource::DnsStatusSource(std::vector<config::DnsServerConfig> servers,
                                 std::vector<config::HealthCheckConfig> checks,
                                 std::shared_ptr<replication::PeerAuth> auth,
                                 HttpTransport* transport, std::chrono::milliseconds timeout)
    : servers_(std::move(servers)),
      auth_(std::move(auth)),
      transport_(transport),
      timeout_(timeout) {
  for (const auto& c : checks) {
    if (c.type != config::CheckType::kCalculated) {
      stale_after_s_[c.name] = std::chrono::duration<double>(StaleAfter(c)).count();
    }
  }
}

HealthSnapshot DnsStatusSource::Fetch() {
  HealthSnapshot none;
  if (servers_.empty()) {
    none.error = "no [[dns.server]] is configured";
    return none;
  }
  const size_t first = preferred_.load() % servers_.size();
  std::string errors;
  for (size_t i = 0; i < servers_.size(); ++i) {
    const size_t at = (first + i) % servers_.size();
    const auto& server = servers_[at];
    HttpCall call;
    call.method = "GET";
    call.url = "http://" + server.admin + std::string(kStatusPath);
    for (auto& h : auth_->Sign("GET", kStatusPath, "")) {
      call.headers.push_back(std::move(h));
    }
    call.timeout = timeout_;
    auto reply = transport_->Do(call);
    std::string problem;
    if (!reply.ok()) {
      problem = reply.status().message();
    } else if (reply->status != 200) {
      problem = "answered HTTP " + std::to_string(reply->status);
    } else {
      auto parsed = ParseDnsStatus(reply->body, stale_after_s_);
      if (parsed.ok()) {
        preferred_.store(at);
        parsed->server = server.name;
        return std::move(parsed).value();
      }
      problem = parsed.status().message();
    }
    errors += (errors.empty() ? "" : "; ") + server.name + ": " + problem;
  }
  none.error = errors;
  return none;
}

NodeHealth ParseNodeHealth(int http_status, std::string_view body) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(body, ec);
  const boost::json::object* o = ec ? nullptr : v.if_object();
  const std::string status = o != nullptr ? Str(o->if_contains("status")) : "";
  const std::string reason = o != nullptr ? Str(o->if_contains("reason")) : "";
  if (status == "catching_up") {
    return {NodeReadiness::kCatchingUp, "catching_up" + (reason.empty() ? "" : ": " + reason)};
  }
  if (http_status == 200 && status == "ok") {
    return {NodeReadiness::kReady, "ok"};
  }
  std::string why = "HTTP " + std::to_string(http_status);
  if (!status.empty()) {
    why += " " + status;
  }
  if (!reason.empty()) {
    why += ": " + reason;
  }
  return {NodeReadiness::kDown, why};
}

std::optional<double> ParsePendingGauge(std::string_view text) {
  constexpr std::string_view kName = "tandem_replication_pending";
  std::optional<double> worst;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (!line.starts_with(kName)) {
      continue;
    }
    std::string_view rest = line.substr(kName.size());
    if (!rest.empty() && rest.front() == '{') {
      const size_t close = rest.find('}');
      if (close == std::string_view::npos) {
        continue;
      }
      rest = rest.substr(close + 1);
    } else if (rest.empty() || rest.front() != ' ') {
      continue;  // another metric whose name starts the same way
    }
    while (!rest.empty() && rest.front() == ' ') {
      rest.remove_prefix(1);
    }
    rest = rest.substr(0, rest.find(' '));  // a timestamp may follow
    double value = 0;
    const auto [p, err] = std::from_chars(rest.data(), rest.data() + rest.size(), value);
    if (err != std::errc() || p != rest.data() + rest.size() || std::isnan(value)) {
      continue;
    }
    worst = worst ? std::max(*worst, value) : value;
  }
  return worst;
}

HttpNodeSource::HttpNodeSource(HttpTransport* transport, std::chrono::milliseconds timeout)
    : transport_(transport), timeout_(timeout) {}

NodeHealth HttpNodeSource::Health(const std::string& base_url) {
  HttpCall call;
  call.url = base_url + "/health";
  call.timeout = timeout_;
  auto reply = transport_->Do(call);
  if (!reply.ok()) {
    return {NodeReadiness::kDown, reply.status().message()};
  }
  return ParseNodeHealth(reply->status, reply->body);
}

StatusOr<double> HttpNodeSource::Pending(const std::string& base_url) {
  HttpCall call;
  call.url = base_url + "/metrics";
  call.timeout = timeout_;
  TANDEM_ASSIGN_OR_RETURN(HttpReply reply, transport_->Do(call));
  if (reply.status != 200) {
    return Status::Unavailable(base_url + "/metrics answered HTTP " + std::to_string(reply.status));
  }
  auto pending = ParsePendingGauge(reply.body);
  if (!pending) {
    return Status::Unavailable(base_url + "/metrics has no tandem_replication_pending (no peers?)");
  }
  return *pending;
}

}  // namespace tandem::control
