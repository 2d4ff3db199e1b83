// Shared request pieces of the item operations: keys, items, expression
// parameters, ReturnValues and consumed capacity, each validated with
// DynamoDB's messages before any storage access.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "expr/condition.h"
#include "expr/context.h"
#include "expr/projection.h"
#include "expr/update.h"
#include "node/api_error.h"
#include "node/request_schema.h"
#include "storage/table_meta.h"
#include "types/value.h"

namespace tandem::node {

inline constexpr size_t kMaxItemBytes = 400 * 1024;

// The expression members of one request, parsed in DynamoDB's order
// (Update, Condition, KeyCondition, Filter, Projection) against one shared
// placeholder context, then checked for unused placeholders.
struct Expressions {
  ExpressionContext::NameMap names;
  ExpressionContext::ValueMap values;
  std::optional<Condition> condition;
  std::optional<Condition> filter;
  std::optional<Update> update;
  std::optional<Projection> projection;  // ProjectionExpression or AttributesToGet
  std::optional<std::string> key_condition_text;
};

// Which expression members an operation accepts, and its legacy
// (non-expression) members that conflict with them.
struct ExpressionMembers {
  std::vector<std::string> expressions;  // e.g. {"UpdateExpression", "ConditionExpression"}
  std::vector<std::string> legacy;       // e.g. {"AttributeUpdates", "Expected"}
};

Result<Expressions> ParseExpressions(const boost::json::object& body,
                                     const ExpressionMembers& members);

// Parses and checks a primary key against the table's schema.
Result<Item> ParseKey(const boost::json::value* key_json, const storage::TableMeta& table);
// Parses a whole item (PutItem) and checks its key attributes and size.
Result<Item> ParseItem(const boost::json::value* item_json, const storage::TableMeta& table);
// Checks the key attributes of an item already parsed (e.g. after an update).
std::optional<ApiError> CheckItemKey(const Item& item, const storage::TableMeta& table);
// The key attributes of `item`.
Item KeyOf(const Item& item, const storage::TableMeta& table);

// Reads an attribute-value map member, mapping type errors to
// SerializationException and value errors to ValidationException with
// `context` formatting ("{msg}" by default).
Result<Item> ParseAttributeMap(const boost::json::value* json);

// DynamoDB's capacity units: writes per 1 KB, reads per 4 KB (halved when
// eventually consistent), at least one unit (or half) per operation.
double WriteUnits(size_t bytes);
double ReadUnits(size_t bytes, bool consistent);
// The ConsumedCapacity member for ReturnConsumedCapacity TOTAL or INDEXES,
// or nullopt for NONE/absent.
std::optional<boost::json::object> ConsumedCapacity(const boost::json::object& body,
                                                    const std::string& table, double units);

// Common schema members.
Field ReturnConsumedCapacityField();
Field ReturnValuesField();
Field ExpressionValuesField();
Field ExpressionNamesField();

std::string MemberString(const boost::json::object& body, std::string_view name);
bool MemberBool(const boost::json::object& body, std::string_view name);

}  // namespace tandem::node
