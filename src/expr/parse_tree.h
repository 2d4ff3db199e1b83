// The parsed (unresolved) expression trees: the parser's output.
//
// Names and values are still the text the client wrote ("#n", ":v", "a"),
// functions are still names; resolve.h turns these into the types of ast.h
// and reports every semantic error. `parens` counts the parentheses written
// directly around a node, so "((x))" can be reported as redundant.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tandem {

struct RawPathElement {
  std::string text;     // identifier or "#placeholder"; empty for an index
  int64_t index = -1;   // list index when >= 0
  bool IsPlaceholder() const { return !text.empty() && text[0] == '#'; }
};
using RawPath = std::vector<RawPathElement>;

struct RawOperand {
  enum class Kind { kPath, kValue, kCall, kArith };
  Kind kind = Kind::kPath;
  RawPath path;                  // kPath
  std::string ref;               // kValue: ":v"; kCall: function name; kArith: "+" or "-"
  std::vector<RawOperand> args;  // kCall, kArith
  int parens = 0;
};

struct RawCondition {
  enum class Kind { kAnd, kOr, kNot, kCompare, kBetween, kIn, kCall };
  Kind kind = Kind::kCompare;
  std::string op;                     // kCompare: "=", "<>", "<", "<=", ">", ">="
  std::vector<RawCondition> children;
  std::vector<RawOperand> operands;   // kCall: one kCall operand
  int parens = 0;
};

struct RawUpdateAction {
  enum class Kind { kSet, kRemove, kAdd, kDelete };
  Kind kind = Kind::kSet;
  RawPath path;
  RawOperand value;  // unused for kRemove
};

struct RawUpdate {
  std::vector<RawUpdateAction> actions;
  std::string repeated_section;  // first clause keyword used twice ("SET"), if any
};

struct RawProjection {
  std::vector<RawPath> paths;
};

}  // namespace tandem
