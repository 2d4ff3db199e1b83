// Deployment: the one TOML file that describes a Tandem deployment; every
// process reads it and picks its own part (DESIGN.md, "Configuration").
//
// This file covers the sections the regional nodes use:
//
//   [cluster]
//   secret_file = "secret"            # shared secret for node-to-node traffic
//   ca_file = "ca.pem"                # optional: CA that signs peers' TLS certs
//
//   [[node]]
//   region = "us-east-1"
//   listen = "127.0.0.1:8000"         # where this node serves
//   url = "http://127.0.0.1:8000"     # how peers reach it (default: http://listen)
//   data_dir = "data/us-east-1"
//   credentials = "creds"             # optional, AWS shared-credentials file
//   tls_cert = "node.pem"             # optional: serve HTTPS only, with this
//   tls_key = "node.key"              #   PEM certificate chain and key
//   ready_lag = 100                   # optional: /health is 503 after a start
//                                     #   until peers' backlog here is below it
//
// Relative paths are resolved against the file's directory. Errors name
// file:line and the problem; an invalid file is rejected whole. Sections of
// other components (dns, health_check, record, control) are left to them.
// Plain values; thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace tandem::config {

struct ClusterConfig {
  std::string secret_file;  // absolute, or empty when not configured
  std::string ca_file;
};

struct NodeConfig {
  std::string region;
  std::string listen;
  std::string url;
  std::string data_dir;
  std::string credentials;
  std::string tls_cert;  // both or neither
  std::string tls_key;
  std::optional<uint64_t> ready_lag;  // >= 1 when set
};

struct Deployment {
  std::string path;
  ClusterConfig cluster;
  std::vector<NodeConfig> nodes;

  const NodeConfig* FindNode(std::string_view region) const;
};

// Parses `text` as the contents of `path` (used for messages and relative
// paths). InvalidArgument "path:line: problem" on any error.
StatusOr<Deployment> ParseDeployment(std::string_view text, const std::string& path);
// Reads and parses the file at `path`.
StatusOr<Deployment> LoadDeployment(const std::string& path);

}  // namespace tandem::config
