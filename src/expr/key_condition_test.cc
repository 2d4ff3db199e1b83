// Tests for key condition expressions.
#include "expr/key_condition.h"

#include <gtest/gtest.h>

#include "expr/test_util.h"

namespace tandem {
namespace {

using testing::N;
using testing::Request;
using testing::S;

KeySchemaInfo Schema() {
  KeySchemaInfo schema;
  schema.hash_name = "id";
  schema.hash_type = ValueType::kS;
  schema.range_name = "ts";
  schema.range_type = ValueType::kN;
  return schema;
}

std::map<std::string, Value> Values() {
  return {{":id", S("k")}, {":n1", N("1")}, {":n5", N("5")}, {":s", S("x")}};
}

StatusOr<KeyCondition> Parse(const std::string& text, std::map<std::string, std::string> names = {}) {
  Request r(std::move(names), Values());  // the result owns copies of the values
  return ParseKeyCondition(text, &r.context, Schema());
}

std::string Error(const std::string& text) {
  StatusOr<KeyCondition> k = Parse(text);
  EXPECT_FALSE(k.ok()) << text;
  return k.ok() ? "" : k.status().message();
}

TEST(KeyCondition, HashOnly) {
  StatusOr<KeyCondition> k = Parse("id = :id");
  ASSERT_TRUE(k.ok()) << k.status().message();
  EXPECT_TRUE(k->hash_value == S("k"));
  EXPECT_FALSE(k->range.has_value());
  EXPECT_TRUE(Parse(":id = id").ok());
  EXPECT_TRUE(Parse("(id = :id)").ok());
}

TEST(KeyCondition, RangeOperators) {
  StatusOr<KeyCondition> k = Parse("id = :id AND ts < :n5");
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k->range->op, KeyOp::kLt);
  EXPECT_TRUE(k->range->Matches(N("4")));
  EXPECT_FALSE(k->range->Matches(N("5")));
  k = Parse(":n5 > ts AND id = :id");  // flipped operands, any order
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k->range->op, KeyOp::kLt);
  k = Parse("#h = :id and #r BETWEEN :n1 AND :n5", {{"#h", "id"}, {"#r", "ts"}});
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k->range->op, KeyOp::kBetween);
  EXPECT_TRUE(k->range->Matches(N("5")));
  EXPECT_FALSE(k->range->Matches(N("6")));
  EXPECT_TRUE(Parse("id = :id AND ts >= :n1").ok());
}

TEST(KeyCondition, BeginsWith) {
  KeySchemaInfo schema = Schema();
  schema.range_type = ValueType::kS;
  Request r({}, Values());
  StatusOr<KeyCondition> k = ParseKeyCondition("id = :id AND begins_with(ts, :s)", &r.context, schema);
  ASSERT_TRUE(k.ok()) << k.status().message();
  EXPECT_EQ(k->range->op, KeyOp::kBeginsWith);
  EXPECT_TRUE(k->range->Matches(S("xyz")));
  EXPECT_FALSE(k->range->Matches(S("y")));
}

TEST(KeyCondition, Errors) {
  EXPECT_EQ(Error("ts = :n1"), "Query condition missed key schema element: id");
  EXPECT_EQ(Error("id = :id AND foo = :n1"), "Query condition missed key schema element: ts");
  EXPECT_EQ(Error("id < :id"), "Query key condition not supported");
  EXPECT_EQ(Error("begins_with(id, :id)"), "Query key condition not supported");
  EXPECT_EQ(Error("id = :id OR ts = :n1"),
            "Invalid operator used in KeyConditionExpression: OR");
  EXPECT_EQ(Error("NOT id = :id"),
            "Invalid operator used in KeyConditionExpression: NOT");
  EXPECT_EQ(Error("id IN (:id)"),
            "Invalid operator used in KeyConditionExpression: IN");
  EXPECT_EQ(Error("id = :id AND attribute_exists(ts)"),
            "Invalid operator used in KeyConditionExpression: "
            "attribute_exists");
  EXPECT_EQ(Error("id = :id AND id = :id"),
            "KeyConditionExpressions must only contain one condition per key");
  EXPECT_EQ(Error("id = :n1"),
            "One or more parameter values were invalid: Condition parameter type does not match "
            "schema type");
  EXPECT_EQ(Error("id = :id AND ts = :s"),
            "One or more parameter values were invalid: Condition parameter type does not match "
            "schema type");
  EXPECT_EQ(Error("id = :id AND begins_with(ts, :n1)"),
            "Invalid KeyConditionExpression: Incorrect operand type for operator or function; "
            "operator or function: begins_with, operand type: N");
  EXPECT_EQ(Error("id = :id AND ts.x = :n1"),
            "KeyConditionExpressions cannot have conditions on "
            "nested attributes");
  EXPECT_EQ(Error("id = :id AND size(ts) = :n1"),
            "KeyConditionExpressions cannot contain nested "
            "operations");
  EXPECT_EQ(Error("id ="),
            "Invalid KeyConditionExpression: Syntax error; token: \"<EOF>\", near: \"=\"");
  EXPECT_EQ(Error(""), "Invalid KeyConditionExpression: The expression can not be empty;");
}

}  // namespace
}  // namespace tandem
