// Table operations: CreateTable, DescribeTable, ListTables, UpdateTable,
// DeleteTable, tags, DescribeEndpoints, DescribeLimits, DescribeTimeToLive.
#include <openssl/rand.h>

#include <boost/json.hpp>
#include <cstdio>
#include <set>

#include "node/executor.h"
#include "node/item_request.h"
#include "node/request_schema.h"

namespace tandem::node {
namespace json = boost::json;
namespace {

constexpr char kAccountId[] = "000000000000";
constexpr int64_t kMaxThroughput = 1'000'000'000'000;  // DynamoDB's upper bound

std::string NewUuid() {
  unsigned char b[16];
  RAND_bytes(b, sizeof(b));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  char out[37];
  std::snprintf(out, sizeof(out),
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                b[15]);
  return out;
}

Field ThroughputField() {
  return StructField("ProvisionedThroughput", "ProvisionedThroughput",
                     {Range(NotNull(LongField("ReadCapacityUnits")), 1, std::nullopt),
                      Range(NotNull(LongField("WriteCapacityUnits")), 1, std::nullopt)});
}

Field KeySchemaField(bool check_enum) {
  Field key_type = NotNull(StringField("KeyType"));
  if (check_enum) key_type = Enum(key_type, {"HASH", "RANGE"});
  return Length(
      NotNull(ListOf("KeySchema", StructField("member", "KeySchemaElement",
                                              {NotNull(StringField("AttributeName")), key_type}))),
      1, 2);
}

Field IndexListField(const char* name, const char* struct_name) {
  return ListOf(
      name, StructField(
                "member", struct_name,
                {TableNameField("IndexName"), KeySchemaField(false),
                 NotNull(StructField(
                     "Projection", "Projection",
                     {Enum(StringField("ProjectionType"), {"ALL", "INCLUDE", "KEYS_ONLY"}),
                      Length(ListOf("NonKeyAttributes", StringField("member")), 1, std::nullopt)})),
                 ThroughputField()}));
}

const Schema& CreateTableSchema() {
  static const Schema schema = {
      NotNull(ListOf("AttributeDefinitions",
                     StructField("member", "AttributeDefinition",
                                 {NotNull(StringField("AttributeName")),
                                  Enum(NotNull(StringField("AttributeType")), {"B", "N", "S"})}))),
      TableNameField(),
      Enum(StringField("BillingMode"), {"PROVISIONED", "PAY_PER_REQUEST"}),
      ThroughputField(),
      KeySchemaField(true),
      IndexListField("LocalSecondaryIndexes", "LocalSecondaryIndex"),
      IndexListField("GlobalSecondaryIndexes", "GlobalSecondaryIndex"),
      Enum(StringField("TableClass"), {"STANDARD", "STANDARD_INFREQUENT_ACCESS"}),
      BoolField("DeletionProtectionEnabled"),
      ListOf("Tags", StructField("member", "Tag",
                                 {Length(NotNull(StringField("Key")), 1, 128),
                                  Length(NotNull(StringField("Value")), 0, 256)})),
  };
  return schema;
}

const Schema& TableNameOnlySchema() {
  static const Schema schema = {TableNameField()};
  return schema;
}

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + v[i];
  return out;
}

int64_t GetLong(const json::value& v) { return JsonInt(v); }

const json::object* Obj(const json::object& body, std::string_view name) {
  const auto* v = body.if_contains(name);
  return v != nullptr && v->is_object() ? &v->as_object() : nullptr;
}
const json::array* Arr(const json::object& body, std::string_view name) {
  const auto* v = body.if_contains(name);
  return v != nullptr && v->is_array() ? &v->as_array() : nullptr;
}
std::string Str(const json::object& body, std::string_view name) {
  const auto* v = body.if_contains(name);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

// The throughput checks CreateTable and UpdateTable share.
std::optional<ApiError> CheckThroughputBounds(const json::object* pt) {
  if (pt == nullptr) return std::nullopt;
  for (const char* name : {"ReadCapacityUnits", "WriteCapacityUnits"}) {
    const auto* v = pt->if_contains(name);
    if (v != nullptr && v->is_number() && GetLong(*v) > kMaxThroughput) {
      return ApiError::Validation("Given value " + std::to_string(GetLong(*v)) + " for " + name +
                                  " is out of bounds");
    }
  }
  return std::nullopt;
}

std::optional<ApiError> ValidateTags(const json::array* tags) {
  if (tags == nullptr) return std::nullopt;
  for (const auto& t : *tags) {
    const auto& obj = t.as_object();
    const auto* key = obj.if_contains("Key");
    if (key == nullptr || !key->is_string()) continue;
    if (key->as_string().starts_with("aws:")) {
      return ApiError::Validation(
          "One or more parameter values were invalid: Tag key cannot start with \"aws:\"");
    }
  }
  return std::nullopt;
}

}  // namespace

std::string Executor::TableArn(std::string_view table) const {
  return "arn:aws:dynamodb:" + store_->region() + ":" + kAccountId + ":table/" + std::string(table);
}

Result<std::shared_ptr<const storage::TableMeta>> Executor::FindTable(
    const json::object& body, std::string_view member) const {
  auto table = store_->FindTable(Str(body, member));
  if (!table) return ApiError::ResourceNotFound();
  return table;
}

json::object Executor::DescribeTableJson(const storage::TableMeta& meta) const {
  json::object t;
  json::array defs;
  for (const auto& [name, type] : meta.attribute_definitions) {
    defs.push_back(json::object{{"AttributeName", name}, {"AttributeType", type}});
  }
  t["AttributeDefinitions"] = std::move(defs);
  t["TableName"] = meta.name;
  json::array keys;
  keys.push_back(json::object{{"AttributeName", meta.hash_key.name}, {"KeyType", "HASH"}});
  if (meta.range_key) {
    keys.push_back(json::object{{"AttributeName", meta.range_key->name}, {"KeyType", "RANGE"}});
  }
  t["KeySchema"] = std::move(keys);
  t["TableStatus"] = meta.status;
  t["CreationDateTime"] = meta.creation_time;
  json::object pt;
  if (meta.last_increase_time > 0) pt["LastIncreaseDateTime"] = meta.last_increase_time;
  if (meta.last_decrease_time > 0) pt["LastDecreaseDateTime"] = meta.last_decrease_time;
  pt["NumberOfDecreasesToday"] = meta.decreases_today;
  pt["ReadCapacityUnits"] = meta.read_capacity;
  pt["WriteCapacityUnits"] = meta.write_capacity;
  t["ProvisionedThroughput"] = std::move(pt);
  const storage::TableStats stats = store_->Stats(meta.id);
  t["TableSizeBytes"] = stats.size_bytes;
  t["ItemCount"] = stats.item_count;
  t["TableArn"] = TableArn(meta.name);
  t["TableId"] = meta.table_uuid;
  json::object billing{{"BillingMode", meta.billing_mode}};
  if (meta.billing_mode == "PAY_PER_REQUEST") {
    billing["LastUpdateToPayPerRequestDateTime"] = meta.pay_per_request_since;
  }
  t["BillingModeSummary"] = std::move(billing);
  t["DeletionProtectionEnabled"] = meta.deletion_protection;
  if (meta.IsGlobal()) {
    // As DynamoDB: Replicas names the other regions of the group.
    json::array replicas;
    for (const auto& [region, state] : meta.replicas) {
      if (region == store_->region()) continue;
      replicas.push_back(json::object{{"RegionName", region}, {"ReplicaStatus", state}});
    }
    t["Replicas"] = std::move(replicas);
    t["GlobalTableVersion"] = meta.global_table_version;
  }
  return t;
}

Executor::Response Executor::CreateTable(const json::object& body) {
  if (auto err = CheckRequest(body, CreateTableSchema())) return *err;
  const std::string billing = body.contains("BillingMode") && body.at("BillingMode").is_string()
                                  ? std::string(body.at("BillingMode").as_string())
                                  : "PROVISIONED";
  const json::object* pt = Obj(body, "ProvisionedThroughput");
  if (billing == "PAY_PER_REQUEST") {
    if (pt != nullptr) {
      return ApiError::Validation(
          "One or more parameter values were invalid: Neither ReadCapacityUnits nor "
          "WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST");
    }
  } else {
    if (pt == nullptr) {
      return ApiError::Validation(
          "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits "
          "must both be specified when BillingMode is PROVISIONED");
    }
    if (auto err = CheckThroughputBounds(pt)) return *err;
  }

  const json::array& def_array = *Arr(body, "AttributeDefinitions");
  const json::array& key_array = *Arr(body, "KeySchema");
  std::vector<std::string> defs;
  std::map<std::string, std::string> def_types;
  for (const auto& d : def_array) {
    const std::string name(d.as_object().at("AttributeName").as_string());
    defs.push_back(name);
    def_types[name] = std::string(d.as_object().at("AttributeType").as_string());
  }
  std::vector<std::string> keys;
  for (const auto& k : key_array) keys.emplace_back(k.as_object().at("AttributeName").as_string());

  if (keys.size() > defs.size()) {
    return ApiError::Validation("Invalid KeySchema: Some index key attribute have no definition");
  }
  for (const auto& k : keys) {
    if (def_types.count(k) == 0) {
      return ApiError::Validation(
          "One or more parameter values were invalid: Some index key attributes are not defined "
          "in AttributeDefinitions. Keys: [" +
          Join(keys) + "], AttributeDefinitions: [" + Join(defs) + "]");
    }
  }
  if (keys.size() == 2 && keys[0] == keys[1]) {
    return ApiError::Validation(
        "Both the Hash Key and the Range Key element in the KeySchema have the same name");
  }
  if (key_array[0].as_object().at("KeyType").as_string() != "HASH") {
    return ApiError::Validation(
        "Invalid KeySchema: The first KeySchemaElement is not a HASH key type");
  }
  if (keys.size() == 2 && key_array[1].as_object().at("KeyType").as_string() != "RANGE") {
    return ApiError::Validation(
        "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type");
  }
  if (body.contains("LocalSecondaryIndexes") || body.contains("GlobalSecondaryIndexes")) {
    if (!body.at(body.contains("LocalSecondaryIndexes") ? "LocalSecondaryIndexes"
                                                        : "GlobalSecondaryIndexes")
             .is_null()) {
      return ApiError::Validation(
          "One or more parameter values were invalid: Secondary indexes are not supported by this "
          "Tandem version yet; create the table without LocalSecondaryIndexes and "
          "GlobalSecondaryIndexes");
    }
  }
  if (keys.size() != defs.size()) {
    return ApiError::Validation(
        "One or more parameter values were invalid: Number of attributes in KeySchema does not "
        "exactly match number of attributes defined in AttributeDefinitions");
  }
  if (auto err = ValidateTags(Arr(body, "Tags"))) return *err;

  storage::TableMeta meta;
  meta.name = Str(body, "TableName");
  meta.table_uuid = NewUuid();
  auto key_element = [&](const std::string& name) {
    const std::string& t = def_types[name];
    return storage::KeyElement{name, t == "N"   ? ValueType::kN
                                     : t == "B" ? ValueType::kB
                                                : ValueType::kS};
  };
  meta.hash_key = key_element(keys[0]);
  if (keys.size() == 2) meta.range_key = key_element(keys[1]);
  for (const auto& d : defs) meta.attribute_definitions.emplace_back(d, def_types[d]);
  meta.billing_mode = billing;
  if (pt != nullptr) {
    meta.read_capacity = GetLong(pt->at("ReadCapacityUnits"));
    meta.write_capacity = GetLong(pt->at("WriteCapacityUnits"));
  }
  meta.creation_time = static_cast<double>(clock_->NowMicros() / 1000) / 1000.0;
  if (billing == "PAY_PER_REQUEST") meta.pay_per_request_since = meta.creation_time;
  meta.deletion_protection = MemberBool(body, "DeletionProtectionEnabled");
  if (const auto* tags = Arr(body, "Tags")) {
    for (const auto& t : *tags) {
      meta.tags[std::string(t.as_object().at("Key").as_string())] =
          std::string(t.as_object().at("Value").as_string());
    }
  }
  auto created = store_->CreateTable(std::move(meta));
  if (!created.ok()) {
    if (created.status().code() == Status::Code::kAlreadyExists) {
      return ApiError::ResourceInUse("Table already exists: " + Str(body, "TableName"));
    }
    return ApiError::FromStatus(created.status());
  }
  json::object desc = DescribeTableJson(**created);
  // A new table reports CREATING in the CreateTable answer, as DynamoDB does;
  // it is usable at once and every later DescribeTable says ACTIVE.
  desc["TableStatus"] = "CREATING";
  return json::object{{"TableDescription", std::move(desc)}};
}

Executor::Response Executor::DescribeTable(const json::object& body) {
  if (auto err = CheckRequest(body, TableNameOnlySchema())) return *err;
  auto table = store_->FindTable(Str(body, "TableName"));
  if (!table) {
    return ApiError::ResourceNotFound(
        "Requested resource not found: Table: " + Str(body, "TableName") + " not found");
  }
  table = RefreshReplicaStatus(std::move(table));
  return json::object{{"Table", DescribeTableJson(*table)}};
}

Executor::Response Executor::ListTables(const json::object& body) {
  static const Schema schema = {
      Range(IntField("Limit"), 1, 100),
      Length(Field{.name = "ExclusiveStartTableName", .name_pattern = true}, 3, 255),
  };
  if (auto err = CheckRequest(body, schema)) return *err;
  size_t limit = 100;
  if (const auto* l = body.if_contains("Limit"); l != nullptr && l->is_number()) {
    limit = static_cast<size_t>(std::clamp<int64_t>(GetLong(*l), 1, 100));
  }
  const std::string start = Str(body, "ExclusiveStartTableName");
  json::array names;
  std::string last;
  bool more = false;
  for (const auto& t : store_->ListTables()) {
    if (!start.empty() && t->name <= start) continue;
    if (names.size() == limit) {
      more = true;
      break;
    }
    names.push_back(json::string(t->name));
    last = t->name;
  }
  json::object out{{"TableNames", std::move(names)}};
  if (more) out["LastEvaluatedTableName"] = last;
  return out;
}

Executor::Response Executor::UpdateTable(const json::object& body) {
  static const Schema schema = {
      TableNameField(),
      Enum(StringField("BillingMode"), {"PROVISIONED", "PAY_PER_REQUEST"}),
      ThroughputField(),
      ListOf("AttributeDefinitions",
             StructField("member", "AttributeDefinition",
                         {NotNull(StringField("AttributeName")),
                          Enum(NotNull(StringField("AttributeType")), {"B", "N", "S"})})),
      BoolField("DeletionProtectionEnabled"),
      Length(ListOf("ReplicaUpdates",
                    StructField("member", "ReplicationGroupUpdate",
                                {StructField("Create", "CreateReplicationGroupMemberAction",
                                             {NotNull(StringField("RegionName"))}),
                                 StructField("Update", "UpdateReplicationGroupMemberAction",
                                             {NotNull(StringField("RegionName"))}),
                                 StructField("Delete", "DeleteReplicationGroupMemberAction",
                                             {NotNull(StringField("RegionName"))})})),
             1, std::nullopt),
  };
  if (auto err = CheckRequest(body, schema)) return *err;
  const json::object* pt = Obj(body, "ProvisionedThroughput");
  const std::string billing = Str(body, "BillingMode");
  const bool has_other = body.contains("GlobalSecondaryIndexUpdates") ||
                         body.contains("StreamSpecification") ||
                         body.contains("SSESpecification") || body.contains("ReplicaUpdates") ||
                         body.contains("DeletionProtectionEnabled") || body.contains("TableClass");
  if (pt == nullptr && billing.empty() && !has_other) {
    return ApiError::Validation(
        "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, "
        "GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required");
  }
  if (billing == "PROVISIONED" && pt == nullptr) {
    return ApiError::Validation(
        "One or more parameter values were invalid: ProvisionedThroughput must be specified when "
        "BillingMode is PROVISIONED");
  }
  if (auto err = CheckThroughputBounds(pt)) return *err;
  for (const char* unsupported :
       {"GlobalSecondaryIndexUpdates", "StreamSpecification", "SSESpecification"}) {
    if (const auto* v = body.if_contains(unsupported); v != nullptr && !v->is_null()) {
      return ApiError::Validation(std::string("One or more parameter values were invalid: ") +
                                  unsupported + " is not supported by this Tandem version yet");
    }
  }
  auto found = store_->FindTable(Str(body, "TableName"));
  if (!found) {
    return ApiError::ResourceNotFound(
        "Requested resource not found: Table: " + Str(body, "TableName") + " not found");
  }
  if (const json::array* replica_updates = Arr(body, "ReplicaUpdates")) {
    if (pt != nullptr || !billing.empty() || body.contains("DeletionProtectionEnabled") ||
        body.contains("TableClass")) {
      return ApiError::Validation(
          "One or more parameter values were invalid: ReplicaUpdates cannot be combined with "
          "other table updates in one UpdateTable request");
    }
    return UpdateReplicas(*found, *replica_updates);
  }
  storage::TableMeta meta = *found;
  const std::string target_billing = billing.empty() ? meta.billing_mode : billing;
  if (pt != nullptr && target_billing == "PAY_PER_REQUEST") {
    return ApiError::Validation(
        "One or more parameter values were invalid: Neither ReadCapacityUnits nor "
        "WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST");
  }
  const double now = static_cast<double>(clock_->NowMicros() / 1000) / 1000.0;
  if (pt != nullptr) {
    const int64_t rcu = GetLong(pt->at("ReadCapacityUnits"));
    const int64_t wcu = GetLong(pt->at("WriteCapacityUnits"));
    if (meta.billing_mode == "PROVISIONED" && rcu == meta.read_capacity &&
        wcu == meta.write_capacity) {
      return ApiError::Validation(
          "The provisioned throughput for the table will not change. The requested value equals "
          "the current value. Current ReadCapacityUnits provisioned for the table: " +
          std::to_string(meta.read_capacity) + ". Requested ReadCapacityUnits: " +
          std::to_string(rcu) + ". Current WriteCapacityUnits provisioned for the table: " +
          std::to_string(meta.write_capacity) +
          ". Requested WriteCapacityUnits: " + std::to_string(wcu) +
          ". Refer to the Amazon DynamoDB Developer Guide for current limits and how to request "
          "higher limits.");
    }
    if (rcu > meta.read_capacity || wcu > meta.write_capacity) meta.last_increase_time = now;
    if (rcu < meta.read_capacity || wcu < meta.write_capacity) {
      meta.last_decrease_time = now;
      ++meta.decreases_today;
    }
    meta.read_capacity = rcu;
    meta.write_capacity = wcu;
  }
  if (target_billing != meta.billing_mode) {
    meta.billing_mode = target_billing;
    if (target_billing == "PAY_PER_REQUEST") {
      meta.pay_per_request_since = now;
      meta.read_capacity = 0;
      meta.write_capacity = 0;
    }
  }
  if (body.contains("DeletionProtectionEnabled")) {
    meta.deletion_protection = MemberBool(body, "DeletionProtectionEnabled");
  }
  Status st = store_->UpdateTable(meta);
  if (!st.ok()) return ApiError::FromStatus(st);
  return json::object{{"TableDescription", DescribeTableJson(meta)}};
}

Executor::Response Executor::DeleteTable(const json::object& body) {
  if (auto err = CheckRequest(body, TableNameOnlySchema())) return *err;
  auto table = store_->FindTable(Str(body, "TableName"));
  if (!table) {
    return ApiError::ResourceNotFound(
        "Requested resource not found: Table: " + Str(body, "TableName") + " not found");
  }
  if (table->deletion_protection) {
    return ApiError::Validation(
        "Resource cannot be deleted as it is currently protected against deletion. Disable "
        "deletion protection first.");
  }
  json::object desc = DescribeTableJson(*table);
  // A replica of a global table leaves the group first, so the other regions
  // stop shipping to it.
  TANDEM_API_TRY(bool left, LeaveGlobalTable(*table));
  (void)left;
  Status st = store_->DeleteTable(table->name);
  if (!st.ok()) {
    if (st.code() == Status::Code::kNotFound) {
      return ApiError::ResourceNotFound("Requested resource not found: Table: " + table->name +
                                        " not found");
    }
    return ApiError::FromStatus(st);
  }
  desc["TableStatus"] = "DELETING";
  return json::object{{"TableDescription", std::move(desc)}};
}

namespace {

// Resolves a table ARN of this node; the error DynamoDB gives otherwise.
Result<std::string> TableFromArn(const std::string& arn, const std::string& prefix) {
  if (arn.empty()) return ApiError::Validation("Invalid TableArn");
  if (!arn.starts_with(prefix) || arn.size() <= prefix.size() ||
      arn.find('/', prefix.size()) != std::string::npos) {
    return ApiError::Validation("Invalid TableArn: Invalid ResourceArn provided as input " + arn);
  }
  return arn.substr(prefix.size());
}

}  // namespace

Executor::Response Executor::TagResource(const json::object& body) {
  static const Schema schema = {
      Length(NotNull(StringField("ResourceArn")), 1, 1283),
      NotNull(ListOf("Tags", StructField("member", "Tag",
                                         {Length(NotNull(StringField("Key")), 1, 128),
                                          Length(NotNull(StringField("Value")), 0, 256)}))),
  };
  if (auto err = CheckRequest(body, schema)) return *err;
  TANDEM_API_TRY(std::string name, TableFromArn(Str(body, "ResourceArn"), TableArn("")));
  const json::array& tags = *Arr(body, "Tags");
  if (tags.empty()) return ApiError::Validation("Atleast one Tag needs to be provided as Input.");
  if (auto err = ValidateTags(&tags)) return *err;
  auto table = store_->FindTable(name);
  if (!table) {
    return ApiError::ResourceNotFound(
        "Requested resource not found: ResourcArn: " + Str(body, "ResourceArn") + " not found");
  }
  storage::TableMeta meta = *table;
  for (const auto& t : tags) {
    meta.tags[std::string(t.as_object().at("Key").as_string())] =
        std::string(t.as_object().at("Value").as_string());
  }
  if (meta.tags.size() > 50) {
    return ApiError::LimitExceeded("The number of tags exceeds the limit of 50 for the resource " +
                                   Str(body, "ResourceArn"));
  }
  Status st = store_->UpdateTable(meta);
  if (!st.ok()) return ApiError::FromStatus(st);
  return json::object{};
}

Executor::Response Executor::UntagResource(const json::object& body) {
  static const Schema schema = {
      Length(NotNull(StringField("ResourceArn")), 1, 1283),
      NotNull(ListOf("TagKeys", Length(StringField("member"), 1, 128))),
  };
  if (auto err = CheckRequest(body, schema)) return *err;
  TANDEM_API_TRY(std::string name, TableFromArn(Str(body, "ResourceArn"), TableArn("")));
  const json::array& keys = *Arr(body, "TagKeys");
  if (keys.empty()) {
    return ApiError::Validation("Atleast one Tag Key needs to be provided as Input.");
  }
  auto table = store_->FindTable(name);
  if (!table) {
    // Unlike TagResource, DynamoDB's UntagResource does not name the ARN.
    return ApiError::ResourceNotFound("Requested resource not found");
  }
  storage::TableMeta meta = *table;
  for (const auto& k : keys) meta.tags.erase(std::string(k.as_string()));
  Status st = store_->UpdateTable(meta);
  if (!st.ok()) return ApiError::FromStatus(st);
  return json::object{};
}

Executor::Response Executor::ListTagsOfResource(const json::object& body) {
  static const Schema schema = {Length(NotNull(StringField("ResourceArn")), 1, 1283),
                                StringField("NextToken")};
  if (auto err = CheckRequest(body, schema)) return *err;
  TANDEM_API_TRY(std::string name, TableFromArn(Str(body, "ResourceArn"), TableArn("")));
  auto table = store_->FindTable(name);
  if (!table) {
    return ApiError::ResourceNotFound(
        "Requested resource not found: ResourcArn: " + Str(body, "ResourceArn") + " not found");
  }
  json::array tags;
  for (const auto& [k, v] : table->tags) tags.push_back(json::object{{"Key", k}, {"Value", v}});
  return json::object{{"Tags", std::move(tags)}};
}

Executor::Response Executor::DescribeEndpoints(const json::object& body) {
  return json::object{
      {"Endpoints",
       json::array{json::object{{"Address", "dynamodb." + store_->region() + ".amazonaws.com"},
                                {"CachePeriodInMinutes", 1440}}}}};
}

Executor::Response Executor::DescribeLimits(const json::object& body) {
  return json::object{{"AccountMaxReadCapacityUnits", 80000},
                      {"AccountMaxWriteCapacityUnits", 80000},
                      {"TableMaxReadCapacityUnits", 40000},
                      {"TableMaxWriteCapacityUnits", 40000}};
}

Executor::Response Executor::DescribeTimeToLive(const json::object& body) {
  if (auto err = CheckRequest(body, TableNameOnlySchema())) return *err;
  auto table = store_->FindTable(Str(body, "TableName"));
  if (!table) {
    return ApiError::ResourceNotFound(
        "Requested resource not found: Table: " + Str(body, "TableName") + " not found");
  }
  return json::object{{"TimeToLiveDescription", json::object{{"TimeToLiveStatus", "DISABLED"}}}};
}

}  // namespace tandem::node
