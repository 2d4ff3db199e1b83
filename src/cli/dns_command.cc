#include "cli/dns_command.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cstdio>
#include <ctime>
#include <iostream>

#include "cli/status_control.h"
#include "cli/status_regions.h"
#include "config/control_config.h"
#include "config/deployment.h"
#include "config/dns_config.h"
#include "config/toml_reader.h"
#include "control/http_transport.h"
#include "failover/controls.h"
#include "failover/service.h"
#include "replication/peer_auth.h"
#include "replication/peer_client.h"

namespace tandem::cli {
namespace {

constexpr auto kAdminTimeout = std::chrono::milliseconds(3000);
constexpr auto kNodeTimeout = std::chrono::milliseconds(1500);  // each node's /health, /metrics
constexpr size_t kAuditLines = 5;  // the controller's latest decisions shown

struct AdminTarget {
  std::string name;
  std::unique_ptr<replication::PeerClient> client;
};

// The signer for operator calls: "tandem-cli@<host>".
std::string CliIdentity() {
  char host[256] = {0};
  ::gethostname(host, sizeof(host) - 1);
  return std::string("tandem-cli@") + host;
}

StatusOr<std::vector<AdminTarget>> Targets(const config::DnsConfig& c) {
  std::vector<AdminTarget> out;
  for (const auto& s : c.servers) {
    TANDEM_ASSIGN_OR_RETURN(auto url, replication::PeerUrl::Parse("http://" + s.admin));
    out.push_back({s.name, std::make_unique<replication::PeerClient>(url, "")});
  }
  return out;
}

// What an operator command needs to call the servers' admin APIs.
struct Admin {
  std::unique_ptr<replication::PeerAuth> auth;
  std::vector<AdminTarget> targets;
};

StatusOr<Admin> OpenAdmin(const std::string& config_path) {
  TANDEM_ASSIGN_OR_RETURN(config::DnsConfig c, config::LoadDnsConfig(config_path));
  TANDEM_ASSIGN_OR_RETURN(std::string secret, replication::LoadSecretFile(c.secret_file));
  Admin admin;
  admin.auth =
      std::make_unique<replication::PeerAuth>(secret, CliIdentity(), SystemClock::Default());
  TANDEM_ASSIGN_OR_RETURN(admin.targets, Targets(c));
  return admin;
}

std::string Age(double seconds) {
  char buf[32];
  if (seconds < 120) {
    std::snprintf(buf, sizeof(buf), "%.1f s ago", seconds);
  } else {
    std::snprintf(buf, sizeof(buf), "%.0f min ago", seconds / 60);
  }
  return buf;
}

// "2026-11-26 06:30:00 UTC".
std::string UtcTime(int64_t micros) {
  const std::time_t seconds = static_cast<std::time_t>(micros / 1'000'000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &utc);
  return buf;
}

std::string Str(const boost::json::value* v) {
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

void PrintStatus(const std::vector<std::pair<std::string, std::string>>& reachability,
                 const boost::json::object& s) {
  std::printf("DNS servers\n");
  for (const auto& [name, state] : reachability)
    std::printf("  %-12s %s\n", name.c_str(), state.c_str());
  std::printf("\nHealth checks (as %s decides them)\n", Str(s.if_contains("server")).c_str());
  for (const auto& cv : s.at("checks").as_array()) {
    const auto& c = cv.as_object();
    const auto* healthy = c.if_contains("healthy");
    std::printf(
        "  %-14s %-16s %-28s %-9s %s\n", Str(c.if_contains("name")).c_str(),
        Str(c.if_contains("type")).c_str(), Str(c.if_contains("target")).c_str(),
        healthy && healthy->is_bool() ? (healthy->as_bool() ? "HEALTHY" : "UNHEALTHY") : "-",
        Str(c.if_contains("why")).c_str());
    for (const auto& ov : c.at("observations").as_array()) {
      const auto& o = ov.as_object();
      const double age = o.at("age_s").is_double() ? o.at("age_s").as_double() : 0;
      std::printf("      %-10s %-9s %-40s %s%s\n", Str(o.if_contains("server")).c_str(),
                  o.at("healthy").as_bool() ? "healthy" : "unhealthy",
                  Str(o.if_contains("reason")).c_str(), Age(age).c_str(),
                  o.at("fresh").as_bool() ? "" : " (stale)");
    }
  }
  std::printf("\nRecords\n");
  for (const auto& rv : s.at("records").as_array()) {
    const auto& r = rv.as_object();
    std::string serving;
    for (const auto& v : r.at("serving").as_array()) {
      serving += (serving.empty() ? "" : ", ") + Str(&v);
    }
    std::printf("  %s %s %s ttl %lld  ->  %s\n", Str(r.if_contains("name")).c_str(),
                Str(r.if_contains("type")).c_str(), Str(r.if_contains("routing")).c_str(),
                static_cast<long long>(r.at("ttl").to_number<int64_t>()),
                serving.empty() ? "(nothing)" : serving.c_str());
    for (const auto& av : r.at("answers").as_array()) {
      const auto& a = av.as_object();
      std::string extra = Str(a.if_contains("failover"));
      if (const auto* w = a.if_contains("weight"))
        extra = "weight " + std::to_string(w->to_number<int64_t>());
      std::printf(
          "      %-14s %-10s %-18s %-9s check %-14s control %s\n",
          Str(a.if_contains("set")).c_str(), extra.c_str(), Str(a.if_contains("value")).c_str(),
          a.at("healthy").as_bool() ? "healthy" : "unhealthy",
          Str(a.if_contains("health_check")).empty() ? "-"
                                                     : Str(a.if_contains("health_check")).c_str(),
          Str(a.if_contains("control")).c_str());
    }
  }
  std::printf("\nRouting controls\n");
  const auto& controls = s.at("controls").as_object();
  if (controls.empty()) std::printf("  (none: every answer set follows its health check)\n");
  for (const auto& [set, cv] : controls) {
    const auto& c = cv.as_object();
    const auto* at = c.if_contains("at");
    std::printf("  %-14s %-5s set by %s at %s\n", std::string(set).c_str(),
                Str(c.if_contains("control")).c_str(), Str(c.if_contains("by")).c_str(),
                at && at->is_int64() ? UtcTime(at->as_int64()).c_str() : "?");
  }
}

// The controller's section (status_control.h), when the file configures one
// or its audit log exists. It reads the log, not the dns servers, so it is
// shown also when none of them answers.
void PrintController(const std::string& config_path) {
  auto c = config::LoadControlConfig(config_path);
  if (!c.ok()) {
    // A file the dns servers accept may still be refused by the controller's
    // reader; that is news only when the file has sections for the controller.
    auto text = config::ReadConfigFile(config_path);
    if (text.ok() && MentionsController(*text)) {
      std::printf("\nController\n  its sections cannot be read: %s\n",
                  c.status().message().c_str());
    }
    return;
  }
  if (!HasController(*c)) return;
  std::printf("\n%s",
              FormatControllerView(ReadControllerView(*c, kAuditLines), config_path).c_str());
}

// The regions' section (status_regions.h), when the file has [[node]]s.
void PrintRegions(const std::string& config_path) {
  auto d = config::LoadDeployment(config_path);
  if (!d.ok() || d->nodes.empty()) return;
  auto transport = control::NewHttpTransport(d->cluster.ca_file);
  if (!transport.ok()) return;
  control::HttpNodeSource source(transport->get(), kNodeTimeout);
  std::printf("\n%s", FormatRegions(ReadRegions(*d, &source)).c_str());
}

}  // namespace

void AddDnsFlags(CLI::App* app, DnsFlags* flags) {
  app->add_option("--config", flags->config, "Deployment TOML file ([dns], [[health_check]], ...)")
      ->required();
  app->add_option("--server", flags->server,
                  "Which [[dns.server]] this process is (needed when there are several)");
}

int RunDns(const DnsFlags& flags) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  auto service = failover::DnsService::Create({flags.config, flags.server});
  if (!service.ok()) {
    std::fprintf(stderr, "tandem dns: %s\n", service.status().message().c_str());
    return 1;
  }
  Status started = (*service)->Start();
  if (!started.ok()) {
    std::fprintf(stderr, "tandem dns: %s\n", started.message().c_str());
    (*service)->Stop();
    return 1;
  }
  for (;;) {
    int sig = 0;
    sigwait(&signals, &sig);
    if (sig == SIGHUP) {
      spdlog::info("SIGHUP: reloading {}", flags.config);
      (void)(*service)->Reload();
      continue;
    }
    spdlog::info("received {}, stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    break;
  }
  (*service)->Stop();
  return 0;
}

void AddStatusFlags(CLI::App* app, StatusFlags* flags) {
  app->add_option("--config", flags->config, "Deployment TOML file")->required();
  app->add_flag("--json", flags->json, "Print each server's status as JSON");
}

int RunStatus(const StatusFlags& flags) {
  auto admin = OpenAdmin(flags.config);
  if (!admin.ok()) {
    std::fprintf(stderr, "tandem status: %s\n", admin.status().message().c_str());
    return 2;
  }
  replication::PeerAuth& auth = *admin->auth;
  std::vector<AdminTarget>* targets = &admin->targets;
  std::vector<std::pair<std::string, std::string>> reachability;
  std::optional<boost::json::object> first;
  boost::json::object all;
  for (auto& t : *targets) {
    auto response = t.client->Get("/v1/status", auth.Sign("GET", "/v1/status", ""), kAdminTimeout);
    boost::system::error_code ec;
    boost::json::value v;
    if (response.ok() && response->status == 200) v = boost::json::parse(response->body, ec);
    if (!response.ok() || response->status != 200 || ec || !v.is_object()) {
      reachability.emplace_back(
          t.name, "unreachable: " + (response.ok() ? "answered " + std::to_string(response->status)
                                                   : response.status().message()));
      continue;
    }
    std::string fresh;
    for (const auto& p : v.as_object().at("fresh_peers").as_array()) {
      fresh += (fresh.empty() ? "" : ", ") + Str(&p);
    }
    reachability.emplace_back(t.name,
                              "up; sees fresh observations from " +
                                  (fresh.empty() ? std::string("no other checker") : fresh));
    all[t.name] = v;
    if (!first) first = v.as_object();
  }
  if (flags.json) {
    std::printf("%s\n", boost::json::serialize(all).c_str());
    return first ? 0 : 1;
  }
  if (!first) {
    for (const auto& [name, state] : reachability)
      std::printf("%s: %s\n", name.c_str(), state.c_str());
    PrintRegions(flags.config);
    PrintController(flags.config);
    return 1;
  }
  PrintStatus(reachability, *first);
  PrintRegions(flags.config);
  PrintController(flags.config);
  return 0;
}

void AddRouteFlags(CLI::App* app, RouteFlags* flags) {
  app->add_option("action", flags->action, "out, in or auto")
      ->required()
      ->check(CLI::IsMember({"out", "in", "auto"}));
  app->add_option("set", flags->set, "The answer set (as in the records' answers)")->required();
  app->add_option("--config", flags->config, "Deployment TOML file")->required();
  app->add_flag("--force", flags->force,
                "Apply even when a record would be left with nothing to serve");
}

namespace {

// One server's answer to a route request.
struct RouteAnswer {
  enum class Kind { kOk, kRefused, kUnreachable } kind = Kind::kOk;
  std::string detail;  // the refusal or the connection error
};

RouteAnswer SendRoute(AdminTarget& t, replication::PeerAuth& auth, const RouteFlags& flags,
                      int64_t at, bool dry_run) {
  // Addressed to each server in turn: a signed request cannot be replayed
  // to another one. `at` is the command's time, the same for every server.
  boost::json::object o{{"set", flags.set},     {"control", flags.action},
                        {"force", flags.force}, {"by", CliIdentity()},
                        {"to", t.name},         {"at", at}};
  if (dry_run) {
    o["dry_run"] = true;
  }
  const std::string body = boost::json::serialize(o);
  auto response =
      t.client->Post("/v1/route", auth.Sign("POST", "/v1/route", body), body, kAdminTimeout);
  if (!response.ok()) {
    return {RouteAnswer::Kind::kUnreachable, response.status().message()};
  }
  if (response->status == 200) {
    return {};
  }
  boost::system::error_code ec;
  auto v = boost::json::parse(response->body, ec);
  std::string error = !ec && v.is_object() ? Str(v.as_object().if_contains("error")) : "";
  if (error.empty()) {
    error = "answered HTTP " + std::to_string(response->status);
  }
  return {RouteAnswer::Kind::kRefused, error};
}

void PrintRefusals(const std::vector<std::pair<std::string, std::string>>& refused) {
  std::string names;
  for (const auto& [name, why] : refused) {
    names += (names.empty() ? "" : ", ") + name;
  }
  std::printf("refused by %s\n", names.c_str());
}

}  // namespace

// Two rounds: every reachable server first checks the control (the safety
// rule, a newer control, a bad clock) without applying it; only when none
// refuses is it applied, so one server's refusal does not leave the control
// on the others (and through them, in the end, on it too).
int RunRoute(const RouteFlags& flags) {
  auto admin = OpenAdmin(flags.config);
  if (!admin.ok()) {
    std::fprintf(stderr, "tandem route: %s\n", admin.status().message().c_str());
    return 2;
  }
  replication::PeerAuth& auth = *admin->auth;
  const int64_t at = SystemClock::Default()->NowMicros();
  std::vector<AdminTarget*> willing;
  std::vector<std::pair<std::string, std::string>> refused;
  for (auto& t : admin->targets) {
    RouteAnswer a = SendRoute(t, auth, flags, at, /*dry_run=*/true);
    switch (a.kind) {
      case RouteAnswer::Kind::kOk:
        willing.push_back(&t);
        break;
      case RouteAnswer::Kind::kRefused:
        std::printf("%s: %s\n", t.name.c_str(), a.detail.c_str());
        refused.emplace_back(t.name, a.detail);
        break;
      case RouteAnswer::Kind::kUnreachable:
        std::printf("%s: unreachable (%s); it takes the control from the others when it is back\n",
                    t.name.c_str(), a.detail.c_str());
        break;
    }
  }
  if (!refused.empty()) {
    PrintRefusals(refused);
    std::printf("nothing was changed\n");
    return 1;
  }
  int applied = 0;
  for (AdminTarget* t : willing) {
    RouteAnswer a = SendRoute(*t, auth, flags, at, /*dry_run=*/false);
    switch (a.kind) {
      case RouteAnswer::Kind::kOk:
        std::printf("%s: %s is now %s\n", t->name.c_str(), flags.set.c_str(), flags.action.c_str());
        ++applied;
        break;
      case RouteAnswer::Kind::kRefused:
        // Something changed between the check and the change (a peer's
        // control arrived, a reload): say so, and fail.
        std::printf("%s: %s\n", t->name.c_str(), a.detail.c_str());
        refused.emplace_back(t->name, a.detail);
        break;
      case RouteAnswer::Kind::kUnreachable:
        std::printf("%s: unreachable (%s); it takes the control from the others when it is back\n",
                    t->name.c_str(), a.detail.c_str());
        break;
    }
  }
  if (!refused.empty()) {
    PrintRefusals(refused);
    if (applied > 0) {
      std::printf("applied on %d server(s); the others pass it on to the ones that refused\n",
                  applied);
    }
    return 1;
  }
  if (applied == 0) {
    std::printf("no server could be reached: nothing was changed\n");
    return 1;
  }
  return 0;
}

}  // namespace tandem::cli
