// The small global table the probes check through (`tandem_health`), made
// by `tandem up` itself so that the user's own tables are the user's: the
// seed's `create-table woocommerce_data` and `create-global-table` commands
// run unchanged, against empty nodes.
//
// Idempotent, so a second start with the same data does nothing new: the
// table is created in every region that lacks it (key `id`, S, on-demand),
// then joined into one 2017.11.29 global table with CreateGlobalTable; when
// the global table exists already, the regions missing from its replication
// group (a start with more regions than before) are added with
// UpdateGlobalTable.
//
// Thread-safety: uses each region's DynamoApi from the calling thread only.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "probe/dynamo_client.h"

namespace tandem::up {

struct RegionApi {
  std::string region;
  probe::DynamoApi* api;  // signed for `region`; not owned
};

// `regions[0]` is where the global table is created or updated. Errors carry
// the failed call and region, e.g. "CreateGlobalTable in us-east-1: ...".
Status EnsureHealthTable(const std::string& table, const std::vector<RegionApi>& regions,
                         probe::Deadline deadline);

}  // namespace tandem::up
