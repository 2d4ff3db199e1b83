// The resolved, validated expression trees shared by every expression kind.
//
// A parsed expression (see parse_tree.h) still holds placeholders such as
// "#n" and ":v"; after resolution (resolve.h) every name is a plain attribute
// name and every value a copy of the request's Value. The types here are what
// evaluation and update application run on. Plain values; thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "types/value.h"

namespace tandem {

// One step of a document path: a map key (attribute name) or a list index.
struct PathElement {
  std::string name;    // used when index < 0
  int64_t index = -1;  // list index when >= 0

  static PathElement Name(std::string n) { return PathElement{std::move(n), -1}; }
  static PathElement Index(int64_t i) { return PathElement{std::string(), i}; }
  bool IsIndex() const { return index >= 0; }
};

bool operator==(const PathElement& a, const PathElement& b);
inline bool operator!=(const PathElement& a, const PathElement& b) { return !(a == b); }
bool operator<(const PathElement& a, const PathElement& b);

// A document path such as a.b[2].c; never empty once resolved.
using Path = std::vector<PathElement>;

// DynamoDB's rendering in error messages: "[a, b, [2], c]".
std::string PathToString(const Path& path);
// Expression-like rendering: "a.b[2].c" (for logs and tests).
std::string PathToDocument(const Path& path);

// The functions and arithmetic operators an operand may apply.
enum class Function {
  kAttributeExists,
  kAttributeNotExists,
  kAttributeType,
  kBeginsWith,
  kContains,
  kSize,
  kIfNotExists,
  kListAppend,
  kPlus,
  kMinus,
};

// DynamoDB's spelling ("attribute_exists", "+", ...).
const char* FunctionName(Function f);

// An operand: a document path, a constant value or a function application.
struct Operand {
  enum class Kind { kPath, kValue, kFunction };
  Kind kind = Kind::kValue;
  Path path;                  // kPath
  Value value;                // kValue
  Function function = Function::kSize;  // kFunction
  std::vector<Operand> args;  // kFunction
};

// One node of a resolved condition.
struct ConditionNode {
  enum class Op { kAnd, kOr, kNot, kEq, kNe, kLt, kLe, kGt, kGe, kBetween, kIn, kFunction };
  Op op = Op::kEq;
  std::vector<ConditionNode> children;  // kAnd, kOr (two), kNot (one)
  std::vector<Operand> operands;        // comparisons, BETWEEN (3), IN (1 + list),
                                        // kFunction (one kFunction operand)
};

// One resolved action of an update expression.
struct UpdateAction {
  enum class Kind { kSet, kRemove, kAdd, kDelete };
  Kind kind = Kind::kSet;
  Path path;
  Operand value;  // SET: the value expression; ADD/DELETE: a constant; REMOVE: unused
};

}  // namespace tandem
