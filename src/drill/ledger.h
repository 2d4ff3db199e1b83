// The audit of the drill's promise "no acknowledged order is lost": which
// orders, out of those the shop got a 200 for, a region does not have.
//
// Thread-safety: a pure function of its arguments; `api` is used by the
// calling thread only, as DynamoApi requires.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "probe/dynamo_client.h"
#include "probe/http_client.h"

namespace tandem::drill {

// BatchGetItem allows at most this many keys per request.
inline constexpr size_t kBatchGetKeys = 100;

// The `ids` (values of the table's string hash key `id`) that `table` behind
// `api` does not have, in the order of `ids` (duplicates asked once, listed
// once). Reads are strongly consistent, in batches of kBatchGetKeys, and keys
// the service leaves unprocessed are asked again (with a short backoff) until
// `deadline`. An error answer or a transport failure ends the audit with that
// Status; Unavailable when keys are still unprocessed at `deadline`.
StatusOr<std::vector<std::string>> MissingOrders(probe::DynamoApi* api, const std::string& table,
                                                 const std::vector<std::string>& ids,
                                                 probe::Deadline deadline);

}  // namespace tandem::drill
