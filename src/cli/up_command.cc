#include "cli/up_command.h"

#include <unistd.h>

#include <filesystem>

#include "up/up.h"

namespace tandem::cli {
namespace {

// The binary's own path, for the commands printed to the user.
std::string SelfPath() {
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string("tandem");
}

}  // namespace

void AddUpFlags(CLI::App* app, UpFlags* flags) {
  app->add_option("--regions", flags->regions,
                  "How many regions: 2 (us-east-1, eu-west-1) or 3 (and ap-southeast-1)")
      ->check(CLI::Range(2, 3));
  app->add_option("--dir", flags->dir,
                  "Directory for the configuration, secret, credentials, logs and data "
                  "(default ./tandem-up; reused by the next start)");
  app->add_option("--start-timeout", flags->start_timeout,
                  "Seconds every process has to become ready (default 60)")
      ->check(CLI::Range(1.0, 3600.0));
}

int RunUp(const UpFlags& flags) {
  up::UpOptions options;
  options.topology.dir = std::filesystem::absolute(flags.dir).lexically_normal().string();
  if (options.topology.dir.size() > 1 && options.topology.dir.back() == '/') {
    options.topology.dir.pop_back();
  }
  options.topology.regions = up::LoopbackRegions(flags.regions);
  options.program = "/proc/self/exe";
  options.display_program = SelfPath();
  options.start_timeout =
      std::chrono::milliseconds(static_cast<int64_t>(flags.start_timeout * 1000));
  return up::RunUp(options);
}

}  // namespace tandem::cli
