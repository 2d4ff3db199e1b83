// ControlService: one `tandem control` process, built from the deployment
// file — the pieces of control/ wired together for the command line:
//
//   sources      DnsStatusSource over the [[dns.server]] admin APIs (signed
//                with [cluster] secret_file), HttpNodeSource for the nodes
//   routing      DnsAdminActuator (POST /v1/route, by = [control] name)
//   coordinator  LocalCoordinator ([control] state_file), or
//                EtcdCoordinator when [control] etcd is set
//   actions      ActionRunner over the [[hook]]s
//   audit        AuditLog at [control] audit_log
//
// Thread-safety: Start/Stop from the owner; StatusJson from any thread.
#pragma once

#include <memory>
#include <string>

#include "common/clock.h"
#include "common/status.h"
#include "config/control_config.h"

namespace tandem::control {

struct ControlServiceOptions {
  std::string config_path;
  const Clock* clock = SystemClock::Default();
};

class ControlService {
 public:
  // Reads and checks everything (configuration, cluster secret, webhook
  // secrets, audit log, state file); nothing is started. InvalidArgument
  // "file:line: problem" for a bad file, IOError for an unreadable one.
  static StatusOr<std::unique_ptr<ControlService>> Create(ControlServiceOptions options);
  ~ControlService();

  // Starts the coordinator (campaigning when etcd is configured), the
  // hook runner and the poll loop.
  Status Start();
  // Stops polling, ends running hooks, gives up leadership.
  void Stop();
  std::string StatusJson() const;
  const config::ControlConfig& config() const;

 private:
  struct Impl;
  explicit ControlService(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tandem::control
