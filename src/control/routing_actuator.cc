#include "control/routing_actuator.h"

#include <boost/json.hpp>

namespace tandem::control {
namespace {

constexpr std::string_view kRoutePath = "/v1/route";

}  // namespace

DnsAdminActuator::DnsAdminActuator(std::vector<config::DnsServerConfig> servers,
                                   std::shared_ptr<replication::PeerAuth> auth,
                                   HttpTransport* transport, std::chrono::milliseconds timeout,
                                   std::string by, const Clock* clock)
    : servers_(std::move(servers)),
      auth_(std::move(auth)),
      transport_(transport),
      timeout_(timeout),
      by_(std::move(by)),
      clock_(clock) {}

Status DnsAdminActuator::SetControl(const std::string& set, RouteControl control) {
  const int64_t at = clock_->NowMicros();
  int applied = 0;
  std::string refused;
  std::string unreachable;
  for (const auto& server : servers_) {
    const boost::json::object o{{"set", set},        {"control", RouteControlName(control)},
                                {"force", false},    {"by", by_},
                                {"to", server.name}, {"at", at}};
    HttpCall call;
    call.method = "POST";
    call.url = "http://" + server.admin + std::string(kRoutePath);
    call.body = boost::json::serialize(o);
    for (auto& h : auth_->Sign("POST", kRoutePath, call.body)) {
      call.headers.push_back(std::move(h));
    }
    call.timeout = timeout_;
    auto reply = transport_->Do(call);
    if (!reply.ok()) {
      unreachable +=
          (unreachable.empty() ? "" : "; ") + server.name + ": " + reply.status().message();
      continue;
    }
    if (reply->status == 200) {
      ++applied;
      continue;
    }
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(reply->body, ec);
    std::string error;
    if (!ec && v.is_object()) {
      if (const auto* e = v.as_object().if_contains("error"); e != nullptr && e->is_string()) {
        error = std::string(e->as_string());
      }
    }
    if (error.empty()) {
      error = "answered HTTP " + std::to_string(reply->status);
    }
    refused += (refused.empty() ? "" : "; ") + server.name + ": " + error;
  }
  if (applied > 0) {
    return Status::OK();
  }
  if (!refused.empty()) {
    return Status::FailedPrecondition("route " + std::string(RouteControlName(control)) + " " +
                                      set + " refused by " + refused);
  }
  return Status::Unavailable("route " + std::string(RouteControlName(control)) + " " + set +
                             ": no dns server answered (" + unreachable + ")");
}

}  // namespace tandem::control
