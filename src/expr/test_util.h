// Helpers shared by the expression tests.
#pragma once

#include <map>
#include <string>

#include "expr/expression.h"

namespace tandem::testing {

inline Value S(std::string s) { return Value::S(std::move(s)); }
inline Value N(std::string n) { return Value::N(std::move(n)); }

// Owns the placeholder maps of one fake request.
struct Request {
  std::map<std::string, std::string> names;
  std::map<std::string, Value> values;
  ExpressionContext context{&names, &values};

  Request() = default;
  Request(std::map<std::string, std::string> n, std::map<std::string, Value> v)
      : names(std::move(n)), values(std::move(v)), context(&names, &values) {}
};

}  // namespace tandem::testing
