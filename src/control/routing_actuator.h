// RoutingActuator: where the controller's routing decisions go — set an
// answer set's routing control (`tandem route out|in|auto SET`).
//
// DnsAdminActuator is the real one: POST /v1/route on the admin API of every
// [[dns.server]], signed with the cluster secret, addressed to each server
// ("to", covered by the signature), dated once for all of them ("at") and
// naming the controller ("by"). The servers pass controls to each other and
// keep the newest, so one server taking it is enough; the others catch up.
// The servers' safety rule applies: a control that would leave a record with
// nothing to serve is refused, never forced.
//
// Thread-safety: SetControl may be called from any thread.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "config/dns_config.h"
#include "control/failover_gate.h"
#include "control/http_transport.h"
#include "replication/peer_auth.h"

namespace tandem::control {

class RoutingActuator {
 public:
  virtual ~RoutingActuator() = default;
  // OK once at least one server applied it (or already had it).
  // FailedPrecondition with the servers' reasons when every answering server
  // refused it; Unavailable when none answered.
  virtual Status SetControl(const std::string& set, RouteControl control) = 0;
};

class DnsAdminActuator : public RoutingActuator {
 public:
  DnsAdminActuator(std::vector<config::DnsServerConfig> servers,
                   std::shared_ptr<replication::PeerAuth> auth, HttpTransport* transport,
                   std::chrono::milliseconds timeout, std::string by, const Clock* clock);
  Status SetControl(const std::string& set, RouteControl control) override;

 private:
  const std::vector<config::DnsServerConfig> servers_;
  const std::shared_ptr<replication::PeerAuth> auth_;
  HttpTransport* const transport_;
  const std::chrono::milliseconds timeout_;
  const std::string by_;
  const Clock* clock_;
};

}  // namespace tandem::control
