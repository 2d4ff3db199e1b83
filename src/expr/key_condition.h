// Key condition expressions (Query's KeyConditionExpression).
//
// The text is parsed as a condition, then checked against the key schema:
// exactly one equality on the partition (hash) key, optionally ANDed with one
// condition on the sort (range) key.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "expr/context.h"
#include "types/value.h"

namespace tandem {

// The key schema of the table or index being queried. Types are kS, kN or kB.
struct KeySchemaInfo {
  std::string hash_name;
  ValueType hash_type = ValueType::kS;
  std::optional<std::string> range_name;
  ValueType range_type = ValueType::kS;
};

enum class KeyOp { kEq, kLt, kLe, kGt, kGe, kBetween, kBeginsWith };

// The sort-key part of a key condition.
struct RangeKeyCondition {
  KeyOp op = KeyOp::kEq;
  Value value;   // the operand (BETWEEN: the lower bound)
  Value value2;  // BETWEEN: the upper bound

  // Whether a sort-key value satisfies the condition.
  bool Matches(const Value& key) const;
};

struct KeyCondition {
  Value hash_value;
  std::optional<RangeKeyCondition> range;
};

// Parses, validates and matches `text` against `schema`. Errors carry
// DynamoDB's messages, e.g. "Query condition missed key schema element: id",
// "Query key condition not supported",
// "Invalid KeyConditionExpression: Invalid operator used in
// KeyConditionExpression: OR".
StatusOr<KeyCondition> ParseKeyCondition(std::string_view text, ExpressionContext* context,
                                         const KeySchemaInfo& schema);

}  // namespace tandem
