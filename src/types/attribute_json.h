// DynamoDB JSON <-> Value: reading and writing AttributeValues such as
// {"S":"x"}, {"N":"1"}, {"B":"<base64>"}, {"L":[...]}, {"M":{...}}, {"SS":[...]}.
//
// Reading validates exactly as DynamoDB does and fails with DynamoDB's own
// message text (bare, without the "1 validation error detected: " envelope,
// which the protocol edge adds where DynamoDB does). Two kinds of failure
// exist, and the caller tells them apart through `JsonErrorKind`:
//
//   kSerialization  the JSON has the wrong shape for the wire model (e.g.
//                   {"S": 5}, {"L": "x"}, bad base64). DynamoDB answers
//                   com.amazon.coral.service#SerializationException.
//   kValidation     the shape is right but the value is not allowed (bad
//                   number, empty set, duplicates, NULL false, too deep, no or
//                   several types). DynamoDB answers ValidationException.
//
// Both come back as Status::InvalidArgument; the kind is reported through the
// optional out-parameter. As in DynamoDB, a whole value (or item) is checked
// for serialization errors before any validation error is reported, and
// validation errors are reported in document order (a value nested deeper
// than 32 levels is reported where the walk reaches level 33).
//
// Numbers are stored in canonical form (Decimal::ToString), binaries as raw
// bytes. JSON null in a member position means "absent", as in DynamoDB's
// wire model. Strings are assumed to be valid UTF-8 (boost::json::parse
// checks that); note that its default max_depth of 32 is too small for a
// 32-level item, so the request parser must raise it.
//
// Thread-safety: free functions on values; safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <boost/json.hpp>

#include "common/status.h"
#include "types/value.h"

namespace tandem {

enum class JsonErrorKind : uint8_t { kNone, kSerialization, kValidation };

// Deepest nesting DynamoDB accepts: the attribute's own value is level 1.
inline constexpr int kMaxNestingLevels = 32;

inline constexpr std::string_view kNestingLevelsMessage =
    "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels "
    "beyond supported limit";

// Reads one AttributeValue (treated as nesting level 1). On failure `*kind`
// (when given) says which DynamoDB error type the message belongs to.
StatusOr<Value> ValueFromJson(const boost::json::value& json, JsonErrorKind* kind = nullptr);

// Reads an attribute map (attribute name -> AttributeValue), e.g. PutItem's
// Item or a Key. JSON null reads as an empty item (the caller decides whether
// the member was required).
StatusOr<Item> ItemFromJson(const boost::json::value& json, JsonErrorKind* kind = nullptr);

// Writes DynamoDB JSON. Sets keep their stored order.
boost::json::value ValueToJson(const Value& value);
boost::json::object ItemToJson(const Item& item);

// Standard base64 with padding, and its strict inverse. Base64Decode fails
// with DynamoDB's SerializationException text for a Blob, e.g.
// "'abc' can not be converted to a Blob: Base64 encoded length is expected a
// multiple of 4 bytes but found: 3".
std::string Base64Encode(std::string_view bytes);
StatusOr<std::string> Base64Decode(std::string_view text);

}  // namespace tandem
