// `tandem dns`, `tandem status` and `tandem route`: the failover DNS server
// and the operator's view and controls of it (failover/service.h).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace tandem::cli {

struct DnsFlags {
  std::string config;
  std::string server;
};
void AddDnsFlags(CLI::App* app, DnsFlags* flags);
// Runs until SIGTERM/SIGINT; SIGHUP reloads. Exit 0 after a clean stop, 1
// when the configuration is invalid or a socket cannot be bound.
int RunDns(const DnsFlags& flags);

struct StatusFlags {
  std::string config;
  bool json = false;
};
void AddStatusFlags(CLI::App* app, StatusFlags* flags);
// Prints health checks with every checker's observation, each record's
// current answer and the routing controls; then, when the file configures
// `tandem control` (or its audit log exists), each failover pair's phase,
// each alarm's state and the latest lines of its audit log
// (status_control.h). Exit 1 when no server answers. --json prints the
// servers' status only.
int RunStatus(const StatusFlags& flags);

struct RouteFlags {
  std::string action;  // out | in | auto
  std::string set;
  std::string config;
  bool force = false;
};
void AddRouteFlags(CLI::App* app, RouteFlags* flags);
// Sets a routing control, dated now, on every reachable [[dns.server]]
// (they also pass it on to each other). Every reachable server checks it
// first; if any refuses (safety rule, unknown set, a newer control, a clock
// too far behind), it is applied nowhere. Exit 0 when every reachable server
// applied it, 1 when any refused (naming which and why) or none could be
// reached, 2 on usage errors.
int RunRoute(const RouteFlags& flags);

}  // namespace tandem::cli
