// Update expressions (UpdateExpression): parse, resolve and validate, then
// apply to an item.
#pragma once

#include <string_view>
#include <vector>

#include "common/status.h"
#include "expr/ast.h"
#include "expr/context.h"
#include "types/value.h"

namespace tandem {

// A validated update: its SET, REMOVE, ADD and DELETE actions in the order
// written.
struct Update {
  std::vector<UpdateAction> actions;
};

// Parses and validates `text`; InvalidArgument with DynamoDB's
// "Invalid UpdateExpression: ..." message on failure.
StatusOr<Update> ParseUpdate(std::string_view text, ExpressionContext* context);

// Applies `update` to `*item` (an empty item when the row does not exist).
// Every right-hand side is evaluated against the item as it was before the
// update, as DynamoDB does; list REMOVEs use the original indexes. On success
// `*touched` (if not null) receives the paths the update wrote or removed, in
// expression order, for UPDATED_OLD / UPDATED_NEW (see projection.h). On
// failure `*item` is left unchanged and InvalidArgument carries DynamoDB's
// message, e.g. "The document path provided in the update expression is
// invalid for update".
Status ApplyUpdate(const Update& update, Item* item, std::vector<Path>* touched);

}  // namespace tandem
