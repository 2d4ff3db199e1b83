// Global tables, 2017.11.29 generation: CreateGlobalTable, DescribeGlobalTable,
// UpdateGlobalTable, ListGlobalTables; and the control calls between nodes
// that keep a table's replica set the same in every member region.
//
// As in DynamoDB, a global table takes the name of its replica tables, which
// must exist (same key schema) in every region of the replication group.
// Unlike DynamoDB, the tables may already hold data: their contents merge by
// the conflict rule (every member re-announces its items to the others).
#include <boost/json.hpp>
#include <set>

#include "node/executor.h"
#include "node/item_request.h"
#include "node/request_schema.h"
#include "replication/replicator.h"

namespace tandem::node {
namespace json = boost::json;
namespace {

constexpr char kVersion2017[] = "2017.11.29";

ApiError GlobalTableNotFound(const std::string& name) {
  return ApiError::Dynamo(400, "GlobalTableNotFoundException",
                          "Global table not found: Global table with name: " + name +
                              " does not exist.");
}

json::object KeySchemaJson(const storage::TableMeta& t) {
  json::object out;
  out["hash"] = json::array{json::string(t.hash_key.name), json::string(TypeName(t.hash_key.type))};
  if (t.range_key) {
    out["range"] =
        json::array{json::string(t.range_key->name), json::string(TypeName(t.range_key->type))};
  }
  return out;
}

}  // namespace

std::string Executor::GlobalTableArn(std::string_view name) const {
  return "arn:aws:dynamodb::000000000000:global-table/" + std::string(name);
}

json::object Executor::GlobalTableDescription(const storage::TableMeta& meta) const {
  json::array group;
  for (const auto& [region, state] : meta.replicas) {
    group.push_back(json::object{{"RegionName", region}, {"ReplicaStatus", state}});
  }
  return json::object{{"ReplicationGroup", std::move(group)},
                      {"GlobalTableArn", GlobalTableArn(meta.name)},
                      {"CreationDateTime", meta.global_created},
                      {"GlobalTableStatus", "ACTIVE"},
                      {"GlobalTableName", meta.name}};
}

Status Executor::SetReplicas(const std::string& table, const std::map<std::string, std::string>& replicas,
                             const std::string& version, double created) {
  auto current = store_->FindTable(table);
  if (!current) return Status::NotFound("table " + table + " does not exist in " + store_->region());
  storage::TableMeta meta = *current;
  const bool newly_global = !meta.IsGlobal() && !replicas.empty();
  std::set<std::string> added;
  for (const auto& [region, state] : replicas) {
    if (meta.replicas.count(region) == 0 && region != store_->region()) added.insert(region);
  }
  meta.replicas = replicas;
  meta.global_table_version = replicas.empty() ? "" : version;
  meta.global_created = replicas.empty() ? 0 : created;
  TANDEM_RETURN_IF_ERROR(store_->UpdateTable(meta));
  // New members need what this replica already holds: re-announce it.
  if ((newly_global || !added.empty()) && !replicas.empty()) {
    TANDEM_RETURN_IF_ERROR(store_->AnnounceTable(meta.name));
  }
  return Status::OK();
}

StatusOr<json::object> Executor::HandleControl(const std::string& from, const json::object& req) {
  const std::string op = MemberString(req, "op");
  const std::string table_name = MemberString(req, "table");
  if (op == "DescribeTable") {
    auto table = store_->FindTable(table_name);
    if (!table) return Status::NotFound("table " + table_name + " not found in " + store_->region());
    json::object out{{"table", table->name}, {"keys", KeySchemaJson(*table)}};
    json::object reps;
    for (const auto& [r, s] : table->replicas) reps[r] = s;
    out["replicas"] = std::move(reps);
    return out;
  }
  if (op == "SetReplicas") {
    std::map<std::string, std::string> replicas;
    if (const auto* r = req.if_contains("replicas"); r != nullptr && r->is_object()) {
      for (const auto& [region, state] : r->as_object()) {
        if (state.is_string()) replicas[std::string(region)] = std::string(state.as_string());
      }
    }
    const auto* created = req.if_contains("created");
    TANDEM_RETURN_IF_ERROR(SetReplicas(table_name, replicas, MemberString(req, "version"),
                                       created != nullptr && created->is_number()
                                           ? created->to_number<double>()
                                           : 0));
    return json::object{{"ok", true}};
  }
  return Status::InvalidArgument("unknown control operation '" + op + "' from " + from);
}

Result<std::map<std::string, std::string>> Executor::CheckMembers(
    const storage::TableMeta& local, const std::vector<std::string>& regions) {
  std::map<std::string, std::string> replicas;
  for (const auto& region : regions) {
    if (region == store_->region()) {
      replicas[region] = "ACTIVE";
      continue;
    }
    if (replicator_ == nullptr || !replicator_->HasPeer(region)) {
      return ApiError::Validation("One or more parameter values were invalid: Region " + region +
                                  " is not a peer of this node (" + store_->region() +
                                  "); give the node --peer " + region +
                                  "=URL or a [[node]] entry for it");
    }
    auto described = replicator_->CallPeer(region, {{"op", "DescribeTable"}, {"table", local.name}});
    if (!described.ok()) {
      if (described.status().code() == Status::Code::kNotFound) {
        return ApiError::Dynamo(
            400, "TableNotFoundException",
            "Table: " + local.name + " not found in region " + region +
                ". A global table takes the name of its replica tables: create table " +
                local.name + " with the same key schema in every region of the replication "
                "group first, and name the global table after it");
      }
      return ApiError::Dynamo(500, "InternalServerError",
                              "Region " + region + " could not be reached: " +
                                  described.status().message());
    }
    if (boost::json::serialize((*described)["keys"]) != boost::json::serialize(KeySchemaJson(local))) {
      return ApiError::Validation("One or more parameter values were invalid: The key schema of "
                                  "table " + local.name + " in region " + region +
                                  " differs from the one in " + store_->region());
    }
    replicas[region] = "ACTIVE";
  }
  return replicas;
}

Result<bool> Executor::PublishReplicas(const storage::TableMeta& local,
                                       const std::map<std::string, std::string>& replicas,
                                       const std::set<std::string>& also_tell) {
  const double created = local.global_created > 0
                             ? local.global_created
                             : static_cast<double>(clock_->NowMicros() / 1000) / 1000.0;
  Status st = SetReplicas(local.name, replicas, kVersion2017, created);
  if (!st.ok()) return ApiError::FromStatus(st);
  json::object reps;
  for (const auto& [r, s] : replicas) reps[r] = s;
  std::set<std::string> targets = also_tell;
  for (const auto& [r, s] : replicas) targets.insert(r);
  for (const auto& region : targets) {
    if (region == store_->region()) continue;
    json::object req{{"op", "SetReplicas"},
                     {"table", local.name},
                     {"replicas", replicas.count(region) ? reps : json::object{}},
                     {"version", kVersion2017},
                     {"created", created}};
    auto done = replicator_->CallPeer(region, req);
    if (!done.ok()) {
      return ApiError::Dynamo(500, "InternalServerError",
                              "Region " + region + " could not be updated: " +
                                  done.status().message());
    }
  }
  return true;
}

Executor::Response Executor::CreateGlobalTable(const json::object& body) {
  static const Schema schema = {
      TableNameField("GlobalTableName"),
      NotNull(ListOf("ReplicationGroup",
                     StructField("member", "Replica", {StringField("RegionName")}))),
  };
  if (auto err = CheckRequest(body, schema)) return *err;
  const std::string name = MemberString(body, "GlobalTableName");
  std::vector<std::string> regions;
  for (const auto& r : body.at("ReplicationGroup").as_array()) {
    regions.push_back(MemberString(r.as_object(), "RegionName"));
  }
  if (std::set<std::string>(regions.begin(), regions.end()).size() != regions.size()) {
    return ApiError::Validation("One or more parameter values were invalid: The replication "
                                "group contains duplicate regions");
  }
  auto local = store_->FindTable(name);
  if (!local) {
    return ApiError::Dynamo(
        400, "TableNotFoundException",
        "Table: " + name + " not found in region " + store_->region() +
            ". A global table takes the name of its replica tables: create table " + name +
            " in every region of the replication group first, or pass the name of the tables "
            "you created (e.g. --global-table-name <your table>)");
  }
  if (local->IsGlobal()) {
    return ApiError::Dynamo(400, "GlobalTableAlreadyExistsException",
                            "Global table with this name already exists");
  }
  if (std::find(regions.begin(), regions.end(), store_->region()) == regions.end()) {
    return ApiError::Validation("One or more parameter values were invalid: The replication "
                                "group must include the region of the endpoint called (" +
                                store_->region() + ")");
  }
  TANDEM_API_TRY(auto replicas, CheckMembers(*local, regions));
  TANDEM_API_TRY(bool published, PublishReplicas(*local, replicas, {}));
  (void)published;
  auto updated = store_->FindTable(name);
  return json::object{{"GlobalTableDescription", GlobalTableDescription(*updated)}};
}

Executor::Response Executor::DescribeGlobalTable(const json::object& body) {
  static const Schema schema = {TableNameField("GlobalTableName")};
  if (auto err = CheckRequest(body, schema)) return *err;
  const std::string name = MemberString(body, "GlobalTableName");
  auto table = store_->FindTable(name);
  if (!table || !table->IsGlobal()) return GlobalTableNotFound(name);
  return json::object{{"GlobalTableDescription", GlobalTableDescription(*table)}};
}

Executor::Response Executor::UpdateGlobalTable(const json::object& body) {
  static const Schema schema = {
      TableNameField("GlobalTableName"),
      Length(NotNull(ListOf("ReplicaUpdates",
                            StructField("member", "ReplicaUpdate",
                                        {StructField("Create", "CreateReplicaAction",
                                                     {NotNull(StringField("RegionName"))}),
                                         StructField("Delete", "DeleteReplicaAction",
                                                     {NotNull(StringField("RegionName"))})}))),
             1, std::nullopt),
  };
  if (auto err = CheckRequest(body, schema)) return *err;
  const std::string name = MemberString(body, "GlobalTableName");
  auto table = store_->FindTable(name);
  if (!table || !table->IsGlobal()) return GlobalTableNotFound(name);
  std::map<std::string, std::string> replicas = table->replicas;
  std::set<std::string> removed;
  std::vector<std::string> added;
  for (const auto& u : body.at("ReplicaUpdates").as_array()) {
    const auto& obj = u.as_object();
    const auto* create = obj.if_contains("Create");
    const auto* del = obj.if_contains("Delete");
    if ((create != nullptr && !create->is_null()) == (del != nullptr && !del->is_null())) {
      return ApiError::Validation("One or more parameter values were invalid: One of "
                                  "ReplicaUpdate.Create, ReplicaUpdate.Delete must be given");
    }
    if (create != nullptr && !create->is_null()) {
      const std::string region = MemberString(create->as_object(), "RegionName");
      if (replicas.count(region)) {
        return ApiError::Dynamo(400, "ReplicaAlreadyExistsException",
                                "Replica already exists in region " + region);
      }
      replicas[region] = "ACTIVE";
      added.push_back(region);
    } else {
      const std::string region = MemberString(del->as_object(), "RegionName");
      if (!replicas.count(region)) {
        return ApiError::Dynamo(400, "ReplicaNotFoundException",
                                "Replica not found in region " + region);
      }
      replicas.erase(region);
      removed.insert(region);
    }
  }
  if (!added.empty()) {
    TANDEM_API_TRY(auto checked, CheckMembers(*table, added));
    (void)checked;
  }
  if (replicas.size() <= 1 || !replicas.count(store_->region())) {
    // Leaving a single region (or dropping the one called) ends the global
    // table for everyone who was in it.
    std::set<std::string> everyone;
    for (const auto& [r, s] : table->replicas) everyone.insert(r);
    TANDEM_API_TRY(bool done, PublishReplicas(*table, {}, everyone));
    (void)done;
    storage::TableMeta after = *table;
    after.replicas = replicas;
    return json::object{{"GlobalTableDescription", GlobalTableDescription(after)}};
  }
  TANDEM_API_TRY(bool published, PublishReplicas(*table, replicas, removed));
  (void)published;
  return json::object{{"GlobalTableDescription", GlobalTableDescription(*store_->FindTable(name))}};
}

Executor::Response Executor::ListGlobalTables(const json::object& body) {
  static const Schema schema = {
      Length(Field{.name = "ExclusiveStartGlobalTableName", .name_pattern = true}, 3, 255),
      Range(IntField("Limit"), 1, std::nullopt),
      StringField("RegionName"),
  };
  if (auto err = CheckRequest(body, schema)) return *err;
  const std::string start = MemberString(body, "ExclusiveStartGlobalTableName");
  const std::string region = MemberString(body, "RegionName");
  int64_t limit = 100;
  if (const auto* l = body.if_contains("Limit"); l != nullptr && l->is_number()) {
    limit = std::min<int64_t>(JsonInt(*l), 100);
  }
  json::array out;
  std::string last;
  bool more = false;
  for (const auto& t : store_->ListTables()) {
    if (!t->IsGlobal() || (!start.empty() && t->name <= start)) continue;
    if (!region.empty() && !t->ReplicatesTo(region)) continue;
    if (static_cast<int64_t>(out.size()) == limit) {
      more = true;
      break;
    }
    json::array group;
    for (const auto& [r, s] : t->replicas) group.push_back(json::object{{"RegionName", r}});
    out.push_back(json::object{{"GlobalTableName", t->name}, {"ReplicationGroup", std::move(group)}});
    last = t->name;
  }
  json::object result{{"GlobalTables", std::move(out)}};
  if (more) result["LastEvaluatedGlobalTableName"] = last;
  return result;
}

}  // namespace tandem::node
