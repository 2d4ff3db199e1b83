// Item operations: PutItem, GetItem, UpdateItem, DeleteItem.
#include <algorithm>
#include <boost/json.hpp>

#include "node/executor.h"
#include "node/item_request.h"
#include "types/attribute_json.h"
#include "types/item_size.h"

namespace tandem::node {
namespace json = boost::json;
namespace {

Field ExpectedField() {
  return MapOf(
      "Expected",
      StructField(
          "member", "ExpectedAttributeValue",
          {ListOf("AttributeValueList", Field{.name = "member", .kind = FieldKind::kAttrValue}),
           Enum(StringField("ComparisonOperator"),
                {"IN", "NULL", "BETWEEN", "LT", "NOT_CONTAINS", "EQ", "GT", "NOT_NULL", "NE", "LE",
                 "BEGINS_WITH", "GE", "CONTAINS"}),
           BoolField("Exists"), Field{.name = "Value", .kind = FieldKind::kAttrValue}}),
      "com.amazonaws.dynamodb.v20120810.ExpectedAttributeValue");
}

Field ReturnOnFailureField() {
  return Enum(StringField("ReturnValuesOnConditionCheckFailure"), {"ALL_OLD", "NONE"});
}

// The error for a failed ConditionExpression, carrying the old item when the
// caller asked for it.
ApiError ConditionFailed(const json::object& body, const std::optional<Item>& current) {
  ApiError e = ApiError::ConditionalCheckFailed();
  if (MemberString(body, "ReturnValuesOnConditionCheckFailure") == "ALL_OLD" && current) {
    e.extra["Item"] = ItemToJson(*current);
  }
  return e;
}

// Runs a mutation whose decider may fail with a client error; keeps that
// error (the Store only carries a Status).
struct Outcome {
  std::optional<ApiError> error;
  std::optional<Item> old_item;
  std::optional<Item> new_item;
};

// PutItem's and DeleteItem's members: `subject` is "Item" or "Key".
Schema ConditionalWriteSchema(const char* subject) {
  return {ReturnConsumedCapacityField(),
          TableNameField(),
          NotNull(AttrMapField(subject)),
          Enum(StringField("ConditionalOperator"), {"OR", "AND"}),
          ExpectedField(),
          ReturnValuesField(),
          Enum(StringField("ReturnItemCollectionMetrics"), {"SIZE", "NONE"}),
          StringField("ConditionExpression"),
          ExpressionValuesField(),
          ExpressionNamesField(),
          ReturnOnFailureField()};
}

// Puts `item` (or deletes, when null) under `key` if the request's condition
// holds on the current item; the outcome carries the old item or the
// ConditionalCheckFailed error.
Outcome ConditionalWrite(storage::Store* store, const storage::TableMeta& table, const Item& key,
                         const json::object& body, const Expressions& exprs, const Item* item) {
  Outcome outcome;
  Status st = store->Mutate(
      table, key, [&](const std::optional<Item>& current) -> StatusOr<storage::Store::Mutation> {
        outcome.old_item = current;
        if (exprs.condition && !Evaluate(*exprs.condition, current ? *current : Item{})) {
          outcome.error = ConditionFailed(body, current);
          return storage::Store::Mutation{};
        }
        if (item == nullptr) {
          return storage::Store::Mutation{storage::Store::Mutation::Kind::kDelete, {}};
        }
        return storage::Store::Mutation{storage::Store::Mutation::Kind::kPut, *item};
      });
  if (!outcome.error && !st.ok()) outcome.error = ApiError::FromStatus(st);
  return outcome;
}

}  // namespace

Executor::Response Executor::PutItem(const json::object& body) {
  static const Schema schema = ConditionalWriteSchema("Item");
  if (auto err = CheckRequest(body, schema)) return *err;
  TANDEM_API_TRY(Item item_unchecked, ParseAttributeMap(body.if_contains("Item")));
  const std::string return_values = MemberString(body, "ReturnValues");
  if (!return_values.empty() && return_values != "ALL_OLD" && return_values != "NONE") {
    return ApiError::Validation("ReturnValues can only be ALL_OLD or NONE");
  }
  if (ItemSize(item_unchecked) > kMaxItemBytes) {
    return ApiError::Validation("Item size has exceeded the maximum allowed size");
  }
  TANDEM_API_TRY(Expressions exprs,
                 ParseExpressions(body, {{"ConditionExpression"}, {"Expected"}}));
  TANDEM_API_TRY(auto table, FindTable(body));
  if (auto err = CheckItemKey(item_unchecked, *table)) return *err;
  Item item = std::move(item_unchecked);

  Outcome outcome = ConditionalWrite(store_, *table, KeyOf(item, *table), body, exprs, &item);
  if (outcome.error) return *outcome.error;

  json::object out;
  if (return_values == "ALL_OLD" && outcome.old_item && !outcome.old_item->empty()) {
    out["Attributes"] = ItemToJson(*outcome.old_item);
  }
  const size_t bytes = std::max(ItemSize(item), outcome.old_item ? ItemSize(*outcome.old_item) : 0);
  if (auto cc = ConsumedCapacity(body, table->name, WriteUnits(bytes))) {
    out["ConsumedCapacity"] = std::move(*cc);
  }
  return out;
}

Executor::Response Executor::GetItem(const json::object& body) {
  static const Schema schema = {
      ReturnConsumedCapacityField(),
      Length(ListOf("AttributesToGet", StringField("member")), 1, 255),
      TableNameField(),
      NotNull(AttrMapField("Key")),
      BoolField("ConsistentRead"),
      StringField("ProjectionExpression"),
      ExpressionNamesField(),
  };
  if (auto err = CheckRequest(body, schema)) return *err;
  TANDEM_API_TRY(Item key_unchecked, ParseAttributeMap(body.if_contains("Key")));
  TANDEM_API_TRY(Expressions exprs,
                 ParseExpressions(body, {{"ProjectionExpression"}, {"AttributesToGet"}}));
  TANDEM_API_TRY(auto table, FindTable(body));
  TANDEM_API_TRY(Item key, ParseKey(body.if_contains("Key"), *table));
  auto found = store_->GetItem(*table, key);
  if (!found.ok()) return ApiError::FromStatus(found.status());
  json::object out;
  size_t bytes = 0;
  if (found->has_value()) {
    const Item& item = **found;
    bytes = ItemSize(item);
    out["Item"] = ItemToJson(exprs.projection ? Project(*exprs.projection, item) : item);
  }
  if (auto cc = ConsumedCapacity(body, table->name,
                                 ReadUnits(bytes, MemberBool(body, "ConsistentRead")))) {
    out["ConsumedCapacity"] = std::move(*cc);
  }
  return out;
}

Executor::Response Executor::DeleteItem(const json::object& body) {
  static const Schema schema = ConditionalWriteSchema("Key");
  if (auto err = CheckRequest(body, schema)) return *err;
  TANDEM_API_TRY(Item key_unchecked, ParseAttributeMap(body.if_contains("Key")));
  const std::string return_values = MemberString(body, "ReturnValues");
  if (!return_values.empty() && return_values != "ALL_OLD" && return_values != "NONE") {
    return ApiError::Validation("ReturnValues can only be ALL_OLD or NONE");
  }
  TANDEM_API_TRY(Expressions exprs,
                 ParseExpressions(body, {{"ConditionExpression"}, {"Expected"}}));
  TANDEM_API_TRY(auto table, FindTable(body));
  TANDEM_API_TRY(Item key, ParseKey(body.if_contains("Key"), *table));

  Outcome outcome = ConditionalWrite(store_, *table, key, body, exprs, nullptr);
  if (outcome.error) return *outcome.error;
  json::object out;
  if (return_values == "ALL_OLD" && outcome.old_item) {
    out["Attributes"] = ItemToJson(*outcome.old_item);
  }
  const size_t bytes = outcome.old_item ? ItemSize(*outcome.old_item) : 0;
  if (auto cc = ConsumedCapacity(body, table->name, WriteUnits(bytes))) {
    out["ConsumedCapacity"] = std::move(*cc);
  }
  return out;
}

Executor::Response Executor::UpdateItem(const json::object& body) {
  static const Schema schema = {
      TableNameField(),
      NotNull(AttrMapField("Key")),
      MapOf("AttributeUpdates",
            StructField("member", "AttributeValueUpdate",
                        {Enum(StringField("Action"), {"ADD", "PUT", "DELETE"}),
                         Field{.name = "Value", .kind = FieldKind::kAttrValue}}),
            "com.amazonaws.dynamodb.v20120810.AttributeValueUpdate"),
      ExpectedField(),
      Enum(StringField("ConditionalOperator"), {"OR", "AND"}),
      ReturnValuesField(),
      ReturnConsumedCapacityField(),
      Enum(StringField("ReturnItemCollectionMetrics"), {"SIZE", "NONE"}),
      StringField("UpdateExpression"),
      StringField("ConditionExpression"),
      ExpressionValuesField(),
      ExpressionNamesField(),
      ReturnOnFailureField(),
  };
  if (auto err = CheckRequest(body, schema)) return *err;
  TANDEM_API_TRY(Item key_unchecked, ParseAttributeMap(body.if_contains("Key")));
  TANDEM_API_TRY(Expressions exprs,
                 ParseExpressions(body, {{"UpdateExpression", "ConditionExpression"},
                                         {"AttributeUpdates", "Expected"}}));
  TANDEM_API_TRY(auto table, FindTable(body));
  TANDEM_API_TRY(Item key, ParseKey(body.if_contains("Key"), *table));
  if (exprs.update) {
    for (const auto& action : exprs.update->actions) {
      const Path& path = action.path;
      if (path.empty() || path[0].index >= 0) continue;
      const std::string& top = path[0].name;
      const bool is_key =
          top == table->hash_key.name || (table->range_key && top == table->range_key->name);
      if (!is_key) continue;
      if (path.size() > 1) {
        return ApiError::Validation(
            "Key attributes must be scalars; list random access '[]' and map lookup '.' are not "
            "allowed: Key: " +
            top);
      }
      return ApiError::Validation(
          "One or more parameter values were invalid: Cannot update "
          "attribute " +
          top + ". This attribute is part of the key");
    }
  }
  const std::string return_values = MemberString(body, "ReturnValues");

  Outcome outcome;
  std::vector<Path> touched;
  Status st = store_->Mutate(
      *table, key, [&](const std::optional<Item>& current) -> StatusOr<storage::Store::Mutation> {
        outcome.old_item = current;
        if (exprs.condition && !Evaluate(*exprs.condition, current ? *current : Item{})) {
          outcome.error = ConditionFailed(body, current);
          return storage::Store::Mutation{};
        }
        // As in DynamoDB, an update that only removes attributes (REMOVE, or
        // DELETE from a set) does not create a missing item; an empty one does.
        if (!current && exprs.update && !exprs.update->actions.empty() &&
            std::all_of(exprs.update->actions.begin(), exprs.update->actions.end(),
                        [](const UpdateAction& a) {
                          return a.kind == UpdateAction::Kind::kRemove ||
                                 a.kind == UpdateAction::Kind::kDelete;
                        })) {
          return storage::Store::Mutation{};
        }
        Item next = current ? *current : key;
        touched.clear();
        if (exprs.update) {
          Status applied = ApplyUpdate(*exprs.update, &next, &touched);
          if (!applied.ok()) {
            outcome.error = ApiError::Validation(applied.message());
            return storage::Store::Mutation{};
          }
        }
        if (ItemSize(next) > kMaxItemBytes) {
          outcome.error =
              ApiError::Validation("Item size to update has exceeded the maximum allowed size");
          return storage::Store::Mutation{};
        }
        outcome.new_item = next;
        return storage::Store::Mutation{storage::Store::Mutation::Kind::kPut, std::move(next)};
      });
  if (outcome.error) return *outcome.error;
  if (!st.ok()) return ApiError::FromStatus(st);

  json::object out;
  Item attributes;
  if (return_values == "ALL_OLD" && outcome.old_item) {
    attributes = *outcome.old_item;
  } else if (return_values == "ALL_NEW" && outcome.new_item) {
    attributes = *outcome.new_item;
  } else if (return_values == "UPDATED_OLD" && outcome.old_item) {
    attributes = ProjectPaths(touched, *outcome.old_item);
  } else if (return_values == "UPDATED_NEW" && outcome.new_item) {
    attributes = ProjectPaths(touched, *outcome.new_item);
  }
  if (!attributes.empty()) out["Attributes"] = ItemToJson(attributes);
  const size_t bytes = std::max(outcome.new_item ? ItemSize(*outcome.new_item) : 0,
                                outcome.old_item ? ItemSize(*outcome.old_item) : 0);
  if (auto cc = ConsumedCapacity(body, table->name, WriteUnits(bytes))) {
    out["ConsumedCapacity"] = std::move(*cc);
  }
  return out;
}

}  // namespace tandem::node
