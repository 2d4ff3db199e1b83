// Path helpers and function names for the resolved expression trees.
#include "expr/ast.h"

namespace tandem {

bool operator==(const PathElement& a, const PathElement& b) {
  return a.index == b.index && (a.IsIndex() || a.name == b.name);
}

bool operator<(const PathElement& a, const PathElement& b) {
  if (a.IsIndex() != b.IsIndex()) {
    return !a.IsIndex();
  }
  if (a.IsIndex()) {
    return a.index < b.index;
  }
  return a.name < b.name;
}

std::string PathToString(const Path& path) {
  std::string out = "[";
  for (size_t i = 0; i < path.size(); ++i) {
    if (i > 0) {
      out += ", ";
    }
    if (path[i].IsIndex()) {
      out += "[" + std::to_string(path[i].index) + "]";
    } else {
      out += path[i].name;
    }
  }
  return out + "]";
}

std::string PathToDocument(const Path& path) {
  std::string out;
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i].IsIndex()) {
      out += "[" + std::to_string(path[i].index) + "]";
    } else {
      if (i > 0) {
        out += ".";
      }
      out += path[i].name;
    }
  }
  return out;
}

const char* FunctionName(Function f) {
  switch (f) {
    case Function::kAttributeExists: return "attribute_exists";
    case Function::kAttributeNotExists: return "attribute_not_exists";
    case Function::kAttributeType: return "attribute_type";
    case Function::kBeginsWith: return "begins_with";
    case Function::kContains: return "contains";
    case Function::kSize: return "size";
    case Function::kIfNotExists: return "if_not_exists";
    case Function::kListAppend: return "list_append";
    case Function::kPlus: return "+";
    case Function::kMinus: return "-";
  }
  return "?";
}

}  // namespace tandem
