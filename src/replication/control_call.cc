#include "replication/control_call.h"

#include <boost/json.hpp>

#include "replication/replicator.h"

namespace tandem::replication {

StatusOr<boost::json::object> PostControl(PeerClient* client, const PeerAuth& auth,
                                          const boost::json::object& request,
                                          std::chrono::milliseconds timeout, std::string_view who) {
  const std::string body = boost::json::serialize(request);
  TANDEM_ASSIGN_OR_RETURN(
      HttpResponse response,
      client->Post(kControlPath, auth.Sign("POST", kControlPath, body), body, timeout));
  boost::system::error_code ec;
  boost::json::value parsed = boost::json::parse(response.body, ec);
  if (ec || !parsed.is_object()) {
    return Status::Unavailable(std::string(who) + " answered " + std::to_string(response.status) +
                               " with a malformed body");
  }
  if (response.status != 200) {
    const auto* msg = parsed.as_object().if_contains("error");
    const std::string text =
        msg != nullptr && msg->is_string() ? std::string(msg->as_string()) : response.body;
    if (response.status == 404) return Status::NotFound(text);
    if (response.status == 400) return Status::InvalidArgument(text);
    if (response.status == 409) return Status::AlreadyExists(text);
    return Status::Unavailable(std::string(who) + ": " + text);
  }
  return std::move(parsed.as_object());
}

}  // namespace tandem::replication
