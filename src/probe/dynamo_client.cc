#include "probe/dynamo_client.h"

#include <array>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace tandem::probe {
namespace json = boost::json;

namespace {

constexpr std::string_view kContentType = "application/x-amz-json-1.0";
constexpr size_t kMaxQuoted = 200;  // of a body that is not a DynamoDB error

constexpr std::array<std::string_view, 6> kAuthErrors = {
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "MissingAuthenticationTokenException",
    "IncompleteSignatureException",
    "AccessDeniedException",
    "ExpiredTokenException",
};

const json::string* StringField(const json::object& o, std::string_view name) {
  const json::value* v = o.if_contains(name);
  return v != nullptr ? v->if_string() : nullptr;
}

Status StatusFor(int http_status, std::string_view type, std::string message) {
  if (type == "ResourceNotFoundException") {
    return Status::NotFound(std::move(message));
  }
  for (std::string_view auth : kAuthErrors) {
    if (type == auth) {
      return Status::Unauthenticated(std::move(message));
    }
  }
  if (type == "ValidationException") {
    return Status::InvalidArgument(std::move(message));
  }
  if (http_status >= 500) {
    return Status::Unavailable(std::move(message));
  }
  return Status::FailedPrecondition(std::move(message));
}

}  // namespace

Status ApiErrorStatus(int http_status, std::string_view body) {
  boost::system::error_code ec;
  const json::value parsed = json::parse(body, ec);
  const json::object* o = ec ? nullptr : parsed.if_object();
  const json::string* type = o != nullptr ? StringField(*o, "__type") : nullptr;
  if (type == nullptr) {
    std::string quoted(body.substr(0, kMaxQuoted));
    while (!quoted.empty() && (quoted.back() == '\n' || quoted.back() == '\r')) {
      quoted.pop_back();
    }
    std::string message = "HTTP " + std::to_string(http_status);
    if (!quoted.empty()) {
      message += ": " + quoted + (body.size() > kMaxQuoted ? "..." : "");
    }
    return http_status >= 500 ? Status::Unavailable(std::move(message))
                              : Status::FailedPrecondition(std::move(message));
  }
  std::string_view name = *type;
  if (const auto hash = name.rfind('#'); hash != std::string_view::npos) {
    name = name.substr(hash + 1);
  }
  const json::string* message = StringField(*o, "message");
  if (message == nullptr) {
    message = StringField(*o, "Message");
  }
  std::string text =
      message != nullptr && !message->empty() ? std::string(*message) : std::string(name);
  return StatusFor(http_status, name, std::move(text));
}

DynamoClient::DynamoClient(Network* network, Url endpoint, auth::SigningCredentials credentials,
                           std::string region, const Clock* clock)
    : endpoint_(std::move(endpoint)),
      credentials_(std::move(credentials)),
      region_(std::move(region)),
      clock_(clock),
      connection_(network, endpoint_) {}

StatusOr<json::object> DynamoClient::Call(std::string_view operation, const json::object& request,
                                          Deadline deadline) {
  HttpRequest http;
  http.method = "POST";
  http.target = endpoint_.target;
  http.body = json::serialize(request);
  const std::string host = endpoint_.HostHeader();
  const std::string target = "DynamoDB_20120810." + std::string(operation);
  http.headers = {
      {"Host", host}, {"Content-Type", std::string(kContentType)}, {"X-Amz-Target", target}};
  // The path and query are signed as sent.
  const std::string_view full = http.target;
  const auto question = full.find('?');
  const std::array<auth::Header, 3> view_headers = {auth::Header{"Host", host},
                                                    auth::Header{"Content-Type", kContentType},
                                                    auth::Header{"X-Amz-Target", target}};
  const auth::HttpRequestView view{
      "POST", full.substr(0, question),
      question == std::string_view::npos ? std::string_view() : full.substr(question + 1),
      view_headers, http.body};
  auto signature = auth::SignRequest(view, credentials_, region_, "dynamodb", clock_->Now());
  if (!signature.ok()) {
    return signature.status().WithPrefix("cannot sign the request: ");
  }
  for (auto& h : *signature) {
    http.headers.push_back(std::move(h));
  }
  TANDEM_ASSIGN_OR_RETURN(HttpResponse response, connection_.RoundTrip(http, deadline));
  if (response.status != 200) {
    return ApiErrorStatus(response.status, response.body);
  }
  boost::system::error_code ec;
  json::value parsed = json::parse(response.body, ec);
  if (ec || !parsed.is_object()) {
    return Status::Unavailable(std::string(operation) + " answered 200 with a body that is not " +
                               "a JSON object");
  }
  return std::move(parsed.as_object());
}

}  // namespace tandem::probe
