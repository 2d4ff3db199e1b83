// `tandem probe`: serves GET /health for a load balancer or DNS health
// checker, answering from live checks of an app and of a DynamoDB table
// (probe/service.h; docs/PROBE.md).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace tandem::cli {

struct ProbeFlags {
  std::string listen;
  std::string endpoint;
  std::string table;
  std::string app;
  std::string credentials;
  std::string region;  // default: $AWS_REGION, $AWS_DEFAULT_REGION, us-east-1
  std::string timeout = "2s";
  std::string ca_file;
  bool insecure = false;
};

void AddProbeFlags(CLI::App* app, ProbeFlags* flags);

// Runs until SIGTERM/SIGINT. Exit 0 after a clean stop, 2 on invalid flags
// (bad URL, unreadable credentials or CA file), 1 when the listen address
// cannot be bound.
int RunProbe(const ProbeFlags& flags);

}  // namespace tandem::cli
