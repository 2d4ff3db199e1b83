// Executor: one method per DynamoDB operation, split by family
// (table_ops.cc, item_ops.cc, query_ops.cc, batch_ops.cc).
//
// Each operation parses and validates its whole request (request_schema.h,
// then the operation's own rules) before touching storage, then runs against
// the Store and builds the response body. Errors come back as ApiError with
// DynamoDB's type and message. Thread-safe: operations run concurrently; the
// Store serializes what must be serialized.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "node/api_error.h"
#include "storage/store.h"

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <vector>

namespace tandem::replication {
class Replicator;
}

namespace tandem::node {

class Metrics;

class Executor {
 public:
  Executor(storage::Store* store, const Clock* clock) : store_(store), clock_(clock) {}

  using Response = Result<boost::json::object>;

  // Runs operation `op` (the part of X-Amz-Target after the dot).
  Response Execute(std::string_view op, const boost::json::object& body);

  // Whether `op` is an operation this node knows.
  static bool Known(std::string_view op);

 private:
  // Tables (table_ops.cc)
  Response CreateTable(const boost::json::object& body);
  Response DescribeTable(const boost::json::object& body);
  Response ListTables(const boost::json::object& body);
  Response UpdateTable(const boost::json::object& body);
  Response DeleteTable(const boost::json::object& body);
  Response TagResource(const boost::json::object& body);
  Response UntagResource(const boost::json::object& body);
  Response ListTagsOfResource(const boost::json::object& body);
  Response DescribeEndpoints(const boost::json::object& body);
  Response DescribeLimits(const boost::json::object& body);
  Response DescribeTimeToLive(const boost::json::object& body);

  // Items (item_ops.cc)
  Response PutItem(const boost::json::object& body);
  Response GetItem(const boost::json::object& body);
  Response UpdateItem(const boost::json::object& body);
  Response DeleteItem(const boost::json::object& body);

  // Query and Scan (query_ops.cc)
  Response Query(const boost::json::object& body);
  Response Scan(const boost::json::object& body);

  // Global tables, 2017.11.29 (global_table_ops.cc)
  Response CreateGlobalTable(const boost::json::object& body);
  Response DescribeGlobalTable(const boost::json::object& body);
  Response UpdateGlobalTable(const boost::json::object& body);
  Response ListGlobalTables(const boost::json::object& body);

  // Batches (batch_ops.cc)
  Response BatchGetItem(const boost::json::object& body);
  Response BatchWriteItem(const boost::json::object& body);

 public:
  // Global-table membership (global_table_ops.cc).
  void set_replicator(replication::Replicator* replicator) { replicator_ = replicator; }
  // Answers a peer's control call (replication::Replicator::ControlHandler).
  StatusOr<boost::json::object> HandleControl(const std::string& from,
                                              const boost::json::object& request);
  std::string GlobalTableArn(std::string_view name) const;
  boost::json::object GlobalTableDescription(const storage::TableMeta& meta) const;
  Status SetReplicas(const std::string& table, const std::map<std::string, std::string>& replicas,
                     const std::string& version, double created);
  Result<std::map<std::string, std::string>> CheckMembers(const storage::TableMeta& local,
                                                          const std::vector<std::string>& regions);
  Result<bool> PublishReplicas(const storage::TableMeta& local,
                               const std::map<std::string, std::string>& replicas,
                               const std::set<std::string>& also_tell,
                               const std::string& version);

  // Global tables, 2019.11.21 (global_table_ops.cc): UpdateTable's
  // ReplicaUpdates. Create makes the table in the named peer region (same key
  // schema and billing) and adds it to the replica set as CREATING while the
  // members backfill it; Delete removes the region and drops its table.
  Response UpdateReplicas(const storage::TableMeta& table, const boost::json::array& updates);
  // A replica added by UpdateTable stays CREATING until every reachable member
  // has delivered its backfill to it; this flips it to ACTIVE (everywhere)
  // once they have. Returns the table as it is afterwards.
  std::shared_ptr<const storage::TableMeta> RefreshReplicaStatus(
      std::shared_ptr<const storage::TableMeta> table);
  // Whether this node's shipper to `region` acknowledged everything up to the
  // end of the backfill this node announced for `table`.
  bool BackfillDelivered(const std::string& table, const std::string& region);
  // Before a global table's replica here is deleted: tells the other members
  // that this region leaves (so nothing keeps shipping to a missing table).
  Result<bool> LeaveGlobalTable(const storage::TableMeta& table);

  // Shared by the families.
  boost::json::object DescribeTableJson(const storage::TableMeta& meta) const;
  std::string TableArn(std::string_view table) const;
  Result<std::shared_ptr<const storage::TableMeta>> FindTable(const boost::json::object& body,
                                                              std::string_view member = "TableName") const;

  storage::Store* store_;
  const Clock* clock_;
  replication::Replicator* replicator_ = nullptr;

  // Change-log sequence ending each table's latest backfill announcement
  // (memory only: after a restart the committed sequence at the first
  // question stands in for it, which is later and so still safe).
  std::mutex backfill_mu_;
  std::map<std::string, uint64_t> backfill_end_;
};

}  // namespace tandem::node
