// `tandem up`: the whole system on one machine — region nodes, their
// probes and DNS servers — started, watched and stopped together
// (up/up.h; docs/UP.md).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace tandem::cli {

struct UpFlags {
  int regions = 2;
  std::string dir = "tandem-up";
  double start_timeout = 60;  // seconds
};

void AddUpFlags(CLI::App* app, UpFlags* flags);

// Runs until SIGINT, SIGTERM or SIGHUP. Exit 0 after a clean stop, 1 when
// the start failed (a port in use, a process that exited or was not ready in
// time), 2 when DIR cannot be used (another `tandem up` holds it, ...).
int RunUp(const UpFlags& flags);

}  // namespace tandem::cli
