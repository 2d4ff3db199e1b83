#include "probe/checker.h"

#include <openssl/rand.h>

#include <array>
#include <boost/json/object.hpp>

#include "auth/crypto.h"

namespace tandem::probe {
namespace json = boost::json;

Checker::Checker(CheckerOptions options, CheckerEnv env)
    : options_(std::move(options)), env_(std::move(env)) {}

HealthReport Checker::Run() {
  const Deadline deadline = env_.now() + options_.timeout;
  if (options_.app) {
    if (auto failure = CheckApp(deadline)) {
      return HealthReport::Failed(std::move(*failure));
    }
  }
  std::unique_ptr<DynamoApi> api = env_.open_dynamo();
  if (auto failure = CheckTable(api.get(), deadline)) {
    schema_.reset();  // the table may have been deleted, or made again differently
    return HealthReport::Failed(std::move(*failure));
  }
  return HealthReport::Ok();
}

std::string Checker::Why(std::string_view what, const Status& status, Deadline deadline) const {
  if (env_.now() >= deadline) {
    return TimedOut(what, options_.timeout);
  }
  return status.message();
}

std::optional<std::string> Checker::CheckApp(Deadline deadline) {
  const std::string get = "GET " + options_.app->text;
  const StatusOr<int> status = env_.get_status(*options_.app, deadline);
  if (!status.ok()) {
    if (env_.now() >= deadline) {
      return CheckFailed("App check", TimedOut(get, options_.timeout));
    }
    return CheckFailed("App check", get + ": " + status.status().message());
  }
  if (*status < 200 || *status > 299) {
    return CheckFailed("App check", get + " returned " + std::to_string(*status));
  }
  return std::nullopt;
}

std::optional<std::string> Checker::CheckTable(DynamoApi* api, Deadline deadline) {
  const json::object scan{{"TableName", options_.table}, {"Limit", 1}};
  const auto scanned = api->Call("Scan", scan, deadline);
  if (!scanned.ok()) {
    return CheckFailed("DynamoDB connection", Why("Scan", scanned.status(), deadline));
  }
  if (!schema_) {
    const auto described =
        api->Call("DescribeTable", json::object{{"TableName", options_.table}}, deadline);
    if (!described.ok()) {
      return CheckFailed("DynamoDB DescribeTable",
                         Why("DescribeTable", described.status(), deadline));
    }
    auto schema = ParseKeySchema(*described);
    if (!schema.ok()) {
      return CheckFailed("DynamoDB DescribeTable", schema.status().message());
    }
    schema_ = std::move(*schema);
  }
  return CheckCanary(api, deadline);
}

std::optional<std::string> Checker::CheckCanary(DynamoApi* api, Deadline deadline) {
  const std::string nonce = env_.nonce();
  const json::object key = CanaryKey(*schema_, options_.canary_id);
  const json::object put{{"TableName", options_.table},
                         {"Item", CanaryItem(*schema_, options_.canary_id, nonce)}};
  const auto written = api->Call("PutItem", put, deadline);
  if (!written.ok()) {
    return CheckFailed("DynamoDB canary write", Why("PutItem", written.status(), deadline));
  }
  const json::object get{{"TableName", options_.table}, {"Key", key}, {"ConsistentRead", true}};
  const auto read = api->Call("GetItem", get, deadline);
  std::optional<std::string> read_failure;
  if (!read.ok()) {
    read_failure = CheckFailed("DynamoDB canary read", Why("GetItem", read.status(), deadline));
  } else if (auto got = ReadNonce(*read); !got.ok()) {
    read_failure = CheckFailed("DynamoDB canary read", got.status().message());
  } else if (*got != nonce) {
    read_failure =
        CheckFailed("DynamoDB canary read", "GetItem returned nonce " + *got + " instead of the " +
                                                nonce + " just written");
  }
  // Deleted even when the read failed: the canary should not outlive the check.
  const auto deleted =
      api->Call("DeleteItem", json::object{{"TableName", options_.table}, {"Key", key}}, deadline);
  if (read_failure) {
    return read_failure;
  }
  if (!deleted.ok()) {
    return CheckFailed("DynamoDB canary delete", Why("DeleteItem", deleted.status(), deadline));
  }
  return std::nullopt;
}

CheckerEnv NetworkEnv(Network* network, Url endpoint, auth::SigningCredentials credentials,
                      std::string region, const Clock* clock) {
  CheckerEnv env;
  env.open_dynamo = [=]() -> std::unique_ptr<DynamoApi> {
    return std::make_unique<DynamoClient>(network, endpoint, credentials, region, clock);
  };
  env.get_status = [network](const Url& url, Deadline deadline) -> StatusOr<int> {
    HttpConnection connection(network, url);
    HttpRequest request;
    request.target = url.target;
    TANDEM_ASSIGN_OR_RETURN(HttpResponse response,
                            connection.RoundTrip(request, deadline, /*head_only=*/true));
    return response.status;
  };
  env.nonce = [] {
    std::array<uint8_t, 16> bytes{};
    RAND_bytes(bytes.data(), static_cast<int>(bytes.size()));
    return auth::HexEncode(bytes.data(), bytes.size());
  };
  return env;
}

}  // namespace tandem::probe
