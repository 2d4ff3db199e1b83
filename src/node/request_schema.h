// Request schemas: the shape of each operation's JSON body, checked the way
// DynamoDB's front end checks it, before any operation logic runs.
//
// Two phases, as DynamoDB: first every member's JSON type (a mismatch is a
// SerializationException, e.g. "NUMBER_VALUE cannot be converted to String"),
// then the declared constraints (not null, lengths, ranges, enums, name
// pattern), collected into one ValidationException:
// "2 validation errors detected: Value null at 'tableName' failed to satisfy
// constraint: Member must not be null; ...". Members a schema does not name
// are ignored, as DynamoDB ignores them. Schemas are immutable statics.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "node/api_error.h"

namespace tandem::node {

enum class FieldKind { kString, kBoolean, kLong, kInteger, kBlob, kList, kMap, kStruct, kAttrValue };

struct Field {
  std::string name;
  FieldKind kind = FieldKind::kString;
  bool not_null = false;
  std::optional<int64_t> min_length;
  std::optional<int64_t> max_length;
  std::optional<int64_t> min_value;
  std::optional<int64_t> max_value;
  std::vector<std::string> enum_values;
  bool name_pattern = false;  // must match [a-zA-Z0-9_.-]+
  std::string struct_name;    // Java class name used in DynamoDB's messages
  std::vector<Field> members;             // kStruct
  std::shared_ptr<const Field> element;   // kList / kMap element
  std::string map_value_class = "com.amazonaws.dynamodb.v20120810.AttributeValue";
};

using Schema = std::vector<Field>;

// Small builders so schemas read like DynamoDB's API reference.
Field StringField(std::string name);
Field TableNameField(std::string name = "TableName");
Field BoolField(std::string name);
Field LongField(std::string name);
Field IntField(std::string name);
Field ListOf(std::string name, Field element);
Field MapOf(std::string name, Field element, std::string value_class);
Field StructField(std::string name, std::string struct_name, std::vector<Field> members);
Field AttrMapField(std::string name);  // Map<String, AttributeValue>
Field NamesMapField(std::string name);  // Map<String, String> (ExpressionAttributeNames)
Field NotNull(Field f);
Field Enum(Field f, std::vector<std::string> values);
Field Length(Field f, std::optional<int64_t> min, std::optional<int64_t> max);
Field Range(Field f, std::optional<int64_t> min, std::optional<int64_t> max);

// Runs both phases over a request body (which must be a JSON object).
std::optional<ApiError> CheckRequest(const boost::json::object& body, const Schema& schema);

// The "Value 'x' at 'path' failed to satisfy constraint: msg" sentence, and
// the "N validation error(s) detected: ..." wrapper, for checks done in code.
std::string ConstraintMessage(const boost::json::value* value, const std::string& path,
                              const std::string& constraint);
std::string ValidationErrors(const std::vector<std::string>& errors);

// A JSON number read as DynamoDB reads Integer and Long members: fractions
// are dropped, values beyond int64 saturate. Non-numbers read as 0.
int64_t JsonInt(const boost::json::value& v);

}  // namespace tandem::node
