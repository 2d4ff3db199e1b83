// `tandem verify`: compares one table across regions and names the keys that
// differ, without shipping the table (range digests, digest_sync.h).
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace tandem::cli {

struct VerifyFlags {
  std::string table;
  std::vector<std::string> endpoints;  // REGION=URL
  std::string config;                  // deployment TOML: secret, CA and (default) endpoints
  std::string cluster_secret;
  std::string ca_file;
  double timeout_s = 30;  // give up waiting for in-flight differences to settle
  double grace_s = 2;     // a difference newer than this may still be replicating
  bool json = false;
};

void AddVerifyFlags(CLI::App* app, VerifyFlags* flags);

// Exit codes: 0 the replicas are equal, 1 they differ, 2 they could not be
// compared (usage, unreachable endpoint, missing table).
int RunVerify(const VerifyFlags& flags);

}  // namespace tandem::cli
