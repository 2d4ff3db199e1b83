// The legacy (pre-expression) parameters of the item API, translated into the
// expression trees the rest of the node evaluates:
//   Expected + ConditionalOperator        -> a Condition (PutItem, UpdateItem, DeleteItem)
//   QueryFilter / ScanFilter + Operator    -> a Condition (Query, Scan)
//   AttributeUpdates                       -> an Update (UpdateItem)
//   KeyConditions                          -> a KeyCondition (Query)
// Validation follows DynamoDB's messages for these parameters. Older SDK code
// (and the PHP SDK v2 many shop plugins were written with) still sends them.
#pragma once

#include <optional>

#include <boost/json/object.hpp>

#include "expr/condition.h"
#include "expr/key_condition.h"
#include "expr/update.h"
#include "node/api_error.h"

namespace tandem::node {

// `member` is "Expected", "QueryFilter" or "ScanFilter". Returns nullopt when
// the member is absent.
Result<std::optional<Condition>> LegacyCondition(const boost::json::object& body,
                                                 const char* member);

// AttributeUpdates of UpdateItem; nullopt when absent.
Result<std::optional<Update>> LegacyUpdate(const boost::json::object& body);

// KeyConditions of Query, checked against the key schema.
Result<KeyCondition> LegacyKeyConditions(const boost::json::object& body,
                                         const KeySchemaInfo& schema);

}  // namespace tandem::node
