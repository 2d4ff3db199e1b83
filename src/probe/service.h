// ProbeService: `tandem probe` assembled — the HealthServer answering
// /health, the Coalescer sharing checks among requests, the Checker and the
// network it checks over. Logs every change of health (report.h,
// DescribeChange).
//
// Thread-safety: Start and Stop from one thread; the service runs on its own
// threads in between.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "auth/sigv4.h"
#include "common/status.h"
#include "probe/http_client.h"
#include "probe/url.h"

namespace tandem::probe {

struct ProbeConfig {
  HostPort listen;
  Url endpoint;  // the DynamoDB API
  std::string table;
  std::optional<Url> app;
  auth::SigningCredentials credentials;
  std::string region = "us-east-1";
  std::chrono::milliseconds timeout{2000};
  TlsOptions tls;
  std::string hostname;  // names the canary item
};

class ProbeService {
 public:
  // Binds the listen address and starts serving. InvalidArgument when the TLS
  // options cannot be applied, Unavailable when the address cannot be bound.
  static StatusOr<std::unique_ptr<ProbeService>> Start(ProbeConfig config);
  ~ProbeService();

  // Stops serving, abandoning a check in progress. Idempotent.
  void Stop();
  uint16_t port() const;

 private:
  struct Impl;
  explicit ProbeService(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tandem::probe
