// Projection expressions (ProjectionExpression) and projecting items onto a
// set of document paths (also used for UPDATED_OLD / UPDATED_NEW).
#pragma once

#include <string_view>
#include <vector>

#include "common/status.h"
#include "expr/ast.h"
#include "expr/context.h"
#include "types/value.h"

namespace tandem {

// A validated projection: the requested paths, pairwise non-overlapping.
struct Projection {
  std::vector<Path> paths;
};

// Parses and validates `text`; InvalidArgument with DynamoDB's
// "Invalid ProjectionExpression: ..." message on failure.
StatusOr<Projection> ParseProjection(std::string_view text, ExpressionContext* context);

// The parts of `item` the projection selects. Nested maps keep only the
// selected keys; lists keep only the selected elements, compacted in index
// order; paths that do not exist (or step into the wrong type) are skipped.
Item Project(const Projection& projection, const Item& item);

// Same, for any list of paths (e.g. the `touched` paths of ApplyUpdate).
// Overlapping paths are allowed here: the longer path is subsumed.
Item ProjectPaths(const std::vector<Path>& paths, const Item& item);

}  // namespace tandem
