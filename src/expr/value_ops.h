// Value helpers the expression evaluator needs: ordering, type names and the
// rendering of values inside DynamoDB error messages.
#pragma once

#include <optional>
#include <string>

#include "types/value.h"

namespace tandem {

// (Ordering of scalars is types/value.h's CompareScalars.)

// "STRING", "NUMBER", "BINARY", "BOOLEAN", "NULL", "LIST", "MAP",
// "STRING SET", "NUMBER SET", "BINARY SET" (used by some update messages).
const char* LongTypeName(ValueType type);

// DynamoDB's rendering in BETWEEN messages: "AttributeValue: {N:5}".
std::string RenderForMessage(const Value& value);

// True when `set` (SS, NS or BS) holds `element` (numbers compared by value).
bool SetContains(const Value& set, const std::string& element);

// The element type of a set type (kSS -> kS, ...).
ValueType SetElementType(ValueType set_type);

}  // namespace tandem
