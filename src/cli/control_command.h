// `tandem control --config FILE`: the CloudWatch alarm + Lambda of the seed,
// self-hosted (docs/CONTROL.md). Alarms on the `tandem dns` checkers' agreed
// health and on replication lag, failover and gated failback through routing
// controls, hooks and signed webhooks, an audit log; leader election through
// etcd when the file names endpoints.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace tandem::cli {

struct ControlFlags {
  std::string config;
};

void AddControlFlags(CLI::App* app, ControlFlags* flags);
// Runs until SIGTERM/SIGINT. Exit 0 after a clean stop, 1 when the file or a
// file it names cannot be used (the message says which and why).
int RunControl(const ControlFlags& flags);

}  // namespace tandem::cli
