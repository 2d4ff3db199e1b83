#include "cli/dns_command.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cstdio>
#include <iostream>

#include "config/dns_config.h"
#include "failover/controls.h"
#include "failover/service.h"
#include "replication/peer_auth.h"
#include "replication/peer_client.h"

namespace tandem::cli {
namespace {

constexpr auto kAdminTimeout = std::chrono::milliseconds(3000);

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
    std::printf("  %-14s %-5s set by %s\n", std::string(set).c_str(),
                Str(c.if_contains("control")).c_str(), Str(c.if_contains("by")).c_str());
  }
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
    return 1;
  }
  PrintStatus(reachability, *first);
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

int RunRoute(const RouteFlags& flags) {
  auto admin = OpenAdmin(flags.config);
  if (!admin.ok()) {
    std::fprintf(stderr, "tandem route: %s\n", admin.status().message().c_str());
    return 2;
  }
  replication::PeerAuth& auth = *admin->auth;
  std::vector<AdminTarget>* targets = &admin->targets;
  int applied = 0, refused = 0;
  for (auto& t : *targets) {
    // Addressed to each server in turn: a signed request cannot be replayed
    // to another one.
    const std::string body = boost::json::serialize(boost::json::object{{"set", flags.set},
                                                                        {"control", flags.action},
                                                                        {"force", flags.force},
                                                                        {"by", CliIdentity()},
                                                                        {"to", t.name}});
    auto response =
        t.client->Post("/v1/route", auth.Sign("POST", "/v1/route", body), body, kAdminTimeout);
    if (!response.ok()) {
      std::printf("%s: unreachable (%s); it takes the control from the others when it is back\n",
                  t.name.c_str(), response.status().message().c_str());
      continue;
    }
    boost::system::error_code ec;
    auto v = boost::json::parse(response->body, ec);
    const std::string error =
        !ec && v.is_object() ? Str(v.as_object().if_contains("error")) : response->body;
    if (response->status == 200) {
      std::printf("%s: %s is now %s\n", t.name.c_str(), flags.set.c_str(), flags.action.c_str());
      ++applied;
    } else {
      std::printf("%s: %s\n", t.name.c_str(), error.c_str());
      if (response->status == 409 || response->status == 404 || response->status == 400) ++refused;
    }
  }
  if (refused > 0 && applied == 0) return 1;
  return applied > 0 ? 0 : 1;
}

}  // namespace tandem::cli
