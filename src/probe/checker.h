// Checker: one health check, in the order the Flask script it replaces ran
// its checks, and then some:
//   1. the app, when configured: GET it, any 2xx is healthy;
//   2. the table, through the DynamoDB API: Scan with Limit=1;
//   3. the canary (canary.h): PutItem, GetItem with ConsistentRead (it must
//      return the nonce just written), DeleteItem. The table's key schema
//      comes from DescribeTable, asked once and again after any failure.
// The first failure ends the check and names itself in the report (the
// canary is still deleted when its read-back failed). One deadline, the
// check's timeout from its start, bounds every step together; a step the
// deadline cut short reads "<step> timed out after <timeout>".
//
// Thread-safety: Run is not reentrant; one thread at a time (the coalescer's).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "probe/canary.h"
#include "probe/dynamo_client.h"
#include "probe/http_client.h"
#include "probe/report.h"
#include "probe/url.h"

namespace tandem::probe {

struct CheckerOptions {
  std::string table;
  std::optional<Url> app;
  std::chrono::milliseconds timeout{2000};
  std::string canary_id;  // CanaryId(hostname, port)
};

// The world as a check sees it; tests substitute fakes.
struct CheckerEnv {
  // A DynamoDB client for one check; its connection ends with it.
  std::function<std::unique_ptr<DynamoApi>()> open_dynamo;
  // GETs `url` and returns the response's HTTP status.
  std::function<StatusOr<int>(const Url& url, Deadline deadline)> get_status;
  // A fresh random nonce.
  std::function<std::string()> nonce;
  std::function<Deadline()> now = [] { return std::chrono::steady_clock::now(); };
};

class Checker {
 public:
  Checker(CheckerOptions options, CheckerEnv env);

  // Runs every check; returns within the timeout (plus scheduling).
  HealthReport Run();

  // Whether the key schema is known (for tests).
  bool has_schema() const { return schema_.has_value(); }

 private:
  // Each returns the failure message, or nullopt when its check passed.
  std::optional<std::string> CheckApp(Deadline deadline);
  std::optional<std::string> CheckTable(DynamoApi* api, Deadline deadline);
  std::optional<std::string> CheckCanary(DynamoApi* api, Deadline deadline);

  // Why `what` failed with `status`: a timeout once the deadline has passed,
  // else the status's message.
  std::string Why(std::string_view what, const Status& status, Deadline deadline) const;

  const CheckerOptions options_;
  const CheckerEnv env_;
  std::optional<KeySchema> schema_;
};

// The real world for a Checker: the app over `network`, DynamoDB at
// `endpoint` signed with `credentials` for `region`, nonces from OpenSSL's
// random generator. `network` and `clock` must outlive the checker.
CheckerEnv NetworkEnv(Network* network, Url endpoint, auth::SigningCredentials credentials,
                      std::string region, const Clock* clock);

}  // namespace tandem::probe
