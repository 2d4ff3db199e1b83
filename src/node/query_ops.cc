// Query and Scan: key-ordered reads over a key range, with DynamoDB's
// paging (Limit counts items evaluated; a page stops at 1 MB of items read),
// FilterExpression after the read, Select, projection and parallel scan.
#include <boost/json.hpp>

#include "expr/key_condition.h"
#include "node/executor.h"
#include "node/item_request.h"
#include "node/legacy_params.h"
#include "storage/key_codec.h"
#include "types/attribute_json.h"
#include "types/item_size.h"

namespace tandem::node {
namespace json = boost::json;
namespace {

constexpr size_t kPageBytes = 1024 * 1024;

Field SelectField() {
  return Enum(StringField("Select"),
              {"SPECIFIC_ATTRIBUTES", "COUNT", "ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES"});
}

Field ConditionsMapField(const char* name) {
  return MapOf(
      name,
      StructField(
          "member", "Condition",
          {ListOf("AttributeValueList", Field{.name = "member", .kind = FieldKind::kAttrValue}),
           NotNull(Enum(StringField("ComparisonOperator"),
                        {"IN", "NULL", "BETWEEN", "LT", "NOT_CONTAINS", "EQ", "GT", "NOT_NULL",
                         "NE", "LE", "BEGINS_WITH", "GE", "CONTAINS"}))}),
      "com.amazonaws.dynamodb.v20120810.Condition");
}

std::vector<Field> CommonReadFields() {
  return {TableNameField(),
          [] {
            Field f = TableNameField("IndexName");
            f.not_null = false;
            return f;
          }(),
          SelectField(),
          Length(ListOf("AttributesToGet", StringField("member")), 1, 255),
          Range(IntField("Limit"), 1, std::nullopt),
          BoolField("ConsistentRead"),
          Enum(StringField("ConditionalOperator"), {"OR", "AND"}),
          AttrMapField("ExclusiveStartKey"),
          ReturnConsumedCapacityField(),
          StringField("ProjectionExpression"),
          StringField("FilterExpression"),
          ExpressionNamesField(),
          ExpressionValuesField()};
}

// Checks Select against the projection, with DynamoDB's messages: Query
// wraps them in "1 validation error detected: ", Scan does not.
std::optional<ApiError> CheckSelect(const json::object& body, const Expressions& exprs,
                                    bool query) {
  const std::string select = MemberString(body, "Select");
  const std::string prefix = query ? "1 validation error detected: " : "";
  if (select == "SPECIFIC_ATTRIBUTES" && !exprs.projection) {
    return ApiError::Validation(prefix +
                                "Must specify the AttributesToGet or ProjectionExpression when "
                                "choosing to get SPECIFIC_ATTRIBUTES");
  }
  if (select == "ALL_PROJECTED_ATTRIBUTES") {
    return ApiError::Validation(
        prefix + "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName");
  }
  if ((select == "ALL_ATTRIBUTES" || select == "COUNT") && exprs.projection) {
    return ApiError::Validation(
        prefix + "Cannot specify the " +
        std::string(body.contains("ProjectionExpression") ? "ProjectionExpression"
                                                          : "AttributesToGet") +
        " when choosing to get " + (select == "COUNT" ? "only the Count" : select));
  }
  return std::nullopt;
}

std::optional<ApiError> CheckIndex(const json::object& body) {
  if (const auto* v = body.if_contains("IndexName"); v != nullptr && v->is_string()) {
    return ApiError::Validation("The table does not have the specified index: " +
                                std::string(v->as_string()));
  }
  return std::nullopt;
}

// Parses ExclusiveStartKey with the wording DynamoDB uses for Scan: every
// key error prefixed with "The provided starting key is invalid: ".
Result<std::optional<Item>> ParseScanStartKey(const json::object& body,
                                              const storage::TableMeta& table) {
  const auto* v = body.if_contains("ExclusiveStartKey");
  if (v == nullptr || v->is_null()) return std::optional<Item>();
  auto key = ParseKey(v, table);
  if (!key.ok()) {
    ApiError e = key.error();
    if (e.ShortType() == "ValidationException") {
      e.message = "The provided starting key is invalid: " + e.message;
    }
    return e;
  }
  return std::optional<Item>(std::move(key.value()));
}

// Query words it differently: a start key of the wrong shape is just
// "invalid", while a key element of the wrong type gets the plain key error.
Result<std::optional<Item>> ParseQueryStartKey(const json::object& body,
                                               const storage::TableMeta& table) {
  const auto* v = body.if_contains("ExclusiveStartKey");
  if (v == nullptr || v->is_null()) return std::optional<Item>();
  TANDEM_API_TRY(Item start, ParseAttributeMap(v));
  const size_t expected = table.range_key ? 2 : 1;
  bool complete = start.size() == expected && start.count(table.hash_key.name) != 0;
  if (table.range_key) complete = complete && start.count(table.range_key->name) != 0;
  if (!complete) return ApiError::Validation("The provided starting key is invalid");
  TANDEM_API_TRY(Item key, ParseKey(v, table));
  return std::optional<Item>(std::move(key));
}

std::string StartKeyBytes(const storage::TableMeta& table, const Item& key) {
  const Value* range = table.range_key ? &key.at(table.range_key->name) : nullptr;
  return storage::ItemKey(table.id, key.at(table.hash_key.name), range);
}

struct ReadPlan {
  std::string lower;
  std::string upper;
  bool reverse = false;
};

// Runs a plan and writes Items/Count/ScannedCount/LastEvaluatedKey.
Executor::Response RunRead(const storage::Store& store, const storage::TableMeta& table,
                           const json::object& body, const Expressions& exprs, ReadPlan plan,
                           const std::optional<Item>& start_key) {
  if (start_key) {
    const std::string start = StartKeyBytes(table, *start_key);
    if (plan.reverse) {
      if (start < plan.upper || plan.upper.empty()) plan.upper = start;
    } else {
      std::string after = start;
      after.push_back('\0');
      if (after > plan.lower) plan.lower = std::move(after);
    }
  }
  int64_t limit = -1;
  if (const auto* l = body.if_contains("Limit"); l != nullptr && l->is_number()) {
    limit = JsonInt(*l);
  }
  const bool count_only = MemberString(body, "Select") == "COUNT";
  json::array items;
  int64_t count = 0;
  int64_t scanned = 0;
  size_t bytes_read = 0;
  std::optional<Item> last_key;
  bool more = false;
  if (plan.upper.empty() || plan.lower < plan.upper) {
    auto cursor = store.NewCursor(plan.lower, plan.upper, plan.reverse);
    for (; cursor->Valid(); cursor->Next()) {
      if ((limit >= 0 && scanned >= limit) || bytes_read >= kPageBytes) {
        more = true;
        break;
      }
      auto item = cursor->item();
      if (!item.ok()) return ApiError::FromStatus(item.status());
      ++scanned;
      bytes_read += ItemSize(*item);
      last_key = KeyOf(*item, table);
      if (exprs.filter && !Evaluate(*exprs.filter, *item)) continue;
      ++count;
      if (!count_only) {
        items.push_back(ItemToJson(exprs.projection ? Project(*exprs.projection, *item) : *item));
      }
    }
    Status st = cursor->status();
    if (!st.ok()) return ApiError::FromStatus(st);
    // DynamoDB reports a LastEvaluatedKey whenever the page ended on the
    // Limit, without looking ahead for more items.
    if (!more && limit >= 0 && scanned == limit) more = true;
  }
  json::object out;
  if (!count_only) out["Items"] = std::move(items);
  out["Count"] = count;
  out["ScannedCount"] = scanned;
  if (more && last_key) out["LastEvaluatedKey"] = ItemToJson(*last_key);
  if (auto cc = ConsumedCapacity(body, table.name,
                                 ReadUnits(bytes_read, MemberBool(body, "ConsistentRead")))) {
    out["ConsumedCapacity"] = std::move(*cc);
  }
  return out;
}

storage::RangeOp ToRangeOp(KeyOp op) {
  switch (op) {
    case KeyOp::kEq:
      return storage::RangeOp::kEq;
    case KeyOp::kLt:
      return storage::RangeOp::kLt;
    case KeyOp::kLe:
      return storage::RangeOp::kLe;
    case KeyOp::kGt:
      return storage::RangeOp::kGt;
    case KeyOp::kGe:
      return storage::RangeOp::kGe;
    case KeyOp::kBetween:
      return storage::RangeOp::kBetween;
    case KeyOp::kBeginsWith:
      return storage::RangeOp::kBeginsWith;
  }
  return storage::RangeOp::kEq;
}

}  // namespace

Executor::Response Executor::Query(const json::object& body) {
  static const Schema schema = [] {
    Schema s = CommonReadFields();
    s.push_back(ConditionsMapField("KeyConditions"));
    s.push_back(ConditionsMapField("QueryFilter"));
    s.push_back(BoolField("ScanIndexForward"));
    s.push_back(StringField("KeyConditionExpression"));
    return s;
  }();
  if (auto err = CheckRequest(body, schema)) return *err;
  const auto* kce = body.if_contains("KeyConditionExpression");
  const auto* kc = body.if_contains("KeyConditions");
  if ((kce == nullptr || kce->is_null()) && (kc == nullptr || kc->is_null())) {
    return ApiError::Validation(
        "Either the KeyConditions or KeyConditionExpression parameter must be specified in the "
        "request.");
  }
  TANDEM_API_TRY(
      Expressions exprs,
      ParseExpressions(
          body, {{"ProjectionExpression", "FilterExpression", "KeyConditionExpression"},
                 {"AttributesToGet", "QueryFilter", "ConditionalOperator", "KeyConditions"}}));
  if (auto err = CheckSelect(body, exprs, /*query=*/true)) return *err;
  TANDEM_API_TRY(auto table, FindTable(body));
  if (auto err = CheckIndex(body)) return *err;

  KeySchemaInfo key_schema;
  key_schema.hash_name = table->hash_key.name;
  key_schema.hash_type = table->hash_key.type;
  if (table->range_key) {
    key_schema.range_name = table->range_key->name;
    key_schema.range_type = table->range_key->type;
  }
  ExpressionContext context(&exprs.names, &exprs.values);
  std::optional<KeyCondition> key_condition;
  if (exprs.key_condition_text) {
    auto parsed = ParseKeyCondition(*exprs.key_condition_text, &context, key_schema);
    if (!parsed.ok()) return ApiError::Validation(parsed.status().message());
    key_condition = std::move(parsed).value();
  } else {
    TANDEM_API_TRY(key_condition, LegacyKeyConditions(body, key_schema));
  }
  TANDEM_API_TRY(std::optional<Item> start_key, ParseQueryStartKey(body, *table));
  if (start_key) {
    const Value& start_hash = start_key->at(table->hash_key.name);
    if (start_hash != key_condition->hash_value) {
      return ApiError::Validation(
          "The provided starting key is outside query boundaries based on provided conditions");
    }
    if (key_condition->range &&
        !key_condition->range->Matches(start_key->at(table->range_key->name))) {
      return ApiError::Validation(
          "The provided starting key does not match the range key predicate");
    }
  }

  ReadPlan plan;
  const std::string prefix = storage::PartitionPrefix(table->id, key_condition->hash_value);
  if (key_condition->range) {
    const auto& r = *key_condition->range;
    auto bounds = storage::RangeBounds(prefix, ToRangeOp(r.op), r.value,
                                       r.op == KeyOp::kBetween ? &r.value2 : nullptr);
    if (!bounds.ok()) return ApiError::Validation(bounds.status().message());
    plan.lower = bounds->start;
    plan.upper = bounds->end;
  } else {
    plan.lower = prefix;
    plan.upper = storage::PrefixSuccessor(prefix);
  }
  if (const auto* f = body.if_contains("ScanIndexForward"); f != nullptr && !f->is_null()) {
    plan.reverse = !MemberBool(body, "ScanIndexForward");
  }
  return RunRead(*store_, *table, body, exprs, std::move(plan), start_key);
}

Executor::Response Executor::Scan(const json::object& body) {
  static const Schema schema = [] {
    Schema s = CommonReadFields();
    s.push_back(ConditionsMapField("ScanFilter"));
    s.push_back(Range(IntField("Segment"), 0, 999999));
    s.push_back(Range(IntField("TotalSegments"), 1, 1000000));
    return s;
  }();
  if (auto err = CheckRequest(body, schema)) return *err;
  const auto* seg = body.if_contains("Segment");
  const auto* total = body.if_contains("TotalSegments");
  const bool has_seg = seg != nullptr && !seg->is_null();
  const bool has_total = total != nullptr && !total->is_null();
  if (has_seg && !has_total) {
    return ApiError::Validation(
        "The TotalSegments parameter is required but was not present in the request when Segment "
        "parameter is present");
  }
  uint32_t segment = 0;
  uint32_t total_segments = 1;
  if (has_total) {
    if (!has_seg) {
      return ApiError::Validation(
          "The Segment parameter is required but was not present in the request when parameter "
          "TotalSegments is present");
    }
    segment = static_cast<uint32_t>(JsonInt(*seg));
    total_segments = static_cast<uint32_t>(JsonInt(*total));
    if (segment >= total_segments) {
      return ApiError::Validation(
          "The Segment parameter is zero-based and must be less than parameter TotalSegments: "
          "Segment: " +
          std::to_string(segment) +
          " is not less than TotalSegments: " + std::to_string(total_segments));
    }
  }
  TANDEM_API_TRY(
      Expressions exprs,
      ParseExpressions(body, {{"ProjectionExpression", "FilterExpression"},
                              {"AttributesToGet", "ScanFilter", "ConditionalOperator"}}));
  if (auto err = CheckSelect(body, exprs, /*query=*/false)) return *err;
  TANDEM_API_TRY(auto table, FindTable(body));
  if (auto err = CheckIndex(body)) return *err;
  TANDEM_API_TRY(std::optional<Item> start_key, ParseScanStartKey(body, *table));

  storage::KeyRange bounds = storage::ScanSegmentBounds(table->id, segment, total_segments);
  ReadPlan plan{bounds.start, bounds.end, false};
  if (plan.upper.empty()) plan.upper = storage::ItemKeyPrefix(table->id + 1);
  if (start_key && total_segments > 1) {
    const std::string start = StartKeyBytes(*table, *start_key);
    if (start < plan.lower || start >= plan.upper) {
      return ApiError::Validation(
          "The provided starting key is invalid: Invalid ExclusiveStartKey. Please use "
          "ExclusiveStartKey with correct Segment. TotalSegments: " +
          std::to_string(total_segments) + " Segment: " + std::to_string(segment));
    }
  }
  return RunRead(*store_, *table, body, exprs, std::move(plan), start_key);
}

}  // namespace tandem::node
