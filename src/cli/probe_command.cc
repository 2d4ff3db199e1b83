#include "cli/probe_command.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "probe/credentials.h"
#include "probe/duration.h"
#include "probe/service.h"
#include "probe/url.h"

namespace tandem::cli {

void AddProbeFlags(CLI::App* app, ProbeFlags* flags) {
  app->add_option("--listen", flags->listen,
                  "HOST:PORT to serve /health on, e.g. 0.0.0.0:8080 or [::1]:8080")
      ->required();
  app->add_option("--endpoint", flags->endpoint,
                  "URL of the DynamoDB API to check, e.g. http://127.0.0.1:8000")
      ->required();
  app->add_option("--table", flags->table, "The table to scan and write the canary item to")
      ->required();
  app->add_option("--app", flags->app, "URL of the application; any 2xx answer is healthy");
  app->add_option("--credentials", flags->credentials,
                  "AWS shared-credentials file (profile 'default', else the first); default: "
                  "$AWS_ACCESS_KEY_ID and $AWS_SECRET_ACCESS_KEY");
  app->add_option("--region", flags->region,
                  "Region requests are signed for (default $AWS_REGION, $AWS_DEFAULT_REGION, "
                  "us-east-1)");
  app->add_option("--timeout", flags->timeout,
                  "Time one whole check may take: seconds (2, 0.5, 2s) or 500ms (default 2s)");
  app->add_option("--ca", flags->ca_file,
                  "PEM CA certificates that verify https:// endpoints (default: the system's)");
  app->add_flag("--insecure", flags->insecure,
                "Do not verify https:// certificates (testing only)");
}

namespace {

std::string Hostname() {
  char host[256] = {0};
  if (::gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') {
    return "localhost";
  }
  return host;
}

std::string DefaultRegion() {
  for (const char* name : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
    const char* value = std::getenv(name);
    if (value != nullptr && *value != '\0') {
      return value;
    }
  }
  return "us-east-1";
}

// The configuration the flags describe, or the message to exit with.
StatusOr<probe::ProbeConfig> Resolve(const ProbeFlags& flags) {
  probe::ProbeConfig c;
  TANDEM_ASSIGN_OR_RETURN(c.listen, probe::ParseHostPort(flags.listen));
  auto endpoint = probe::ParseUrl(flags.endpoint);
  if (!endpoint.ok()) {
    return endpoint.status().WithPrefix("--endpoint: ");
  }
  c.endpoint = std::move(*endpoint);
  if (!flags.app.empty()) {
    auto app = probe::ParseUrl(flags.app);
    if (!app.ok()) {
      return app.status().WithPrefix("--app: ");
    }
    c.app = std::move(*app);
  }
  if (flags.table.empty()) {
    return Status::InvalidArgument("--table: the table name is empty");
  }
  c.table = flags.table;
  auto credentials = probe::LoadSigningCredentials(flags.credentials, std::getenv);
  if (!credentials.ok()) {
    return credentials.status().WithPrefix(flags.credentials.empty() ? "" : "--credentials: ");
  }
  c.credentials = std::move(*credentials);
  c.region = flags.region.empty() ? DefaultRegion() : flags.region;
  auto timeout = probe::ParseDuration(flags.timeout);
  if (!timeout.ok()) {
    return timeout.status().WithPrefix("--timeout: ");
  }
  c.timeout = *timeout;
  if (flags.insecure && !flags.ca_file.empty()) {
    return Status::InvalidArgument("--ca and --insecure contradict each other: give one");
  }
  c.tls = {flags.ca_file, flags.insecure};
  c.hostname = Hostname();
  return c;
}

}  // namespace

int RunProbe(const ProbeFlags& flags) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  auto config = Resolve(flags);
  if (!config.ok()) {
    std::fprintf(stderr, "tandem probe: %s\n", config.status().message().c_str());
    return 2;
  }
  auto service = probe::ProbeService::Start(*config);
  if (!service.ok()) {
    std::fprintf(stderr, "tandem probe: %s\n", service.status().message().c_str());
    return service.status().code() == Status::Code::kInvalidArgument ? 2 : 1;
  }
  const std::string& host = config->listen.host;
  spdlog::info("probe: serving /health on {}:{}; checking table {} at {}{}, timeout {}",
               host.find(':') != std::string::npos ? "[" + host + "]" : host, (*service)->port(),
               config->table, config->endpoint.text,
               config->app ? " and the app at " + config->app->text : "",
               probe::FormatDuration(config->timeout));
  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("received {}, stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
  (*service)->Stop();
  return 0;
}

}  // namespace tandem::cli
