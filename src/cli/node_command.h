// `tandem node`: flags and the run loop of a regional data node.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace tandem::cli {

struct NodeFlags {
  std::string config;          // deployment TOML; flags below override it
  std::string region;
  std::string listen;
  std::string data_dir;
  std::string credentials;
  std::vector<std::string> peers;  // REGION=URL
  std::string cluster_secret;
  std::string peer_ca;
  uint64_t ready_lag = 100;  // /health is 503 until peers' backlog here is below this
};

void AddNodeFlags(CLI::App* app, NodeFlags* flags);

// Runs until SIGTERM or SIGINT; returns the process exit code.
int RunNode(const NodeFlags& flags);

}  // namespace tandem::cli
