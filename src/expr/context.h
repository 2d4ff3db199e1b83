// ExpressionContext: the placeholders of one request, shared by all of its
// expressions.
//
// Built from the request's ExpressionAttributeNames ("#n" -> attribute name)
// and ExpressionAttributeValues (":v" -> Value); either may be absent. Parsing
// an expression looks placeholders up here, which records them as used; after
// every expression of the request has been parsed, CheckUnused() reports the
// ones no expression used, as DynamoDB does. The maps are borrowed and must
// outlive the context. Not thread-safe: one request, one thread.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>

#include "common/status.h"
#include "types/value.h"

namespace tandem {

class ExpressionContext {
 public:
  using NameMap = std::map<std::string, std::string>;
  using ValueMap = std::map<std::string, Value>;

  // Either pointer may be null (the request did not carry that map).
  ExpressionContext(const NameMap* names, const ValueMap* values);

  // The attribute name for "#ref", or nullptr when undefined; marks it used.
  const std::string* LookupName(std::string_view ref);
  // The value for ":ref", or nullptr when undefined; marks it used.
  const Value* LookupValue(std::string_view ref);

  // InvalidArgument with DynamoDB's "Value provided in
  // ExpressionAttributeNames unused in expressions: keys: {#a, #b}" (names are
  // reported before values); OK when every placeholder was used.
  Status CheckUnused() const;

 private:
  const NameMap* names_;
  const ValueMap* values_;
  std::set<std::string, std::less<>> used_names_;
  std::set<std::string, std::less<>> used_values_;
};

}  // namespace tandem
