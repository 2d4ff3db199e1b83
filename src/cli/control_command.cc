#include "cli/control_command.h"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <cstdio>

#include "control/service.h"

namespace tandem::cli {

void AddControlFlags(CLI::App* app, ControlFlags* flags) {
  app->add_option("--config", flags->config,
                  "Deployment TOML file with [control], [[alarm]], [[failover]] and [[hook]]")
      ->required();
}

int RunControl(const ControlFlags& flags) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  auto service = control::ControlService::Create({.config_path = flags.config});
  if (!service.ok()) {
    std::fprintf(stderr, "tandem control: %s\n", service.status().message().c_str());
    return 1;
  }
  Status started = (*service)->Start();
  if (!started.ok()) {
    std::fprintf(stderr, "tandem control: %s\n", started.message().c_str());
    (*service)->Stop();
    return 1;
  }
  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("received {}, stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
  (*service)->Stop();
  return 0;
}

}  // namespace tandem::cli
