// Recursive-descent parsers from expression text to parse trees.
//
// Each returns the tree, or InvalidArgument with DynamoDB's syntax-error
// message prefixed by "Invalid <label>: " (label e.g. "ConditionExpression").
// Empty and oversized input are reported here too. No semantic checks: those
// belong to resolve.h.
#pragma once

#include <string_view>

#include "common/status.h"
#include "expr/parse_tree.h"

namespace tandem {

// Maximum expression size in bytes, as DynamoDB.
inline constexpr size_t kMaxExpressionBytes = 4096;

StatusOr<RawCondition> ParseRawCondition(std::string_view text, std::string_view label);
StatusOr<RawUpdate> ParseRawUpdate(std::string_view text);
StatusOr<RawProjection> ParseRawProjection(std::string_view text);

}  // namespace tandem
