// Webhooks: an event POSTed as JSON to a URL, signed so the receiver can tell
// it came from this deployment and was not replayed:
//
//   X-Tandem-Timestamp:  seconds since the epoch
//   X-Tandem-Signature:  sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>
//   X-Tandem-Event:      the event type;  X-Tandem-Event-Id: its id
//
// A receiver recomputes the HMAC over the timestamp header, a dot and the raw
// body, compares in constant time, and refuses timestamps far from its clock
// (VerifyWebhookSignature does all three). A 2xx answer is success; a
// connection failure, a timeout, 408, 429 and 5xx are worth retrying; any
// other status is final.
//
// Thread-safety: free functions over their arguments; the transport must be
// thread-safe.
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/status.h"
#include "control/http_transport.h"

namespace tandem::control {

// "sha256=<64 hex digits>".
std::string WebhookSignature(std::string_view secret, std::string_view timestamp,
                             std::string_view body);

// OK when `signature` is WebhookSignature(secret, timestamp, body) and
// `timestamp` is within `tolerance` of `now_seconds`; Unauthenticated with
// the reason otherwise.
Status VerifyWebhookSignature(std::string_view secret, std::string_view timestamp,
                              std::string_view body, std::string_view signature,
                              int64_t now_seconds, std::chrono::seconds tolerance);

struct WebhookResult {
  bool ok = false;
  bool retryable = false;
  int status = 0;     // HTTP status, 0 when none came
  std::string error;  // transport error, or the start of a failed answer's body
  std::chrono::milliseconds duration{0};

  boost::json::object ToJson() const;
};

struct WebhookRequest {
  std::string url;
  std::string secret;
  std::string event_type;
  std::string event_id;
  std::string body;  // the event JSON
  std::chrono::milliseconds timeout{5000};
};

// One signed POST.
WebhookResult PostWebhook(HttpTransport* transport, const WebhookRequest& request,
                          const Clock* clock);

}  // namespace tandem::control
