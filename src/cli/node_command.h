// `tandem node`: flags and the run loop of a regional data node.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tandem::cli {

struct NodeFlags {
  std::string config;  // deployment TOML; flags below override it
  std::string region;
  std::string listen;
  std::string data_dir;
  std::string credentials;
  std::vector<std::string> peers;  // REGION=URL
  std::string cluster_secret;
  std::string peer_ca;
  std::string tls_cert;  // with tls_key: serve HTTPS only
  std::string tls_key;
  // /health is 503 until peers' backlog here is below this; unset: the
  // deployment file's ready_lag, else 100.
  std::optional<uint64_t> ready_lag;
  // Seconds between anti-entropy comparisons with each peer; 0 turns it off.
  double anti_entropy_interval = 30;
};

void AddNodeFlags(CLI::App* app, NodeFlags* flags);

// Runs until SIGTERM or SIGINT; returns the process exit code.
int RunNode(const NodeFlags& flags);

}  // namespace tandem::cli
