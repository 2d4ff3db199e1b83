// tandem: one binary, one subcommand per role (DESIGN.md, "The pieces").
#include <signal.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>

#include "cli/control_command.h"
#include "cli/dns_command.h"
#include "cli/drill_command.h"
#include "cli/node_command.h"
#include "cli/probe_command.h"
#include "cli/up_command.h"
#include "cli/verify_command.h"

int main(int argc, char** argv) {
  CLI::App app{"Tandem: self-hosted disaster recovery for DynamoDB applications"};
  app.require_subcommand(1);
  tandem::cli::NodeFlags node_flags;
  CLI::App* node = app.add_subcommand("node", "Run a regional data node (DynamoDB-compatible API)");
  tandem::cli::AddNodeFlags(node, &node_flags);
  tandem::cli::VerifyFlags verify_flags;
  CLI::App* verify = app.add_subcommand(
      "verify",
      "Compare a table across regions and name the keys that differ (exit 0 equal, 1 "
      "different, 2 not compared)");
  tandem::cli::AddVerifyFlags(verify, &verify_flags);
  tandem::cli::DnsFlags dns_flags;
  CLI::App* dns = app.add_subcommand(
      "dns", "Run an authoritative DNS server whose answers follow health checks");
  tandem::cli::AddDnsFlags(dns, &dns_flags);
  tandem::cli::StatusFlags status_flags;
  CLI::App* status = app.add_subcommand(
      "status", "Show health checks, every checker's observations, answers and routing controls");
  tandem::cli::AddStatusFlags(status, &status_flags);
  tandem::cli::RouteFlags route_flags;
  CLI::App* route = app.add_subcommand(
      "route", "Take an answer set out of every record, force it in, or hand it back (auto)");
  tandem::cli::AddRouteFlags(route, &route_flags);
  tandem::cli::ProbeFlags probe_flags;
  CLI::App* probe = app.add_subcommand(
      "probe", "Serve GET /health from live checks of an app and a DynamoDB table");
  tandem::cli::AddProbeFlags(probe, &probe_flags);
  tandem::cli::UpFlags up_flags;
  CLI::App* up = app.add_subcommand(
      "up", "Run the whole system on this machine: 2 or 3 regions, their probes and DNS servers");
  tandem::cli::AddUpFlags(up, &up_flags);
  tandem::cli::ControlFlags control_flags;
  CLI::App* control = app.add_subcommand(
      "control",
      "Alarms on health and replication lag, gated failover/failback, hooks (CloudWatch + Lambda)");
  tandem::cli::AddControlFlags(control, &control_flags);
  tandem::cli::DrillFlags drill_flags;
  CLI::App* drill = app.add_subcommand(
      "drill", "Disaster-recovery drills on a local topology: faults, measured RTO/RPO, a report");
  tandem::cli::AddDrillFlags(drill, &drill_flags);
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  CLI11_PARSE(app, argc, argv);
  spdlog::set_level(spdlog::level::from_str(log_level));
  if (node->parsed()) return tandem::cli::RunNode(node_flags);
  if (verify->parsed()) return tandem::cli::RunVerify(verify_flags);
  if (dns->parsed()) return tandem::cli::RunDns(dns_flags);
  if (status->parsed()) return tandem::cli::RunStatus(status_flags);
  if (route->parsed()) return tandem::cli::RunRoute(route_flags);
  if (probe->parsed()) return tandem::cli::RunProbe(probe_flags);
  if (up->parsed()) return tandem::cli::RunUp(up_flags);
  if (control->parsed()) return tandem::cli::RunControl(control_flags);
  if (drill->parsed()) return tandem::cli::RunDrill(drill_flags);
  return 1;
}
