// Condition expressions (ConditionExpression, FilterExpression): parse,
// resolve and validate, then evaluate against an item.
#pragma once

#include <string_view>

#include "common/status.h"
#include "expr/ast.h"
#include "expr/context.h"
#include "types/value.h"

namespace tandem {

// A validated condition, ready to evaluate any number of times.
struct Condition {
  ConditionNode root;
};

// Parses `text`; `which` is "ConditionExpression", "FilterExpression" (or
// "KeyConditionExpression") and prefixes error messages. Placeholders are
// resolved through `context` (marked used). Returns InvalidArgument with
// DynamoDB's message on any syntax or validation error.
StatusOr<Condition> ParseCondition(std::string_view text, std::string_view which,
                                   ExpressionContext* context);

// Evaluates the condition against `item` (an empty item stands for "no item").
// Never fails: comparisons between mismatched types are simply false.
bool Evaluate(const Condition& condition, const Item& item);

// Looks up a document path in an item; nullptr when any step is missing or
// of the wrong type.
const Value* FindPath(const Item& item, const Path& path);

}  // namespace tandem
