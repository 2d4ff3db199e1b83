#include "control/webhook.h"

#include <charconv>
#include <cstdlib>

#include "auth/crypto.h"

namespace tandem::control {
namespace {

constexpr size_t kErrorBody = 512;

}  // namespace

std::string WebhookSignature(std::string_view secret, std::string_view timestamp,
                             std::string_view body) {
  std::string text;
  text.reserve(timestamp.size() + 1 + body.size());
  text.append(timestamp).append(".").append(body);
  return "sha256=" + auth::HexEncode(auth::HmacSha256(secret, text));
}

Status VerifyWebhookSignature(std::string_view secret, std::string_view timestamp,
                              std::string_view body, std::string_view signature,
                              int64_t now_seconds, std::chrono::seconds tolerance) {
  int64_t at = 0;
  const auto [end, ec] = std::from_chars(timestamp.data(), timestamp.data() + timestamp.size(), at);
  if (timestamp.empty() || ec != std::errc() || end != timestamp.data() + timestamp.size()) {
    return Status::Unauthenticated("malformed X-Tandem-Timestamp");
  }
  if (!auth::ConstantTimeEquals(WebhookSignature(secret, timestamp, body), signature)) {
    return Status::Unauthenticated("X-Tandem-Signature does not match (wrong secret?)");
  }
  if (std::llabs(now_seconds - at) > tolerance.count()) {
    return Status::Unauthenticated("X-Tandem-Timestamp is too far from now (replayed?)");
  }
  return Status::OK();
}

boost::json::object WebhookResult::ToJson() const {
  boost::json::object o{{"ok", ok}, {"duration_ms", duration.count()}};
  if (status != 0) {
    o["status"] = status;
  }
  if (!error.empty()) {
    o["error"] = error;
  }
  return o;
}

WebhookResult PostWebhook(HttpTransport* transport, const WebhookRequest& request,
                          const Clock* clock) {
  const auto started = std::chrono::steady_clock::now();
  const std::string timestamp = std::to_string(clock->NowMicros() / 1'000'000);
  HttpCall call;
  call.method = "POST";
  call.url = request.url;
  call.body = request.body;
  call.timeout = request.timeout;
  call.headers = {{"Content-Type", "application/json"},
                  {"X-Tandem-Timestamp", timestamp},
                  {"X-Tandem-Signature", WebhookSignature(request.secret, timestamp, request.body)},
                  {"X-Tandem-Event", request.event_type},
                  {"X-Tandem-Event-Id", request.event_id}};
  WebhookResult result;
  auto reply = transport->Do(call);
  result.duration = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  if (!reply.ok()) {
    result.error = reply.status().message();
    result.retryable = reply.status().code() != Status::Code::kInvalidArgument;
    return result;
  }
  result.status = reply->status;
  result.ok = reply->status >= 200 && reply->status < 300;
  if (!result.ok) {
    result.error = reply->body.substr(0, kErrorBody);
    result.retryable = reply->status == 408 || reply->status == 429 || reply->status >= 500;
  }
  return result;
}

}  // namespace tandem::control
