// DynamoApi: the DynamoDB JSON API as the health check uses it, and
// DynamoClient, its implementation over HTTP(S) with SigV4-signed requests
// (auth/sigv4.h signs; nothing here computes signatures).
//
// Errors: an error the service answered with becomes a Status whose message
// is DynamoDB's own "message" (the exception name when it has none), with the
// code by exception: ResourceNotFoundException -> NotFound, the signature and
// key errors -> Unauthenticated, ValidationException -> InvalidArgument, HTTP
// 5xx -> Unavailable, any other -> FailedPrecondition. A failure to reach the
// service at all is Unavailable with the transport's reason.
//
// Thread-safety: not thread-safe; one check uses one client at a time.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <string_view>

#include "auth/sigv4.h"
#include "common/clock.h"
#include "common/status.h"
#include "probe/http_client.h"
#include "probe/url.h"

namespace tandem::probe {

class DynamoApi {
 public:
  virtual ~DynamoApi() = default;
  // Calls `operation` ("Scan", "PutItem", ...) with the JSON `request`; the
  // response object, or the error as above. Returns by `deadline`.
  virtual StatusOr<boost::json::object> Call(std::string_view operation,
                                             const boost::json::object& request,
                                             Deadline deadline) = 0;
};

// The Status of an error response: HTTP `http_status` with `body`.
Status ApiErrorStatus(int http_status, std::string_view body);

class DynamoClient : public DynamoApi {
 public:
  // `network` and `clock` (the wall clock requests are signed with) must
  // outlive the client. Keeps one connection to `endpoint`, closed with the
  // client.
  DynamoClient(Network* network, Url endpoint, auth::SigningCredentials credentials,
               std::string region, const Clock* clock);

  StatusOr<boost::json::object> Call(std::string_view operation, const boost::json::object& request,
                                     Deadline deadline) override;

 private:
  Url endpoint_;
  auth::SigningCredentials credentials_;
  std::string region_;
  const Clock* clock_;
  HttpConnection connection_;
};

}  // namespace tandem::probe
