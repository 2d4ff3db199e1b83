// Global tables, 2017.11.29 generation: CreateGlobalTable, DescribeGlobalTable,
// UpdateGlobalTable, ListGlobalTables; the 2019.11.21 generation's
// UpdateTable ReplicaUpdates; and the control calls between nodes that keep a
// table's replica set the same in every member region.
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
#include "replication/digest_sync.h"
#include "replication/replicator.h"

namespace tandem::node {
namespace json = boost::json;
namespace {

constexpr char kVersion2017[] = "2017.11.29";
constexpr char kVersion2019[] = "2019.11.21";

ApiError GlobalTableNotFound(const std::string& name) {
  return ApiError::Dynamo(400, "GlobalTableNotFoundException",
                          "Global table not found: Global table with name: " + name +
                              " does not exist.");
}

// The 2017.11.29 operations see only the global tables of their generation,
// as in DynamoDB (a 2019.11.21 table is described by DescribeTable).
bool IsLegacyGlobal(const storage::TableMeta& t) {
  return t.IsGlobal() && t.global_table_version != kVersion2019;
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
    TANDEM_ASSIGN_OR_RETURN(const uint64_t announced, store_->AnnounceTable(meta.name));
    std::lock_guard<std::mutex> lock(backfill_mu_);
    backfill_end_[meta.name] = announced;
  }
  return Status::OK();
}

StatusOr<json::object> Executor::HandleControl(const std::string& from, const json::object& req) {
  const std::string op = MemberString(req, "op");
  const std::string table_name = MemberString(req, "table");
  if (op == replication::kOpTableDigests) return replication::AnswerTableDigests(*store_, req);
  if (op == replication::kOpRangeVersions) return replication::AnswerRangeVersions(*store_, req);
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
  if (op == "CreateReplicaTable") {
    // `definition` is a CreateTable request: the replica gets the same key
    // schema, attribute definitions and billing as the table it copies.
    const auto* def = req.if_contains("definition");
    if (def == nullptr || !def->is_object()) return Status::InvalidArgument("no table definition");
    auto created = CreateTable(def->as_object());
    if (!created.ok()) {
      if (created.error().ShortType() == "ResourceInUseException") {
        return Status::AlreadyExists(created.error().message);
      }
      return Status::InvalidArgument(created.error().message);
    }
    return json::object{{"ok", true}};
  }
  if (op == "DeleteReplicaTable") {
    auto table = store_->FindTable(table_name);
    if (!table) return json::object{{"ok", true}};  // already gone
    if (table->IsGlobal()) {
      return Status::InvalidArgument("table " + table_name + " in " + store_->region() +
                                     " is still a member of a global table");
    }
    TANDEM_RETURN_IF_ERROR(store_->DeleteTable(table_name));
    return json::object{{"ok", true}};
  }
  if (op == "BackfillDone") {
    return json::object{{"done", BackfillDelivered(table_name, MemberString(req, "region"))}};
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
                                       const std::set<std::string>& also_tell,
                                       const std::string& version) {
  const double created = local.global_created > 0
                             ? local.global_created
                             : static_cast<double>(clock_->NowMicros() / 1000) / 1000.0;
  Status st = SetReplicas(local.name, replicas, version, created);
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
                     {"version", version},
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
  TANDEM_API_TRY(bool published, PublishReplicas(*local, replicas, {}, kVersion2017));
  (void)published;
  auto updated = store_->FindTable(name);
  return json::object{{"GlobalTableDescription", GlobalTableDescription(*updated)}};
}

Executor::Response Executor::DescribeGlobalTable(const json::object& body) {
  static const Schema schema = {TableNameField("GlobalTableName")};
  if (auto err = CheckRequest(body, schema)) return *err;
  const std::string name = MemberString(body, "GlobalTableName");
  auto table = store_->FindTable(name);
  if (!table || !IsLegacyGlobal(*table)) return GlobalTableNotFound(name);
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
  if (!table || !IsLegacyGlobal(*table)) return GlobalTableNotFound(name);
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
    TANDEM_API_TRY(bool done, PublishReplicas(*table, {}, everyone, kVersion2017));
    (void)done;
    storage::TableMeta after = *table;
    after.replicas = replicas;
    return json::object{{"GlobalTableDescription", GlobalTableDescription(after)}};
  }
  TANDEM_API_TRY(bool published, PublishReplicas(*table, replicas, removed, kVersion2017));
  (void)published;
  return json::object{{"GlobalTableDescription", GlobalTableDescription(*store_->FindTable(name))}};
}

// ---- 2019.11.21: UpdateTable ReplicaUpdates ----

namespace {

ApiError LocalRegionError() {
  return ApiError::Validation(
      "Cannot add, delete, or update the local region through ReplicaUpdates. Use CreateTable, "
      "DeleteTable, or UpdateTable as required.");
}

// The CreateTable request that makes a replica like `t` in another region.
json::object ReplicaDefinition(const storage::TableMeta& t) {
  json::array defs;
  for (const auto& [name, type] : t.attribute_definitions) {
    defs.push_back(json::object{{"AttributeName", name}, {"AttributeType", type}});
  }
  json::array keys;
  keys.push_back(json::object{{"AttributeName", t.hash_key.name}, {"KeyType", "HASH"}});
  if (t.range_key) {
    keys.push_back(json::object{{"AttributeName", t.range_key->name}, {"KeyType", "RANGE"}});
  }
  json::object def{{"TableName", t.name},
                   {"AttributeDefinitions", std::move(defs)},
                   {"KeySchema", std::move(keys)},
                   {"BillingMode", t.billing_mode}};
  if (t.billing_mode != "PAY_PER_REQUEST") {
    def["ProvisionedThroughput"] = json::object{{"ReadCapacityUnits", t.read_capacity},
                                                {"WriteCapacityUnits", t.write_capacity}};
  }
  return def;
}

ApiError Unreachable(const std::string& region, const Status& st) {
  return ApiError::Dynamo(500, "InternalServerError",
                          "Region " + region + " could not be reached: " + st.message());
}

}  // namespace

bool Executor::BackfillDelivered(const std::string& table, const std::string& region) {
  if (replicator_ == nullptr) return true;
  uint64_t end = 0;
  {
    std::lock_guard<std::mutex> lock(backfill_mu_);
    auto it = backfill_end_.find(table);
    if (it == backfill_end_.end()) {
      // Not announced since this node started: everything committed so far
      // is a safe stand-in.
      it = backfill_end_.emplace(table, store_->CommittedSeq()).first;
    }
    end = it->second;
  }
  for (const auto& p : replicator_->Peers()) {
    if (p.region == region) return p.acked_seq >= end;
  }
  return true;  // not a peer of this node: nothing it could ship
}

std::shared_ptr<const storage::TableMeta> Executor::RefreshReplicaStatus(
    std::shared_ptr<const storage::TableMeta> table) {
  if (!table || replicator_ == nullptr || !table->IsGlobal()) return table;
  std::map<std::string, std::string> replicas = table->replicas;
  bool changed = false;
  for (auto& [region, state] : replicas) {
    if (state != "CREATING") continue;
    bool done = region == store_->region() || BackfillDelivered(table->name, region);
    for (const auto& [member, member_state] : table->replicas) {
      if (!done) break;
      if (member == region || member == store_->region()) continue;
      auto answer = replicator_->CallPeer(
          member, {{"op", "BackfillDone"}, {"table", table->name}, {"region", region}});
      // A member that cannot be reached is not waited for: what it holds
      // reaches the new replica when it comes back.
      if (answer.ok()) {
        const auto* d = answer->if_contains("done");
        done = d != nullptr && d->is_bool() && d->as_bool();
      }
    }
    if (done) {
      state = "ACTIVE";
      changed = true;
    }
  }
  if (!changed) return table;
  auto published = PublishReplicas(*table, replicas, {}, table->global_table_version);
  if (!published.ok()) return table;  // tried again at the next DescribeTable
  auto updated = store_->FindTable(table->name);
  return updated ? updated : table;
}

Executor::Response Executor::UpdateReplicas(const storage::TableMeta& table,
                                            const json::array& updates) {
  if (table.IsGlobal() && table.global_table_version != kVersion2019) {
    return ApiError::Validation(
        "One or more parameter values were invalid: Table " + table.name +
        " is a global table of version 2017.11.29; add or remove its replicas with "
        "UpdateGlobalTable");
  }
  std::map<std::string, std::string> replicas = table.replicas;
  if (replicas.empty()) replicas[store_->region()] = "ACTIVE";
  std::vector<std::string> creates;
  std::vector<std::string> deletes;
  for (const auto& u : updates) {
    const auto& obj = u.as_object();
    const auto* create = obj.if_contains("Create");
    const auto* del = obj.if_contains("Delete");
    const auto* update = obj.if_contains("Update");
    const int given = (create != nullptr && !create->is_null()) +
                      (del != nullptr && !del->is_null()) +
                      (update != nullptr && !update->is_null());
    if (given != 1) {
      return ApiError::Validation("One or more parameter values were invalid: One of "
                                  "ReplicationGroupUpdate.Create, ReplicationGroupUpdate.Update, "
                                  "ReplicationGroupUpdate.Delete must be given");
    }
    const json::value& action = create != nullptr && !create->is_null() ? *create
                                : del != nullptr && !del->is_null()     ? *del
                                                                        : *update;
    const std::string region = MemberString(action.as_object(), "RegionName");
    if (region == store_->region()) return LocalRegionError();
    if (update != nullptr && !update->is_null()) {
      return ApiError::Validation("One or more parameter values were invalid: "
                                  "ReplicationGroupUpdate.Update is not supported by this Tandem "
                                  "version: replicas share the table's settings");
    }
    if (create != nullptr && !create->is_null()) {
      if (replicas.count(region)) {
        return ApiError::Validation("Failed to create a the new replica of table with name: '" +
                                    table.name + "' because one or more replicas already existed "
                                    "as tables.");
      }
      if (replicator_ == nullptr || !replicator_->HasPeer(region)) {
        return ApiError::Validation("One or more parameter values were invalid: Region " + region +
                                    " is not a peer of this node (" + store_->region() +
                                    "); give the node --peer " + region +
                                    "=URL or a [[node]] entry for it");
      }
      replicas[region] = "CREATING";
      creates.push_back(region);
    } else {
      if (!replicas.count(region) || !table.IsGlobal()) {
        return ApiError::Validation("One or more parameter values were invalid: Table " +
                                    table.name + " has no replica in region " + region);
      }
      replicas.erase(region);
      deletes.push_back(region);
    }
  }
  // Create the new replica tables first; undo them if anything fails later.
  std::vector<std::string> made;
  auto undo = [&](ApiError error) -> Response {
    for (const auto& region : made) {
      (void)replicator_->CallPeer(region, {{"op", "DeleteReplicaTable"}, {"table", table.name}});
    }
    return error;
  };
  for (const auto& region : creates) {
    auto done = replicator_->CallPeer(region, {{"op", "CreateReplicaTable"},
                                               {"table", table.name},
                                               {"definition", ReplicaDefinition(table)}});
    if (!done.ok()) {
      if (done.status().code() == Status::Code::kAlreadyExists) {
        return undo(ApiError::Validation(
            "Failed to create a the new replica of table with name: '" + table.name +
            "' because one or more replicas already existed as tables."));
      }
      if (done.status().code() == Status::Code::kInvalidArgument) {
        return undo(ApiError::Validation("One or more parameter values were invalid: Region " +
                                         region + " refused the replica: " +
                                         done.status().message()));
      }
      return undo(Unreachable(region, done.status()));
    }
    made.push_back(region);
  }
  // A group of one is a regional table again.
  if (replicas.size() == 1) replicas.clear();
  std::set<std::string> also_tell(deletes.begin(), deletes.end());
  auto published = PublishReplicas(table, replicas, also_tell, kVersion2019);
  if (!published.ok()) return undo(published.error());
  // DynamoDB drops the table of a deleted replica.
  for (const auto& region : deletes) {
    auto dropped =
        replicator_->CallPeer(region, {{"op", "DeleteReplicaTable"}, {"table", table.name}});
    if (!dropped.ok()) return Unreachable(region, dropped.status());
  }
  auto updated = store_->FindTable(table.name);
  if (!updated) return ApiError::ResourceNotFound();
  return json::object{{"TableDescription", DescribeTableJson(*updated)}};
}

Result<bool> Executor::LeaveGlobalTable(const storage::TableMeta& table) {
  if (!table.IsGlobal() || replicator_ == nullptr) return true;
  std::map<std::string, std::string> rest = table.replicas;
  rest.erase(store_->region());
  if (rest.size() == 1) rest.clear();
  json::object reps;
  for (const auto& [r, s] : rest) reps[r] = s;
  for (const auto& [region, state] : table.replicas) {
    if (region == store_->region()) continue;
    auto done = replicator_->CallPeer(region, {{"op", "SetReplicas"},
                                               {"table", table.name},
                                               {"replicas", reps},
                                               {"version", table.global_table_version},
                                               {"created", table.global_created}});
    if (!done.ok() && done.status().code() != Status::Code::kNotFound) {
      return ApiError::Dynamo(500, "InternalServerError",
                              "Region " + region + " could not be told that table " + table.name +
                                  " leaves its global table: " + done.status().message() +
                                  ". Try again when it is reachable, or remove this replica "
                                  "from another region first");
    }
  }
  Status st = SetReplicas(table.name, {}, "", 0);
  if (!st.ok()) return ApiError::FromStatus(st);
  return true;
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
    if (!IsLegacyGlobal(*t) || (!start.empty() && t->name <= start)) continue;
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
