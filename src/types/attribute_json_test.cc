// Tests for DynamoDB JSON <-> Value: round trips, canonical numbers, base64,
// and every serialization and validation message.
#include "types/attribute_json.h"

#include <gtest/gtest.h>

#include <string>

#include "types/decimal.h"

namespace tandem {
namespace {

namespace json = boost::json;

json::value Parse(std::string_view text) {
  json::parse_options options;
  options.max_depth = 1000;
  return json::parse(text, {}, options);
}

StatusOr<Value> Read(std::string_view text, JsonErrorKind* kind = nullptr) {
  return ValueFromJson(Parse(text), kind);
}

// The message of a failed read, checking its kind.
std::string Error(std::string_view text, JsonErrorKind want) {
  JsonErrorKind kind = JsonErrorKind::kNone;
  StatusOr<Value> v = Read(text, &kind);
  EXPECT_FALSE(v.ok()) << text;
  EXPECT_EQ(kind, want) << text;
  EXPECT_EQ(v.status().code(), Status::Code::kInvalidArgument);
  return v.ok() ? "" : v.status().message();
}

std::string Validation(std::string_view text) { return Error(text, JsonErrorKind::kValidation); }
std::string Serialization(std::string_view text) {
  return Error(text, JsonErrorKind::kSerialization);
}

std::string RoundTrip(std::string_view text) {
  StatusOr<Value> v = Read(text);
  EXPECT_TRUE(v.ok()) << text << ": " << v.status().ToString();
  return v.ok() ? json::serialize(ValueToJson(*v)) : "";
}

std::string Nested(int levels, std::string_view leaf) {
  std::string out;
  for (int i = 0; i < levels; ++i) {
    out += R"({"M":{"n":)";
  }
  out += leaf;
  for (int i = 0; i < levels; ++i) {
    out += "}}";
  }
  return out;
}

const std::string kInvalid = "One or more parameter values were invalid: ";
const std::string kEmpty =
    "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes";
const std::string kSeveral =
    "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the "
    "supported datatypes";

TEST(AttributeJsonTest, RoundTripsEveryType) {
  for (std::string_view text :
       {R"({"S":"x"})", R"({"S":""})", R"({"N":"1"})", R"({"B":"AAEC/w=="})", R"({"B":""})",
        R"({"BOOL":true})", R"({"BOOL":false})", R"({"NULL":true})", R"({"L":[]})",
        R"({"M":{}})", R"({"SS":["b","a",""]})", R"({"NS":["2","-1.5"]})",
        R"({"BS":["AA==","/w=="]})",
        R"({"L":[{"S":"a"},{"M":{"k":{"L":[{"NULL":true}]}}}]})"}) {
    EXPECT_EQ(RoundTrip(text), text);
  }
}

TEST(AttributeJsonTest, NumbersAreStoredCanonical) {
  EXPECT_EQ(RoundTrip(R"({"N":"01.50"})"), R"({"N":"1.5"})");
  EXPECT_EQ(RoundTrip(R"({"N":"-0"})"), R"({"N":"0"})");
  EXPECT_EQ(RoundTrip(R"({"N":"1e2"})"), R"({"N":"100"})");
  EXPECT_EQ(RoundTrip(R"({"NS":["1e1","0.5"]})"), R"({"NS":["10","0.5"]})");
  StatusOr<Value> v = Read(R"({"M":{"a":{"N":"+7.0"}}})");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->map.at("a").scalar, "7");
}

TEST(AttributeJsonTest, BinaryHoldsRawBytes) {
  StatusOr<Value> v = Read(R"({"B":"AAEC/w=="})");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->scalar, std::string("\x00\x01\x02\xff", 4));
  EXPECT_EQ(Read(R"({"B":"YQ=="})")->scalar, "a");
  EXPECT_EQ(Read(R"({"B":"YWI="})")->scalar, "ab");
  EXPECT_EQ(Read(R"({"B":"YWJj"})")->scalar, "abc");
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("ab"), "YWI=");
}

TEST(AttributeJsonTest, UnknownMembersAndNullMembersAreIgnored) {
  EXPECT_EQ(RoundTrip(R"({"S":"x","Z":1})"), R"({"S":"x"})");
  EXPECT_EQ(RoundTrip(R"({"S":"x","N":null})"), R"({"S":"x"})");
}

TEST(AttributeJsonValidationTest, EmptyOrSeveralTypes) {
  EXPECT_EQ(Validation("{}"), kEmpty);
  EXPECT_EQ(Validation(R"({"a":""})"), kEmpty);
  EXPECT_EQ(Validation(R"({"S":null})"), kEmpty);
  EXPECT_EQ(Validation("null"), kEmpty);
  EXPECT_EQ(Validation(R"({"M":{"a":{}}})"), kEmpty);
  EXPECT_EQ(Validation(R"({"L":[{}]})"), kEmpty);
  EXPECT_EQ(Validation(R"({"L":[{"a":{}}]})"), kEmpty);
  EXPECT_EQ(Validation(R"({"S":"a","N":"1"})"), kSeveral);
  // Each member is validated before the count is checked.
  EXPECT_EQ(Validation(R"({"S":"a","N":"b"})"),
            "The parameter cannot be converted to a numeric value: b");
  EXPECT_EQ(Validation(R"({"S":"","N":""})"), "The parameter cannot be converted to a numeric value");
}

TEST(AttributeJsonValidationTest, Numbers) {
  EXPECT_EQ(Validation(R"({"N":"abc"})"), "The parameter cannot be converted to a numeric value: abc");
  EXPECT_EQ(Validation(R"({"N":"123456789012345678901234567890123456789"})"),
            kNumberPrecisionMessage);
  EXPECT_EQ(Validation(R"({"N":"1e126"})"), kNumberOverflowMessage);
  EXPECT_EQ(Validation(R"({"N":"-1e-131"})"), kNumberUnderflowMessage);
  EXPECT_EQ(Validation(R"({"M":{"x":{"L":[{"N":"1e126"}]}}})"), kNumberOverflowMessage);
}

TEST(AttributeJsonValidationTest, NullMustBeTrue) {
  EXPECT_EQ(Validation(R"({"NULL":false})"),
            kInvalid + "Null attribute value types must have the value of true");
}

TEST(AttributeJsonValidationTest, EmptySets) {
  EXPECT_EQ(Validation(R"({"SS":[]})"), kInvalid + "An string set  may not be empty");
  EXPECT_EQ(Validation(R"({"NS":[]})"), kInvalid + "An number set  may not be empty");
  EXPECT_EQ(Validation(R"({"BS":[]})"), kInvalid + "Binary sets should not be empty");
}

TEST(AttributeJsonValidationTest, SetMembers) {
  EXPECT_EQ(Validation(R"({"NS":["1",""]})"), "The parameter cannot be converted to a numeric value");
  EXPECT_EQ(Validation(R"({"NS":["1","b","a"]})"),
            "The parameter cannot be converted to a numeric value: b");
  EXPECT_EQ(Validation(R"({"NS":["1",null]})"), "The parameter cannot be converted to a numeric value");
  EXPECT_EQ(Validation(R"({"NS":["1","1e999"]})"), kNumberOverflowMessage);
  EXPECT_EQ(Validation(R"({"SS":["a",null]})"),
            kInvalid + "An string set may not have a empty string as a member");
  EXPECT_EQ(Validation(R"({"BS":["AA==",null]})"),
            kInvalid + "Binary sets may not contain null or empty values");
}

TEST(AttributeJsonValidationTest, DuplicateSetMembers) {
  EXPECT_EQ(Validation(R"({"SS":["a","a"]})"),
            kInvalid + "Input collection [a, a] contains duplicates.");
  // Seen members in byte order, then the repeat, then the rest as sent.
  EXPECT_EQ(Validation(R"({"SS":["b","a","b","0"]})"),
            kInvalid + "Input collection [a, b, b, 0] contains duplicates.");
  EXPECT_EQ(Validation(R"({"SS":["",""]})"),
            kInvalid + "Input collection [, ] contains duplicates.");
  EXPECT_EQ(Validation(R"({"BS":["/w==","AA==","AA=="]})"),
            kInvalid + "Input collection [AA==, /w==, AA==]of type BS contains duplicates.");
  EXPECT_EQ(Validation(R"({"NS":["2","1","2"]})"), "Input collection contains duplicates");
  // Numbers are duplicates when equal in value.
  EXPECT_EQ(Validation(R"({"NS":["1","1.0"]})"), "Input collection contains duplicates");
}

TEST(AttributeJsonValidationTest, NestingLimit) {
  EXPECT_TRUE(Read(Nested(31, R"({"S":"leaf"})")).ok());
  EXPECT_EQ(Validation(Nested(32, R"({"S":"leaf"})")), kNestingLevelsMessage);
  EXPECT_TRUE(Read(Nested(30, R"({"L":[{"N":"1"}]})")).ok());
  EXPECT_EQ(Validation(Nested(31, R"({"L":[{"N":"1"}]})")), kNestingLevelsMessage);
  // Document order: the depth is hit before the bad number at the bottom...
  EXPECT_EQ(Validation(Nested(40, R"({"N":"abc"})")), kNestingLevelsMessage);
  // ...and a bad number before a deep sibling is reported first.
  EXPECT_EQ(Validation(R"({"M":{"bad":{"N":"abc"},"d":)" + Nested(40, R"({"S":"x"})") + "}}"),
            "The parameter cannot be converted to a numeric value: abc");
  EXPECT_EQ(Validation(R"({"M":{"d":)" + Nested(40, R"({"S":"x"})") + R"(,"bad":{"N":"abc"}}})"),
            kNestingLevelsMessage);
}

TEST(AttributeJsonSerializationTest, WrongJsonTypes) {
  EXPECT_EQ(Serialization(R"({"S":5})"), "NUMBER_VALUE can not be converted to a String");
  EXPECT_EQ(Serialization(R"({"N":123})"), "NUMBER_VALUE can not be converted to a String");
  EXPECT_EQ(Serialization(R"({"S":true})"), "TRUE_VALUE can not be converted to a String");
  EXPECT_EQ(Serialization(R"({"S":[]})"), "Start of list found where not expected");
  EXPECT_EQ(Serialization(R"({"S":{}})"), "Start of structure or map found where not expected.");
  EXPECT_EQ(Serialization(R"({"B":false})"), "FALSE_VALUE can not be converted to a Blob");
  EXPECT_EQ(Serialization(R"({"BOOL":"true"})"), "STRING_VALUE can not be converted to a Boolean");
  EXPECT_EQ(Serialization(R"({"NULL":1})"), "NUMBER_VALUE can not be converted to a Boolean");
  EXPECT_EQ(Serialization(R"({"L":"x"})"), "Expected list or null");
  EXPECT_EQ(Serialization(R"({"SS":{}})"), "Start of structure or map found where not expected.");
  EXPECT_EQ(Serialization(R"({"SS":[1]})"), "NUMBER_VALUE can not be converted to a String");
  EXPECT_EQ(Serialization(R"({"M":[]})"), "Start of list found where not expected");
  EXPECT_EQ(Serialization(R"({"M":true})"), "Expected map or null");
  EXPECT_EQ(Serialization(R"("x")"), "Expected null");
  EXPECT_EQ(Serialization("[]"), "Start of list found where not expected");
  EXPECT_EQ(Serialization(R"({"L":[5]})"), "Expected null");
}

TEST(AttributeJsonSerializationTest, Base64) {
  EXPECT_EQ(Serialization(R"({"B":"23456"})"),
            "'23456' can not be converted to a Blob: Base64 encoded length is expected a multiple "
            "of 4 bytes but found: 5");
  EXPECT_EQ(Serialization(R"({"B":"=+/="})"),
            "'=+/=' can not be converted to a Blob: Invalid Base64 character: '='");
  EXPECT_EQ(Serialization(R"({"B":"ab!d"})"),
            "'ab!d' can not be converted to a Blob: Invalid Base64 character: '!'");
  EXPECT_EQ(Serialization(R"({"B":"+/+="})"),
            "'+/+=' can not be converted to a Blob: Invalid last non-pad Base64 character "
            "dectected");
  EXPECT_EQ(Serialization(R"({"B":"YR=="})"),
            "'YR==' can not be converted to a Blob: Invalid last non-pad Base64 character "
            "dectected");
  EXPECT_EQ(Serialization(R"({"B":"Y==="})"),
            "'Y===' can not be converted to a Blob: Invalid last non-pad Base64 character "
            "dectected");
  EXPECT_EQ(Serialization(R"({"BS":["AA==","A"]})"),
            "'A' can not be converted to a Blob: Base64 encoded length is expected a multiple of "
            "4 bytes but found: 1");
}

TEST(AttributeJsonSerializationTest, SerializationBeatsEarlierValidation) {
  // A validation problem earlier in the document loses to a shape problem
  // anywhere, because DynamoDB deserializes before it validates.
  EXPECT_EQ(Serialization(R"({"L":[{"N":"abc"},{"S":5}]})"),
            "NUMBER_VALUE can not be converted to a String");
  JsonErrorKind kind = JsonErrorKind::kNone;
  StatusOr<Item> item = ItemFromJson(Parse(R"({"a":{"NULL":false},"b":{"B":"x"}})"), &kind);
  ASSERT_FALSE(item.ok());
  EXPECT_EQ(kind, JsonErrorKind::kSerialization);
}

TEST(ItemJsonTest, ReadsAndWritesItems) {
  JsonErrorKind kind = JsonErrorKind::kValidation;
  StatusOr<Item> item = ItemFromJson(Parse(R"({"pk":{"S":"k"},"n":{"N":"1.0"}})"), &kind);
  ASSERT_TRUE(item.ok());
  EXPECT_EQ(kind, JsonErrorKind::kNone);
  EXPECT_EQ(item->size(), 2u);
  EXPECT_EQ(item->at("n").scalar, "1");
  EXPECT_EQ(json::serialize(ItemToJson(*item)), R"({"n":{"N":"1"},"pk":{"S":"k"}})");
  EXPECT_TRUE(ItemFromJson(json::value(nullptr))->empty());
}

TEST(ItemJsonTest, ErrorsInItems) {
  JsonErrorKind kind = JsonErrorKind::kNone;
  EXPECT_EQ(ItemFromJson(Parse("[]"), &kind).status().message(),
            "Start of list found where not expected");
  EXPECT_EQ(kind, JsonErrorKind::kSerialization);
  EXPECT_EQ(ItemFromJson(Parse("7"), &kind).status().message(), "Expected map or null");
  EXPECT_EQ(ItemFromJson(Parse(R"({"a":{"S":"x"},"b":{}})"), &kind).status().message(), kEmpty);
  EXPECT_EQ(kind, JsonErrorKind::kValidation);
  EXPECT_EQ(ItemFromJson(Parse(R"({"a":null})"), &kind).status().message(), kEmpty);
  EXPECT_EQ(ItemFromJson(Parse(R"({"d":)" + Nested(32, R"({"S":"x"})") + "}"), &kind)
                .status()
                .message(),
            kNestingLevelsMessage);
  EXPECT_TRUE(ItemFromJson(Parse(R"({"d":)" + Nested(31, R"({"S":"x"})") + "}")).ok());
}

}  // namespace
}  // namespace tandem
