// Tests for condition expressions: grammar, validation messages, evaluation.
#include "expr/condition.h"

#include <gtest/gtest.h>

#include "expr/test_util.h"

namespace tandem {
namespace {

using testing::N;
using testing::Request;
using testing::S;

Item SampleItem() {
  Item item;
  item["a"] = N("5");
  item["s"] = S("hello");
  item["b"] = Value::B(std::string("\x01\x02\x03", 3));
  item["ok"] = Value::Bool(true);
  item["nul"] = Value::Null();
  item["ss"] = Value::Set(ValueType::kSS, {"x", "y"});
  item["ns"] = Value::Set(ValueType::kNS, {"1", "2.5"});
  item["l"] = Value::List({N("1"), S("two"), Value::List({N("3")})});
  item["m"] = Value::Map({{"x", Value::Map({{"y", N("7")}})}, {"k", S("v")}});
  return item;
}

// Evaluates `text` against SampleItem() with a fixed set of values.
bool Eval(const std::string& text, const Item& item = SampleItem()) {
  Request r({{"#st", "status"}},
            {{":n5", N("5")}, {":n1", N("1")}, {":n10", N("10")}, {":s", S("hello")},
             {":he", S("he")}, {":x", S("x")}, {":two", S("two")}, {":N", S("N")},
             {":M", S("M")}, {":n25", N("2.50")}, {":n3", N("3")}});
  StatusOr<Condition> c = ParseCondition(text, "ConditionExpression", &r.context);
  EXPECT_TRUE(c.ok()) << text << ": " << c.status().message();
  if (!c.ok()) {
    return false;
  }
  return Evaluate(*c, item);
}

std::string Error(const std::string& text, std::map<std::string, Value> values = {},
                  std::map<std::string, std::string> names = {}) {
  Request r(std::move(names), std::move(values));
  StatusOr<Condition> c = ParseCondition(text, "ConditionExpression", &r.context);
  EXPECT_FALSE(c.ok()) << text;
  return c.ok() ? "" : c.status().message();
}

TEST(ConditionEval, Comparisons) {
  EXPECT_TRUE(Eval("a = :n5"));
  EXPECT_FALSE(Eval("a <> :n5"));
  EXPECT_TRUE(Eval("a < :n10"));
  EXPECT_TRUE(Eval("a <= :n5"));
  EXPECT_FALSE(Eval("a > :n5"));
  EXPECT_TRUE(Eval("a >= :n1"));
  EXPECT_TRUE(Eval(":n1 < a"));
  EXPECT_TRUE(Eval("s = :s"));
  EXPECT_TRUE(Eval("s > :he"));
  EXPECT_TRUE(Eval("ns = :n5") == false);
}

TEST(ConditionEval, MismatchedTypesAreFalse) {
  EXPECT_FALSE(Eval("a = :s"));
  EXPECT_TRUE(Eval("a <> :s"));
  EXPECT_FALSE(Eval("a < :s"));
  EXPECT_FALSE(Eval("s > :n1"));
  EXPECT_FALSE(Eval("ok < :n1"));
  EXPECT_FALSE(Eval("l < :n1"));
}

TEST(ConditionEval, MissingAttributes) {
  EXPECT_FALSE(Eval("nope = :n5"));
  EXPECT_TRUE(Eval("nope <> :n5"));
  EXPECT_FALSE(Eval("nope < :n5"));
  EXPECT_FALSE(Eval("a = :n5", Item()));
  EXPECT_TRUE(Eval("attribute_not_exists(a)", Item()));
}

TEST(ConditionEval, NumbersCompareByValue) {
  Item item;
  item["x"] = N("2.5");
  EXPECT_TRUE(Eval("x = :n25", item));
  EXPECT_TRUE(Eval("x < :n3", item));
  EXPECT_TRUE(Eval("contains(ns, :n25)"));
}

TEST(ConditionEval, Logic) {
  EXPECT_TRUE(Eval("a = :n5 AND s = :s"));
  EXPECT_FALSE(Eval("a = :n1 AND s = :s"));
  EXPECT_TRUE(Eval("a = :n1 OR s = :s"));
  EXPECT_TRUE(Eval("NOT a = :n1"));
  EXPECT_TRUE(Eval("not a = :n1 and s = :s"));
  // AND binds tighter than OR.
  EXPECT_TRUE(Eval("a = :n5 OR a = :n1 AND s = :x"));
  EXPECT_FALSE(Eval("(a = :n5 OR a = :n1) AND s = :x"));
  // NOT binds tighter than AND.
  EXPECT_FALSE(Eval("NOT a = :n5 AND s = :s"));
  EXPECT_TRUE(Eval("NOT (a = :n5 AND s = :x)"));
  EXPECT_TRUE(Eval("NOT NOT a = :n5"));
}

TEST(ConditionEval, BetweenAndIn) {
  EXPECT_TRUE(Eval("a BETWEEN :n1 AND :n10"));
  EXPECT_TRUE(Eval("a BETWEEN :n5 AND :n5"));
  EXPECT_FALSE(Eval("a BETWEEN :n1 AND :n3"));
  EXPECT_FALSE(Eval("s BETWEEN :n1 AND :n10"));
  EXPECT_TRUE(Eval("a IN (:n1, :n5)"));
  EXPECT_FALSE(Eval("a IN (:n1, :n10)"));
  EXPECT_TRUE(Eval("s in (:x, :s)"));
  EXPECT_FALSE(Eval("nope IN (:n1)"));
}

TEST(ConditionEval, Functions) {
  EXPECT_TRUE(Eval("attribute_exists(a)"));
  EXPECT_FALSE(Eval("attribute_exists(zz)"));
  EXPECT_TRUE(Eval("attribute_exists(m.x.y)"));
  EXPECT_FALSE(Eval("attribute_exists(m.x.z)"));
  EXPECT_TRUE(Eval("attribute_exists(l[2][0])"));
  EXPECT_FALSE(Eval("attribute_exists(l[3])"));
  EXPECT_FALSE(Eval("attribute_exists(a[0])"));
  EXPECT_TRUE(Eval("attribute_not_exists(zz)"));
  EXPECT_TRUE(Eval("attribute_type(a, :N)"));
  EXPECT_FALSE(Eval("attribute_type(s, :N)"));
  EXPECT_TRUE(Eval("attribute_type(m, :M)"));
  EXPECT_TRUE(Eval("begins_with(s, :he)"));
  EXPECT_FALSE(Eval("begins_with(a, :he)"));
  EXPECT_TRUE(Eval("contains(s, :he)"));
  EXPECT_TRUE(Eval("contains(ss, :x)"));
  EXPECT_TRUE(Eval("contains(l, :two)"));
  EXPECT_FALSE(Eval("contains(ss, :n1)"));
  EXPECT_FALSE(Eval("contains(a, :n5)"));
  EXPECT_TRUE(Eval("size(s) = :n5"));
  EXPECT_TRUE(Eval("size(l) = :n3"));
  EXPECT_TRUE(Eval("size(b) = :n3"));
  EXPECT_TRUE(Eval("size(m) < :n3"));
  EXPECT_FALSE(Eval("size(a) = :n1"));
  EXPECT_FALSE(Eval("size(nope) <> :n1") && false);
  EXPECT_TRUE(Eval("size(l[2]) = :n1"));
}

TEST(ConditionEval, PlaceholdersParensAndSpacing) {
  Item item;
  item["status"] = S("x");
  EXPECT_TRUE(Eval("#st = :x", item));
  EXPECT_TRUE(Eval("(a) = :n5"));
  EXPECT_TRUE(Eval("(a = :n5)"));
  EXPECT_TRUE(Eval("(size(s)) = :n5"));
  EXPECT_TRUE(Eval("(a = :n5) AND (s = :s)"));
  EXPECT_TRUE(Eval("  a=:n5  "));
  EXPECT_TRUE(Eval("m . x . y > :n1"));
  EXPECT_TRUE(Eval("l [ 1 ] = :two"));
  EXPECT_TRUE(Eval("begins_with (s, :he)"));
}

TEST(ConditionErrors, EmptyAndSize) {
  EXPECT_EQ(Error(""), "Invalid ConditionExpression: The expression can not be empty;");
  std::string big = "a = :v AND " + std::string(4100, ' ') + "b = :v";
  EXPECT_EQ(Error(big), "Invalid ConditionExpression: Expression size has exceeded the maximum "
                        "allowed size; expression size: " + std::to_string(big.size()));
}

TEST(ConditionErrors, Syntax) {
  EXPECT_EQ(Error("a ="), "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \"=\"");
  EXPECT_EQ(Error("foo"), "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \"foo\"");
  EXPECT_EQ(Error("attribute_exists(car_id) AND NOT #x", {}, {{"#x", "x"}}),
            "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \"#x\"");
  EXPECT_EQ(Error("a-b"), "Invalid ConditionExpression: Syntax error; token: \"-\", near: \"a-b\"");
  EXPECT_EQ(Error("a = :v b", {{":v", N("1")}}),
            "Invalid ConditionExpression: Syntax error; token: \"b\", near: \":v b\"");
  EXPECT_EQ(Error("()"), "Invalid ConditionExpression: Syntax error; token: \")\", near: \"()\"");
  EXPECT_EQ(Error("(a)"), "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \")\"");
  EXPECT_EQ(Error("a == :v", {{":v", N("1")}}),
            "Invalid ConditionExpression: Syntax error; token: \"=\", near: \"== :v\"");
  EXPECT_EQ(Error(":v", {{":v", N("1")}}),
            "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \":v\"");
  EXPECT_EQ(Error("a = 5"), "Invalid ConditionExpression: Syntax error; token: \"5\", near: \"= 5\"");
  EXPECT_EQ(Error("a BETWEEN :v OR :v", {{":v", N("1")}}),
            "Invalid ConditionExpression: Syntax error; token: \"OR\", near: \":v OR :v\"");
  EXPECT_EQ(Error("and = :v", {{":v", N("1")}}),
            "Invalid ConditionExpression: Syntax error; token: \"and\", near: \"and =\"");
  EXPECT_EQ(Error("a = :v AND", {{":v", N("1")}}),
            "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \"AND\"");
  EXPECT_EQ(Error("f()"), "Invalid ConditionExpression: Syntax error; token: \")\", near: \"()\"");
}

TEST(ConditionErrors, Placeholders) {
  EXPECT_EQ(Error("#n = :v", {{":v", N("1")}}),
            "Invalid ConditionExpression: An expression attribute name used in the document "
            "path is not defined; attribute name: #n");
  EXPECT_EQ(Error("a = :v"),
            "Invalid ConditionExpression: An expression attribute value used in expression is "
            "not defined; attribute value: :v");
}

TEST(ConditionErrors, ReservedWords) {
  EXPECT_EQ(Error("status = :v", {{":v", N("1")}}),
            "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved "
            "keyword: status");
  EXPECT_EQ(Error("a.Name = :v", {{":v", N("1")}}),
            "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved "
            "keyword: Name");
}

TEST(ConditionErrors, Functions) {
  Value one = N("1");
  EXPECT_EQ(Error("foo(a)"), "Invalid ConditionExpression: Invalid function name; function: foo");
  EXPECT_EQ(Error("begins_with(a)"),
            "Invalid ConditionExpression: Incorrect number of operands for operator or function; "
            "operator or function: begins_with, number of operands: 1");
  EXPECT_EQ(Error("attribute_exists(a, b)"),
            "Invalid ConditionExpression: Incorrect number of operands for operator or function; "
            "operator or function: attribute_exists, number of operands: 2");
  EXPECT_EQ(Error("begins_with(a, :v)", {{":v", one}}),
            "Invalid ConditionExpression: Incorrect operand type for operator or function; "
            "operator or function: begins_with, operand type: N");
  EXPECT_EQ(Error("size(:v) = :v", {{":v", one}}),
            "Invalid ConditionExpression: Incorrect operand type for operator or function; "
            "operator or function: size, operand type: N");
  EXPECT_EQ(Error("attribute_type(a, :v)", {{":v", S("X")}}),
            "Invalid ConditionExpression: Invalid attribute type name found; type: X, valid "
            "types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}");
  EXPECT_EQ(Error("attribute_type(a, :v)", {{":v", one}}),
            "Invalid ConditionExpression: Incorrect operand type for operator or function; "
            "operator or function: attribute_type, operand type: N");
  EXPECT_EQ(Error("attribute_exists(:v)", {{":v", one}}),
            "Invalid ConditionExpression: Operator or function requires a document path; "
            "operator or function: attribute_exists");
  EXPECT_EQ(Error("size(a)"),
            "Invalid ConditionExpression: The function is not allowed to be used this way in an "
            "expression; function: size");
  EXPECT_EQ(Error("begins_with(a, :v) = :v", {{":v", S("x")}}),
            "Invalid ConditionExpression: The function is not allowed to be used this way in an "
            "expression; function: begins_with");
  EXPECT_EQ(Error("if_not_exists(a, :v) = :v", {{":v", S("x")}}),
            "Invalid ConditionExpression: Invalid function name; function: if_not_exists");
}

TEST(ConditionErrors, OperandsAndBounds) {
  EXPECT_EQ(Error("a = a"),
            "Invalid ConditionExpression: The first operand must be distinct from the remaining "
            "operands for this operator or function; operator: =, first operand: [a]");
  EXPECT_EQ(Error("a BETWEEN :hi AND :lo", {{":hi", N("5")}, {":lo", N("1")}}),
            "Invalid ConditionExpression: The BETWEEN operator requires upper bound to be greater "
            "than or equal to lower bound; lower bound operand: AttributeValue: {N:5}, upper "
            "bound operand: AttributeValue: {N:1}");
  EXPECT_EQ(Error("a BETWEEN :a AND :b", {{":a", N("5")}, {":b", S("x")}}),
            "Invalid ConditionExpression: The BETWEEN operator requires same data type for lower "
            "and upper bounds; lower bound operand: AttributeValue: {N:5}, upper bound operand: "
            "AttributeValue: {S:x}");
  EXPECT_EQ(Error("((a = :v))", {{":v", N("1")}}),
            "Invalid ConditionExpression: The expression has redundant parentheses;");
  std::string in = "a IN (:v";
  for (int i = 0; i < 100; ++i) {
    in += ", :v";
  }
  EXPECT_EQ(Error(in + ")", {{":v", N("1")}}),
            "Invalid ConditionExpression: The IN operator is provided with too many operands; "
            "number of operands: 101");
}

TEST(ConditionErrors, FilterLabel) {
  Request r;
  StatusOr<Condition> c = ParseCondition("a =", "FilterExpression", &r.context);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(),
            "Invalid FilterExpression: Syntax error; token: \"<EOF>\", near: \"=\"");
}

TEST(ExpressionContext, UnusedPlaceholders) {
  Request r({{"#a", "a"}, {"#b", "b"}, {"#c", "c"}}, {{":x", N("1")}, {":y", N("2")}});
  ASSERT_TRUE(ParseCondition("#a = :y", "ConditionExpression", &r.context).ok());
  EXPECT_EQ(r.context.CheckUnused().message(),
            "Value provided in ExpressionAttributeNames unused in expressions: keys: {#b, #c}");
  ASSERT_TRUE(ParseCondition("#b = #c", "ConditionExpression", &r.context).ok());
  EXPECT_EQ(r.context.CheckUnused().message(),
            "Value provided in ExpressionAttributeValues unused in expressions: keys: {:x}");
  ASSERT_TRUE(ParseCondition("a = :x", "ConditionExpression", &r.context).ok());
  EXPECT_TRUE(r.context.CheckUnused().ok());
  ExpressionContext empty(nullptr, nullptr);
  EXPECT_TRUE(empty.CheckUnused().ok());
  StatusOr<Condition> c = ParseCondition("a = :v", "ConditionExpression", &empty);
  EXPECT_FALSE(c.ok());
}

}  // namespace
}  // namespace tandem
