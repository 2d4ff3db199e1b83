// Resolution and validation: parse trees (parse_tree.h) to resolved trees
// (ast.h).
//
// Placeholders are looked up in the ExpressionContext (marking them used),
// reserved words, unknown functions, operand counts, static operand types,
// redundant parentheses and overlapping paths are checked. When several
// problems exist the one DynamoDB reports first is returned, as
// InvalidArgument("Invalid <label>: <message>").
#pragma once

#include <string_view>
#include <vector>

#include "common/status.h"
#include "expr/ast.h"
#include "expr/context.h"
#include "expr/parse_tree.h"

namespace tandem {

// Largest number of values on the right of IN.
inline constexpr size_t kMaxInOperands = 100;
// Deepest document path accepted.
inline constexpr size_t kMaxPathDepth = 32;

StatusOr<ConditionNode> ResolveCondition(const RawCondition& raw, std::string_view label,
                                         ExpressionContext* context);
StatusOr<std::vector<UpdateAction>> ResolveUpdate(const RawUpdate& raw,
                                                  ExpressionContext* context);
StatusOr<std::vector<Path>> ResolveProjection(const RawProjection& raw,
                                              ExpressionContext* context);

// DynamoDB's overlap/conflict check between document paths, in order; the
// message names the earlier path first. OK when no two paths overlap.
Status CheckPathsDisjoint(const std::vector<Path>& paths, std::string_view label);

}  // namespace tandem
