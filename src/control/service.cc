#include "control/service.h"

#include <spdlog/spdlog.h>

#include "control/actions.h"
#include "control/audit_log.h"
#include "control/controller.h"
#include "control/coordinator.h"
#include "control/etcd_coordinator.h"
#include "control/http_transport.h"
#include "control/routing_actuator.h"
#include "control/sources.h"
#include "replication/peer_auth.h"

namespace tandem::control {

struct ControlService::Impl {
  config::ControlConfig config;
  std::unique_ptr<HttpTransport> transport;
  std::unique_ptr<DnsStatusSource> health;
  std::unique_ptr<HttpNodeSource> nodes;
  std::unique_ptr<DnsAdminActuator> routing;
  std::unique_ptr<AuditLog> audit;
  std::unique_ptr<ActionRunner> actions;
  std::unique_ptr<Coordinator> coordinator;
  std::unique_ptr<Controller> controller;
  bool started = false;
};

StatusOr<std::unique_ptr<ControlService>> ControlService::Create(ControlServiceOptions options) {
  auto impl = std::make_unique<Impl>();
  TANDEM_ASSIGN_OR_RETURN(impl->config, config::LoadControlConfig(options.config_path));
  const config::ControlConfig& c = impl->config;
  if (c.deployment.secret_file.empty()) {
    return Status::InvalidArgument(c.deployment.path +
                                   ": [cluster] secret_file is needed to call the tandem dns "
                                   "admin APIs");
  }
  TANDEM_ASSIGN_OR_RETURN(std::string secret,
                          replication::LoadSecretFile(c.deployment.secret_file));
  auto auth = std::make_shared<replication::PeerAuth>(secret, c.control.name, options.clock);
  TANDEM_ASSIGN_OR_RETURN(impl->transport, NewHttpTransport(c.ca_file));
  const auto timeout = c.control.request_timeout;
  impl->health = std::make_unique<DnsStatusSource>(c.deployment.servers, c.deployment.checks, auth,
                                                   impl->transport.get(), timeout);
  impl->nodes = std::make_unique<HttpNodeSource>(impl->transport.get(), timeout);
  impl->routing = std::make_unique<DnsAdminActuator>(
      c.deployment.servers, auth, impl->transport.get(), timeout, c.control.name, options.clock);
  TANDEM_ASSIGN_OR_RETURN(impl->audit,
                          AuditLog::Open(c.control.audit_log, c.control.name, options.clock));
  TANDEM_ASSIGN_OR_RETURN(impl->actions, ActionRunner::Create(c.hooks, impl->transport.get(),
                                                              impl->audit.get(), options.clock));
  if (c.control.etcd.empty()) {
    impl->coordinator = std::make_unique<LocalCoordinator>(c.control.name, c.control.state_file);
  } else {
    EtcdCoordinatorOptions e;
    e.endpoints = c.control.etcd;
    e.prefix = c.control.etcd_prefix;
    e.name = c.control.name;
    e.ttl = std::chrono::duration_cast<std::chrono::seconds>(c.control.lease_ttl);
    e.request_timeout = timeout;
    impl->coordinator = std::make_unique<EtcdCoordinator>(e, impl->transport.get());
  }
  ControllerDeps deps;
  deps.health = impl->health.get();
  deps.nodes = impl->nodes.get();
  deps.routing = impl->routing.get();
  deps.coordinator = impl->coordinator.get();
  deps.actions = impl->actions.get();
  deps.audit = impl->audit.get();
  deps.clock = options.clock;
  impl->controller = std::make_unique<Controller>(c, deps);
  return std::unique_ptr<ControlService>(new ControlService(std::move(impl)));
}

ControlService::ControlService(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ControlService::~ControlService() { Stop(); }

Status ControlService::Start() {
  TANDEM_RETURN_IF_ERROR(impl_->coordinator->Start());
  impl_->actions->Start();
  impl_->controller->Start();
  impl_->started = true;
  spdlog::info("control: {} started ({}; audit log {})", impl_->config.control.name,
               impl_->config.control.etcd.empty() ? "alone" : "electing a leader through etcd",
               impl_->config.control.audit_log);
  return Status::OK();
}

void ControlService::Stop() {
  if (!impl_->started) {
    return;
  }
  impl_->started = false;
  impl_->controller->Stop();
  impl_->actions->Stop();
  impl_->coordinator->Stop();
}

std::string ControlService::StatusJson() const { return impl_->controller->StatusJson(); }

const config::ControlConfig& ControlService::config() const { return impl_->config; }

}  // namespace tandem::control
