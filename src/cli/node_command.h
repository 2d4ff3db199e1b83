// `tandem node`: flags and the run loop of a regional data node.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace tandem::cli {

struct NodeFlags {
  std::string region;
  std::string listen = "127.0.0.1:8000";
  std::string data_dir;
  std::string credentials;
};

void AddNodeFlags(CLI::App* app, NodeFlags* flags);

// Runs until SIGTERM or SIGINT; returns the process exit code.
int RunNode(const NodeFlags& flags);

}  // namespace tandem::cli
